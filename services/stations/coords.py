"""Coordinate systems of Chinese maps: WGS-84 (GPS, browsers), GCJ-02 (AMap, Tencent), BD-09 (Baidu).

Pure functions on (lat, lon) in degrees, returning (lat, lon). GCJ-02 is the published
WGS-84 -> GCJ-02 formula (Krasovsky ellipsoid constants), applied only inside China's bounding
box (elsewhere the systems agree, as map providers treat it); its inverse has no closed form, so
`gcj02_to_wgs84` iterates the forward transform to well under a millimetre. BD-09 is Baidu's
further offset of GCJ-02; its inverse is the usual closed form, refined the same way.
"""
import math

A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02
EE = 0.00669342162296594323  # its first eccentricity squared
X_PI = math.pi * 3000.0 / 180.0  # BD-09's constant

# China's extreme points (曾母暗沙 3.86 N, 漠河 53.55 N, 帕米尔 73.66 E, 黑瞎子岛 135.05 E): a box,
# so it also takes in neighbours such as Seoul and Hanoi; it keeps Singapore and Tokyo out.
LAT_MIN, LAT_MAX = 3.86, 53.55
LON_MIN, LON_MAX = 73.66, 135.05


def in_china(lat: float, lon: float) -> bool:
    """Whether a point lies in the bounding box of China where GCJ-02 offsets apply."""
    return LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX


def _offset(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 offset (dlat, dlon) in degrees at a WGS-84 point."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x)) + common
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x)) + common
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1.0 - EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = dlat * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * math.pi)
    dlon = dlon * 180.0 / (A / sqrt_magic * math.cos(rad) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """GPS coordinates to GCJ-02 (unchanged outside China)."""
    if not in_china(lat, lon):
        return lat, lon
    dlat, dlon = _offset(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 back to GPS coordinates by iterating the forward transform (error far below 0.5 m)."""
    if not in_china(lat, lon):
        return lat, lon
    return _invert(wgs84_to_gcj02, lat, lon, start=(lat, lon), rounds=30)


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 to Baidu's BD-09."""
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Baidu's BD-09 to GCJ-02: the usual closed form, refined against the forward transform."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    start = (z * math.sin(theta), z * math.cos(theta))  # the closed form alone is off by up to ~0.2 m
    return _invert(gcj02_to_bd09, lat, lon, start=start, rounds=5)


def _invert(forward, lat: float, lon: float, *, start: tuple[float, float], rounds: int) -> tuple[float, float]:
    """The point that `forward` maps to (lat, lon), refined step by step from `start`."""
    a, b = start
    for _ in range(rounds):
        fa, fb = forward(a, b)
        da, db = fa - lat, fb - lon
        a, b = a - da, b - db
        if abs(da) < 1e-10 and abs(db) < 1e-10:
            break
    return a, b


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GPS coordinates to BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 to GPS coordinates (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(min(1.0, h)))
