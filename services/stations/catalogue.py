"""Finding service stations: near a point, in a district, by name; what each offers now; consent.

The station list of the 地图 tab is built here from the in-memory index of services.stations.index (one per
process, rebuilt when the station table changes), so a ranked list needs no scan of the table.

Interface points for the check-in feature (issue 3), written against the check-in branch's models
and guarded so that this branch runs without them:
- `todays_activities(session, station_ids=..., day=...)`: models.checkin.Activity per station id;
- `checkin_mode(station)`: Station.checkin_mode ("kiosk", "geofence", "off");
- `home_station_id(session, member_id=...)`: models.checkin.CommunityRegistration.station_id.
"""
import json
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Optional
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import District, Member, Station
from models.db import begin_write, unscoped
from models.geo import LocationConsent
from services.errors import DomainError, NotFound
from services.stations.index import (DEFAULT_LIMIT, INDEX_TTL_S, MAX_LIMIT, REACH_M, REACH_MINUTES, Nearby,
                                      RoutingConfig, StationIndex, cached, cached_index, check_point, invalidate,
                                      nearest_stations, walk_minutes)

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
    from services.stations import opening_hours

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


def _status_memo(at: datetime):
    """open_status for one moment, computed once per distinct opening-hours text."""
    local = at.astimezone(TIMEZONE)
    memo: dict[str, OpenStatus] = {}

    def status(hours_text: str) -> OpenStatus:
        found = memo.get(hours_text)
        if found is None:
            found = memo[hours_text] = open_status(hours_text, local)
        return found
    return status


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


# -- listing ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The list's filters: open now, 24-hour areas, one service."""

    open_now: bool = False
    all_day: bool = False
    service: Optional[str] = None

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return self.open_now or self.all_day or bool(self.service)

    def admits(self, info: StationInfo, status: OpenStatus) -> bool:
        """Whether a station passes the filters."""
        if self.all_day and not info.is_24_7:
            return False
        if self.service and self.service not in info.services:
            return False
        return not (self.open_now and not status.is_open)


@dataclass(slots=True)
class Item:
    """One row of the list: the station, how far, open now, today's activities."""

    info: StationInfo
    status: OpenStatus
    nearby: Optional[Nearby] = None
    activities: list = field(default_factory=list)


def _check_service(filters: Filters) -> None:
    if filters.service and filters.service not in service_labels():
        raise DomainError("unknown_service", _l("Unknown service type."))


def nearby(session: Session, *, lat, lon, filters: Filters = Filters(), at: datetime,
           limit: int = DEFAULT_LIMIT, routing: Optional[RoutingConfig] = None,
           with_activities: bool = True) -> list[Item]:
    """The stations nearest to a point, nearest first, filtered; the position is used, never kept."""
    lat, lon = check_point(lat, lon)
    _check_service(filters)
    index = station_index(session)
    mask = index.mask_for(all_day=filters.all_day, **{"svc:" + filters.service: True} if filters.service else {})
    status_of = _status_memo(at)
    accept = None
    if filters.open_now:
        payload = index.payload

        def accept(pos: int) -> bool:
            return status_of(payload[pos].hours).is_open
    ranked = nearest_stations(index, lat, lon, limit=limit, mask=mask, accept=accept, routing=routing)
    items = []
    for n in ranked:
        info = index.info(n.station_id)
        items.append(Item(info=info, status=status_of(info.hours), nearby=n))
    if with_activities:
        _attach_activities(session, items, at)
    return items


def near_station(session: Session, *, station_id: int, filters: Filters = Filters(), at: datetime,
                 limit: int = DEFAULT_LIMIT) -> list[Item]:
    """The stations nearest to a station (the member's home station), nearest first."""
    info = station_index(session).info(station_id)
    if info is None:
        raise NotFound(_l("This station does not exist or is closed."))
    return nearby(session, lat=info.lat, lon=info.lon, filters=filters, at=at, limit=limit)


def districts(session: Session) -> list[District]:
    """Every district, in the city's order."""
    return list(session.exec(select(District).order_by(District.sort, District.code)).all())


def _rows_to_items(session: Session, stations: list[Station], filters: Filters, at: datetime,
                   limit: int) -> list[Item]:
    index = station_index(session)
    status_of = _status_memo(at)
    items = []
    for s in stations:
        info = index.info(s.id)
        if info is None:
            continue
        status = status_of(info.hours)
        if filters.admits(info, status):
            items.append(Item(info=info, status=status))
        if len(items) >= limit:
            break
    _attach_activities(session, items, at)
    return items


def in_district(session: Session, *, district: str, filters: Filters = Filters(), at: datetime,
                limit: int = LIST_LIMIT) -> list[Item]:
    """The stations of a district: centres first, then by name."""
    _check_service(filters)
    if not district or session.get(District, district) is None:
        raise DomainError("unknown_district", _l("Unknown district. Please choose one from the list."))
    rows = session.exec(select(Station).where(Station.district_code == district, Station.is_active.is_(True))
                        .order_by(Station.kind, Station.name)).all()
    return _rows_to_items(session, list(rows), filters, at, limit)


def search(session: Session, *, q: str, filters: Filters = Filters(), at: datetime,
           limit: int = LIST_LIMIT) -> list[Item]:
    """Stations whose name or address contains the text."""
    _check_service(filters)
    text = " ".join((q or "").split())[:60]
    if not text:
        raise DomainError("empty_search", _l("Enter part of a station's name or address to search."))
    rows = session.exec(select(Station).where(
        Station.is_active.is_(True),
        or_(Station.name.icontains(text, autoescape=True), Station.address.icontains(text, autoescape=True)))
        .order_by(Station.kind, Station.name).limit(500)).all()
    return _rows_to_items(session, list(rows), filters, at, limit)


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


def _attach_activities(session: Session, items: list[Item], at: datetime) -> None:
    if not items:
        return
    found = todays_activities(session, station_ids=[i.info.id for i in items], day=at.astimezone(TIMEZONE).date())
    for item in items:
        item.activities = found.get(item.info.id, [])


def _json_rows(rows, reach_m: float) -> str:
    """The JSON endpoint's body from (info, metres, minutes, source, status) rows (a hot path).

    Assembled from each station's pre-serialised part; the same document json.dumps would give:
    {"reach_m", "stations": [{"id", "code", "name", "minutes", "distance_m", "within_reach",
    "source", "open", "until"}]}.
    """
    until: dict[int, str] = {}
    parts = []
    for info, metres, minutes, source, status in rows:
        key = id(status)
        if key not in until:
            until[key] = '"%s"' % status.at.isoformat() if status.at else "null"
        parts.append('%s"minutes":%r,"distance_m":%d,"within_reach":%s,"source":"%s","open":"%s","until":%s}' % (
            info.json_head, round(minutes, 1), round(metres),
            "true" if minutes <= REACH_MINUTES + 1e-9 else "false", source, status.kind, until[key]))
    return '{"reach_m":%r,"stations":[%s]}' % (round(reach_m, 1), ",".join(parts))


def nearest_json(items: list[Item], reach_m: float) -> str:
    """The JSON endpoint's body for listed items."""
    return _json_rows(((i.info, i.nearby.distance_m, i.nearby.minutes, i.nearby.source, i.status) for i in items),
                      reach_m)


def nearest_json_body(session: Session, *, lat, lon, filters: Filters = Filters(), at: datetime,
                      limit: int = DEFAULT_LIMIT, routing: Optional[RoutingConfig] = None) -> str:
    """The JSON endpoint: the nearest stations to a point; without filters or routing, straight from the index."""
    if routing is not None or filters.active:
        return nearest_json(nearby(session, lat=lat, lon=lon, filters=filters, at=at, limit=limit, routing=routing,
                                   with_activities=False), REACH_M)
    lat, lon = check_point(lat, lon)
    index = station_index(session)
    status_of = _status_memo(at)
    info = index.info
    rows = []
    for sid, metres in index.nearest(lat, lon, limit=max(1, min(int(limit), MAX_LIMIT))):
        station = info(sid)
        rows.append((station, metres, walk_minutes(metres), "model", status_of(station.hours)))
    return _json_rows(rows, REACH_M)


# -- consent ----------------------------------------------------------------------------------

def consent_of(session: Session, *, member_id: int) -> Optional[datetime]:
    """When the member consented to the use of their location, or None."""
    return session.exec(select(LocationConsent.granted_at).where(LocationConsent.member_id == member_id)).first()


def grant_consent(session: Session, *, member_id: int) -> datetime:
    """Record the member's consent (the fact and the time only); granting twice keeps the first."""
    begin_write(session)
    existing = session.exec(select(LocationConsent).where(LocationConsent.member_id == member_id)).first()
    if existing is not None:
        session.commit()
        return existing.granted_at
    row = LocationConsent(member_id=member_id)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # a concurrent grant won: theirs stands
        session.rollback()
        return consent_of(session, member_id=member_id)
    return row.granted_at


def withdraw_consent(session: Session, *, member_id: int) -> bool:
    """Withdraw the consent; True when there was one."""
    begin_write(session)
    row = session.exec(select(LocationConsent).where(LocationConsent.member_id == member_id)).first()
    if row is not None:
        session.delete(row)
    session.commit()
    return row is not None


# -- station page -----------------------------------------------------------------------------

def navigation_links(*, name: str, lat: float, lon: float) -> dict[str, str]:
    """Links that open map apps at the station, each in the coordinate system it expects.

    AMap: GCJ-02 (coordinate=gaode). Baidu: BD-09 (coord_type=bd09ll). Apple Maps: GCJ-02 inside
    China (Apple's map data there comes from AutoNavi and takes GCJ-02), WGS-84 elsewhere.
    geo: URI (RFC 5870): WGS-84, for the system's map app.
    """
    from services.stations import coords

    g_lat, g_lon = _to_gcj02(lat, lon)
    b_lat, b_lon = _to_bd09(lat, lon)
    a_lat, a_lon = (g_lat, g_lon) if coords.in_china(lat, lon) else (lat, lon)
    return {
        "amap": "https://uri.amap.com/marker?" + urlencode(
            {"position": f"{g_lon:.6f},{g_lat:.6f}", "name": name, "coordinate": "gaode", "callnative": "1"}),
        "baidu": "https://api.map.baidu.com/marker?" + urlencode(
            {"location": f"{b_lat:.6f},{b_lon:.6f}", "title": name, "content": name, "coord_type": "bd09ll",
             "output": "html", "src": "webapp.servicecircle"}),
        "apple": "https://maps.apple.com/?" + urlencode({"ll": f"{a_lat:.6f},{a_lon:.6f}", "q": name}),
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({quote(name)})",
    }


def _to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    from services.stations import coords

    return coords.wgs84_to_gcj02(lat, lon)


def _to_bd09(lat: float, lon: float) -> tuple[float, float]:
    from services.stations import coords

    return coords.wgs84_to_bd09(lat, lon)


def week_hours(hours_text: str, at: datetime) -> list[tuple[date, list[tuple[datetime, datetime]]]]:
    """The opening intervals of each of the next seven days (local time), today first."""
    hours = parse_hours(hours_text or "")
    local = at.astimezone(TIMEZONE)
    days = []
    for k in range(7):
        day = local.date() + timedelta(days=k)
        start = datetime.combine(day, datetime.min.time(), TIMEZONE)
        end = start + timedelta(days=1)
        spans = []
        if hours is not None and not hours.is_24_7:
            cursor = start
            for _ in range(12):  # a day has a few intervals at most
                if hours.is_open(cursor):
                    close = hours.closes_at(cursor) or end
                    spans.append((cursor, min(close, end)))
                    cursor = close
                else:
                    nxt = hours.opens_at(cursor)
                    if nxt is None or nxt >= end:
                        break
                    cursor = nxt
                if cursor >= end:
                    break
        days.append((day, spans))
    return days


@dataclass
class StationDetail:
    """Everything the station page shows."""

    station: Station
    district: Optional[District]
    status: OpenStatus
    is_24_7: bool
    hours_known: bool
    week: list
    activities: list
    checkin_mode: Optional[str]
    links: dict[str, str]
    services: list[tuple[str, Any]]


def detail(session: Session, *, station_id: int, at: datetime) -> StationDetail:
    """A station's page: hours, services, contact, activities, check-in mode, navigation links."""
    station = get_station(session, station_id)
    parsed = parse_hours(station.opening_hours or "")
    labels = service_labels()
    acts = todays_activities(session, station_ids=[station.id], day=at.astimezone(TIMEZONE).date())
    return StationDetail(
        station=station, district=session.get(District, station.district_code),
        status=open_status(station.opening_hours, at), is_24_7=bool(parsed and parsed.is_24_7),
        hours_known=parsed is not None, week=week_hours(station.opening_hours, at),
        activities=acts.get(station.id, []), checkin_mode=checkin_mode(station),
        links=navigation_links(name=station.name, lat=station.lat, lon=station.lon),
        services=[(code, labels.get(code, code)) for code in (station.services or [])])


def markers(session: Session) -> dict:
    """Every active station for the map, compact: ids and coordinates in 1e-5 degrees, delta-coded.

    About 1 m of precision; 2,300 stations gzip to a few KB. `f` flags: 1 = 24 hours.
    """
    index = station_index(session)
    infos = sorted(index.payload or [], key=lambda i: (i.lat, i.lon))
    ids, lats, lons, flags = [], [], [], []
    prev_id = prev_lat = prev_lon = 0
    for info in infos:
        la, lo = round(info.lat * 1e5), round(info.lon * 1e5)
        ids.append(info.id - prev_id)
        lats.append(la - prev_lat)
        lons.append(lo - prev_lon)
        flags.append(1 if info.is_24_7 else 0)
        prev_id, prev_lat, prev_lon = info.id, la, lo
    return {"n": len(infos), "scale": 1e5, "id": ids, "lat": lats, "lon": lons, "f": flags}


# -- home -------------------------------------------------------------------------------------

@dataclass
class HomeCard:
    """The home page's hint: consent given or not, and the home station when there is one."""

    consented: bool
    home: Optional[Item] = None


def home_card(session: Session, principal) -> HomeCard:
    """What the home page shows about nearby stations (light: no position on the home page)."""
    consented = consent_of(session, member_id=principal.id) is not None
    home_id = home_station_id(session, member_id=principal.id)
    home = None
    if home_id:
        info = station_index(session).info(home_id)
        if info is not None:
            from models.base import utcnow

            home = Item(info=info, status=open_status(info.hours, utcnow()))
    return HomeCard(consented=consented, home=home)

