"""The station catalogue: what each active station is and offers, kept in memory per process.

The station lists of the 地图 tab (services.stations.circle) are built from an in-memory index
(services.stations.index, one per process, rebuilt when the station table changes), so a ranked
list needs no scan of the table; a scan reads its station's facts from a copy kept the same way.
Also here: the service vocabulary, a station's check-in mode, today's activities per station and
the member's home community station (the check-in domain's tables, read for the lists).
"""
import json
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlmodel import Session, select

from models import Activity, CommunityRegistration, District, Station, TableVersion
from models.db import unscoped
from services.errors import NotFound
from services.stations import opening_hours
from services.stations.index import INDEX_TTL_S, StationIndex, cached, cached_index, invalidate

TIMEZONE = ZoneInfo("Asia/Shanghai")
LIST_LIMIT = 60  # stations shown for a district or a search

# The service vocabulary: stable codes (the station table stores them) with their labels.
SERVICES = [
    {"code": "volunteer", "zh": "志愿服务", "en": "Volunteering"},
    {"code": "study", "zh": "党员学习", "en": "Study room"},
    {"code": "legal", "zh": "法律咨询", "en": "Legal advice"},
    {"code": "elderly", "zh": "长者服务", "en": "Elderly care"},
    {"code": "afterschool", "zh": "四点半课堂", "en": "After-school care"},
    {"code": "health", "zh": "健康服务", "en": "Health services"},
    {"code": "employment", "zh": "就业服务", "en": "Job services"},
    {"code": "reading", "zh": "阅览室", "en": "Reading room"},
    {"code": "meeting", "zh": "会议室", "en": "Meeting room"},
    {"code": "rest", "zh": "爱心驿站", "en": "Rest stop"},
]


class CheckinMode:
    """How a station's members check in (a station setting; the check-in domain applies it)."""

    kiosk = "kiosk"  # the kiosk's rotating code is proof enough
    geofence = "geofence"  # every code also needs the member's position inside the fence
    off = "off"  # no check-ins at this station


def service_labels() -> dict[str, Any]:
    """Service code -> label in the current language."""
    from flask_babel import get_locale

    try:
        zh = str(get_locale() or "zh").startswith("zh")
    except RuntimeError:  # no request: the default language
        zh = True
    return {item["code"]: item["zh" if zh else "en"] for item in SERVICES}


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


_VERSION = select(TableVersion.version).where(TableVersion.name == "station")


def _stamp(session: Session) -> tuple:
    """What changes when the station table changes: its write counter, bumped by a database trigger
    on every write from any host (models/ops.py); one primary-key read."""
    return (session.exec(_VERSION).first(),)


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

    The copy is dropped at once when this process writes a station, and rebuilt within 0.5 s
    (INDEX_TTL_S) when another process or host does: a scan reads no station row, only the
    station table's write counter, at most twice a second.
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
    """Today's activities per station id: those overlapping the local day, earliest first."""
    if not station_ids:
        return {}
    start = datetime.combine(day, datetime.min.time(), TIMEZONE)
    end = start + timedelta(days=1)
    query = select(Activity).where(Activity.station_id.in_(station_ids), Activity.starts_at < end,
                                   Activity.ends_at > start, Activity.cancelled.is_(False))
    with unscoped(session):
        rows = session.exec(query.order_by(Activity.starts_at)).all()
    result: dict[int, list] = {}
    for row in rows:
        result.setdefault(row.station_id, []).append(row)
    return result


def checkin_mode(station: Station) -> Optional[str]:
    """How members check in at this station ("kiosk", "geofence", "off")."""
    mode = getattr(station, "checkin_mode", None)
    return getattr(mode, "value", mode) or None


def home_station_id(session: Session, *, member_id: int) -> Optional[int]:
    """The member's registered home community station (在职党员到社区报到), or None."""
    with unscoped(session):
        return session.exec(select(CommunityRegistration.station_id)
                            .where(CommunityRegistration.member_id == member_id)).first()
