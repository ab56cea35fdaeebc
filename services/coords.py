"""Coordinate systems of Chinese maps: WGS-84 (GPS, browsers), GCJ-02 (AMap, Tencent), BD-09 (Baidu).

Written on the geo branch (no shared module had landed on main): transforms and in_china, all
taking and returning (lat, lon) in degrees. GCJ-02's published forward formula is applied only inside China's
bounding box (elsewhere the systems agree); the inverse iterates to well under a metre.
"""
import math

A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
EE = 0.00669342162296594323  # its first eccentricity squared
X_PI = math.pi * 3000.0 / 180.0


def in_china(lat: float, lon: float) -> bool:
    """Whether a point lies in the bounding box of mainland China that GCJ-02 applies to."""
    return 3.86 <= lat <= 53.55 and 73.66 <= lon <= 135.05


def _d_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _d_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """GPS coordinates to GCJ-02 (unchanged outside China)."""
    if not in_china(lat, lon):
        return lat, lon
    d_lat = _d_lat(lon - 105.0, lat - 35.0)
    d_lon = _d_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((A * (1 - EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 back to GPS coordinates, by fixed-point iteration (error far below 1 m)."""
    if not in_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < 1e-10 and abs(e_lon) < 1e-10:
            break
    return w_lat, w_lon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 to Baidu's BD-09."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Baidu's BD-09 to GCJ-02."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GPS coordinates to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 to GPS coordinates."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))
