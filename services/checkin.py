"""Check-in at service stations and volunteer service hours, in pretix's style.

One entry point, ``perform_checkin(...)``, checks a scanned code and checks the member in
or out; every refusal is a ``CheckInError`` with a stable code. A repeated client nonce
returns the first result; a unique key (one open record per member, one nonce per member)
stands behind every write, so retries and crowds never double-count.
"""
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
import sqlalchemy as sa
from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import (Activity, ActivitySignup, CheckIn, CheckinMethod, CheckinSource, CheckinStatus,
                    CheckoutMethod, CommunityRegistration, Member, OrgUnit, Station, utcnow)
from models.db import begin_write, core_connection, unscoped
from services import qr, stations
from services.stations import opening_hours
from services.errors import DomainError, NotFound
from services.orgs import get_member_led, get_unit_led, require_leader, subtree_ids

DEFAULTS = {
    "CHECKIN_ROUND_MINUTES": 30,  # credited time is rounded down to this
    "CHECKIN_DAILY_CAP_HOURS": 8,  # at most this many hours a day
    "CHECKIN_MAX_OPEN_HOURS": 8,  # a forgotten check-out closes after this
    "CHECKIN_OFFLINE_MAX_HOURS": 24,  # an offline scan must reach the server within this
    "CHECKIN_SCAN_GRACE_SECONDS": 120,  # from opening a code to confirming it (also across sign-in)
    "CHECKIN_REPEAT_SECONDS": 60,  # a second scan within this returns the first result
    "CHECKIN_HOURS_GRACE_MINUTES": 30,  # check-in allowed this long before opening and after closing
    "CHECKIN_GEO_MAX_ACCURACY_M": 150,  # worse than this: use 我的签到码 instead
    "CHECKIN_GEO_ACCURACY_ALLOWANCE_M": 50,  # at most this much of the accuracy widens the fence
}
COUNTED = (CheckinStatus.counted, CheckinStatus.approved)
StationLike = Station | stations.ScanStation | sa.Row  # the scan path reads a station's facts, or its row
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class CheckinMode:
    """How a station's members check in."""

    kiosk = "kiosk"  # the kiosk's rotating code is proof enough
    geofence = "geofence"  # every code also needs the member's position inside the fence
    off = "off"  # no check-ins at this station


MESSAGES = {
    "bad_code": _l("This is not a valid ServiceCircle check-in code."),
    "expired_code": _l("This code has expired. Please scan the latest code at the station."),
    "station_closed": _l("%(station)s is not open for check-in now."),
    "outside_geofence": _l("You are about %(distance)s m from %(station)s; check-in needs you within %(radius)s m. "
                           "Move closer, or show your check-in code to the station staff."),
    "needs_position": _l("This code needs your position. Allow location access, or show your check-in code "
                         "to the station staff."),
    "poor_accuracy": _l("Your position is too imprecise (±%(accuracy)s m). Show your check-in code to the "
                        "station staff instead."),
    "duplicate": _l("You already scanned here a moment ago; nothing new was recorded."),
    "not_checked_in": _l("You are not checked in, so there is nothing to check out."),
    "activity_full": _l("Sorry, this activity is full."),
    "activity_over": _l("This activity has already ended."),
    "not_staff": _l("Only the staff of this station can do this."),
    "scan_too_old": _l("This offline scan is too old to be accepted."),
    "scan_in_future": _l("The scan time is in the future. Check your phone's clock."),
    "bad_nonce": _l("The request could not be understood. Please scan again."),
    "bad_hours": _l("Enter between 0.5 and 8 hours."),
    "bad_day": _l("Choose a day in the past year, not in the future."),
    "bad_activity": _l("Check the activity: a title, an end after the start, and 1 to 500 places."),
}
STATUS = {
    "bad_code": 400, "expired_code": 410, "station_closed": 409, "outside_geofence": 403, "needs_position": 428,
    "poor_accuracy": 422, "duplicate": 409, "not_checked_in": 409, "activity_full": 409, "activity_over": 409,
    "not_staff": 403, "scan_too_old": 410, "scan_in_future": 400, "bad_nonce": 400, "bad_hours": 400,
    "bad_day": 400, "bad_activity": 400,
}


class CheckInError(DomainError):
    """A check-in, check-out or sign-up was refused; `code` says why, `message` says it to the member."""

    def __init__(self, code: str, *, checkin: CheckIn | None = None, **params) -> None:
        super().__init__(code, code, status=STATUS.get(code, 400), **params)
        # translated only when shown: the worker and the load tests raise it outside any request
        self.message = LazyString(_message, code, params)
        self.checkin = checkin


def _message(code: str, params: dict) -> str:
    return str(MESSAGES[code]) % params if params else str(MESSAGES[code])


def cfg(name: str):
    """A check-in setting from the app's config, or its default."""
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


def local_tz() -> ZoneInfo:
    """The city's time zone."""
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai")


def local_day(moment: datetime) -> date:
    """The local date of an aware moment."""
    return moment.astimezone(local_tz()).date()


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


# -- geofence ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GeoFix:
    """A position the browser reported (WGS-84); used in memory only, never stored."""

    lat: float
    lon: float
    accuracy: float


@dataclass(frozen=True)
class GeoResult:
    """What is stored: inside or not, distance rounded to 10 m, accuracy in metres."""

    inside: bool
    distance_m: int
    accuracy_m: int


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def judge_position(station: StationLike, fix: GeoFix | None) -> GeoResult:
    """Inside when distance <= radius + min(accuracy, 50 m); poor accuracy or no position is refused."""
    if fix is None:
        raise CheckInError("needs_position")
    if not (-90 <= fix.lat <= 90 and -180 <= fix.lon <= 180) or not math.isfinite(fix.accuracy) or fix.accuracy < 0:
        raise CheckInError("needs_position")
    if fix.accuracy > cfg("CHECKIN_GEO_MAX_ACCURACY_M"):
        raise CheckInError("poor_accuracy", accuracy=int(round(fix.accuracy)))
    d = distance_m(fix.lat, fix.lon, station.lat, station.lon)
    allowance = min(fix.accuracy, cfg("CHECKIN_GEO_ACCURACY_ALLOWANCE_M"))
    return GeoResult(inside=d <= station.geofence_radius_m + allowance, distance_m=int(round(d / 10.0)) * 10,
                     accuracy_m=int(round(fix.accuracy)))


def _require_inside(station: StationLike, geo: GeoResult) -> None:
    if not geo.inside:
        raise CheckInError("outside_geofence", distance=geo.distance_m, station=station.name,
                           radius=station.geofence_radius_m)


# -- hours ------------------------------------------------------------------------------------------------------

def round_minutes(minutes: int) -> int:
    """Minutes rounded down to the configured step (half an hour by default)."""
    step = int(cfg("CHECKIN_ROUND_MINUTES"))
    return max(0, minutes) // step * step if step > 0 else max(0, minutes)


def _used_minutes(session: Session, *, member_id: int, day: date, exclude_id: int | None) -> int:
    query = select(func.coalesce(func.sum(CheckIn.credited_minutes), 0)).where(
        CheckIn.member_id == member_id, CheckIn.service_day == day,
        CheckIn.status.in_([*COUNTED, CheckinStatus.pending]))
    if exclude_id:
        query = query.where(CheckIn.id != exclude_id)
    with unscoped(session):
        return int(session.exec(query).one())


def credit_minutes(session: Session, *, member_id: int, day: date, minutes: int, exclude_id: int | None = None) -> int:
    """The minutes that count: rounded down, and within the daily cap after the day's other records."""
    cap = int(float(cfg("CHECKIN_DAILY_CAP_HOURS")) * 60)
    left = max(0, cap - _used_minutes(session, member_id=member_id, day=day, exclude_id=exclude_id))
    return min(round_minutes(minutes), left)


def _close(session: Session, record: CheckIn, *, at: datetime, method: str, nonce: str | None = None) -> CheckIn:
    """Check a record out and credit its hours (auto-closed ones wait for the secretary)."""
    at = max(at, record.checked_in_at)
    record.checked_out_at = at
    record.checkout_method = method
    record.checkout_nonce = nonce
    record.open_member_id = None
    record.minutes = int((at - record.checked_in_at).total_seconds() // 60)
    record.credited_minutes = credit_minutes(session, member_id=record.member_id, day=record.service_day,
                                             minutes=record.minutes, exclude_id=record.id)
    if method == CheckoutMethod.auto:
        record.auto_closed = True
        record.status = CheckinStatus.pending
    else:
        record.status = CheckinStatus.counted
    session.add(record)
    return record


def due_close_time(session: Session, record: CheckIn) -> datetime:
    """When a forgotten open record closes: the activity's end, the station's closing time, or after 8 hours."""
    candidates = [record.checked_in_at + timedelta(hours=float(cfg("CHECKIN_MAX_OPEN_HOURS")))]
    if record.activity_id:
        activity = session.get(Activity, record.activity_id)
        if activity is not None and activity.ends_at > record.checked_in_at:
            candidates.append(activity.ends_at)
    station = session.get(Station, record.station_id)
    if station is not None:
        closes = opening_hours.closes_after(station.opening_hours, record.checked_in_at.astimezone(local_tz()),
                                            timedelta(minutes=cfg("CHECKIN_HOURS_GRACE_MINUTES")))
        if closes is not None and closes > record.checked_in_at:
            candidates.append(closes.astimezone(timezone.utc))
    return min(candidates)


def close_stale(session: Session, *, now: datetime | None = None, member_id: int | None = None,
                limit: int = 500) -> int:
    """Close forgotten check-outs that are due, flag them for the secretary; returns how many (worker, CLI)."""
    now = now or utcnow()
    begin_write(session)
    closed = 0
    with unscoped(session):
        query = select(CheckIn).where(CheckIn.open_member_id.is_not(None))
        if member_id is not None:
            query = query.where(CheckIn.member_id == member_id)
        query = query.where(CheckIn.checked_in_at <= now - timedelta(minutes=1)).order_by(CheckIn.id).limit(limit)
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for record in session.exec(query).all():
            due = due_close_time(session, record)
            if due <= now:
                _close(session, record, at=due, method=CheckoutMethod.auto)
                closed += 1
        session.commit()
    return closed


# -- check-in ---------------------------------------------------------------------------------------------------

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


def _check_nonce(nonce: str | None) -> str:
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


def _lock_member(session: Session, member_id: int) -> int:
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
            _close(session, current, at=due_close_time(session, current), method=CheckoutMethod.auto)
            session.flush()
            current = None
        if current is not None and current.station_id == station.id:
            if current.checked_in_at > visit["since"]:
                raise CheckInError("duplicate", checkin=current)
            _close(session, current, at=at, method=CheckoutMethod.staff if staff_id else CheckoutMethod.scan,
                   nonce=nonce)
            session.commit()
            return ScanResult.of(current, "checked_out", station)
        if current is not None:  # checked in elsewhere: that visit ends here
            _close(session, current, at=at, method=CheckoutMethod.moved)
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
    scanned_at = _aware(scanned_at) or now
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
    nonce = _check_nonce(nonce)
    at = _scan_time(scanned_at, offline=offline, now=now)
    token, station = resolve_station_code(session, code, at=at, offline=offline)
    _station_open(station, at)
    geo = None
    if token.kind == "p" or station.checkin_mode == CheckinMode.geofence:
        if offline and geo_claim is not None and position is None:
            geo = geo_claim
        else:
            geo = judge_position(station, position)
        _require_inside(station, geo)
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


def require_staff(principal, station_id: int) -> None:
    """Only the station's staff (or an admin) run its kiosk."""
    if not (principal.is_admin or station_id in principal.staff_station_ids):
        raise CheckInError("not_staff")


def staff_scan(session: Session, principal, *, station_id: int, code: str, nonce: str,
               now: datetime | None = None) -> ScanResult:
    """Station staff scan a member's own code (我的签到码): check that member in or out here."""
    now = now or utcnow()
    require_staff(principal, station_id)
    nonce = _check_nonce(nonce)
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
    nonce = _check_nonce(nonce)
    begin_write(session)
    replay = _replay(session, member_id, nonce)
    if replay is not None:
        return replay.checkin
    _lock_member(session, member_id)
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
            _close(session, record, at=due, method=CheckoutMethod.auto)
        else:
            _close(session, record, at=now, method=CheckoutMethod.button, nonce=nonce)
        session.commit()
    return record


def open_checkin(session: Session, *, member_id: int) -> CheckIn | None:
    """The member's open record, after closing it lazily when it is overdue."""
    with unscoped(session):
        record = session.exec(select(CheckIn).where(CheckIn.open_member_id == member_id)).first()
        if record is not None and due_close_time(session, record) <= utcnow():
            close_stale(session, member_id=member_id)
            return None
    return record


def get_own_record(session: Session, *, member_id: int, checkin_id: int) -> tuple[CheckIn, Station]:
    """One of the member's own records with its station, or NotFound."""
    with unscoped(session):
        record = session.exec(select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.member_id == member_id)).first()
        if record is None:
            raise NotFound()
        return record, session.get(Station, record.station_id)


# -- hand-added hours and approval ------------------------------------------------------------------------------

def add_manual(session: Session, *, member_id: int, station_id: int, day: date, hours: float, note: str,
               nonce: str, activity_id: int | None = None) -> CheckIn:
    """Hours added by hand (补录): kept apart from scans, they wait for the secretary's approval."""
    nonce = _check_nonce(nonce)
    today = local_day(utcnow())
    if day > today or day < today - timedelta(days=366):
        raise CheckInError("bad_day")
    if not (0.5 <= hours <= float(cfg("CHECKIN_DAILY_CAP_HOURS"))):
        raise CheckInError("bad_hours")
    begin_write(session)
    with unscoped(session):
        existing = session.exec(select(CheckIn).where(CheckIn.member_id == member_id, CheckIn.nonce == nonce)).first()
        if existing is not None:
            return existing
        branch_id = _lock_member(session, member_id)
        if session.get(Station, station_id) is None:
            raise NotFound()
        start = datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=local_tz()).astimezone(timezone.utc)
        minutes = int(round(hours * 60))
        record = CheckIn(member_id=member_id, org_unit_id=branch_id, station_id=station_id,
                         activity_id=activity_id, source=CheckinSource.manual, method=CheckinMethod.manual,
                         status=CheckinStatus.pending, nonce=nonce, checked_in_at=start,
                         checked_out_at=start + timedelta(minutes=minutes), checkout_method=None,
                         service_day=day, minutes=minutes, note=(note or "").strip()[:200],
                         credited_minutes=credit_minutes(session, member_id=member_id, day=day, minutes=minutes))
        session.add(record)
        session.commit()
    return record


def _reach_filter(session: Session, principal, unit_id: int) -> list[int]:
    """The unit (which the secretary must lead) and every unit below it."""
    require_leader(principal)
    unit = get_unit_led(session, principal, unit_id)
    return sorted(subtree_ids(session, [unit.id]))


def decide(session: Session, principal, *, unit_id: int, ids: list[int], approve: bool) -> int:
    """Approve or decline pending records of a branch in bulk; NotFound when any id is outside it."""
    ids = sorted({int(i) for i in ids})[:500]
    if not ids:
        return 0
    begin_write(session)
    reach = _reach_filter(session, principal, unit_id)
    rows = session.exec(select(CheckIn).where(CheckIn.id.in_(ids), CheckIn.org_unit_id.in_(reach))).all()
    if len(rows) != len(ids):
        raise NotFound()
    now = utcnow()
    changed = 0
    for record in rows:
        if record.status != CheckinStatus.pending:
            continue
        record.status = CheckinStatus.approved if approve else CheckinStatus.declined
        record.decided_by = principal.id
        record.decided_at = now
        session.add(record)
        changed += 1
    session.commit()
    return changed


@dataclass
class RecordRow:
    """A record with what a list shows beside it."""

    checkin: CheckIn
    station_name: str
    member_name: str = ""
    activity_title: str = ""


def _rows(session: Session, query) -> list[RecordRow]:
    results = session.execute(query.join(Station, Station.id == CheckIn.station_id)
                           .join(Member, Member.id == CheckIn.member_id)
                           .outerjoin(Activity, Activity.id == CheckIn.activity_id)
                           .add_columns(Station.name, Member.name, Activity.title)).all()
    return [RecordRow(r[0], r[1], r[2], r[3] or "") for r in results]


def branch_records(session: Session, principal, *, unit_id: int, status: str | None = None,
                   year: int | None = None, limit: int = 300) -> tuple[OrgUnit, list[RecordRow]]:
    """A branch's records (its subtree), newest first, optionally only one status or one year."""
    reach = _reach_filter(session, principal, unit_id)
    unit = session.get(OrgUnit, unit_id)
    query = select(CheckIn).where(CheckIn.org_unit_id.in_(reach))
    if status:
        query = query.where(CheckIn.status == status)
    if year:
        query = query.where(CheckIn.service_day >= date(year, 1, 1), CheckIn.service_day <= date(year, 12, 31))
    query = query.order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc()).limit(limit)
    return unit, _rows(session, query)


def member_records_led(session: Session, principal, *, member_id: int, year: int) -> tuple[Member, "ServiceSummary"]:
    """A member of the secretary's workspace and their year of service."""
    member = get_member_led(session, principal, member_id)
    return member, service_summary(session, member_id=member.id, year=year)


STATUS_LABELS = {
    CheckinStatus.open: _l("Checked in"), CheckinStatus.counted: _l("Counted"),
    CheckinStatus.pending: _l("Awaiting approval"), CheckinStatus.approved: _l("Approved"),
    CheckinStatus.declined: _l("Declined"),
}


def status_label(status: str) -> str:
    """A record's status in the member's language."""
    return str(STATUS_LABELS.get(CheckinStatus(status), status))


def export_csv(session: Session, principal, *, unit_id: int, year: int) -> tuple[str, bytes]:
    """A branch's records of a year as CSV (services.csvio: BOM, formulas defused); returns (filename, bytes)."""
    from services import csvio

    unit, rows = branch_records(session, principal, unit_id=unit_id, year=year, limit=100000)
    header = (_l("Name"), _l("Station"), _l("Date"), _l("Check-in"), _l("Check-out"), _l("Minutes on site"),
              _l("Hours credited"), _l("Source"), _l("Status"), _l("Offline"), _l("Closed automatically"),
              _l("Activity"), _l("Note"))
    tz = local_tz()
    lines = []
    for row in reversed(rows):
        c = row.checkin
        lines.append([
            row.member_name, row.station_name, c.service_day.isoformat(),
            c.checked_in_at.astimezone(tz).strftime("%H:%M"),
            c.checked_out_at.astimezone(tz).strftime("%H:%M") if c.checked_out_at else "",
            c.minutes, f"{c.credited_minutes / 60:.1f}",
            str(_l("Scan")) if c.source == CheckinSource.scan else str(_l("Added by hand")),
            status_label(c.status), "✓" if c.offline else "", "✓" if c.auto_closed else "", row.activity_title,
            c.note])
    return f"service-hours-{unit.id}-{year}.csv", csvio.to_csv(header, lines)


# -- the member's screens ---------------------------------------------------------------------------------------

@dataclass
class ServiceSummary:
    """A member's year of service: totals, months and records."""

    year: int
    counted_minutes: int = 0
    pending_minutes: int = 0
    by_month: list[int] = field(default_factory=lambda: [0] * 12)
    records: list[RecordRow] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.counted_minutes / 60

    @property
    def pending_hours(self) -> float:
        return self.pending_minutes / 60

    @property
    def month_max(self) -> int:
        return max(self.by_month) or 1


def service_summary(session: Session, *, member_id: int, year: int, limit: int = 500) -> ServiceSummary:
    """Hours this year (counted and approved), by month, with each record and its status."""
    summary = ServiceSummary(year=year)
    with unscoped(session):
        query = select(CheckIn).where(CheckIn.member_id == member_id, CheckIn.service_day >= date(year, 1, 1),
                                      CheckIn.service_day <= date(year, 12, 31))
        summary.records = _rows(session, query.order_by(CheckIn.checked_in_at.desc()).limit(limit))
        totals = session.exec(select(CheckIn.service_day, CheckIn.status, CheckIn.credited_minutes).where(
            CheckIn.member_id == member_id, CheckIn.service_day >= date(year, 1, 1),
            CheckIn.service_day <= date(year, 12, 31))).all()
    for day, status, minutes in totals:
        if status in COUNTED:
            summary.counted_minutes += minutes
            summary.by_month[day.month - 1] += minutes
        elif status == CheckinStatus.pending:
            summary.pending_minutes += minutes
    return summary


@dataclass
class TodayCard:
    """What the home page shows: today's visit or the open one, and this year's hours."""

    open: CheckIn | None
    open_station: str
    today_minutes: int
    year_minutes: int
    today_visits: int


def today_card(session: Session, principal) -> TodayCard:
    """The home card: an open check-in with its timer, today's credited time and this year's hours."""
    record = open_checkin(session, member_id=principal.id)
    today = local_day(utcnow())
    with unscoped(session):
        station = session.get(Station, record.station_id).name if record else ""
        rows = session.exec(select(CheckIn.service_day, CheckIn.status, CheckIn.credited_minutes).where(
            CheckIn.member_id == principal.id, CheckIn.service_day >= date(today.year, 1, 1))).all()
    return TodayCard(
        open=record, open_station=station,
        today_minutes=sum(m for d, s, m in rows if d == today and s in COUNTED),
        today_visits=sum(1 for d, s, m in rows if d == today),
        year_minutes=sum(m for d, s, m in rows if s in COUNTED))


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
        rows = _rows(session, select(CheckIn).where(
            CheckIn.member_id == member_id, CheckIn.service_day >= start, CheckIn.service_day <= end,
            CheckIn.status.in_(COUNTED)).order_by(CheckIn.checked_in_at))
    return Certificate(member=member, branch=branch, start=start, end=end, records=rows,
                       minutes=sum(r.checkin.credited_minutes for r in rows), issued=local_day(utcnow()))


# -- volunteer activities ---------------------------------------------------------------------------------------

@dataclass
class ActivityRow:
    """An activity with its station and the member's place in it."""

    activity: Activity
    station_name: str
    signed_up: bool

    @property
    def left(self) -> int:
        return max(0, self.activity.slots - self.activity.taken)


def list_activities(session: Session, *, member_id: int, now: datetime | None = None, limit: int = 50
                    ) -> list[ActivityRow]:
    """Activities not yet over, soonest first, with whether the member signed up."""
    now = now or utcnow()
    rows = session.exec(select(Activity, Station.name).join(Station, Station.id == Activity.station_id)
                        .where(Activity.ends_at > now, Activity.cancelled.is_(False))
                        .order_by(Activity.starts_at).limit(limit)).all()
    mine = set(session.exec(select(ActivitySignup.activity_id).where(
        ActivitySignup.member_id == member_id, ActivitySignup.active.is_(True))).all())
    return [ActivityRow(a, name, a.id in mine) for a, name in rows]


def get_activity(session: Session, *, activity_id: int, member_id: int) -> ActivityRow:
    """One activity, or NotFound."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.cancelled:
        raise NotFound()
    signed = session.exec(select(ActivitySignup.id).where(
        ActivitySignup.activity_id == activity_id, ActivitySignup.member_id == member_id,
        ActivitySignup.active.is_(True))).first()
    return ActivityRow(activity, session.get(Station, activity.station_id).name, bool(signed))


def sign_up(session: Session, *, member_id: int, activity_id: int, now: datetime | None = None) -> ActivitySignup:
    """Take a place in an activity; a conditional UPDATE never lets the places over-fill."""
    now = now or utcnow()
    begin_write(session)
    activity = session.get(Activity, activity_id)
    if activity is None or activity.cancelled:
        raise NotFound()
    if activity.ends_at <= now:
        raise CheckInError("activity_over")
    existing = session.exec(select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                                         ActivitySignup.member_id == member_id)).first()
    if existing is not None and existing.active:
        session.rollback()
        return existing
    taken = session.execute(update(Activity).where(Activity.id == activity_id, Activity.taken < Activity.slots)
                            .values(taken=Activity.taken + 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        session.rollback()
        raise CheckInError("activity_full")
    if existing is not None:
        existing.active, existing.cancelled_at, existing.created_at = True, None, now
        signup = existing
    else:
        signup = ActivitySignup(activity_id=activity_id, member_id=member_id, created_at=now)
    session.add(signup)
    try:
        session.commit()
    except IntegrityError:  # the same member signing up twice at once: the other request won
        session.rollback()
        return session.exec(select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                                         ActivitySignup.member_id == member_id)).one()
    return signup


def cancel_signup(session: Session, *, member_id: int, activity_id: int) -> None:
    """Give the place back (nothing happens when the member had none)."""
    begin_write(session)
    signup = session.exec(select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                                       ActivitySignup.member_id == member_id,
                                                       ActivitySignup.active.is_(True))).first()
    if signup is None:
        session.rollback()
        return
    signup.active, signup.cancelled_at = False, utcnow()
    session.add(signup)
    session.execute(update(Activity).where(Activity.id == activity_id, Activity.taken > 0)
                    .values(taken=Activity.taken - 1).execution_options(synchronize_session=False))
    session.commit()


def create_activity(session: Session, principal, *, station_id: int, title: str, starts_at: datetime,
                    ends_at: datetime, slots: int, place: str = "", bring: str = "",
                    description: str = "") -> Activity:
    """Post an activity: the station's staff, a secretary (for their branch) or an admin."""
    title = (title or "").strip()
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    if not title or len(title) > 120 or ends_at <= starts_at or not (1 <= int(slots) <= 500) \
            or ends_at - starts_at > timedelta(days=3):
        raise CheckInError("bad_activity")
    if not (principal.is_admin or station_id in principal.staff_station_ids or principal.led_org_ids):
        raise CheckInError("not_staff")
    begin_write(session)
    if session.get(Station, station_id) is None:
        raise NotFound()
    org_unit_id = None if station_id in principal.staff_station_ids else (
        principal.branch_id if principal.branch_id in principal.led_org_ids else next(iter(principal.led_org_ids), None))
    activity = Activity(title=title, station_id=station_id, org_unit_id=org_unit_id, place=place.strip()[:200],
                        starts_at=starts_at, ends_at=ends_at, slots=int(slots), bring=bring.strip()[:200],
                        description=description.strip()[:2000], created_by=principal.id)
    session.add(activity)
    session.commit()
    return activity


# -- stations, kiosks and the home community --------------------------------------------------------------------

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

