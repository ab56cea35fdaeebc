"""在职党员到社区报到: the member's home community station and the hours served there."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import CheckIn, CommunityRegistration, Station, utcnow
from models.db import begin_write, unscoped
from services.checkin.rules import COUNTED
from services.errors import NotFound


def register_community(session: Session, *, member_id: int, station_id: int) -> CommunityRegistration:
    """在职党员到社区报到: set (or change) the member's home community station."""
    begin_write(session)
    station = session.get(Station, station_id)
    if station is None or not station.is_active:
        raise NotFound()
    row = session.exec(select(CommunityRegistration).where(CommunityRegistration.member_id == member_id)).first()
    if row is None:
        row = CommunityRegistration(member_id=member_id, station_id=station_id)
    else:
        row.station_id, row.registered_at = station_id, utcnow()
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        row = session.exec(select(CommunityRegistration).where(CommunityRegistration.member_id == member_id)).one()
    return row


@dataclass
class CommunityStatus:
    """The member's home community and the hours served there this year."""

    station: Station | None
    registered_at: datetime | None
    minutes: int


def community_status(session: Session, *, member_id: int, year: int) -> CommunityStatus:
    """Where the member is registered, and their counted hours there this year."""
    row = session.exec(select(CommunityRegistration).where(CommunityRegistration.member_id == member_id)).first()
    if row is None:
        return CommunityStatus(None, None, 0)
    with unscoped(session):
        minutes = session.exec(select(func.coalesce(func.sum(CheckIn.credited_minutes), 0)).where(
            CheckIn.member_id == member_id, CheckIn.station_id == row.station_id,
            CheckIn.status.in_(COUNTED), CheckIn.service_day >= date(year, 1, 1),
            CheckIn.service_day <= date(year, 12, 31))).one()
    return CommunityStatus(session.get(Station, row.station_id), row.registered_at, int(minutes))
