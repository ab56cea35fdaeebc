"""Scans: a station's code checks the member in or out, in pretix's style.

One entry point, ``perform_checkin(...)``, checks a scanned code and checks the member in
or out; every refusal is a ``CheckInError`` with a stable code. A repeated client nonce
returns the first result; a unique key (one open record per member, one nonce per member)
stands behind every write, so retries and crowds never double-count.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import (Activity, ActivitySignup, CheckIn, CheckinMethod, CheckinSource, CheckinStatus, CheckoutMethod,
                    Member, Station, utcnow)
from models.db import begin_write, core_connection, unscoped
from services import stations
from services.checkin import codes as qr
from services.checkin.geofence import GeoFix, GeoResult, judge_position, require_inside
from services.checkin.hours import close_visit, due_close_time
from services.checkin.rules import NONCE_RE, CheckInError, StationLike, aware, cfg, local_day, local_tz
from services.checkin.staff import require_staff
from services.errors import NotFound
from services.stations import CheckinMode, opening_hours


@dataclass
class ScanResult:
    """What a scan did: 'checked_in' or 'checked_out'; `replayed` when the same request came again.

    A new check-in is written by one Core INSERT on the hot path, so its ORM record is loaded
    only when something asks for `checkin`.
    """

    action: str
    station: StationLike
    record_id: int
    replayed: bool = False
    session: Session | None = field(default=None, repr=False, compare=False)
    record: CheckIn | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, record: CheckIn, action: str, station: StationLike, *, replayed: bool = False) -> "ScanResult":
        return cls(action, station, record.id, replayed, record=record)

    @property
    def checkin(self) -> CheckIn:
        """The visit's record."""
        if self.record is None:
            with unscoped(self.session):
                self.record = self.session.get(CheckIn, self.record_id)
        return self.record


def check_nonce(nonce: str | None) -> str:
    if not nonce or not NONCE_RE.match(nonce):
        raise CheckInError("bad_nonce")
    return nonce


def _replay(session: Session, member_id: int, nonce: str) -> ScanResult | None:
    """The first result of a request sent again with the same nonce."""
    with unscoped(session):
        record = session.exec(select(CheckIn).where(
            CheckIn.member_id == member_id, or_(CheckIn.nonce == nonce, CheckIn.checkout_nonce == nonce))).first()
        if record is None:
            return None
        action = "checked_out" if record.checkout_nonce == nonce else "checked_in"
        return ScanResult.of(record, action, session.get(Station, record.station_id), replayed=True)


def _station_open(station: StationLike, at: datetime) -> None:
    grace = timedelta(minutes=cfg("CHECKIN_HOURS_GRACE_MINUTES"))
    if (not station.is_active or station.checkin_mode == CheckinMode.off
            or not opening_hours.is_open(station.opening_hours, at.astimezone(local_tz()), grace)):
        raise CheckInError("station_closed", station=station.name)


# The scan path runs statements built once with bound parameters (on this stack, building a statement
# costs more than running it), and decides with one Core read inside the write transaction.
_member, _visit, _act, _signup = Member.__table__, CheckIn.__table__, Activity.__table__, ActivitySignup.__table__
_ACTIVITY_AT = (  # the activity a check-in belongs to: one the member signed up for, else one running there
    sa.select(_act.c.id)
    .select_from(_act.outerjoin(_signup, and_(_signup.c.activity_id == _act.c.id,
                                              _signup.c.member_id == sa.bindparam("member_id"),
                                              _signup.c.active.is_(True))))
    .where(_act.c.station_id == sa.bindparam("station_id"), _act.c.cancelled.is_(False),
           _act.c.starts_at <= sa.bindparam("starts_by"), _act.c.ends_at >= sa.bindparam("at"))
    .order_by(_signup.c.id.is_(None), _act.c.starts_at).limit(1).scalar_subquery())
def _deciding(visit) -> sa.ColumnElement:
    """The visits that decide a scan: the member's open visit (anywhere), this request's own record if it ran
    before, and visits here that closed a moment ago."""
    return or_(visit.c.open_member_id == visit.c.member_id, visit.c.nonce == sa.bindparam("nonce"),
               visit.c.checkout_nonce == sa.bindparam("nonce"),
               and_(visit.c.station_id == sa.bindparam("station_id"), visit.c.source == CheckinSource.scan,
                    visit.c.checked_out_at >= sa.bindparam("since")))


_SCAN_FACTS = (  # the member's branch, that activity, and the deciding visits (one row each)
    sa.select(_member.c.org_unit_id, _member.c.is_active, _ACTIVITY_AT.label("activity_id"),
              _visit.c.id, _visit.c.station_id, _visit.c.open_member_id, _visit.c.nonce, _visit.c.checkout_nonce,
              _visit.c.checked_out_at)
    .select_from(_member.outerjoin(_visit, and_(_visit.c.member_id == _member.c.id, _deciding(_visit))))
    .where(_member.c.id == sa.bindparam("member_id"))
    .order_by(_visit.c.checked_out_at.desc()))


def _typed(name: str, column: str) -> sa.BindParameter:
    return sa.bindparam(name, type_=_visit.c[column].type)


_NEW_VISIT = {  # a scan's new visit, column by column, for the one-statement common case
    "member_id": _member.c.id, "org_unit_id": _member.c.org_unit_id, "station_id": _typed("station_id", "station_id"),
    "activity_id": _ACTIVITY_AT, "source": sa.literal(CheckinSource.scan.value), "method": _typed("method", "method"),
    "status": sa.literal(CheckinStatus.open.value), "open_member_id": _member.c.id, "nonce": _typed("nonce", "nonce"),
    "checked_in_at": _typed("at", "checked_in_at"), "service_day": _typed("service_day", "service_day"),
    "offline": _typed("offline", "offline"), "staff_id": _typed("staff_id", "staff_id"),
    "geo_inside": _typed("geo_inside", "geo_inside"), "geo_distance_m": _typed("geo_distance_m", "geo_distance_m"),
    "geo_accuracy_m": _typed("geo_accuracy_m", "geo_accuracy_m"),
}
_earlier = _visit.alias("earlier")
# The common case in one statement: insert the visit when the member is active and no visit decides
# otherwise; nothing inserted sends the scan down the general path. The unique keys still stand behind it.
_INSERT_IF_NOTHING_DECIDES = sa.insert(_visit).from_select(list(_NEW_VISIT), sa.select(*_NEW_VISIT.values()).where(
    _member.c.id == sa.bindparam("member_id"), _member.c.is_active.is_(True),
    ~sa.exists().where(_earlier.c.member_id == _member.c.id, _deciding(_earlier)))).returning(_visit.c.id)
_SCAN_FACTS_LOCKED = _SCAN_FACTS.with_for_update(of=_member)  # PostgreSQL: one member's scans run one at a time
_INSERT_VISIT = sa.insert(_visit).returning(_visit.c.id)
_MEMBER_ROW = sa.select(_member.c.org_unit_id, _member.c.is_active).where(_member.c.id == sa.bindparam("member_id"))
_station = Station.__table__
_STATION = sa.select(  # the columns a scan needs (and its confirmation page shows), as a row
    _station.c.id, _station.c.name, _station.c.address, _station.c.qr_key, _station.c.poster_version,
    _station.c.is_active, _station.c.checkin_mode, _station.c.opening_hours, _station.c.lat, _station.c.lon,
    _station.c.geofence_radius_m).where(_station.c.id == sa.bindparam("station_id"))


def lock_member(session: Session, member_id: int) -> int:
    """The member's branch, with the member's row locked on PostgreSQL so one member's writes run one at a
    time (on SQLite, BEGIN IMMEDIATE already runs one writer at a time)."""
    query = _MEMBER_ROW.with_for_update() if session.bind.dialect.name == "postgresql" else _MEMBER_ROW
    row = core_connection(session).execute(query, {"member_id": member_id}).first()
    if row is None or not row.is_active:
        raise NotFound()
    return row.org_unit_id


def _apply_scan(session: Session, *, member_id: int, station: StationLike, method: str, at: datetime, nonce: str,
                geo: GeoResult | None, offline: bool, now: datetime, staff_id: int | None = None) -> ScanResult:
    """Check in, or out when already in here; a repeat within a minute is a duplicate, a retried request
    gets its first result.

    One short write transaction. The common case (nothing open, nothing just now) is one INSERT that
    checks its own condition; otherwise a Core read decides, and only the rarer paths (check-out,
    moving stations, overdue visits) load ORM records.
    """
    visit = {"member_id": member_id, "station_id": station.id, "nonce": nonce, "method": method, "at": at,
             "service_day": local_day(at), "offline": offline, "staff_id": staff_id,
             "geo_inside": geo.inside if geo else None, "geo_distance_m": geo.distance_m if geo else None,
             "geo_accuracy_m": geo.accuracy_m if geo else None,
             "since": at - timedelta(seconds=cfg("CHECKIN_REPEAT_SECONDS")), "starts_by": at + timedelta(minutes=30)}
    begin_write(session)  # BEGIN IMMEDIATE on SQLite; on PostgreSQL the unique keys, and the row lock below
    record_id = core_connection(session).execute(_INSERT_IF_NOTHING_DECIDES, visit).scalar()
    if record_id is None:
        return _decide_scan(session, visit, station=station, now=now)
    session.commit()
    return ScanResult("checked_in", station, record_id, session=session)


def _decide_scan(session: Session, visit: dict, *, station: StationLike, now: datetime) -> ScanResult:
    """The general path: a replay, a check-out, a duplicate, or a new visit after closing an open one."""
    at, nonce, staff_id = visit["at"], visit["nonce"], visit["staff_id"]
    query = _SCAN_FACTS_LOCKED if session.bind.dialect.name == "postgresql" else _SCAN_FACTS
    rows = core_connection(session).execute(query, visit).all()
    if not rows or not rows[0].is_active:
        raise NotFound()
    visits = [r for r in rows if r.id is not None]
    for row in visits:
        if row.nonce == nonce:  # the same request, sent again
            return ScanResult("checked_in", station, row.id, replayed=True, session=session)
        if row.checkout_nonce == nonce:
            return ScanResult("checked_out", station, row.id, replayed=True, session=session)
    open_visit = next((v for v in visits if v.open_member_id is not None), None)
    recent = next((v for v in visits if v.open_member_id is None and v.station_id == station.id), None)
    with unscoped(session):
        current = session.get(CheckIn, open_visit.id) if open_visit else None
        if current is not None and due_close_time(session, current) <= min(at, now):
            close_visit(session, current, at=due_close_time(session, current), method=CheckoutMethod.auto)
            session.flush()
            current = None
        if current is not None and current.station_id == station.id:
            if current.checked_in_at > visit["since"]:
                raise CheckInError("duplicate", checkin=current)
            close_visit(session, current, at=at, method=CheckoutMethod.staff if staff_id else CheckoutMethod.scan,
                   nonce=nonce)
            session.commit()
            return ScanResult.of(current, "checked_out", station)
        if current is not None:  # checked in elsewhere: that visit ends here
            close_visit(session, current, at=at, method=CheckoutMethod.moved)
            session.flush()
        elif recent is not None:
            raise CheckInError("duplicate", checkin=session.get(CheckIn, recent.id))
    record_id = core_connection(session).execute(_INSERT_VISIT, dict(
        member_id=visit["member_id"], org_unit_id=rows[0].org_unit_id, station_id=station.id,
        activity_id=rows[0].activity_id, source=CheckinSource.scan, method=visit["method"],
        status=CheckinStatus.open, open_member_id=visit["member_id"], nonce=nonce, checkout_nonce=None,
        checked_in_at=at, checked_out_at=None, checkout_method=None, service_day=visit["service_day"],
        offline=visit["offline"], staff_id=staff_id, geo_inside=visit["geo_inside"],
        geo_distance_m=visit["geo_distance_m"], geo_accuracy_m=visit["geo_accuracy_m"])).scalar_one()
    session.commit()
    return ScanResult("checked_in", station, record_id, session=session)


def _scan_time(scanned_at: datetime | None, *, offline: bool, now: datetime) -> datetime:
    """Bound the scan time: not in the future; at most 2 minutes old online, 24 hours offline."""
    scanned_at = aware(scanned_at) or now
    if scanned_at > now + timedelta(seconds=60 if offline else 5):
        raise CheckInError("scan_in_future")
    if offline:
        if now - scanned_at > timedelta(hours=float(cfg("CHECKIN_OFFLINE_MAX_HOURS"))):
            raise CheckInError("scan_too_old")
    elif now - scanned_at > timedelta(seconds=cfg("CHECKIN_SCAN_GRACE_SECONDS")):
        raise CheckInError("expired_code")
    return min(scanned_at, now)


def resolve_station_code(session: Session, code: str, *, at: datetime, offline: bool = False
                         ) -> tuple[qr.Token, StationLike]:
    """The station a rotating or poster code names, checked at the moment it was scanned.

    The station comes as a read-only row of its columns (a Core read: every scan asks).
    """
    try:
        token = qr.parse(code)
    except qr.TokenError as e:
        raise CheckInError("bad_code") from e
    if token.kind not in ("r", "p"):
        raise CheckInError("bad_code")
    station = stations.scan_station(session, token.subject_id) or core_connection(session).execute(
        _STATION, {"station_id": token.subject_id}).first()  # not in this process's copy: closed, or new
    if station is None or not qr.verify_station_mac(token, station):
        raise CheckInError("bad_code")
    if token.kind == "r":
        step = qr.step_at(at)
        # an offline phone's clock may be a few seconds off: one more step either way
        low, high = (step - 2, step + 1) if offline else (step - 1, step)
        if not low <= token.counter <= high:
            raise CheckInError("expired_code")
    elif token.counter != station.poster_version:
        raise CheckInError("expired_code")
    return token, station


def needs_position(session: Session, code: str) -> bool:
    """Whether a code asks for the member's position (poster codes, and stations in geofence mode)."""
    try:
        token = qr.parse(code)
    except qr.TokenError:
        return False
    if token.kind == "p":
        return True
    station = session.get(Station, token.subject_id)
    return station is not None and station.checkin_mode == CheckinMode.geofence


def perform_checkin(session: Session, *, member_id: int, code: str, nonce: str, scanned_at: datetime | None = None,
                    offline: bool = False, position: GeoFix | None = None, geo_claim: GeoResult | None = None,
                    now: datetime | None = None) -> ScanResult:
    """Check a scanned station code and check the member in (or out); raises CheckInError.

    `scanned_at` is when the code was read (signed by the server for online scans, the phone's
    clock for offline ones); offline scans may carry the phone's own geofence result instead
    of a position.
    """
    now = now or utcnow()
    nonce = check_nonce(nonce)
    at = _scan_time(scanned_at, offline=offline, now=now)
    token, station = resolve_station_code(session, code, at=at, offline=offline)
    _station_open(station, at)
    geo = None
    if token.kind == "p" or station.checkin_mode == CheckinMode.geofence:
        if offline and geo_claim is not None and position is None:
            geo = geo_claim
        else:
            geo = judge_position(station, position)
        require_inside(station, geo)
    method = CheckinMethod.poster if token.kind == "p" else CheckinMethod.rotating
    try:
        return _apply_scan(session, member_id=member_id, station=station, method=method, at=at, nonce=nonce,
                           geo=geo, offline=offline, now=now)
    except IntegrityError:
        session.rollback()
        return _after_race(session, member_id, nonce)


def _after_race(session: Session, member_id: int, nonce: str) -> ScanResult:
    """A concurrent request with the same nonce or scan won: return its result, or call this one a duplicate."""
    replay = _replay(session, member_id, nonce)
    if replay is not None:
        return replay
    with unscoped(session):
        current = session.exec(select(CheckIn).where(CheckIn.open_member_id == member_id)).first()
    raise CheckInError("duplicate", checkin=current)


def staff_scan(session: Session, principal, *, station_id: int, code: str, nonce: str,
               now: datetime | None = None) -> ScanResult:
    """Station staff scan a member's own code (我的签到码): check that member in or out here."""
    now = now or utcnow()
    require_staff(principal, station_id)
    nonce = check_nonce(nonce)
    try:
        token = qr.parse(code)
    except qr.TokenError as e:
        raise CheckInError("bad_code") from e
    if token.kind != "m" or not qr.verify_member_mac(token):
        raise CheckInError("bad_code")
    if not qr.step_window_ok(token.counter, qr.step_at(now)):
        raise CheckInError("expired_code")
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound()
    _station_open(station, now)
    try:
        return _apply_scan(session, member_id=token.subject_id, station=station, method=CheckinMethod.staff,
                           at=now, nonce=nonce, geo=None, offline=False, now=now, staff_id=principal.id)
    except IntegrityError:
        session.rollback()
        return _after_race(session, token.subject_id, nonce)


def check_out(session: Session, *, member_id: int, checkin_id: int, nonce: str,
              now: datetime | None = None) -> CheckIn:
    """The check-out button: close the member's open record (a retry returns the same record)."""
    now = now or utcnow()
    nonce = check_nonce(nonce)
    begin_write(session)
    replay = _replay(session, member_id, nonce)
    if replay is not None:
        return replay.checkin
    lock_member(session, member_id)
    replay = _replay(session, member_id, nonce)  # a double tap that finished while we waited for the lock
    if replay is not None:
        return replay.checkin
    with unscoped(session):
        record = session.exec(select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.member_id == member_id)).first()
        if record is None:
            raise NotFound()
        if record.open_member_id is None:
            raise CheckInError("not_checked_in", checkin=record)
        due = due_close_time(session, record)
        if due <= now:
            close_visit(session, record, at=due, method=CheckoutMethod.auto)
        else:
            close_visit(session, record, at=now, method=CheckoutMethod.button, nonce=nonce)
        session.commit()
    return record


def open_checkin(session: Session, *, member_id: int) -> CheckIn | None:
    """The member's open record, or None when there is none or it is overdue (read only: pages are GETs, and
    the worker's sweep, close_stale, closes overdue records; a scan closes one too)."""
    with unscoped(session):
        record = session.exec(select(CheckIn).where(CheckIn.open_member_id == member_id)).first()
        if record is not None and due_close_time(session, record) <= utcnow():
            return None
    return record


def get_own_record(session: Session, *, member_id: int, checkin_id: int) -> tuple[CheckIn, Station]:
    """One of the member's own records with its station, or NotFound."""
    with unscoped(session):
        record = session.exec(select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.member_id == member_id)).first()
        if record is None:
            raise NotFound()
        return record, session.get(Station, record.station_id)
