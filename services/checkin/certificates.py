"""The certificate of service: a member's counted hours between two dates."""
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from models import CheckIn, Member, OrgUnit, utcnow
from models.db import unscoped
from services.checkin.records import RecordRow, record_rows
from services.checkin.rules import COUNTED, CheckInError, local_day


@dataclass
class Certificate:
    """A certificate of service for a date range."""

    member: Member
    branch: OrgUnit | None
    start: date
    end: date
    records: list[RecordRow]
    minutes: int
    issued: date

    @property
    def hours(self) -> float:
        return self.minutes / 60


def certificate(session: Session, *, member_id: int, start: date, end: date) -> Certificate:
    """The member's counted and approved service between two dates (inclusive)."""
    if end < start:
        start, end = end, start
    if (end - start).days > 3660:
        raise CheckInError("bad_day")
    with unscoped(session):
        member = session.get(Member, member_id)
        branch = session.get(OrgUnit, member.org_unit_id)
        rows = record_rows(session, select(CheckIn).where(
            CheckIn.member_id == member_id, CheckIn.service_day >= start, CheckIn.service_day <= end,
            CheckIn.status.in_(COUNTED)).order_by(CheckIn.checked_in_at))
    return Certificate(member=member, branch=branch, start=start, end=end, records=rows,
                       minutes=sum(r.checkin.credited_minutes for r in rows), issued=local_day(utcnow()))
