"""Walking time from a point to the service stations, nearest first: the model and the grid index.

The default model (documented, testable): straight-line great-circle distance times a detour
factor of 1.3, walked at 4.8 km/h. A 15-minute walk is then 4.8 km/h x 0.25 h = 1,200 m of
path, or 1,200 / 1.3 = 923 m in a straight line: REACH_M, the radius the map draws.

Stations are found through an in-memory grid index built once per process from the station
table (rebuilt after an import, or when the table's stamp changes): a query reads only the
grid cells around the point and ranks them with numpy, never a scan of the table. Routing
engines re-rank the nearest candidates in services.stations.routing.
"""
import math
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Callable, Iterable, NamedTuple, Sequence

import numpy as np
from flask_babel import lazy_gettext as _l

from services.errors import DomainError

EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG), in metres
DETOUR_FACTOR = 1.3  # streets are longer than the straight line
WALK_KMH = 4.8  # a relaxed walking pace (OSRM's foot profile assumes 5, Valhalla 5.1)
WALK_M_PER_MIN = WALK_KMH * 1000 / 60  # 80 m of path a minute
REACH_MINUTES = 15
REACH_M = WALK_M_PER_MIN * REACH_MINUTES / DETOUR_FACTOR  # 923.08 m straight-line
DEFAULT_LIMIT = 20  # how many stations a list shows
CELL_K = DEFAULT_LIMIT  # unfiltered queries up to this many results use per-cell candidate lists
MAX_LIMIT = 100
INDEX_TTL_S = 0.5  # how often a process checks whether the station table changed (a change shows within 1 s)


# -- the model --------------------------------------------------------------------------------

def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (spherical Earth)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def walk_minutes(distance_m: float) -> float:
    """Walking minutes for a straight-line distance under the default model."""
    return distance_m * DETOUR_FACTOR / WALK_M_PER_MIN


def check_point(lat, lon) -> tuple[float, float]:
    """A (lat, lon) pair of finite numbers in range, or DomainError("bad_position")."""
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError, OverflowError):
        raise DomainError("bad_position", _l("The position could not be read. Please try again, "
                                             "or choose a district instead.")) from None
    if not (math.isfinite(la) and math.isfinite(lo)):
        raise DomainError("bad_position", _l("The position is not a number. Please try again, "
                                             "or choose a district instead."))
    if not (-90 <= la <= 90 and -180 <= lo <= 180):
        raise DomainError("bad_position", _l("The position is out of range (latitude -90 to 90, "
                                             "longitude -180 to 180)."))
    return la, lo


class Nearby(NamedTuple):
    """One station's distance and walking time from the point; `source` says who timed it."""

    station_id: int
    distance_m: float
    minutes: float
    source: str = "model"  # "model", "osrm" or "valhalla"

    @property
    def within_reach(self) -> bool:
        """Whether the walk takes 15 minutes or less."""
        return self.minutes <= REACH_MINUTES + 1e-9

    @property
    def minutes_shown(self) -> int:
        """Whole minutes for people (at least 1)."""
        return max(1, math.ceil(self.minutes - 1e-9))


# -- the spatial index ------------------------------------------------------------------------

class StationIndex:
    """A fixed grid over the stations' bounding box, stations sorted by cell (row-major).

    A query gathers the rows of cells inside a box around the point (each row of the box is one
    contiguous slice), keeps those within a search radius by haversine, and widens the radius
    until `limit` stations are found or the box covers the whole grid. Results agree with a
    brute-force haversine ranking (tested property-based).
    """

    def __init__(self, ids: Sequence[int], lats: Sequence[float], lons: Sequence[float],
                 flags: dict[str, Sequence[bool]] | None = None, payload: Sequence | None = None):
        lats_a = np.asarray(lats, dtype=np.float64)
        lons_a = np.asarray(lons, dtype=np.float64)
        ids_a = np.asarray(ids, dtype=np.int64)
        self.size = n = len(ids_a)
        if n:
            self.lat_min, self.lon_min = float(lats_a.min()), float(lons_a.min())
            span_lat = max(float(lats_a.max()) - self.lat_min, 1e-6)
            span_lon = max(float(lons_a.max()) - self.lon_min, 1e-6)
        else:
            self.lat_min = self.lon_min = 0.0
            span_lat = span_lon = 1e-6
        # the mean density of the box gives a first radius that usually holds `limit` stations
        mid_lat = math.radians(self.lat_min + span_lat / 2)
        area_m2 = (span_lat * 111_195.0) * (span_lon * 111_195.0 * max(math.cos(mid_lat), 0.01))
        self.density = n / max(area_m2, 1.0)
        # cells of half that radius (a query reads a few rows of cells), never finer than the
        # 15-minute reach, and coarser when the table would be huge (a country-wide index)
        cell = max(self._initial_radius(DEFAULT_LIMIT) / 2 / 111_195.0,
                   math.sqrt(span_lat * span_lon / max(4 * n, 1024)))
        self.cell = cell
        self.nrows = int(span_lat / cell) + 1
        self.ncols = int(span_lon / cell) + 1
        rows = ((lats_a - self.lat_min) / cell).astype(np.int64) if n else np.zeros(0, np.int64)
        cols = ((lons_a - self.lon_min) / cell).astype(np.int64) if n else np.zeros(0, np.int64)
        keys = rows * self.ncols + cols
        order = np.argsort(keys, kind="stable")
        self.order = order
        self.keys = keys[order]
        self.offsets = np.searchsorted(self.keys, np.arange(self.nrows * self.ncols + 1)).tolist()
        self.ids = ids_a[order]
        lat_r, lon_r = np.radians(lats_a[order]), np.radians(lons_a[order])
        self.lat_r, self.lon_r, self.cos_lat = lat_r, lon_r, np.cos(lat_r)
        # one row per station (lat rad, lon rad, cos lat, position): a query gathers with one copy
        self.packed = np.column_stack([lat_r, lon_r, self.cos_lat, np.arange(n, dtype=np.float64),
                                       self.ids.astype(np.float64)])
        self.lats, self.lons = lats_a[order], lons_a[order]
        self.flags = {name: np.asarray(values, dtype=bool)[order] for name, values in (flags or {}).items()}
        self.payload = [payload[i] for i in order.tolist()] if payload is not None else None
        self.position = {int(i): k for k, i in enumerate(self.ids.tolist())}
        self._cells: dict[int, tuple] = {}  # cell -> its candidates' arrays, filled on first use

    def _initial_radius(self, limit: int) -> float:
        """A radius expected to hold `limit` stations (never below the 15-minute reach)."""
        if self.density <= 0:
            return REACH_M
        return max(REACH_M, 1.5 * math.sqrt(limit / (math.pi * self.density)))

    def nearest(self, lat: float, lon: float, *, limit: int = DEFAULT_LIMIT, mask: np.ndarray | None = None,
                accept: Callable[[int], bool] | None = None) -> list[tuple[int, float]]:
        """The `limit` nearest stations as (station id, metres), nearest first.

        `mask` (a boolean array in index order, see `mask_for`) and `accept` (a test on an index
        position, for rules that depend on the moment such as "open now") narrow the stations.
        """
        if self.size == 0 or limit <= 0:
            return []
        if mask is None and accept is None and limit <= CELL_K:
            row = int((lat - self.lat_min) // self.cell)
            col = int((lon - self.lon_min) // self.cell)
            if 0 <= row < self.nrows and 0 <= col < self.ncols:
                return self._from_cell(row * self.ncols + col, lat, lon, limit)
        return self._search(lat, lon, limit=limit, mask=mask, accept=accept)

    def _from_cell(self, key: int, lat: float, lon: float, limit: int) -> list[tuple[int, float]]:
        """The fast path: rank the cell's precomputed candidates (contiguous arrays, few numpy calls)."""
        cell = self._cells.get(key)
        if cell is None:
            pos = self._cell_candidates(key)
            cell = self._cells[key] = (self.lat_r[pos] * 0.5, self.lon_r[pos] * 0.5, self.cos_lat[pos],
                                       self.ids[pos])
        half_lat, half_lon, cos_lat, ids = cell
        lat_r, lon_r = math.radians(lat), math.radians(lon)
        hav = np.sin(half_lat - lat_r * 0.5)
        hav *= hav
        s = np.sin(half_lon - lon_r * 0.5)
        s *= s
        s *= cos_lat
        s *= math.cos(lat_r)
        hav += s
        if len(hav) > limit:
            part = np.argpartition(hav, limit - 1)[:limit]
            best = hav[part]
            order = np.argsort(best, kind="stable")
            best, chosen = best[order], ids[part[order]]
        else:
            order = np.argsort(hav, kind="stable")
            best, chosen = hav[order], ids[order]
        diameter, asin, sqrt = 2 * EARTH_RADIUS_M, math.asin, math.sqrt
        return [(i, diameter * asin(sqrt(h if h < 1.0 else 1.0))) for i, h in zip(chosen.tolist(), best.tolist())]

    def _cell_candidates(self, key: int) -> np.ndarray:
        """Every station that can be among the CELL_K nearest of some point of the cell.

        With c the cell's centre and h the distance from c to its farthest corner, a point p of the
        cell has its CELL_K nearest within r_K(c) + h of p, hence within r_K(c) + 2h of c.
        """
        row, col = divmod(key, self.ncols)
        c_lat = self.lat_min + (row + 0.5) * self.cell
        c_lon = self.lon_min + (col + 0.5) * self.cell
        found = self._search(c_lat, c_lon, limit=CELL_K)
        if len(found) < CELL_K:
            return np.arange(self.size)
        half = self.cell / 2
        h = max(haversine_m(c_lat, c_lon, c_lat + dy, c_lon + dx) for dy in (-half, half) for dx in (-half, half))
        reach = found[-1][1] + 2 * h + 1e-6
        # every station within `reach` of the centre: a search with a limit large enough to hold them
        limit = CELL_K
        while True:
            near = self._search(c_lat, c_lon, limit=limit)
            if len(near) < limit or near[-1][1] > reach:
                break
            limit *= 2
        ids = [sid for sid, d in near if d <= reach]
        return np.fromiter((self.position[sid] for sid in ids), dtype=np.int64, count=len(ids))

    def _search(self, lat: float, lon: float, *, limit: int, mask: np.ndarray | None = None,
                accept: Callable[[int], bool] | None = None) -> list[tuple[int, float]]:
        """The general search: a widening box of grid rows around the point."""
        lat_r, lon_r = math.radians(lat), math.radians(lon)
        cos_q = math.cos(lat_r)
        origin = np.array((lat_r, lon_r))
        radius = self._initial_radius(limit)
        offsets, ncols, nrows = self.offsets, self.ncols, self.nrows
        while True:
            ang = radius / EARTH_RADIUS_M
            dlat = math.degrees(ang)
            r0 = max(0, int(math.floor((lat - dlat - self.lat_min) / self.cell)))
            r1 = min(nrows - 1, int(math.floor((lat + dlat - self.lat_min) / self.cell)))
            full_lon = abs(lat) + dlat >= 90 or math.sin(ang) >= cos_q
            if full_lon:
                c0, c1 = 0, ncols - 1
            else:
                dlon = math.degrees(math.asin(math.sin(ang) / cos_q))
                c0 = max(0, int(math.floor((lon - dlon - self.lon_min) / self.cell)))
                c1 = min(ncols - 1, int(math.floor((lon + dlon - self.lon_min) / self.cell)))
            complete = r0 == 0 and r1 == nrows - 1 and c0 == 0 and c1 == ncols - 1 or ang >= math.pi
            if complete:
                cand = self.packed
            elif r0 > r1 or c0 > c1:
                cand = None
            else:
                packed = self.packed
                parts = [packed[offsets[r * ncols + c0]:offsets[r * ncols + c1 + 1]] for r in range(r0, r1 + 1)]
                cand = parts[0] if len(parts) == 1 else np.concatenate(parts)
            if cand is not None and mask is not None and len(cand):
                cand = cand[mask[cand[:, 3].astype(np.int64)]]
            m = 0 if cand is None else len(cand)
            if m:
                s = np.sin((cand[:, :2] - origin) * 0.5)
                s *= s
                hav = s[:, 0] + cos_q * cand[:, 2] * s[:, 1]
                # every station within `radius` is among the candidates: the best `limit` of them
                # are the true nearest once the last one chosen is itself within `radius`
                bound = 1.0 if complete else math.sin(ang / 2) ** 2
                if accept is None:
                    if m > limit:
                        part = np.argpartition(hav, limit - 1)
                        if complete or hav[part[limit - 1]] <= bound:  # the limit-th nearest is inside
                            part = part[:limit]
                            order = part[np.argsort(hav[part], kind="stable")]
                            return self._result(cand[order, 4], hav[order])
                    elif complete or (m == limit and hav.max() <= bound):
                        order = np.argsort(hav, kind="stable")
                        return self._result(cand[order, 4], hav[order])
                else:
                    order = np.argsort(hav, kind="stable")
                    chosen = []
                    for k, h in zip(order.tolist(), hav[order].tolist()):
                        if h > bound:
                            break
                        if accept(int(cand[k, 3])):
                            chosen.append(k)
                            if len(chosen) == limit:
                                break
                    if len(chosen) == limit or complete:
                        return self._result(cand[chosen, 4], hav[chosen])
            elif complete:
                return []
            radius *= 2.0

    @staticmethod
    def _result(ids: np.ndarray, hav: np.ndarray) -> list[tuple[int, float]]:
        """(station id, metres) pairs from ids and haversine terms."""
        dist = (2 * EARTH_RADIUS_M) * np.arcsin(np.sqrt(np.minimum(hav, 1.0)))
        return list(zip(ids.astype(np.int64).tolist(), dist.tolist()))

    def mask_for(self, **wanted: bool) -> np.ndarray | None:
        """A boolean mask of stations having every named flag (None when nothing is asked)."""
        names = [name for name, on in wanted.items() if on]
        if not names:
            return None
        result = np.ones(self.size, dtype=bool)
        for name in names:
            flag = self.flags.get(name)
            if flag is None:
                return np.zeros(self.size, dtype=bool)
            result &= flag
        return result

    def info(self, station_id: int):
        """The payload kept for a station (see services.stations.catalogue.StationInfo), or None."""
        k = self.position.get(station_id)
        return None if k is None or self.payload is None else self.payload[k]


def rank(index: StationIndex, lat: float, lon: float, *, limit: int = DEFAULT_LIMIT,
         mask: np.ndarray | None = None, accept: Callable[[int], bool] | None = None) -> list[Nearby]:
    """The nearest stations under the default model, nearest first."""
    lat, lon = check_point(lat, lon)
    limit = max(1, min(int(limit), MAX_LIMIT))
    return [Nearby(sid, d, walk_minutes(d)) for sid, d in
            index.nearest(lat, lon, limit=limit, mask=mask, accept=accept)]


# -- the index cache --------------------------------------------------------------------------

@dataclass
class _Cached:
    value: object
    stamp: tuple
    checked: float


_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine -> {name: _Cached}
_lock = threading.Lock()


def cached(engine, name: str, *, stamp: Callable[[], tuple], build: Callable[[], object],
           ttl: float = INDEX_TTL_S):
    """A value this process keeps for a database (the station index, the scan's station facts):
    rebuilt when `stamp()` changes, which is checked every `ttl` s."""
    now = time.monotonic()
    entry = _cache.get(engine, {}).get(name)
    if entry is not None and now - entry.checked < ttl:
        return entry.value
    with _lock:
        entry = _cache.get(engine, {}).get(name)
        if entry is not None and time.monotonic() - entry.checked < ttl:
            return entry.value
        current = stamp()
        if entry is not None and entry.stamp == current:
            entry.checked = time.monotonic()
            return entry.value
        value = build()
        _cache.setdefault(engine, {})[name] = _Cached(value=value, stamp=current, checked=time.monotonic())
        return value


def cached_index(engine, *, stamp: Callable[[], tuple], build: Callable[[], StationIndex],
                 ttl: float = INDEX_TTL_S) -> StationIndex:
    """The process's station index for this database (see `cached`)."""
    return cached(engine, "index", stamp=stamp, build=build, ttl=ttl)


def invalidate(engine=None) -> None:
    """Forget what is kept (after an import or an edit); the next use rebuilds it."""
    with _lock:
        if engine is None:
            _cache.clear()
        else:
            _cache.pop(engine, None)


def brute_force(points: Iterable[tuple[int, float, float]], lat: float, lon: float) -> list[tuple[int, float]]:
    """Every (id, metres) ranked by haversine: the reference the index is tested against."""
    return sorted(((sid, haversine_m(lat, lon, la, lo)) for sid, la, lo in points), key=lambda t: t[1])
