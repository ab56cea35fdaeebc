"""Map tiles from configuration, and stand-in tiles drawn locally for tests and the demo.

TILE_PROVIDER: "local" (stand-in tiles served by this app; the default in tests and demo mode),
"osm" (OpenStreetMap, for development), "tianditu" (天地图, needs TIANDITU_KEY; WGS-84-compatible
CGCS2000, the choice for production in China) or "amap" (高德, GCJ-02: markers are shifted into
GCJ-02 in the browser). Each provider's host is added to the CSP's img-src (config.tile_hosts).
"""
import struct
import zlib
from functools import lru_cache

from flask import url_for
from flask_babel import gettext as _

DEFAULT_CENTER = {"lat": 22.5431, "lon": 114.0579, "zoom": 14}  # 福田, the city centre
MAX_ZOOM = 19

TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
            "&tk={key}")


def client_config(config) -> dict:
    """What the map script needs: tile layers (URL templates), attribution, the coordinate system."""
    provider = config.get("TILE_PROVIDER", "local")
    if provider == "osm":
        return {"provider": "osm", "crs": "wgs84", "max_zoom": 19, "subdomains": "",
                "layers": ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"],
                "attribution": "© OpenStreetMap contributors"}
    if provider == "tianditu" and config.get("TIANDITU_KEY"):
        key = config["TIANDITU_KEY"]
        return {"provider": "tianditu", "crs": "wgs84", "max_zoom": 18, "subdomains": "01234567",
                "layers": [TIANDITU.replace("{layer}", "vec").replace("{key}", key),
                           TIANDITU.replace("{layer}", "cva").replace("{key}", key)],
                "attribution": "© 天地图"}
    if provider == "amap":
        return {"provider": "amap", "crs": "gcj02", "max_zoom": 18, "subdomains": "1234",
                "layers": ["https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                           "&x={x}&y={y}&z={z}"],
                "attribution": "© 高德地图"}
    template = url_for("stations.tile", z=0, x=0, y=0).replace("/0/0/0.png", "/{z}/{x}/{y}.png")
    return {"provider": "local", "crs": "wgs84", "max_zoom": MAX_ZOOM, "subdomains": "", "layers": [template],
            "attribution": _("Stand-in tiles (no map data)")}


def valid_tile(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names a tile of the Web Mercator pyramid."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z


def _png(width: int, height: int, palette: list[tuple[int, int, int]], rows: list[bytes]) -> bytes:
    """A palette PNG from rows of palette indices."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    plte = b"".join(bytes(c) for c in palette)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"PLTE", plte)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


@lru_cache(maxsize=4)
def _tile(shade: int) -> bytes:
    """A 256 px tile: a pale ground, a faint 32 px street grid and a darker edge."""
    palette = [(0xF1, 0xEF, 0xE6) if shade == 0 else (0xEC, 0xEB, 0xE1), (0xDD, 0xDA, 0xCB), (0xC9, 0xC5, 0xB4)]
    rows = []
    for y in range(256):
        if y in (0, 255):
            rows.append(bytes([2]) * 256)
        elif y % 32 == 0:
            rows.append(bytes([2]) + bytes([1]) * 254 + bytes([2]))
        else:
            row = bytearray([0]) * 256
            for x in range(0, 256, 32):
                row[x] = 1
            row[0] = row[255] = 2
            rows.append(bytes(row))
    return _png(256, 256, palette, rows)


def stand_in_png(z: int, x: int, y: int) -> bytes:
    """The stand-in tile for z/x/y (two shades in a checkerboard, so that panning shows)."""
    return _tile((x + y) % 2)
