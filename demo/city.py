"""The demo city: ~2,300 party-mass service stations placed inside Shenzhen's ten areas.

Pure data, no database: `generate_stations()` returns plain dicts for the seed (demo/seed.py, which
also builds the org tree and members) to insert, the same for the same seed. District outlines come from
data/shenzhen_districts.geojson (WGS-84; see data/README.md for its source and what is approximate).
Street (街道) names are the real 74 of 2026; their anchor points, and all community, estate,
building, road and person names below, are made up or approximate: demo data, not a register.
"""
import json
import math
import random
from functools import lru_cache
from pathlib import Path

from services.stations import SERVICES

DATA = Path(__file__).resolve().parent.parent / "data" / "shenzhen_districts.geojson"

# The ten areas: code (as in the district table), prefix of station codes, names, GB/T 2260 code
# (大鹏新区 is a functional area without one), and a population-ish weight for spreading stations.
DISTRICTS = [
    {"code": "futian", "prefix": "ft", "name": "福田区", "name_en": "Futian", "adcode": "440304", "weight": 180},
    {"code": "luohu", "prefix": "lh", "name": "罗湖区", "name_en": "Luohu", "adcode": "440303", "weight": 130},
    {"code": "yantian", "prefix": "yt", "name": "盐田区", "name_en": "Yantian", "adcode": "440308", "weight": 30},
    {"code": "nanshan", "prefix": "ns", "name": "南山区", "name_en": "Nanshan", "adcode": "440305", "weight": 200},
    {"code": "baoan", "prefix": "ba", "name": "宝安区", "name_en": "Bao'an", "adcode": "440306", "weight": 420},
    {"code": "longgang", "prefix": "lg", "name": "龙岗区", "name_en": "Longgang", "adcode": "440307", "weight": 380},
    {"code": "longhua", "prefix": "lhq", "name": "龙华区", "name_en": "Longhua", "adcode": "440309", "weight": 240},
    {"code": "pingshan", "prefix": "ps", "name": "坪山区", "name_en": "Pingshan", "adcode": "440310", "weight": 70},
    {"code": "guangming", "prefix": "gm", "name": "光明区", "name_en": "Guangming", "adcode": "440311",
     "weight": 110},
    {"code": "dapeng", "prefix": "dp", "name": "大鹏新区", "name_en": "Dapeng New Area", "adcode": None,
     "weight": 30},
]
_BY_CODE = {d["code"]: d for d in DISTRICTS}

# district -> (lon, lat) of its government seat (approximate, WGS-84)
_SEATS = {
    "futian": (114.0550, 22.5220), "luohu": (114.1260, 22.5500), "yantian": (114.2330, 22.5590),
    "nanshan": (113.9250, 22.5350), "baoan": (113.8780, 22.5580), "longgang": (114.2420, 22.7240),
    "longhua": (114.0400, 22.6990), "pingshan": (114.3450, 22.7110), "guangming": (113.9310, 22.7510),
    "dapeng": (114.4740, 22.5910),
}
# district -> street (街道) -> (lon, lat) anchor, approximate (WGS-84)
STREETS = {
    "futian": {"园岭": (114.097, 22.557), "南园": (114.090, 22.541), "福田": (114.062, 22.527),
               "沙头": (114.028, 22.527), "香蜜湖": (114.020, 22.548), "梅林": (114.045, 22.570),
               "莲花": (114.052, 22.555), "华富": (114.073, 22.550), "福保": (114.040, 22.513),
               "华强北": (114.085, 22.547)},
    "luohu": {"桂园": (114.113, 22.545), "黄贝": (114.140, 22.548), "东门": (114.120, 22.553),
              "翠竹": (114.128, 22.565), "笋岗": (114.103, 22.565), "南湖": (114.112, 22.537),
              "莲塘": (114.170, 22.566), "东晓": (114.128, 22.585), "东湖": (114.150, 22.572),
              "清水河": (114.108, 22.590)},
    "yantian": {"梅沙": (114.300, 22.600), "盐田": (114.262, 22.585), "沙头角": (114.225, 22.557),
                "海山": (114.240, 22.563)},
    "nanshan": {"南头": (113.920, 22.545), "南山": (113.925, 22.520), "沙河": (113.980, 22.538),
                "蛇口": (113.915, 22.492), "招商": (113.905, 22.480), "粤海": (113.945, 22.530),
                "桃源": (113.965, 22.570), "西丽": (113.950, 22.590)},
    "baoan": {"新安": (113.885, 22.560), "西乡": (113.875, 22.590), "航城": (113.845, 22.620),
              "福永": (113.825, 22.668), "福海": (113.805, 22.680), "沙井": (113.815, 22.735),
              "新桥": (113.840, 22.722), "松岗": (113.850, 22.770), "燕罗": (113.860, 22.810),
              "石岩": (113.935, 22.680)},
    "longgang": {"平湖": (114.125, 22.690), "坂田": (114.070, 22.630), "布吉": (114.120, 22.605),
                 "吉华": (114.095, 22.645), "南湾": (114.140, 22.612), "横岗": (114.205, 22.640),
                 "园山": (114.200, 22.665), "龙城": (114.240, 22.718), "龙岗": (114.268, 22.735),
                 "宝龙": (114.300, 22.700), "坪地": (114.305, 22.760)},
    "longhua": {"观湖": (114.065, 22.715), "民治": (114.040, 22.620), "龙华": (114.025, 22.655),
                "大浪": (113.998, 22.668), "福城": (114.095, 22.730), "观澜": (114.055, 22.740)},
    "pingshan": {"坪山": (114.345, 22.697), "马峦": (114.370, 22.660), "碧岭": (114.300, 22.665),
                 "石井": (114.400, 22.680), "坑梓": (114.390, 22.745), "龙田": (114.360, 22.735)},
    "guangming": {"光明": (113.945, 22.780), "公明": (113.885, 22.795), "新湖": (113.925, 22.810),
                  "凤凰": (113.950, 22.730), "玉塘": (113.905, 22.745), "马田": (113.905, 22.770)},
    "dapeng": {"葵涌": (114.425, 22.630), "大鹏": (114.480, 22.590), "南澳": (114.478, 22.530)},
}
ROADS = {
    "futian": ["深南大道", "红荔路", "莲花路", "彩田路", "新洲路", "福华路", "益田路", "金田路", "皇岗路", "福中路",
               "香梅路", "景田路", "华富路", "笋岗西路", "北环大道", "滨河大道", "华强北路", "上步路", "燕南路"],
    "luohu": ["人民南路", "深南东路", "东门路", "解放路", "宝安南路", "文锦路", "爱国路", "太宁路", "布心路",
              "桂园路", "建设路", "嘉宾路", "春风路", "翠竹路", "田贝四路", "莲塘路", "罗沙路", "清水河一路"],
    "yantian": ["深盐路", "盐田路", "海山路", "梧桐路", "北山道", "东海道", "沿港路", "明珠大道", "盐梅路"],
    "nanshan": ["南海大道", "科苑路", "深南大道", "沙河西路", "南山大道", "桃园路", "学府路", "工业八路", "望海路",
                "侨香路", "白石路", "后海大道", "留仙大道", "创业路", "前海路", "登良路", "高新南一道"],
    "baoan": ["宝安大道", "新湖路", "创业一路", "前进二路", "宝民一路", "建安一路", "西乡大道", "福永大道",
              "航城大道", "沙井路", "新沙路", "松福大道", "宝石南路", "洲石路", "兴华路", "公园路"],
    "longgang": ["龙岗大道", "龙翔大道", "龙城大道", "深惠路", "布吉路", "吉华路", "坂雪岗大道", "五和大道",
                 "清林路", "黄阁路", "爱龙路", "平湖大街", "华南大道", "横坪公路"],
    "longhua": ["人民路", "东环一路", "梅龙路", "民治大道", "龙华大道", "观澜大道", "大浪南路", "布龙路",
                "和平路", "腾龙路", "民塘路", "环观南路", "华荣路"],
    "pingshan": ["深汕路", "坪山大道", "东纵路", "金牛路", "锦龙大道", "龙兴南路", "丹梓大道", "青松路", "聚龙路"],
    "guangming": ["光明大道", "华夏路", "观光路", "松白路", "光侨路", "东长路", "牛山路", "公常路", "南环大道"],
    "dapeng": ["鹏飞路", "葵民路", "葵新南路", "迎宾路", "金岭路", "布新路", "南隆路", "海滨路"],
}
BUILDINGS = {  # well-known office towers, used for 楼宇 stations in their own district
    "futian": ["深业上城", "平安金融中心", "京基滨河时代", "卓越世纪中心", "大中华国际交易广场", "招商银行大厦",
               "新世界中心", "赛格广场", "华强广场", "中洲大厦", "荣超经贸中心"],
    "luohu": ["京基100", "地王大厦", "国贸大厦", "金光华广场", "罗湖商务中心", "深业中心"],
    "nanshan": ["腾讯滨海大厦", "深圳湾创新科技中心", "科兴科学园", "南山智园", "海岸城", "前海嘉里中心",
                "招商局广场", "深圳湾科技生态园", "大冲商务中心"],
}
PARKS = {
    "futian": ["莲花山公园", "荔枝公园", "中心公园", "香蜜公园", "皇岗公园", "笔架山公园"],
    "luohu": ["洪湖公园", "东湖公园", "人民公园", "儿童公园"],
    "nanshan": ["深圳湾公园", "中山公园", "大沙河公园", "荔香公园"],
    "yantian": ["大梅沙海滨公园", "海滨栈道"],
    "baoan": ["宝安公园", "铁仔山公园", "灵芝公园", "石岩湿地公园"],
    "longgang": ["龙城公园", "大运公园", "龙岗公园"],
}
BUSINESS = {  # shopping areas (商圈)
    "futian": ["华强北", "车公庙", "福田中心区", "购物公园"], "luohu": ["东门", "国贸", "万象城", "水贝"],
    "nanshan": ["海岸城", "后海", "南头古城", "海上世界"], "baoan": ["宝安中心区", "西乡", "沙井"],
    "longgang": ["龙岗中心城", "布吉"], "longhua": ["民治", "龙华"],
}
SERVICE_CODES = [s["code"] for s in SERVICES]
SHARE_24_7 = 512 / 2300  # stations with a 24-hour area (Shenzhen press, 2026-01)
HOURS = {  # opening hours by kind of place, all in services/opening_hours.py's subset
    "center": ["Mo-Su 09:00-21:00", "Tu-Su 09:00-21:00; Mo off", "Mo-Fr 09:00-18:00; Sa,Su 09:00-17:00",
               "Mo-Su 09:00-12:00,14:00-21:00"],
    "station": ["Mo-Fr 09:00-18:00; Sa 09:00-12:00", "Mo-Fr 09:00-12:00,14:00-18:00", "Mo-Sa 09:00-18:00",
                "Tu-Su 09:00-21:00", "Mo-Fr 08:30-12:00,14:00-17:30; Sa,Su 09:00-17:00",
                "Mo-Fr 09:00-12:00,14:30-21:00; Sa 09:00-12:00"],
    "building": ["Mo-Fr 08:30-18:30", "Mo-Fr 09:00-21:00", "Mo-Sa 09:00-18:00"],
    "park": ["Mo-Su 07:00-22:00", "Mo-Su 08:00-20:00"],
    "industry": ["Mo-Sa 08:00-20:00", "Mo-Fr 08:30-18:00"],
    "business": ["Mo-Su 10:00-22:00", "Mo-Th,Su 10:00-22:00; Fr,Sa 10:00-01:00"],
}

_A = "新上下东西南北大白石黄龙凤桂梅荔莲竹松翠碧金福华富安和康宝兴长清沙田湖岭水玉景香锦鹏海河岗塘围"
_B = "围田湖岭岗塘坑村园湾洲头尾山浦埔沥涌坳屋角背苑城景花林丰盛联光明源泉和兴庆华福安龙门桥"
_BRANDS = ["万科", "华润", "招商", "中海", "金地", "卓越", "星河", "佳兆业", "龙光", "京基", "宝能", "中洲", "鸿荣源",
           "天健", "振业", "益田", "碧桂园", "绿景", "深业", "特区建发"]
_ESTATE_SUFFIX = ["花园", "苑", "新村", "家园", "雅苑", "豪庭", "华庭", "山庄", "公馆", "名苑"]
_TOWER_SUFFIX = ["大厦", "中心", "广场", "国际", "商务中心", "科技大厦", "时代广场"]
_PARK_KINDS = ["科技园", "工业园", "智造产业园", "创意园", "物流园", "生物医药产业园"]
_LINES = ["快递物流", "网约配送", "网约车", "货车司机", "家政服务", "律师", "社会组织", "物业管理"]

# -- district outlines ---------------------------------------------------------------------------


class _Ring:
    """A closed ring of (lon, lat) with its edges bucketed by latitude band, for fast ray casting."""

    __slots__ = ("y0", "h", "n", "bands")

    def __init__(self, points: list[list[float]]):
        ys = [p[1] for p in points]
        self.y0 = min(ys)
        self.n = max(1, min(128, len(points) // 4))
        self.h = (max(ys) - self.y0) / self.n or 1.0
        self.bands: list[list[tuple[float, float, float, float]]] = [[] for _ in range(self.n)]
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
            if y1 == y2:
                continue  # a horizontal edge never crosses a horizontal ray
            lo = int((min(y1, y2) - self.y0) / self.h)
            hi = min(self.n - 1, int((max(y1, y2) - self.y0) / self.h))
            for b in range(max(0, lo), hi + 1):
                self.bands[b].append((x1, y1, x2, y2))

    def contains(self, x: float, y: float) -> bool:
        """Ray casting within the point's band (even-odd rule)."""
        b = int((y - self.y0) / self.h)
        if not 0 <= b < self.n:
            return False
        inside = False
        for x1, y1, x2, y2 in self.bands[b]:
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                inside = not inside
        return inside


class DistrictShape:
    """One area's outline: MultiPolygon (outer rings with holes) with a bounding box prefilter."""

    __slots__ = ("code", "name", "name_en", "bbox", "polygons", "coordinates")

    def __init__(self, code: str, name: str, name_en: str, coordinates: list):
        self.code, self.name, self.name_en, self.coordinates = code, name, name_en, coordinates
        self.polygons = []
        for polygon in coordinates:
            xs = [p[0] for p in polygon[0]]
            ys = [p[1] for p in polygon[0]]
            self.polygons.append(((min(xs), min(ys), max(xs), max(ys)), _Ring(polygon[0]),
                                  [_Ring(hole) for hole in polygon[1:]]))
        boxes = [p[0] for p in self.polygons]
        self.bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                     max(b[2] for b in boxes), max(b[3] for b in boxes))  # (west, south, east, north)

    def contains(self, lat: float, lon: float) -> bool:
        """Whether a WGS-84 point lies inside (in an outer ring and in none of its holes)."""
        west, south, east, north = self.bbox
        if not (west <= lon <= east and south <= lat <= north):
            return False
        for (x0, y0, x1, y1), outer, holes in self.polygons:
            if x0 <= lon <= x1 and y0 <= lat <= y1 and outer.contains(lon, lat) \
                    and not any(h.contains(lon, lat) for h in holes):
                return True
        return False

    def area_km2(self) -> float:
        """Approximate area (shoelace on an equirectangular projection at the city's latitude)."""
        kx, ky = 111.32 * math.cos(math.radians(22.6)), 110.57
        total = 0.0
        for polygon in self.coordinates:
            for k, ring in enumerate(polygon):
                a = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1])) / 2
                total += abs(a) * (1 if k == 0 else -1)
        return total * kx * ky


@lru_cache(maxsize=1)
def load_districts() -> dict[str, DistrictShape]:
    """District code -> outline, read once from data/shenzhen_districts.geojson (all ten areas)."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    shapes = {}
    for feature in data["features"]:
        props, geometry = feature["properties"], feature["geometry"]
        coordinates = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        shapes[props["code"]] = DistrictShape(props["code"], props["name"], props.get("name_en", ""), coordinates)
    missing = [d["code"] for d in DISTRICTS if d["code"] not in shapes]
    if missing:
        raise RuntimeError(f"{DATA} lacks the areas {missing}; rebuild it as data/README.md says")
    return shapes


def district_of(lat: float, lon: float) -> str | None:
    """The area containing a WGS-84 point, or None (sea, or outside the city)."""
    for code, shape in load_districts().items():
        if shape.contains(lat, lon):
            return code
    return None


# -- stations ------------------------------------------------------------------------------------

_MARGIN = 0.0005  # ~50 m: a station's neighbourhood stays inside its own area


def _placer(rng: random.Random, code: str):
    """A function (anchor, spread in degrees) -> (lat, lon) strictly inside area `code` and no other."""
    shapes = load_districts()
    own = shapes[code]
    others = [s for c, s in shapes.items() if c != code]
    west, south, east, north = own.bbox

    def ok(lat: float, lon: float) -> bool:
        if not all(own.contains(lat + dy, lon + dx) for dx, dy in
                   ((0, 0), (_MARGIN, 0), (-_MARGIN, 0), (0, _MARGIN), (0, -_MARGIN))):
            return False
        return not any(s.contains(lat, lon) for s in others)

    def place(anchor: tuple[float, float], spread: float) -> tuple[float, float]:
        for _ in range(200):
            lon, lat = round(rng.gauss(anchor[0], spread), 6), round(rng.gauss(anchor[1], spread * 0.9), 6)
            if ok(lat, lon):
                return lat, lon
        while True:  # the anchor is off (at sea, or over a border): anywhere in the area
            lon, lat = round(rng.uniform(west, east), 6), round(rng.uniform(south, north), 6)
            if ok(lat, lon):
                return lat, lon

    return place


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainder), summing exactly to `total`."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[:total - sum(out)]:
        out[i] += 1
    return out


def _two(rng: random.Random) -> str:
    a = rng.choice(_A)
    b = rng.choice(_B)
    return a + b if a != b else a + "园"


def _unique(rng: random.Random, used: set[str], make) -> str:
    for _ in range(50):
        name = make()
        if name not in used:
            used.add(name)
            return name
    return _numbered(name, used)


def _fresh(make, used: set[str]) -> str:
    """A name from `make` not yet in `used` if one turns up in a few tries (not marked as taken)."""
    name = make()
    for _ in range(20):
        if name not in used:
            break
        name = make()
    return name


def _numbered(name: str, used: set[str]) -> str:
    """The name, or the name with 2, 3, ... appended when it is taken; marked as taken."""
    n, candidate = 1, name
    while candidate in used:
        n += 1
        candidate = f"{name}{n}"
    used.add(candidate)
    return candidate


def generate_stations(*, seed: int = 2026, count: int = 2300) -> list[dict]:
    """`count` stations over the ten areas ("1 + 10 + street centres + N"), deterministic for a seed.

    Each: code ("ft-0001"), name, kind (center/station/other), district (code), address, lat, lon
    (WGS-84, 6 decimals), opening_hours, services (codes from SERVICES), phone, geofence_radius_m.
    """
    rng = random.Random(seed)
    plans: list[tuple[str, str, str, str]] = []  # (district, street, kind, subtype)
    plans.append(("futian", "莲花", "center", "city"))
    plans += [(d["code"], "", "center", "district") for d in DISTRICTS]
    plans += [(d["code"], street, "center", "street") for d in DISTRICTS for street in STREETS[d["code"]]]
    rest = max(0, count - len(plans))
    for d, n in zip(DISTRICTS, _split(rest, [d["weight"] for d in DISTRICTS])):
        streets = list(STREETS[d["code"]])
        for _ in range(n):
            r = rng.random()
            kind, sub = (("station", "community") if r < 0.32 else ("station", "estate") if r < 0.62
                         else ("other", rng.choice(["building", "building", "park", "industry", "business",
                                                    "line"])))
            plans.append((d["code"], rng.choice(streets), kind, sub))
    plans = plans[:count]

    communities: dict[str, list[str]] = {}  # street -> its communities so far
    used_names: set[str] = set()
    used_phones: set[str] = set()
    numbers = {d["code"]: 0 for d in DISTRICTS}
    placers = {d["code"]: _placer(rng, d["code"]) for d in DISTRICTS}
    spreads = {code: 0.45 * math.sqrt(load_districts()[code].area_km2() / len(STREETS[code])) / 111.0
               for code in STREETS}
    twenty_four = set(rng.sample(range(len(plans)), round(len(plans) * SHARE_24_7)))
    stations = []
    for index, (code, street, kind, sub) in enumerate(plans):
        d = _BY_CODE[code]
        if not street:  # the district centre: the street nearest the district's seat
            seat = _SEATS[code]
            street = min(STREETS[code], key=lambda s: math.dist(STREETS[code][s], seat))
        pool = communities.setdefault(street, [])
        if not pool or sub == "community":  # each community centre is a new community
            pool.append(_unique(rng, used_names, lambda: _two(rng) + ("" if rng.random() < 0.8 else rng.choice(
                "东西南北"))))
        community = pool[-1] if sub == "community" else rng.choice(pool)
        road = rng.choice(ROADS[code])
        address = f"深圳市{d['name']}{street}街道{community}社区{road}{rng.randint(1, 388)}号"
        anchor, spread = STREETS[code][street], spreads[code]
        if sub == "city":
            name, anchor, spread = "深圳市党群服务中心", (114.0579, 22.5431), 0.0015
            address = f"深圳市福田区莲花街道福中社区福中三路{rng.randint(1, 2008)}号"
        elif sub == "district":
            name, anchor, spread = f"{d['name']}党群服务中心", _SEATS[code], 0.002
        elif sub == "street":
            name, spread = f"{d['name']}{street}街道党群服务中心", 0.003
        elif sub == "community":
            name = f"{d['name']}{street}街道{community}社区党群服务中心"
        elif sub == "estate":
            estate = _unique(rng, used_names, lambda: rng.choice(
                [rng.choice(_BRANDS) + _two(rng), _two(rng)]) + rng.choice(_ESTATE_SUFFIX))
            name = f"{street}街道{estate}党群服务站"
            address += f"（{estate}内）"
        elif sub == "building":
            known = [b for b in BUILDINGS.get(code, []) if b not in used_names]
            tower = known[0] if known and rng.random() < 0.5 else _unique(
                rng, used_names, lambda: rng.choice([rng.choice(_BRANDS), _two(rng)]) + rng.choice(_TOWER_SUFFIX))
            used_names.add(tower)
            name = f"{tower}楼宇党群服务站"
            address += f"{tower}{rng.randint(2, 40)}楼"
        elif sub == "park":
            known = [p for p in PARKS.get(code, []) if p not in used_names]
            park = known[0] if known and rng.random() < 0.6 else _unique(
                rng, used_names, lambda: _two(rng) + rng.choice(["公园", "郊野公园", "社区公园", "湿地公园"]))
            used_names.add(park)
            name = f"{park}党群服务站"
        elif sub == "industry":
            estate = _unique(rng, used_names, lambda: _two(rng) + rng.choice(_PARK_KINDS))
            name = f"{estate}党群服务站"
        elif sub == "business":
            known = [b for b in BUSINESS.get(code, []) if b + "商圈" not in used_names]
            area = known[0] + "商圈" if known and rng.random() < 0.5 else _unique(
                rng, used_names, lambda: _two(rng) + rng.choice(["商业街", "步行街", "商业广场", "美食街"]))
            used_names.add(area)
            name = f"{area}党群服务站"
        else:  # an industry line's station: couriers, riders, drivers ...
            name = _fresh(lambda: f"{street}街道{rng.choice(pool)}{rng.choice(_LINES)}党群服务站", used_names)
        name = _numbered(name, used_names)
        lat, lon = placers[code](anchor, spread)
        phone = _unique(rng, used_phones, lambda: f"0755-{rng.randint(2, 8)}{rng.randint(0, 9999999):07d}")
        if index in twenty_four:
            hours = "24/7"
        else:
            group = kind if sub in ("city", "district", "street", "community", "estate") else sub
            hours = rng.choice(HOURS["station" if group == "line" else group])
        if kind == "center":
            services = ["volunteer", "study", "meeting"] + rng.sample(SERVICE_CODES[2:8], rng.randint(3, 6))
        elif sub in ("community", "estate"):
            services = rng.sample(SERVICE_CODES, rng.randint(3, 5))
        else:
            services = rng.sample(SERVICE_CODES, rng.randint(2, 4))
        if hours == "24/7" and "rest" not in services:
            services.append("rest")  # the 24-hour areas are rest stops and self-service reading corners
        numbers[code] += 1
        stations.append({
            "code": f"{d['prefix']}-{numbers[code]:04d}",
            "name": name,
            "kind": kind,
            "district": code,
            "address": address,
            "lat": lat,
            "lon": lon,
            "opening_hours": hours,
            "services": sorted(set(services), key=SERVICE_CODES.index),
            "phone": phone,
            "geofence_radius_m": 150 if kind == "center" or rng.random() < 0.1 else 100,
        })
    return stations
