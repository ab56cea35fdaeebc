"""The demo city's stations: realistic names, addresses and hours, placed inside the real districts.

Pure data, no database: `generate_stations()` returns plain dicts for the seed to insert.
District outlines come from data/shenzhen_districts.geojson (see data/README.md); 光明区 and
大鹏新区 are carved out of 宝安 and 龙岗 by the boxes below, an approximation good enough to
keep demo stations on land in the right district.
"""
import json
import random
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "shenzhen_districts.geojson"

# code, name, English name, share of stations, parent outline, carve-out box (lon0, lat0, lon1, lat1)
DISTRICTS = [
    {"code": "futian", "name": "福田区", "name_en": "Futian", "stations": 300},
    {"code": "luohu", "name": "罗湖区", "name_en": "Luohu", "stations": 220},
    {"code": "nanshan", "name": "南山区", "name_en": "Nanshan", "stations": 320},
    {"code": "yantian", "name": "盐田区", "name_en": "Yantian", "stations": 80},
    {"code": "baoan", "name": "宝安区", "name_en": "Bao'an", "stations": 420},
    {"code": "longgang", "name": "龙岗区", "name_en": "Longgang", "stations": 380},
    {"code": "longhua", "name": "龙华区", "name_en": "Longhua", "stations": 250},
    {"code": "pingshan", "name": "坪山区", "name_en": "Pingshan", "stations": 110},
    {"code": "guangming", "name": "光明区", "name_en": "Guangming", "stations": 130,
     "parent": "baoan", "box": (113.875, 22.715, 114.02, 22.87)},
    {"code": "dapeng", "name": "大鹏新区", "name_en": "Dapeng New Area", "stations": 90,
     "parent": "longgang", "box": (114.395, 22.44, 114.65, 22.665)},
]

STREETS = {
    "futian": ["园岭", "南园", "福田", "沙头", "香蜜湖", "梅林", "莲花", "华富", "福保", "华强北"],
    "luohu": ["桂园", "黄贝", "东门", "翠竹", "笋岗", "南湖", "莲塘", "东晓", "东湖", "清水河"],
    "nanshan": ["南头", "南山", "沙河", "蛇口", "招商", "粤海", "桃源", "西丽"],
    "yantian": ["梅沙", "盐田", "沙头角", "海山"],
    "baoan": ["新安", "西乡", "航城", "福永", "福海", "沙井", "新桥", "松岗", "燕罗", "石岩"],
    "longgang": ["平湖", "坂田", "布吉", "吉华", "南湾", "横岗", "园山", "龙城", "龙岗", "宝龙", "坪地"],
    "longhua": ["观湖", "民治", "龙华", "大浪", "福城", "观澜"],
    "pingshan": ["坪山", "马峦", "碧岭", "石井", "坑梓", "龙田"],
    "guangming": ["光明", "公明", "新湖", "凤凰", "玉塘", "马田"],
    "dapeng": ["大鹏", "南澳", "葵涌"],
}
COMMUNITY_SUFFIX = ["社区", "社区", "社区", "村", "花园社区"]
ROADS = ["深南大道", "红荔路", "北环大道", "滨河大道", "新洲路", "彩田路", "益田路", "莲花路", "建设路", "人民路", "东门路",
         "桂园路", "南海大道", "科苑路", "沙河西路", "创业路", "宝安大道", "新湖路", "龙华大道", "民治大道", "布吉路",
         "龙岗大道", "深汕路", "坪山大道", "光明大道", "葵涌路", "南澳路", "文化路", "学府路", "兴华路", "工业路"]
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
HOURS = [
    "Mo-Fr 09:00-18:00; Sa 09:00-12:00",
    "Mo-Fr 09:00-12:00,14:00-18:00",
    "Tu-Su 09:00-21:00",
    "Mo-Su 08:30-20:30",
    "Mo-Fr 08:30-17:30; Sa,Su 09:00-17:00",
    "Mo-Sa 09:00-18:00",
]
SHARE_24_7 = 512 / 2300


@lru_cache(maxsize=1)
def load_outlines() -> dict[str, list]:
    """District code -> list of polygons (each a list of rings of (lon, lat)), WGS-84."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f["geometry"]["coordinates"] for f in data["features"]}


def _in_ring(lon: float, lat: float, ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_polygons(lon: float, lat: float, polygons) -> bool:
    for poly in polygons:
        if _in_ring(lon, lat, poly[0]) and not any(_in_ring(lon, lat, hole) for hole in poly[1:]):
            return True
    return False


def _in_box(lon, lat, box) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def district_of(lat: float, lon: float) -> str | None:
    """The demo district containing a point, or None (sea, or outside the city)."""
    outlines = load_outlines()
    carved = [d for d in DISTRICTS if "box" in d]
    for d in carved:
        if _in_box(lon, lat, d["box"]) and _in_polygons(lon, lat, outlines[d["parent"]]):
            return d["code"]
    for code, polygons in outlines.items():
        if _in_polygons(lon, lat, polygons):
            return code
    return None


def _bbox(polygons):
    xs = [p[0] for poly in polygons for p in poly[0]]
    ys = [p[1] for poly in polygons for p in poly[0]]
    return min(xs), min(ys), max(xs), max(ys)


def _inside(district: dict, lon: float, lat: float) -> bool:
    """Whether a point lies in this district (its own outline, or its box within the parent's)."""
    outlines = load_outlines()
    if "box" in district:
        return _in_box(lon, lat, district["box"]) and _in_polygons(lon, lat, outlines[district["parent"]])
    if not _in_polygons(lon, lat, outlines[district["code"]]):
        return False
    return not any(d.get("parent") == district["code"] and _in_box(lon, lat, d["box"]) for d in DISTRICTS)


def _sampler(district: dict, rng: random.Random):
    """Random points inside a district, denser around a few urban cores."""
    outlines = load_outlines()
    polygons = outlines[district.get("parent", district["code"])]
    box = district.get("box") or _bbox(polygons)
    lo_x, lo_y, hi_x, hi_y = (max(a, b) if i < 2 else min(a, b) for i, (a, b) in
                              enumerate(zip(box, _bbox(polygons))))
    cores = []
    while len(cores) < 4:
        x, y = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
        if _inside(district, x, y):
            cores.append((x, y))

    def sample():
        while True:
            if rng.random() < 0.7:
                cx, cy = rng.choice(cores)
                x, y = rng.gauss(cx, 0.02), rng.gauss(cy, 0.015)
            else:
                x, y = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
            if lo_x <= x <= hi_x and lo_y <= y <= hi_y and _inside(district, x, y):
                return y, x

    return sample


def generate_stations(*, seed: int = 2026, count: int = 2300) -> list[dict]:
    """`count` stations spread over the ten areas by their shares, deterministic for a seed."""
    rng = random.Random(seed)
    total = sum(d["stations"] for d in DISTRICTS)
    stations: list[dict] = []
    for d in DISTRICTS:
        n = round(count * d["stations"] / total)
        sample = _sampler(d, rng)
        streets = STREETS[d["code"]]
        for i in range(n):
            lat, lon = sample()
            street = streets[i % len(streets)]
            community = f"{street}{rng.choice(['东', '西', '南', '北', '新', '华', '园', '景'])}{rng.choice(COMMUNITY_SUFFIX)}"
            if i == 0:
                kind, name = "center", f"{d['name']}党群服务中心"
            elif i <= len(streets):
                kind, name = "center", f"{d['name']}{streets[i - 1]}街道党群服务中心"
            else:
                r = rng.random()
                if r < 0.75:
                    kind, name = "station", f"{d['name']}{street}街道{community}党群服务站"
                elif r < 0.87:
                    kind, name = "station", f"{rng.choice(ROADS)[:2]}{rng.choice(['中心', '国际', '科技', '金融', '时代'])}大厦楼宇党群服务站"
                elif r < 0.95:
                    kind, name = "other", f"{street}{rng.choice(['湿地', '体育', '文化', '滨海', '山体'])}公园党群服务站"
                else:
                    kind, name = "other", f"{street}{rng.choice(['智造', '电子', '生物医药', '物流'])}产业园党群服务站"
            services = rng.sample(SERVICES, rng.randint(2, 5))
            if kind == "center":
                services = SERVICES[:1] + [s for s in services if s["code"] != "volunteer"]
            hours = "24/7" if rng.random() < SHARE_24_7 else rng.choice(HOURS)
            stations.append({
                "code": f"{d['code']}-{i + 1:04d}",
                "name": name,
                "kind": kind,
                "district": d["code"],
                "address": f"深圳市{d['name']}{street}街道{community}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "opening_hours": hours,
                "services": services,
                "phone": f"0755-{rng.randint(2000, 8999)}{rng.randint(0, 9999):04d}",
                "geofence_radius_m": 150 if rng.random() < 0.1 else 100,
            })
    # the city centre: the first Futian station becomes 深圳市党群服务中心
    stations[0].update(name="深圳市党群服务中心", kind="center", opening_hours="24/7")
    return stations[:count] if len(stations) > count else stations
