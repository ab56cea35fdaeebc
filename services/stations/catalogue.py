"""The station catalogue: what each active station is and offers, kept in memory per process.

The station lists of the 地图 tab (services.stations.circle) are built from an in-memory index
(services.stations.index, one per process, rebuilt when the station table changes), so a ranked
list needs no scan of the table; a scan reads its station's facts from a copy kept the same way.

Interface points for the check-in feature (issue 3), written against the check-in branch's models
and guarded so that this branch runs without them:
- `todays_activities(session, station_ids=..., day=...)`: models.checkin.Activity per station id;
- `checkin_mode(station)`: Station.checkin_mode ("kiosk", "geofence", "off");
- `home_station_id(session, member_id=...)`: models.checkin.CommunityRegistration.station_id.
"""
import json
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func
from sqlmodel import Session, select

from models import District, Member, Station
from models.db import unscoped
from services.errors import NotFound
from services.stations import opening_hours
from services.stations.index import INDEX_TTL_S, StationIndex, cached, cached_index, invalidate

TIMEZONE = ZoneInfo("Asia/Shanghai")
LIST_LIMIT = 60  # stations shown for a district or a search

# The service vocabulary: code -> label. The demo city's, when it defines one, wins.
_SERVICES_FALLBACK = {
    "volunteer": _l("Volunteer service"),
    "study": _l("Party study"),
    "legal": _l("Legal advice"),
    "health": _l("Health care"),
    "elderly": _l("Elderly care"),
    "children": _l("After-school care"),
    "employment": _l("Jobs and social security"),
    "government": _l("Government services"),
    "reading": _l("Reading room"),
    "rest": _l("Rest stop for outdoor workers"),
    "meeting": _l("Meeting rooms"),
    "culture": _l("Culture and sports"),
}


@lru_cache(maxsize=1)
def _demo_services():
    """services.demo_city.SERVICES when that module exists (looked up once per process)."""
    try:
        from services.demo_city import SERVICES  # type: ignore
    except ImportError:
        return None
    return SERVICES


@lru_cache(maxsize=1)
def _activity_model():
    """models.checkin.Activity once the check-in feature is merged, else None (looked up once)."""
    try:
        from models.checkin import Activity  # type: ignore
    except ImportError:
        return None
    return Activity


def service_labels() -> dict[str, Any]:
    """Service code -> label in the current language: services.demo_city.SERVICES when present
    (dicts with code, zh and en), else our own list."""
    SERVICES = _demo_services()
    if SERVICES is None:
        return dict(_SERVICES_FALLBACK)
    if isinstance(SERVICES, dict):
        return {str(k): v for k, v in SERVICES.items()}
    from flask_babel import get_locale

    try:
        zh = str(get_locale() or "zh").startswith("zh")
    except RuntimeError:  # no request: the default language
        zh = True
    labels = {}
    for item in SERVICES:
        if isinstance(item, dict):
            labels[str(item["code"])] = item.get("zh" if zh else "en") or item.get("zh") or item["code"]
        elif isinstance(item, (tuple, list)) and len(item) >= 2:
            labels[str(item[0])] = item[1]
        else:
            labels[str(item)] = _SERVICES_FALLBACK.get(str(item), str(item))
    return labels


# -- opening hours ----------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def parse_hours(text: str):
    """The parsed opening hours of a station, or None when the text does not parse."""
    try:
        return opening_hours.parse(text)
    except opening_hours.OpeningHoursError:
        return None


@dataclass(frozen=True)
class OpenStatus:
    """Open now or not: `kind` is always (24 hours), open, closed or unknown; `at` the next change."""

    kind: str
    at: Optional[datetime] = None
    same_day: bool = False  # the next change is on the same local day

    @property
    def is_open(self) -> bool:
        """Whether the station is open at the moment asked."""
        return self.kind in ("always", "open")


def open_status(hours_text: str, at: datetime) -> OpenStatus:
    """Open now, closes at, opens at, or 24 hours, from a station's opening hours."""
    hours = parse_hours(hours_text or "")
    if hours is None:
        return OpenStatus("unknown")
    if hours.is_24_7:
        return OpenStatus("always")
    local = at.astimezone(TIMEZONE)
    if hours.is_open(local):
        change = hours.closes_at(local)
        return OpenStatus("open", change, change is not None and change.date() == local.date())
    change = hours.opens_at(local)
    return OpenStatus("closed", change, change is not None and change.date() == local.date())


# -- the index and what it keeps per station --------------------------------------------------

@dataclass(frozen=True, slots=True)
class StationInfo:
    """What a list row needs about a station, kept in memory with the index."""

    id: int
    code: str
    name: str
    kind: str
    district_code: str
    address: str
    lat: float
    lon: float
    hours: str
    services: tuple[str, ...]
    phone: str
    json_head: str = ""  # '{"id":..,"code":..,"name":..,' pre-serialised for the JSON endpoint

    @property
    def is_24_7(self) -> bool:
        """Open around the clock."""
        parsed = parse_hours(self.hours)
        return bool(parsed is not None and parsed.is_24_7)


def _stamp(session: Session) -> tuple:
    """What changes when the station table changes (count, newest update, id sum)."""
    row = session.exec(select(func.count(Station.id), func.max(Station.updated_at), func.sum(Station.id))).one()
    return tuple(str(v) for v in row)


def _build(session: Session) -> StationIndex:
    """Read every active station once and index it."""
    rows = session.exec(select(Station).where(Station.is_active.is_(True))).all()
    infos = [StationInfo(id=s.id, code=s.code, name=s.name, kind=str(getattr(s.kind, "value", s.kind)),
                         district_code=s.district_code, address=s.address or "", lat=s.lat, lon=s.lon,
                         hours=s.opening_hours or "", services=tuple(s.services or ()), phone=s.phone or "",
                         json_head='{"id":%d,"code":%s,"name":%s,' % (
                             s.id, json.dumps(s.code, ensure_ascii=False), json.dumps(s.name, ensure_ascii=False)))
             for s in rows]
    flags: dict[str, list[bool]] = {"all_day": [i.is_24_7 for i in infos]}
    for code in {c for i in infos for c in i.services}:
        flags["svc:" + code] = [code in i.services for i in infos]
    return StationIndex([i.id for i in infos], [i.lat for i in infos], [i.lon for i in infos],
                        flags=flags, payload=infos)


@dataclass(frozen=True, slots=True)
class ScanStation:
    """What a scan needs about an active station (and its confirmation page shows), kept in memory."""

    id: int
    name: str
    address: str
    qr_key: str
    poster_version: int
    is_active: bool
    checkin_mode: str
    opening_hours: str
    lat: float
    lon: float
    geofence_radius_m: int


def _build_scan(session: Session) -> dict[int, ScanStation]:
    """Read every active station's check-in facts once."""
    rows = session.exec(select(*(getattr(Station, f.name) for f in fields(ScanStation)))
                        .where(Station.is_active.is_(True))).all()
    return {row.id: ScanStation(*row) for row in rows}


def scan_station(session: Session, station_id: int, *, ttl: float = INDEX_TTL_S) -> ScanStation | None:
    """An active station's check-in facts from this process's copy, or None when the copy lacks it.

    The copy is dropped at once when this process writes a station, and rebuilt within 30 s
    (INDEX_TTL_S) when another process does: a scan reads no station row.
    """
    return cached(session.get_bind(), "scan", stamp=lambda: _stamp(session),
                  build=lambda: _build_scan(session), ttl=ttl).get(station_id)


@event.listens_for(Session, "after_flush")
def _note_station_writes(session: Session, _context) -> None:
    """Remember that this transaction wrote stations, so that its commit drops this process's copies."""
    if any(isinstance(obj, Station) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["stations_written"] = True


@event.listens_for(Session, "after_commit")
def _drop_copies(session: Session) -> None:
    if session.info.pop("stations_written", False):
        invalidate(session.get_bind())


def station_index(session: Session, *, ttl: float = INDEX_TTL_S) -> StationIndex:
    """This process's index of the active stations (rebuilt when the table changed)."""
    return cached_index(session.get_bind(), stamp=lambda: _stamp(session), build=lambda: _build(session),
                        ttl=ttl)


def invalidate_index(session: Session) -> None:
    """Drop the cached index after stations changed."""
    invalidate(session.get_bind())


# -- reads ------------------------------------------------------------------------------------

def districts(session: Session) -> list[District]:
    """Every district, in the city's order."""
    return list(session.exec(select(District).order_by(District.sort, District.code)).all())


def get_station(session: Session, station_id: int) -> Station:
    """An active station, or NotFound."""
    station = session.get(Station, station_id)
    if station is None or not station.is_active:
        raise NotFound(_l("This station does not exist or is closed."))
    return station


# -- interfaces to the check-in feature -------------------------------------------------------

def todays_activities(session: Session, *, station_ids: list[int], day: date) -> dict[int, list]:
    """Today's activities per station id ({} until the check-in feature's Activity model exists).

    Written against models.checkin.Activity of the check-in branch: station_id, title, starts_at,
    ends_at (aware UTC) and cancelled; activities overlapping the local day, earliest first.
    """
    Activity = _activity_model()
    if Activity is None or not station_ids:
        return {}
    start = datetime.combine(day, datetime.min.time(), TIMEZONE)
    end = start + timedelta(days=1)
    query = select(Activity).where(Activity.station_id.in_(station_ids), Activity.starts_at < end,
                                   Activity.ends_at > start)
    if hasattr(Activity, "cancelled"):
        query = query.where(Activity.cancelled.is_(False))
    with unscoped(session):
        rows = session.exec(query.order_by(Activity.starts_at)).all()
    result: dict[int, list] = {}
    for row in rows:
        result.setdefault(row.station_id, []).append(row)
    return result


def checkin_mode(station: Station) -> Optional[str]:
    """How members check in at this station ("kiosk", "geofence", "off"), or None before check-in exists."""
    mode = getattr(station, "checkin_mode", None)
    return getattr(mode, "value", mode) or None


@lru_cache(maxsize=1)
def _registration_model():
    """models.checkin.CommunityRegistration (在职党员到社区报到) once check-in is merged, else None."""
    try:
        from models.checkin import CommunityRegistration  # type: ignore
    except ImportError:
        return None
    return CommunityRegistration


def home_station_id(session: Session, *, member_id: int) -> Optional[int]:
    """The member's registered home community station (check-in's CommunityRegistration), or None."""
    Registration = _registration_model()
    if Registration is not None:
        with unscoped(session):
            return session.exec(select(Registration.station_id)
                                .where(Registration.member_id == member_id)).first()
    if hasattr(Member, "home_station_id"):
        with unscoped(session):
            member = session.get(Member, member_id)
        return getattr(member, "home_station_id", None) if member else None
    return None
