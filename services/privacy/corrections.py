"""Correcting what is held (PIPL art. 46): the member changes their own contact details (the mobile number
they sign in with); for the rest they ask their branch, whose secretary answers the request."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from models import Member, Role, RoleName, utcnow
from models.db import ALL_ORGS, begin_write, unscoped
from models.privacy import DataRequest
from services import audit, notify
from services.accounts import Principal, normalize_phone, orgs, passwords
from services.errors import DomainError, NotFound
from services.privacy.common import MAX_ID, clean_text, get_member

SUBJECTS = {
    "name": _l("Name"),
    "joined_on": _l("Date of joining the Party"),
    "status": _l("Full or probationary member"),
    "group": _l("Group"),
    "hours": _l("Service or study hours"),
    "other": _l("Something else"),
}
OPEN_LIMIT = 5


def change_phone(session: Session, *, member_id: int, new_phone: str, password: str,
                 now: datetime | None = None) -> Member:
    """Change the member's own mobile number (they sign in with it from now on); their password confirms it."""
    number = normalize_phone(new_phone)
    begin_write(session)
    member = get_member(session, member_id)
    if not passwords.verify_password(member.password_hash, password or ""):
        session.rollback()
        raise DomainError("bad_current_password", _l("The current password is wrong."))
    if number == member.phone:
        session.rollback()
        raise DomainError("same_phone", _l("That is already your mobile number."))
    with unscoped(session):
        taken = session.execute(select(Member.id).where(Member.phone == number)).first()
    if taken is not None:
        session.rollback()
        raise DomainError("phone_taken", _l("This phone number already has an account."), status=409)
    member.phone = number
    session.add(member)
    audit.record(session, actor=member.id, action="privacy.correct", member=member.id, unit=member.org_unit_id,
                 target=f"member:{member.id}", after={"field": "mobile number"}, now=now)
    session.commit()
    return member


def _secretaries(session: Session, unit_id: int) -> list[int]:
    """Who answers a branch's requests: its secretaries (its committee members when it has none)."""
    rows = session.execute(select(Role.member_id, Role.role).where(
        Role.org_unit_id == unit_id, Role.role.in_([RoleName.secretary, RoleName.committee]))).all()
    secretaries = sorted({m for m, r in rows if r == RoleName.secretary})
    return secretaries or sorted({m for m, _r in rows})


def ask(session: Session, *, member_id: int, subject: str, text: str, now: datetime | None = None) -> DataRequest:
    """Ask the branch to correct something; its secretary is told (DATA_REQUEST) and answers."""
    now = now or utcnow()
    if subject not in SUBJECTS:
        raise DomainError("bad_subject", _l("Choose what should be corrected."))
    text = clean_text(text, 500)
    if not 2 <= len(text) <= 500:
        raise DomainError("bad_text", _l("Say in 2 to 500 characters what is wrong and what is right."))
    begin_write(session)
    member = get_member(session, member_id)
    waiting = session.execute(select(func.count(DataRequest.id)).where(
        DataRequest.member_id == member.id, DataRequest.status == "open")).scalar_one()
    if waiting >= OPEN_LIMIT:
        session.rollback()
        raise DomainError("too_many", _l("You have %(n)s requests waiting for an answer: wait for those first.",
                                         n=waiting), status=409)
    row = DataRequest(member_id=member.id, org_unit_id=member.org_unit_id, subject=subject, text=text,
                      created_at=now)
    session.add(row)
    session.flush()
    answerers = [i for i in _secretaries(session, member.org_unit_id) if i != member.id]
    notify.send(session, member_ids=answerers, purpose=notify.DATA_REQUEST, key=f"data_request:{row.id}",
                message=notify.Message(title=str(_l("A member asks for a correction of their data")),
                                       body=str(SUBJECTS[subject]), url="/privacy/requests"),
                commit=False, now=now)
    audit.record(session, actor=member.id, action="privacy.request", member=member.id, unit=member.org_unit_id,
                 target=f"data_request:{row.id}", after={"subject": subject}, now=now)
    session.commit()
    return row


def mine(session: Session, *, member_id: int) -> list[DataRequest]:
    """The member's own requests, newest first."""
    return list(session.execute(select(DataRequest).where(DataRequest.member_id == member_id)
                                .order_by(DataRequest.id.desc()).limit(20)).scalars().all())


def for_leader(session: Session, principal: Principal, *, status: str = "open") -> list[tuple[DataRequest, str]]:
    """Requests of the units a secretary runs (all for an administrator), with the member's name."""
    orgs.require_leader(principal)
    reach = orgs.led_subtree_ids(session, principal)
    query = select(DataRequest, Member.name).join(Member, Member.id == DataRequest.member_id)
    if reach != ALL_ORGS:
        query = query.where(DataRequest.org_unit_id.in_(reach or [-1]))
    if status in ("open", "done", "declined"):
        query = query.where(DataRequest.status == status)
    with unscoped(session):
        return [(r, name) for r, name in session.execute(query.order_by(DataRequest.id.desc()).limit(100)).all()]


def answer(session: Session, principal: Principal, *, request_id: int, done: bool, text: str,
           now: datetime | None = None) -> DataRequest:
    """The secretary answers: corrected (done) or declined with a reason; the member is told."""
    now = now or utcnow()
    orgs.require_leader(principal)
    text = clean_text(text, 500)
    if len(text) > 500:
        raise DomainError("bad_text", _l("Keep the answer under 500 characters."))
    if not done and len(text) < 2:
        raise DomainError("reason_needed", _l("Say why the request is declined (the member will see it)."))
    if isinstance(request_id, bool) or not isinstance(request_id, int) or not 0 < request_id <= MAX_ID:
        raise NotFound()
    begin_write(session)
    row = session.get(DataRequest, request_id)
    reach = orgs.led_subtree_ids(session, principal)
    if row is None or (reach != ALL_ORGS and row.org_unit_id not in reach):
        session.rollback()
        raise NotFound()
    if row.status != "open":
        session.rollback()
        raise DomainError("answered", _l("This request has already been answered."), status=409)
    row.status, row.answer, row.answered_by, row.answered_at = ("done" if done else "declined"), text, principal.id, now
    session.add(row)
    notify.send(session, member_ids=[row.member_id], purpose=notify.DATA_REQUEST, key=f"data_request:{row.id}:answer",
                message=notify.Message(title=str(_l("Your correction request was answered")),
                                       body=text, url="/me/privacy"), commit=False, now=now)
    audit.record(session, actor=principal, action="privacy.answer", member=row.member_id, unit=row.org_unit_id,
                 target=f"data_request:{row.id}", before={"status": "open"}, after={"status": row.status}, now=now)
    session.commit()
    return row
