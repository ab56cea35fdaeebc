"""Import a branch's members from CSV or XLSX: every row checked first, any bad row rejects the whole file
(with line numbers and reasons); a member already in the branch (same phone) is updated, never duplicated;
a new member gets a one-time password and sets their own at first sign-in."""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import Member, Membership, MemberStatus
from models.db import begin_write, unscoped
from services.accounts import Principal, normalize_phone, passwords
from services.errors import DomainError
from services.workspace.common import get_branch, groups_of
from services.workspace.sheets import MAX_ROWS, read_table

COLUMNS = ["姓名", "手机号", "党小组", "党员类别", "入党日期"]
REQUIRED = COLUMNS[:2]
ALIASES = {"name": "姓名", "phone": "手机号", "mobile": "手机号", "手机": "手机号", "group": "党小组", "小组": "党小组",
           "status": "党员类别", "类别": "党员类别", "joined": "入党日期", "joined_on": "入党日期"}
STATUS_NAMES = {"正式党员": MemberStatus.full, "预备党员": MemberStatus.probationary, "正式": MemberStatus.full,
                "预备": MemberStatus.probationary, "full": MemberStatus.full,
                "probationary": MemberStatus.probationary}


@dataclass
class Problem:
    """One bad row: its line in the file and what is wrong."""

    line: int
    message: str


class ImportRejected(DomainError):
    """The file had bad rows; nothing was imported."""

    def __init__(self, problems: list[Problem]):
        super().__init__("bad_rows", _l("Nothing was imported: %(n)s problems to fix.", n=len(problems)))
        self.problems = problems


@dataclass
class ImportResult:
    """What an import did: members added (with their one-time passwords), updated and unchanged."""

    created: list[tuple[Member, str]] = field(default_factory=list)
    updated: list[Member] = field(default_factory=list)
    unchanged: int = 0


def _parse_date(text: str) -> date:
    text = text.strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    parts = text.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    return date.fromisoformat(text)


def import_members(session: Session, principal: Principal, *, unit_id: int, data: bytes,
                   filename: str = "") -> ImportResult:
    """Add or update the members of the file in the branch, all rows or none."""
    branch = get_branch(session, principal, unit_id)
    header, rows, formulas = read_table(data, filename)
    header = [ALIASES.get(h.strip().lower(), h.strip()) for h in header]
    rows = [(line, {ALIASES.get(k.strip().lower(), k.strip()): v for k, v in row.items()}) for line, row in rows]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DomainError("bad_header", _l("The first row must name the columns %(cols)s (missing: %(missing)s).",
                                           cols="、".join(COLUMNS), missing="、".join(missing)))
    if not rows:
        raise DomainError("empty_file", _l("The file has no members in it."))
    if len(rows) > MAX_ROWS:
        raise DomainError("too_many_rows", _l("At most %(n)s members per file.", n=f"{MAX_ROWS:,}"))
    problems = [Problem(line, str(_l("Column “%(col)s” holds a formula; enter the value itself.", col=col)))
                for line, col in formulas]
    groups = {g.name: g.id for g in groups_of(session, [branch.id])[branch.id]}
    parsed = []
    seen: dict[str, int] = {}
    for line, row in rows:
        name = row.get("姓名", "").strip()
        if not name or len(name) > 40:
            problems.append(Problem(line, str(_l("Enter a name of 1 to 40 characters."))))
        elif name.startswith(("=", "+", "-", "@")):
            problems.append(Problem(line, str(_l("A name cannot start with =, +, - or @."))))
        try:
            phone = normalize_phone(row.get("手机号", ""))
        except DomainError as e:
            problems.append(Problem(line, str(e.message)))
            phone = None
        if phone and phone in seen:
            problems.append(Problem(line, str(_l("The same number is on line %(n)s.", n=seen[phone]))))
        elif phone:
            seen[phone] = line
        group_name = row.get("党小组", "").strip()
        if group_name and group_name not in groups:
            problems.append(Problem(line, str(_l("No group called “%(name)s” in this branch.", name=group_name[:40]))))
        status_text = row.get("党员类别", "").strip() or "正式党员"
        if status_text.lower() not in STATUS_NAMES and status_text not in STATUS_NAMES:
            problems.append(Problem(line, str(_l("Status must be 正式党员 or 预备党员."))))
        joined = None
        if row.get("入党日期", "").strip():
            try:
                joined = _parse_date(row["入党日期"])
                if not date(1921, 7, 1) <= joined <= date.today():
                    raise ValueError
            except (ValueError, OverflowError):
                problems.append(Problem(line, str(_l("Write the date as 2020-07-01."))))
        parsed.append((line, name, phone, groups.get(group_name), STATUS_NAMES.get(status_text.lower(),
                                                                               STATUS_NAMES.get(status_text)), joined,
                       bool(group_name)))
    begin_write(session)
    with unscoped(session):
        known = {m.phone: m for m in session.exec(select(Member).where(Member.phone.in_(list(seen) or ["-"]))).all()}
    for line, _name, phone, *_rest in parsed:
        other = known.get(phone)
        if other is not None and other.org_unit_id != branch.id:
            problems.append(Problem(line, str(_l("This number belongs to a member of another branch; ask for a "
                                                 "transfer (组织关系转接) instead."))))
    if problems:
        session.rollback()
        raise ImportRejected(sorted(problems, key=lambda p: p.line))
    result = ImportResult()
    for _line, name, phone, group_id, status, joined, has_group in parsed:
        member = known.get(phone)
        if member is None:
            initial, initial_hash = passwords.make_one_time_password()
            member = Member(name=name, phone=phone, org_unit_id=branch.id, group_id=group_id, status=status,
                            joined_on=joined, password_hash=initial_hash, must_change_password=True)
            session.add(member)
            session.flush()
            session.add(Membership(member_id=member.id, org_unit_id=branch.id, note="imported"))
            result.created.append((member, initial))
            continue
        before = (member.name, member.group_id, member.status, member.joined_on)
        member.name = name
        if has_group:
            member.group_id = group_id
        member.status = status
        if joined:
            member.joined_on = joined
        if (member.name, member.group_id, member.status, member.joined_on) != before:
            session.add(member)
            result.updated.append(member)
        else:
            result.unchanged += 1
    from services import audit

    audit.record(session, actor=principal, action="roster.import", unit=branch.id, target=f"org_unit:{branch.id}",
                 after={"created": [m.id for m, _ in result.created], "updated": [m.id for m in result.updated],
                        "unchanged": result.unchanged})
    session.commit()
    return result


def template_rows() -> tuple[list[str], list[list[str]]]:
    """The columns and one example row, for a blank file to fill in."""
    return COLUMNS, [["张三", "13800138000", "第一党小组", "正式党员", "2010-07-01"]]
