"""A branch's member roster: CSV export, and CSV import that is all or nothing."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import Member, Membership, MemberStatus, OrgKind, OrgUnit
from models.db import begin_write, unscoped
from services import bounds, csvio
from services.accounts import passwords
from services.accounts.members import members_of
from services.accounts.orgs import get_unit_led
from services.accounts.principal import Principal
from services.accounts.signin import normalize_phone
from services.errors import DomainError

HEADER = ["姓名", "手机号", "党小组", "党员类别", "入党日期"]
STATUS_NAMES = {"正式党员": MemberStatus.full, "预备党员": MemberStatus.probationary,
                "full": MemberStatus.full, "probationary": MemberStatus.probationary}


@dataclass
class ImportProblem:
    """One bad row: its line in the file and what is wrong."""

    line: int
    message: str


class RosterImportError(DomainError):
    """The file had bad rows; nothing was imported."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("bad_rows", _l("Nothing was imported: %(n)s rows need fixing.", n=len(problems)))
        self.problems = problems


def export_roster(session: Session, principal: Principal, *, unit_id: int) -> bytes:
    """The branch's members as CSV (the same columns the import takes, plus account state)."""
    unit = get_unit_led(session, principal, unit_id)
    groups = {u.id: u.name for u in session.exec(select(OrgUnit).where(OrgUnit.parent_id == unit.id)).all()}
    rows = [
        [m.name, m.phone, groups.get(m.group_id, ""),
         "预备党员" if m.status == MemberStatus.probationary else "正式党员",
         m.joined_on.isoformat() if m.joined_on else "",
         "待设置密码" if m.must_change_password else "正常"]
        for m in members_of(session, unit_ids=[unit.id])
    ]
    return csvio.to_csv(HEADER + ["账号状态"], rows)


def import_roster(session: Session, principal: Principal, *, unit_id: int, data: bytes) -> list[tuple[Member, str]]:
    """Add every member of the CSV to the branch, or none of them; returns members with one-time passwords."""
    text = csvio.decode_upload(data)
    header, rows = csvio.read_rows(text)
    missing = [h for h in HEADER[:2] if h not in header]
    if missing:
        raise DomainError("bad_header", _l("The first row must name the columns: %(cols)s.", cols="、".join(HEADER)))
    if not rows:
        raise DomainError("empty_file", _l("The file has no members in it."))
    if len(rows) > 2000:
        raise DomainError("too_many_rows", _l("At most 2,000 members per file."))
    begin_write(session)
    unit = get_unit_led(session, principal, unit_id)
    if unit.kind != OrgKind.branch:
        raise DomainError("not_a_branch", _l("Members belong to a branch (党支部)."))
    groups = {u.name: u.id for u in session.exec(select(OrgUnit).where(OrgUnit.parent_id == unit.id)).all()}
    problems: list[ImportProblem] = []
    parsed = []
    seen: set[str] = set()
    with unscoped(session):
        taken = set(session.exec(select(Member.phone)).all())
    for line, row in rows:
        name, raw_phone = row.get("姓名", ""), row.get("手机号", "")
        try:
            phone = normalize_phone(raw_phone)
        except DomainError as e:
            problems.append(ImportProblem(line, str(e.message)))
            continue
        if not name or len(name) > 40:
            problems.append(ImportProblem(line, str(_l("Enter a name of 1 to 40 characters."))))
        elif bounds.has_control(name):
            problems.append(ImportProblem(line, str(bounds.control_message(field=_l("Name")))))
        if phone in taken or phone in seen:
            problems.append(ImportProblem(line, str(_l("This phone number already has an account."))))
        seen.add(phone)
        group_name = row.get("党小组", "")
        if group_name and group_name not in groups:
            problems.append(ImportProblem(line, str(_l("No group called “%(name)s” in this branch.", name=group_name))))
        status_text = row.get("党员类别", "") or "正式党员"
        if status_text not in STATUS_NAMES:
            problems.append(ImportProblem(line, str(_l("Status must be 正式党员 or 预备党员."))))
        joined = None
        if row.get("入党日期"):
            try:
                joined = bounds.check_date(date.fromisoformat(row["入党日期"].replace("/", "-")))
            except (ValueError, DomainError):
                problems.append(ImportProblem(line, str(_l("Write the date as 2020-07-01."))))
        parsed.append((name, phone, groups.get(group_name), STATUS_NAMES.get(status_text), joined))
    if problems:
        session.rollback()
        raise RosterImportError(problems)
    created = []
    for name, phone, group_id, status, joined in parsed:
        initial, initial_hash = passwords.make_one_time_password()
        member = Member(name=name, phone=phone, org_unit_id=unit.id, group_id=group_id, status=status,
                        joined_on=joined, password_hash=initial_hash, must_change_password=True)
        session.add(member)
        session.flush()
        session.add(Membership(member_id=member.id, org_unit_id=unit.id, note="imported"))
        created.append((member, initial))
    from services import audit  # audit reads the org tree from this package

    audit.record(session, actor=principal, action="roster.import", unit=unit.id, target=f"org_unit:{unit.id}",
                 after={"rows": len(created), "member_ids": [m.id for m, _ in created]})
    session.commit()
    return created
