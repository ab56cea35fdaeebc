"""The geofence: is a reported position inside a station's circle? Only the answer is stored."""
import math
from dataclasses import dataclass

from services.checkin.rules import CheckInError, StationLike, cfg


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


def require_inside(station: StationLike, geo: GeoResult) -> None:
    if not geo.inside:
        raise CheckInError("outside_geofence", distance=geo.distance_m, station=station.name,
                           radius=station.geofence_radius_m)
