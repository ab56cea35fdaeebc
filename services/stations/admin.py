"""Administering a station: its check-in settings and its staff (administrators only).

Every write is one transaction that starts with `begin_write` and locks the station row, so two
administrators editing the same station take turns; a refused write leaves nothing behind.
Members are read through the session's scope, which for an administrator is every org unit.
"""
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import Member, OrgUnit, Role, RoleName, Station
from models.db import begin_write
from services import audit
from services.accounts import Principal, normalize_phone
from services.errors import DomainError, Forbidden, NotFound
from services.stations.catalogue import CheckinMode

MODES = (CheckinMode.kiosk, CheckinMode.geofence, CheckinMode.off)
RADIUS_MIN_M, RADIUS_MAX_M = 30, 1000


@dataclass(frozen=True)
class StaffRow:
    """One member of a station's staff, as the management page lists them."""

    member_id: int
    name: str
    phone_masked: str
    branch: str


def require_admin(principal: Principal) -> None:
    """Only administrators manage stations."""
    if not principal.is_admin:
        raise Forbidden(_l("Only administrators can manage stations."))


def mask_phone(phone: str) -> str:
    """138****0000: enough to tell people apart, not enough to call them."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def get_station(session: Session, principal: Principal, *, station_id: int) -> Station:
    """Any station, open or closed, for an administrator; NotFound when there is none."""
    require_admin(principal)
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound(_l("This station does not exist."))
    return station


def closed_stations(session: Session, principal: Principal) -> list[Station]:
    """The stations that are closed (hidden from members), by name: the only way back to them is here."""
    require_admin(principal)
    return list(session.exec(select(Station).where(Station.is_active.is_(False)).order_by(Station.name)).all())


@contextmanager
def _writing(session: Session):
    """One write transaction: committed at the end, rolled back on any error (nothing half-written)."""
    begin_write(session)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _lock_station(session: Session, station_id: int) -> Station:
    """The station, its row locked for the rest of the transaction (PostgreSQL; SQLite is already serialised)."""
    station = session.exec(select(Station).where(Station.id == station_id).with_for_update()).first()
    if station is None:
        raise NotFound(_l("This station does not exist."))
    return station


def check_settings(*, checkin_mode: str, geofence_radius_m) -> tuple[str, int]:
    """The mode and radius as stored, or DomainError("bad_mode" | "bad_radius")."""
    if checkin_mode not in MODES:
        raise DomainError("bad_mode", _l("Choose how members check in at this station."))
    try:
        radius = int(geofence_radius_m)
    except (TypeError, ValueError):
        radius = None
    if radius is None or not RADIUS_MIN_M <= radius <= RADIUS_MAX_M:
        raise DomainError("bad_radius", _l("Enter a radius between %(min)s and %(max)s metres.",
                                           min=RADIUS_MIN_M, max=RADIUS_MAX_M))
    return checkin_mode, radius


def update_settings(session: Session, principal: Principal, *, station_id: int, checkin_mode: str,
                    geofence_radius_m: int, is_active: bool) -> list[str]:
    """Set a station's check-in mode, geofence radius and whether it is open; returns the fields changed."""
    require_admin(principal)
    mode, radius = check_settings(checkin_mode=checkin_mode, geofence_radius_m=geofence_radius_m)
    wanted = {"checkin_mode": mode, "geofence_radius_m": radius, "is_active": bool(is_active)}
    with _writing(session):
        station = _lock_station(session, station_id)
        changed = [name for name, value in wanted.items() if getattr(station, name) != value]
        if changed:
            before = {name: getattr(station, name) for name in changed}
            for name in changed:
                setattr(station, name, wanted[name])
            session.add(station)  # updated_at moves with it: every process's copies notice the change
            audit.record(session, actor=principal, action="station.settings", target=f"station:{station.id}",
                         before=before, after={name: wanted[name] for name in changed})
    return changed


def list_staff(session: Session, principal: Principal, *, station_id: int) -> list[StaffRow]:
    """The station's staff, by name: name, masked phone and branch."""
    require_admin(principal)
    rows = session.exec(
        select(Member.id, Member.name, Member.phone, OrgUnit.name)
        .join(Role, Role.member_id == Member.id)
        .join(OrgUnit, OrgUnit.id == Member.org_unit_id)
        .where(Role.role == RoleName.station_staff, Role.station_id == station_id)
        .distinct().order_by(Member.name, Member.id)).all()
    return [StaffRow(member_id=mid, name=name, phone_masked=mask_phone(phone), branch=branch)
            for mid, name, phone, branch in rows]


def _staff_role(session: Session, *, station_id: int, member_id: int) -> Role | None:
    return session.exec(select(Role).where(Role.role == RoleName.station_staff, Role.station_id == station_id,
                                           Role.member_id == member_id)).first()


def add_staff(session: Session, principal: Principal, *, station_id: int, phone: str) -> Member:
    """Make the member with this mobile number staff of the station; returns the member."""
    require_admin(principal)
    number = normalize_phone(phone)
    with _writing(session):
        _lock_station(session, station_id)
        member = session.exec(select(Member).where(Member.phone == number)).first()
        if member is None:
            raise DomainError("no_member", _l("No member has the mobile number %(phone)s. Check the number, or ask "
                                              "their branch secretary to add them first.", phone=number))
        if not member.is_active:
            raise DomainError("inactive_member", _l("The account of %(name)s is switched off.", name=member.name))
        if _staff_role(session, station_id=station_id, member_id=member.id) is not None:
            raise DomainError("already_staff", _l("%(name)s is already on the staff of this station.",
                                                  name=member.name), status=409)
        role = Role(member_id=member.id, role=RoleName.station_staff, station_id=station_id)
        session.add(role)
        session.flush()
        audit.record(session, actor=principal, action="role.grant", member=member.id, unit=member.org_unit_id,
                     target=f"station:{station_id}", after={"role": RoleName.station_staff, "station_id": station_id})
    return member


def remove_staff(session: Session, principal: Principal, *, station_id: int, member_id: int) -> Member | None:
    """Take a member off the station's staff (their next request no longer opens its kiosk); returns the member."""
    require_admin(principal)
    with _writing(session):
        _lock_station(session, station_id)
        roles = session.exec(select(Role).where(Role.role == RoleName.station_staff, Role.station_id == station_id,
                                                Role.member_id == member_id)).all()
        if not roles:
            raise DomainError("not_staff", _l("This member is not on the staff of this station (any more)."),
                              status=409)
        for role in roles:
            session.delete(role)
        member = session.get(Member, member_id)
        audit.record(session, actor=principal, action="role.revoke", member=member_id,
                     unit=member.org_unit_id if member else None, target=f"station:{station_id}",
                     before={"role": RoleName.station_staff, "station_id": station_id})
    return member
