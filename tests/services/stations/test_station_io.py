"""Station import and export: good files, every kind of bad row, re-import idempotence, the CLI."""
import json

import pytest
from sqlmodel import select

from models import Station
from services import stations
from services.errors import DomainError
from services.stations import coords
from services.stations.index import haversine_m

HEADER = "code,name,kind,district,address,lat,lon,opening_hours,services,phone,active\n"
GOOD = HEADER + (
    "FT-001,莲花北社区党群服务中心,center,futian,深圳市福田区莲花北,22.5512,114.0583,Mo-Fr 09:00-18:00; Sa 09:00-12:00,"
    "volunteer;study,0755-8888 0001,1\n"
    "NS-001,粤海街道党群服务站,station,南山区,深圳市南山区粤海街道,22.5333,113.9440,24/7,rest,,1\n"
)


@pytest.fixture
def districts(factory):
    factory.district("futian", "福田区")
    factory.district("nanshan", "南山区")


def run_import(session, text, filename="stations.csv", crs="wgs84"):
    return stations.importexport.import_stations(session, data=text.encode("utf-8"), filename=filename, crs=crs)


def test_good_csv_imports_and_reimport_changes_nothing(ctx, session, districts):
    """Does a good CSV create its stations, and does importing it again neither duplicate nor change them?"""
    first = run_import(session, GOOD)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    st = session.exec(select(Station).where(Station.code == "FT-001")).one()
    assert (st.name, st.kind, st.district_code, st.lat, st.lon) == ("莲花北社区党群服务中心", "center", "futian", 22.5512, 114.0583)
    assert st.services == ["volunteer", "study"] and st.phone == "0755-8888 0001"
    ns = session.exec(select(Station).where(Station.code == "NS-001")).one()
    assert ns.district_code == "nanshan"  # district given by its Chinese name
    stamp = st.updated_at
    again = run_import(session, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert len(session.exec(select(Station)).all()) == 2
    session.refresh(st)
    assert st.updated_at == stamp


def test_changed_row_updates_by_code(ctx, session, districts):
    """Does a re-import with a new name update that station in place?"""
    run_import(session, GOOD)
    result = run_import(session, GOOD.replace("莲花北社区党群服务中心", "莲花北党群服务中心"))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    names = sorted(s.name for s in session.exec(select(Station)).all())
    assert names == ["粤海街道党群服务站", "莲花北党群服务中心"]


def test_geojson_import_and_gcj02_conversion(ctx, session, districts):
    """Is a GeoJSON file in GCJ-02 imported and stored in WGS-84 (within 5 m of the true point)?"""
    true_lat, true_lon = 22.5431, 114.0579
    g_lat, g_lon = coords.wgs84_to_gcj02(true_lat, true_lon)
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [g_lon, g_lat]},
         "properties": {"code": "FT-100", "name": "市民中心站", "district": "futian", "opening_hours": "24/7",
                        "services": ["volunteer", "reading"]}}]}
    result = run_import(session, json.dumps(doc, ensure_ascii=False), "s.geojson", crs="gcj02")
    assert result.created == 1
    st = session.exec(select(Station).where(Station.code == "FT-100")).one()
    assert haversine_m(true_lat, true_lon, st.lat, st.lon) < 5
    assert st.services == ["volunteer", "reading"] and st.kind == "station"


BAD_ROWS = [
    ("", "22.55", "114.05", "futian", "24/7", "volunteer", "", "1", "缺少编号"),
    ("bad code!", "22.55", "114.05", "futian", "24/7", "", "", "1", "最多 40 个"),
    ("X-1", "nan", "114.05", "futian", "24/7", "", "", "1", "纬度不是有效数字"),
    ("X-2", "22.55", "inf", "futian", "24/7", "", "", "1", "经度不是有效数字"),
    ("X-3", "95", "114.05", "futian", "24/7", "", "", "1", "坐标超出范围"),
    ("X-4", "48.85", "2.35", "futian", "24/7", "", "", "1", "不在中国境内"),
    ("X-5", "", "114.05", "futian", "24/7", "", "", "1", "缺少纬度"),
    ("X-6", "22.55", "114.05", "atlantis", "24/7", "", "", "1", "未知的区：atlantis"),
    ("X-7", "22.55", "114.05", "futian", "Mo-Fr 9h-18h", "", "", "1", "无法识别开放时间"),
    ("X-8", "22.55", "114.05", "futian", "", "", "", "1", "缺少开放时间"),
    ("X-9", "22.55", "114.05", "futian", "24/7", "karaoke", "", "1", "未知的服务项目：karaoke"),
    ("X-10", "22.55", "114.05", "futian", "24/7", "", "call me", "1", "电话号码只能"),
    ("X-11", "22.55", "114.05", "futian", "24/7", "", "", "maybe", "只能填 1 或 0"),
]


@pytest.mark.parametrize("code, lat, lon, district, hours, services, phone, active, expected", BAD_ROWS)
def test_every_kind_of_bad_row_rejects_the_whole_file(ctx, session, districts, code, lat, lon, district, hours,
                                                      services, phone, active, expected):
    """Does one bad row stop the whole import, with its line number and a clear reason?"""
    bad = f"{code},某站,station,{district},地址,{lat},{lon},{hours},{services},{phone},{active}\n"
    with pytest.raises(stations.importexport.StationImportError) as excinfo:
        run_import(session, GOOD + bad)
    problems = excinfo.value.problems
    assert any(p.line == 4 and expected in p.message for p in problems), excinfo.value.report()
    assert "第 4 行" in excinfo.value.report()
    assert session.exec(select(Station)).all() == []


def test_duplicate_code_and_bad_kind(ctx, session, districts):
    """Are a code used twice in one file and an unknown kind reported on their lines?"""
    text = GOOD + "FT-001,again,station,futian,,22.55,114.05,24/7,,,1\n" + "Z-1,z,castle,futian,,22.55,114.05,24/7,,,1\n"
    with pytest.raises(stations.importexport.StationImportError) as excinfo:
        run_import(session, text)
    report = excinfo.value.report()
    assert "第 4 行" in report and "已在第 2 行使用" in report
    assert "第 5 行" in report and "未知类型 castle" in report


@pytest.mark.parametrize("text, filename, code", [
    ("", "s.csv", "empty_file"),
    ("name,lat\nA,1\n", "s.csv", "bad_header"),
    (HEADER, "s.csv", "no_rows"),
    ("{not json", "s.geojson", "bad_json"),
    ('{"type": "Feature"}', "s.geojson", "bad_geojson"),
])
def test_malformed_files_get_a_clear_message(ctx, session, districts, text, filename, code):
    """Is an empty file, a missing header, a file without rows or broken JSON refused with a clear code?"""
    with pytest.raises(DomainError) as excinfo:
        run_import(session, text, filename)
    assert excinfo.value.code == code


def test_geojson_bad_features_have_feature_and_line_numbers(ctx, session, districts):
    """Are GeoJSON features with a wrong geometry reported by feature and line number?"""
    text = ('{"type": "FeatureCollection", "features": [\n'
            '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.05, 22.55]},'
            ' "properties": {"code": "A-1", "name": "甲", "district": "futian", "opening_hours": "24/7"}},\n'
            '{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[114, 22], [114, 23]]},'
            ' "properties": {"code": "A-2", "name": "乙", "district": "futian", "opening_hours": "24/7"}}\n]}')
    with pytest.raises(stations.importexport.StationImportError) as excinfo:
        run_import(session, text, "s.geojson")
    report = excinfo.value.report()
    assert "第 2 个要素 (第 3 行)" in report and "Point" in report


def test_unknown_crs_is_refused(ctx, session, districts):
    """Is an unknown coordinate system refused before anything is read?"""
    with pytest.raises(DomainError) as excinfo:
        run_import(session, GOOD, crs="bd09")
    assert excinfo.value.code == "bad_crs"


@pytest.mark.parametrize("fmt, name", [("csv", "out.csv"), ("geojson", "out.geojson")])
def test_export_then_import_is_a_no_op(ctx, session, districts, fmt, name):
    """Does an export re-import with nothing changed (same formats, same coordinates)?"""
    run_import(session, GOOD)
    data = stations.importexport.export_stations(session, fmt=fmt)
    result = stations.importexport.import_stations(session, data=data, filename=name)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_cli_import_and_export(app, session, districts, tmp_path):
    """Do `flask stations import FILE` and `stations export FILE` work, and does a bad file exit 1 with a report?"""
    runner = app.test_cli_runner()
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    out = runner.invoke(args=["stations", "import", str(good)])
    assert out.exit_code == 0, out.output
    assert "2 created, 0 updated, 0 unchanged" in out.output
    out = runner.invoke(args=["stations", "import", str(good)])
    assert "0 created, 0 updated, 2 unchanged" in out.output
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "X-1,某站,station,futian,,nan,114.05,24/7,,,1\n", encoding="utf-8")
    out = runner.invoke(args=["stations", "import", str(bad)])
    assert out.exit_code == 1
    assert "第 4 行" in out.output and "纬度不是有效数字：nan" in out.output
    geojson = tmp_path / "all.geojson"
    out = runner.invoke(args=["stations", "export", str(geojson)])
    assert out.exit_code == 0 and "2 stations" in out.output
    assert len(json.loads(geojson.read_text(encoding="utf-8"))["features"]) == 2
