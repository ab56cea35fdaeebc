"""Walking times from a routing engine: OSRM's table service or Valhalla's matrix.

When ROUTING_URL is configured, the nearest candidates of the grid index (services.stations.index)
are re-ranked by the engine's walking times, with a timeout and a fallback to the model. The
member's position is never stored and never logged: errors name the engine, not the coordinates.
"""
import json
import logging
import math
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from services.stations.index import DEFAULT_LIMIT, MAX_LIMIT, Nearby, StationIndex, check_point, rank

log = logging.getLogger(__name__)

ROUTING_CANDIDATES = 40  # straight-line nearest sent to a routing engine for re-ranking


# -- routing engines --------------------------------------------------------------------------

class RoutingError(Exception):
    """The engine did not answer usefully (timeout, HTTP error, garbage); the model is used instead."""


@dataclass(frozen=True)
class RoutingConfig:
    """Where the engine is and how long to wait for it."""

    url: str
    engine: str = "osrm"  # "osrm" (table service) or "valhalla" (matrix)
    timeout: float = 1.5
    profile: str = field(default="foot")  # OSRM profile name in the URL


def _http_json(url: str, *, timeout: float, body: dict | None = None) -> dict:
    """GET (or POST a JSON body) and decode a JSON object; RoutingError on anything else."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET",
                                 headers={"Accept": "application/json", "Content-Type": "application/json",
                                          "User-Agent": "ServiceCircle"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (configured URL)
            raw = resp.read(4 * 1024 * 1024)
    except urllib.error.HTTPError as e:
        raise RoutingError(f"HTTP {e.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise RoutingError(type(e).__name__) from None
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RoutingError("not JSON") from None
    if not isinstance(payload, dict):
        raise RoutingError("not a JSON object")
    return payload


def _number(value) -> float | None:
    """A finite non-negative number, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and value >= 0 else None


def osrm_table(cfg: RoutingConfig, origin: tuple[float, float],
               targets: Sequence[tuple[float, float]]) -> list[tuple[float, float] | None]:
    """Walking (seconds, metres) from origin to each target via OSRM's table service (None: unreachable)."""
    points = [origin, *targets]
    coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
    url = (f"{cfg.url.rstrip('/')}/table/v1/{cfg.profile}/{coords}"
           f"?sources=0&annotations=duration,distance")
    data = _http_json(url, timeout=cfg.timeout)
    if data.get("code") != "Ok":
        raise RoutingError(f"code {str(data.get('code'))[:40]}")
    durations, distances = data.get("durations"), data.get("distances")
    if not (isinstance(durations, list) and durations and isinstance(durations[0], list)
            and len(durations[0]) == len(points)):
        raise RoutingError("bad durations")
    row_d = distances[0] if isinstance(distances, list) and distances and isinstance(distances[0], list) \
        and len(distances[0]) == len(points) else [None] * len(points)
    out = []
    for dur, dist in zip(durations[0][1:], row_d[1:]):
        seconds = _number(dur)
        out.append(None if seconds is None else (seconds, _number(dist) or 0.0))
    return out


def valhalla_matrix(cfg: RoutingConfig, origin: tuple[float, float],
                    targets: Sequence[tuple[float, float]]) -> list[tuple[float, float] | None]:
    """Walking (seconds, metres) from origin to each target via Valhalla's /sources_to_targets."""
    body = {"sources": [{"lat": origin[0], "lon": origin[1]}],
            "targets": [{"lat": la, "lon": lo} for la, lo in targets],
            "costing": "pedestrian", "units": "kilometers"}
    data = _http_json(f"{cfg.url.rstrip('/')}/sources_to_targets", timeout=cfg.timeout, body=body)
    matrix = data.get("sources_to_targets")
    out: list[tuple[float, float] | None] = [None] * len(targets)
    if isinstance(matrix, list) and matrix and isinstance(matrix[0], list):
        row = matrix[0]  # verbose form: one object per target
        if len(row) != len(targets):
            raise RoutingError("bad matrix size")
        for j, cell in enumerate(row):
            if not isinstance(cell, dict):
                raise RoutingError("bad matrix cell")
            k = cell.get("to_index", j)
            seconds, km = _number(cell.get("time")), _number(cell.get("distance"))
            if isinstance(k, int) and 0 <= k < len(targets) and seconds is not None:
                out[k] = (seconds, (km or 0.0) * 1000)
        return out
    if isinstance(matrix, dict):  # concise form (verbose=false): parallel arrays
        durations, distances = matrix.get("durations"), matrix.get("distances")
        if not (isinstance(durations, list) and durations and isinstance(durations[0], list)
                and len(durations[0]) == len(targets)):
            raise RoutingError("bad durations")
        dist_row = distances[0] if isinstance(distances, list) and distances and isinstance(distances[0], list) \
            else [None] * len(targets)
        for j, dur in enumerate(durations[0]):
            seconds = _number(dur)
            km = _number(dist_row[j]) if j < len(dist_row) else None
            out[j] = None if seconds is None else (seconds, (km or 0.0) * 1000)
        return out
    raise RoutingError("no sources_to_targets")


ENGINES = {"osrm": osrm_table, "valhalla": valhalla_matrix}


def rerank_with_engine(cfg: RoutingConfig, lat: float, lon: float, ranked: list[Nearby],
                       coords: dict[int, tuple[float, float]], *, limit: int) -> list[Nearby]:
    """Re-rank straight-line candidates by the engine's walking times; the model's ranking on failure.

    A station the engine cannot reach keeps its model time (it sorts among the others by it).
    """
    if not ranked:
        return ranked
    fetch = ENGINES.get(cfg.engine)
    if fetch is None:
        return ranked[:limit]
    try:
        times = fetch(cfg, (lat, lon), [coords[n.station_id] for n in ranked])
    except RoutingError as e:
        log.warning("routing engine %s unavailable (%s); using the straight-line model", cfg.engine, e)
        return ranked[:limit]
    result = []
    for n, t in zip(ranked, times):
        if t is None:
            result.append(n)
        else:
            seconds, metres = t
            result.append(Nearby(n.station_id, metres or n.distance_m, seconds / 60.0, cfg.engine))
    result.sort(key=lambda n: n.minutes)
    return result[:limit]


def nearest_stations(index: StationIndex, lat, lon, *, limit: int = DEFAULT_LIMIT,
                     mask: np.ndarray | None = None, accept: Callable[[int], bool] | None = None,
                     routing: RoutingConfig | None = None) -> list[Nearby]:
    """The public entry: nearest first by the model, or by the routing engine when configured."""
    if routing is None:
        return rank(index, lat, lon, limit=limit, mask=mask, accept=accept)
    lat, lon = check_point(lat, lon)
    limit = max(1, min(int(limit), MAX_LIMIT))
    candidates = rank(index, lat, lon, limit=max(limit, ROUTING_CANDIDATES), mask=mask, accept=accept)
    coords = {}
    for n in candidates:
        k = index.position[n.station_id]
        coords[n.station_id] = (float(index.lats[k]), float(index.lons[k]))
    return rerank_with_engine(routing, lat, lon, candidates, coords, limit=limit)
