"""The 15-minute service circle: stations near a point or a station, in a district, by name,
filtered (open now, 24 hours, one service); the JSON endpoint, the map's markers, the home card.

Positions are used to rank and never kept; the rows come from the catalogue's in-memory index.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlmodel import Session, select

from models import District, Station
from services.errors import DomainError, NotFound
from services.stations.catalogue import (LIST_LIMIT, TIMEZONE, OpenStatus, StationInfo, home_station_id, open_status,
                                         service_labels, station_index, todays_activities)
from services.stations.consent import consent_of
from services.stations.index import DEFAULT_LIMIT, MAX_LIMIT, REACH_M, REACH_MINUTES, Nearby, check_point, walk_minutes
from services.stations.routing import RoutingConfig, nearest_stations

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


# -- the map and the home card ------------------------------------------------------------------

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
