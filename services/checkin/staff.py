"""Station staff: their kiosks and posters, station search, and names for the kiosk's answers."""
from sqlalchemy import or_
from sqlmodel import Session, select

from models import Member, Station
from models.db import begin_write, unscoped
from services.checkin.rules import CheckInError
from services.errors import NotFound


def require_staff(principal, station_id: int) -> None:
    """Only the station's staff (or an admin) run its kiosk."""
    if not (principal.is_admin or station_id in principal.staff_station_ids):
        raise CheckInError("not_staff")


def staff_stations(session: Session, principal) -> list[Station]:
    """The stations whose kiosk this person may open."""
    if not principal.staff_station_ids:
        return []
    return list(session.exec(select(Station).where(Station.id.in_(sorted(principal.staff_station_ids)))
                             .order_by(Station.name)).all())


def kiosk_station(session: Session, principal, *, station_id: int) -> Station:
    """A station whose kiosk the person may open (staff or admin), or an error."""
    require_staff(principal, station_id)
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound()
    return station


def station_for_poster(session: Session, principal, *, station_id: int) -> Station:
    """Posters are printed by the station's staff (or an admin)."""
    return kiosk_station(session, principal, station_id=station_id)


def search_stations(session: Session, *, q: str, limit: int = 20) -> list[Station]:
    """Active stations whose name or address holds the words typed."""
    q = (q or "").strip()[:40]
    if not q:
        return []
    like = f"%{q}%"
    return list(session.exec(select(Station).where(Station.is_active.is_(True),
                                                   or_(Station.name.like(like), Station.address.like(like)))
                             .order_by(Station.name).limit(limit)).all())


def member_name(session: Session, *, member_id: int) -> str:
    """A member's name (for the kiosk's answer to staff)."""
    with unscoped(session):
        member = session.get(Member, member_id)
    return member.name if member else ""


def reprint_poster(session: Session, principal, *, station_id: int) -> Station:
    """A new poster version: every poster printed before stops working."""
    begin_write(session)
    station = kiosk_station(session, principal, station_id=station_id)
    station.poster_version += 1
    session.add(station)
    session.commit()
    return station
