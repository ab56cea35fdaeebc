"""Station import and export, CSV and GeoJSON: every row checked, all or nothing, updates by code.

Coordinates come in WGS-84 (the default) or GCJ-02 (`crs="gcj02"`, as AMap and Tencent give
them) and are stored in WGS-84. A re-import of the same file changes nothing; a station whose
code is already known is updated in place, never duplicated. Stations missing from a file are
left as they are.
"""
import csv
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import District, Station, StationKind, utcnow
from models.db import begin_write
from services import bounds, csvio
from services.errors import DomainError
from services.stations.catalogue import invalidate_index, service_labels

FIELDS = ["code", "name", "kind", "district", "address", "lat", "lon", "opening_hours", "services", "phone",
          "active"]
REQUIRED = ["code", "name", "district", "lat", "lon", "opening_hours"]
# Chinese column names accepted on import (spreadsheets made by hand).
ALIASES = {"编号": "code", "站点编号": "code", "名称": "name", "站点名称": "name", "类型": "kind", "区": "district",
           "所属区": "district", "地址": "address", "纬度": "lat", "经度": "lon", "开放时间": "opening_hours",
           "服务": "services", "服务项目": "services", "电话": "phone", "联系电话": "phone", "启用": "active"}
KINDS = {"center": StationKind.center, "station": StationKind.station, "other": StationKind.other,
         "中心": StationKind.center, "党群服务中心": StationKind.center, "站点": StationKind.station,
         "党群服务站": StationKind.station, "其他": StationKind.other}
TRUE = {"1", "true", "yes", "y", "是", "启用"}
FALSE = {"0", "false", "no", "n", "否", "停用"}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
PHONE_RE = re.compile(r"^[0-9+\-() ]{3,40}$")
SPLIT_RE = re.compile(r"[;；,，、|]")
MAX_MB = 20
MAX_ROWS = 50_000
CRS = ("wgs84", "gcj02")


@dataclass
class ImportProblem:
    """One bad row: where it is in the file and what is wrong."""

    line: Optional[int]
    message: str
    where: str = ""  # "line 7" or "feature 3 (line 40)"


class StationImportError(DomainError):
    """The file had bad rows; nothing was imported."""

    def __init__(self, problems: list[ImportProblem]):
        rows = len({p.where for p in problems})
        super().__init__("bad_rows", _l("Nothing was imported: %(n)s rows need fixing.", n=rows))
        self.problems = problems

    def report(self) -> str:
        """The problems, one a line, for the command line or the upload page."""
        return "\n".join(f"{p.where}: {p.message}" for p in self.problems)


@dataclass
class ImportResult:
    """What an import did."""

    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        """Rows in the file."""
        return self.created + self.updated + self.unchanged


# -- reading files ----------------------------------------------------------------------------

def detect_format(filename: str, text: str | None = None) -> str:
    """"csv" or "geojson", from the file name (or the first character of the text)."""
    name = (filename or "").lower()
    if name.endswith((".geojson", ".json")):
        return "geojson"
    if name.endswith(".csv"):
        return "csv"
    if text is not None and text.lstrip()[:1] == "{":
        return "geojson"
    return "csv"


def _csv_rows(text: str) -> list[tuple[int, str, dict]]:
    try:
        header, rows = csvio.read_rows(text)
    except csv.Error as e:
        raise DomainError("bad_csv", _l("The CSV file could not be read: %(err)s", err=str(e))) from None
    header = [ALIASES.get(h, h.lower()) for h in header]
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise DomainError("bad_header", _l("The first row must name the columns; missing: %(cols)s.",
                                           cols=", ".join(missing)))
    out = []
    for line, row in rows:
        mapped = {ALIASES.get(k, k.lower()): v for k, v in row.items() if k}
        out.append((line, str(_l("line %(n)s", n=line)), mapped))
    return out


def _feature_lines(text: str, count: int) -> list[Optional[int]]:
    """The line on which each feature starts (best effort: None where it cannot tell)."""
    try:
        start = text.index("[", text.index('"features"')) + 1
        decoder = json.JSONDecoder()
        lines, pos = [], start
        for _ in range(count):
            while text[pos] in " \t\r\n,":
                pos += 1
            lines.append(text.count("\n", 0, pos) + 1)
            _, pos = decoder.raw_decode(text, pos)
        return lines
    except (ValueError, IndexError):
        return [None] * count


def _geojson_rows(text: str) -> list[tuple[Optional[int], str, dict]]:
    try:
        data = bounds.loads_json(text)
    except ValueError as e:
        raise DomainError("bad_json", _l("The GeoJSON file is not valid JSON: %(err)s", err=str(e))) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise DomainError("bad_geojson", _l("The GeoJSON file must be a FeatureCollection of Point features."))
    features = data["features"]
    lines = _feature_lines(text, len(features))
    out = []
    for k, feature in enumerate(features, start=1):
        line = lines[k - 1]
        where = str(_l("feature %(n)s", n=k)) + (f" ({_l('line %(n)s', n=line)})" if line else "")
        row: dict[str, Any] = {}
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            row["_error"] = str(_l("Not a GeoJSON Feature."))
        else:
            props = feature.get("properties") or {}
            if isinstance(props, dict):
                row.update({ALIASES.get(key, key): value for key, value in props.items()})
            geom = feature.get("geometry")
            coords = geom.get("coordinates") if isinstance(geom, dict) else None
            if not isinstance(geom, dict) or geom.get("type") != "Point" or not isinstance(coords, list) \
                    or len(coords) < 2:
                row["_error"] = str(_l("The geometry must be a Point with [longitude, latitude]."))
            else:
                row["lon"], row["lat"] = coords[0], coords[1]
        out.append((line, where, row))
    return out


# -- checking rows ----------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _coordinate(value, name: str, errors: list[str]) -> Optional[float]:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(str(_l("%(field)s is missing.", field=name)))
        return None
    if isinstance(value, bool):
        errors.append(str(_l("%(field)s is not a number.", field=name)))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append(str(_l("%(field)s is not a number: %(value)s", field=name, value=str(value)[:30])))
        return None
    if not math.isfinite(number):
        errors.append(str(_l("%(field)s is not a number: %(value)s", field=name, value=str(value)[:30])))
        return None
    return number


def _check_row(raw: dict, *, districts: dict[str, str], services: set[str], crs: str) -> tuple[dict, list[str]]:
    """The clean values of a row and its problems (empty when it is good)."""
    from services.stations import coords, opening_hours

    errors: list[str] = []
    if raw.get("_error"):
        errors.append(raw["_error"])
    for field in ("name", "address", "phone", "hours", "opening_hours", "services"):
        if bounds.has_control(str(raw.get(field) or "")):
            errors.append(str(bounds.control_message(field=field)))
    code = _text(raw.get("code"))
    if not code:
        errors.append(str(_l("The code is missing.")))
    elif not CODE_RE.match(code):
        errors.append(str(_l("The code may have up to 40 letters, digits, dots, dashes or underscores: %(code)s",
                             code=code[:50])))
    name = _text(raw.get("name"))
    if not name:
        errors.append(str(_l("The name is missing.")))
    elif len(name) > 120:
        errors.append(str(_l("The name is longer than 120 characters.")))
    kind_text = _text(raw.get("kind")).lower() or "station"
    kind = KINDS.get(kind_text)
    if kind is None:
        errors.append(str(_l("Unknown kind %(kind)s (use center, station or other).", kind=kind_text[:30])))
    district_text = _text(raw.get("district"))
    district = districts.get(district_text) or districts.get(district_text.lower())
    if not district_text:
        errors.append(str(_l("The district is missing.")))
    elif district is None:
        errors.append(str(_l("Unknown district: %(d)s", d=district_text[:40])))
    address = _text(raw.get("address"))
    if len(address) > 200:
        errors.append(str(_l("The address is longer than 200 characters.")))
    lat = _coordinate(raw.get("lat"), str(_l("Latitude")), errors)
    lon = _coordinate(raw.get("lon"), str(_l("Longitude")), errors)
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors.append(str(_l("The coordinates are out of range: %(lat)s, %(lon)s (latitude then longitude).",
                                 lat=lat, lon=lon)))
            lat = lon = None
        elif not coords.in_china(lat, lon):
            errors.append(str(_l("The point %(lat)s, %(lon)s is outside China (latitude and longitude swapped?).",
                                 lat=lat, lon=lon)))
            lat = lon = None
        elif crs == "gcj02":
            lat, lon = coords.gcj02_to_wgs84(lat, lon)
    hours = _text(raw.get("opening_hours"))
    if not hours:
        errors.append(str(_l("The opening hours are missing (for example Mo-Fr 09:00-18:00, or 24/7).")))
    elif len(hours) > 200:
        errors.append(str(_l("The opening hours are longer than 200 characters.")))
    else:
        try:
            opening_hours.parse(hours)
        except opening_hours.OpeningHoursError as e:
            errors.append(str(_l("The opening hours cannot be read: %(err)s", err=str(e)[:120])))
    raw_services = raw.get("services")
    if isinstance(raw_services, list):
        service_list = [_text(s) for s in raw_services]
    else:
        service_list = [s.strip() for s in SPLIT_RE.split(_text(raw_services))]
    service_list = list(dict.fromkeys(s for s in service_list if s))
    unknown = [s for s in service_list if s not in services]
    if unknown:
        errors.append(str(_l("Unknown services: %(list)s", list=", ".join(u[:30] for u in unknown[:5]))))
    phone = _text(raw.get("phone"))
    if phone and not PHONE_RE.match(phone):
        errors.append(str(_l("The phone number has characters other than digits, +, -, brackets or spaces.")))
    active_text = _text(raw.get("active")).lower()
    if isinstance(raw.get("active"), bool):
        active = raw["active"]
    elif not active_text or active_text in TRUE:
        active = True
    elif active_text in FALSE:
        active = False
    else:
        errors.append(str(_l("Active must be 1 or 0.")))
        active = True
    clean = {"code": code, "name": name, "kind": kind, "district_code": district, "address": address,
             "lat": None if lat is None else round(lat, 7), "lon": None if lon is None else round(lon, 7),
             "opening_hours": hours, "services": service_list, "phone": phone, "is_active": active}
    return clean, errors


def check_file(session: Session, *, data: bytes, filename: str = "", crs: str = "wgs84") -> list[tuple[str, dict]]:
    """Every row of the file checked: (where, clean values), or StationImportError with every problem."""
    if crs not in CRS:
        raise DomainError("bad_crs", _l("Unknown coordinate system %(crs)s (use wgs84 or gcj02).", crs=crs))
    text = csvio.decode_upload(data, max_mb=MAX_MB)
    rows = _geojson_rows(text) if detect_format(filename, text) == "geojson" else _csv_rows(text)
    if not rows:
        raise DomainError("no_rows", _l("The file has no stations in it."))
    if len(rows) > MAX_ROWS:
        raise DomainError("too_many_rows", _l("At most %(n)s stations per file.", n=MAX_ROWS))
    districts: dict[str, str] = {}
    for d in session.exec(select(District)).all():
        districts.update({d.code: d.code, d.code.lower(): d.code, d.name: d.code, d.name_en.lower(): d.code})
    services = set(service_labels())
    problems: list[ImportProblem] = []
    clean_rows = []
    seen: dict[str, str] = {}
    for line, where, raw in rows:
        clean, errors = _check_row(raw, districts=districts, services=services, crs=crs)
        code = clean["code"]
        if code and code in seen:
            errors.append(str(_l("The code %(code)s is already used at %(where)s.", code=code, where=seen[code])))
        elif code:
            seen[code] = where
        for message in errors:
            problems.append(ImportProblem(line=line, message=message, where=where))
        clean_rows.append((where, clean))
    if problems:
        raise StationImportError(problems)
    return clean_rows


def import_stations(session: Session, *, data: bytes, filename: str = "", crs: str = "wgs84") -> ImportResult:
    """Import a CSV or GeoJSON file of stations, all or nothing; stations are matched by code."""
    rows = check_file(session, data=data, filename=filename, crs=crs)
    begin_write(session)
    codes = [clean["code"] for _, clean in rows]
    existing: dict[str, Station] = {}
    for k in range(0, len(codes), 500):
        chunk = codes[k:k + 500]
        existing.update({s.code: s for s in session.exec(
            select(Station).where(Station.code.in_(chunk)).with_for_update()).all()})
    created = updated = unchanged = 0
    now = utcnow()
    for _, clean in rows:
        station = existing.get(clean["code"])
        if station is None:
            session.add(Station(**clean, created_at=now, updated_at=now))
            created += 1
            continue
        changed = False
        for key, value in clean.items():
            current = getattr(station, key)
            if key == "kind":
                current = StationKind(current)
            if key == "services":
                current = list(current or [])
            if current != value:
                setattr(station, key, value)
                changed = True
        if changed:
            station.updated_at = now
            session.add(station)
            updated += 1
        else:
            unchanged += 1
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DomainError("import_conflict", _l("Another import changed the same stations at the same time. "
                                                "Nothing was imported; please run it again.")) from None
    invalidate_index(session)
    return ImportResult(created=created, updated=updated, unchanged=unchanged)


# -- export -----------------------------------------------------------------------------------

def _export_rows(session: Session, crs: str) -> list[dict]:
    from services.stations import coords

    if crs not in CRS:
        raise DomainError("bad_crs", _l("Unknown coordinate system %(crs)s (use wgs84 or gcj02).", crs=crs))
    rows = []
    for s in session.exec(select(Station).order_by(Station.code)).all():
        lat, lon = (coords.wgs84_to_gcj02(s.lat, s.lon) if crs == "gcj02" else (s.lat, s.lon))
        rows.append({"code": s.code, "name": s.name, "kind": str(getattr(s.kind, "value", s.kind)),
                     "district": s.district_code, "address": s.address or "", "lat": round(lat, 7),
                     "lon": round(lon, 7), "opening_hours": s.opening_hours or "",
                     "services": list(s.services or []), "phone": s.phone or "", "active": bool(s.is_active)})
    return rows


def export_stations(session: Session, *, fmt: str = "csv", crs: str = "wgs84") -> bytes:
    """Every station as CSV (with a BOM, for Excel) or as a GeoJSON FeatureCollection."""
    rows = _export_rows(session, crs)
    if fmt == "geojson":
        features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                     "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")}} for r in rows]
        return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                          indent=1).encode("utf-8")
    return csvio.to_csv(FIELDS, ((r["code"], r["name"], r["kind"], r["district"], r["address"], f"{r['lat']:.7f}",
                                  f"{r['lon']:.7f}", r["opening_hours"], ";".join(r["services"]), r["phone"],
                                  "1" if r["active"] else "0") for r in rows))
