"""The station page: opening hours over the week, services, activities, check-in mode, links to map apps."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Optional
from urllib.parse import quote, urlencode

from sqlmodel import Session

from models import District, Station
from services.stations import coords
from services.stations.catalogue import (TIMEZONE, OpenStatus, checkin_mode, get_station, open_status, parse_hours,
                                         service_labels, todays_activities)


def navigation_links(*, name: str, lat: float, lon: float) -> dict[str, str]:
    """Links that open map apps at the station, each in the coordinate system it expects.

    AMap: GCJ-02 (coordinate=gaode). Baidu: BD-09 (coord_type=bd09ll). Apple Maps: GCJ-02 inside
    China (Apple's map data there comes from AutoNavi and takes GCJ-02), WGS-84 elsewhere.
    geo: URI (RFC 5870): WGS-84, for the system's map app.
    """
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
    return coords.wgs84_to_gcj02(lat, lon)


def _to_bd09(lat: float, lon: float) -> tuple[float, float]:
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
