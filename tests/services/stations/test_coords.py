"""Coordinate systems: WGS-84, GCJ-02 and BD-09."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.stations.coords import (bd09_to_gcj02, bd09_to_wgs84, distance_m, gcj02_to_bd09, gcj02_to_wgs84, in_china,
                                      wgs84_to_bd09, wgs84_to_gcj02)

china_lat = st.floats(18.0, 53.0)
china_lon = st.floats(74.0, 134.0)


def test_known_offset_in_shenzhen():
    """Is the GCJ-02 offset at the 市民中心 the usual ~ +0.005 lon / -0.003 lat (a few hundred metres)?"""
    lat, lon = wgs84_to_gcj02(22.5431, 114.0579)
    assert lat == pytest.approx(22.540383, abs=1e-6) and lon == pytest.approx(114.063014, abs=1e-6)
    assert 400 < distance_m(22.5431, 114.0579, lat, lon) < 700


def test_known_offset_in_beijing():
    """Does 天安门 move to the GCJ-02 position other implementations give?"""
    lat, lon = wgs84_to_gcj02(39.908823, 116.397470)
    assert lat == pytest.approx(39.910226, abs=2e-6) and lon == pytest.approx(116.403714, abs=2e-6)


@settings(max_examples=300)
@given(china_lat, china_lon)
def test_gcj02_inverse_round_trip(lat, lon):
    """Does GCJ-02 -> WGS-84 undo WGS-84 -> GCJ-02 to well under half a metre?"""
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
    assert distance_m(lat, lon, *back) < 0.01


@settings(max_examples=300)
@given(china_lat, china_lon)
def test_bd09_round_trip(lat, lon):
    """Does BD-09 -> GCJ-02 undo GCJ-02 -> BD-09, and BD-09 -> WGS-84 undo WGS-84 -> BD-09, under half a metre?"""
    bd = gcj02_to_bd09(lat, lon)
    assert distance_m(lat, lon, *bd) > 100  # Baidu's offset is real
    assert distance_m(lat, lon, *bd09_to_gcj02(*bd)) < 0.01
    assert distance_m(lat, lon, *bd09_to_wgs84(*wgs84_to_bd09(lat, lon))) < 0.01


@pytest.mark.parametrize("lat, lon", [(35.68, 139.76), (51.5, -0.12), (1.29, 103.85)])
def test_outside_china_is_unchanged(lat, lon):
    """Are points outside China (Tokyo, London, Singapore) left as they are?"""
    assert not in_china(lat, lon)
    assert wgs84_to_gcj02(lat, lon) == (lat, lon) and gcj02_to_wgs84(lat, lon) == (lat, lon)


def test_in_china():
    """Are Shenzhen, 漠河 and 三沙 inside China's box?"""
    assert in_china(22.54, 114.06) and in_china(53.4, 122.3) and in_china(16.8, 112.3)


def test_distance():
    """Is one degree of latitude about 111 km, and the distance to oneself zero?"""
    assert distance_m(22.0, 114.0, 23.0, 114.0) == pytest.approx(111_195, rel=1e-3)
    assert distance_m(22.5, 114.0, 22.5, 114.0) == 0
