"""Service stations: the station catalogue (lists near a point, in a district or by name, station
pages, the home card, what a scan reads, location consent), the nearest-station index, coordinate
systems, opening hours, map tiles, import/export and station administration.

Callers import the package (`from services import stations`) and use `stations.<name>`; the
submodules used as modules are reached the same way (`stations.importexport`, `stations.admin`,
`stations.tiles`, ...) or imported by name (`from services.stations import opening_hours`).
`admin` is loaded on first use: it imports services.checkin, which imports this package.
"""
from services.stations import coords, importexport, index, opening_hours, tiles
from services.stations.catalogue import (LIST_LIMIT, TIMEZONE, Filters, HomeCard, Item, OpenStatus, ScanStation,
                                         StationDetail, StationInfo, checkin_mode, consent_of, detail, districts,
                                         get_station, grant_consent, home_card, home_station_id, in_district,
                                         invalidate_index, markers, navigation_links, near_station, nearby,
                                         nearest_json, nearest_json_body, open_status, scan_station, search,
                                         service_labels, station_index, todays_activities, week_hours,
                                         withdraw_consent)
from services.stations.index import DEFAULT_LIMIT, REACH_M, REACH_MINUTES, RoutingConfig

__all__ = [
    # submodules
    "admin", "coords", "importexport", "index", "opening_hours", "tiles",
    # the walking model
    "DEFAULT_LIMIT", "REACH_M", "REACH_MINUTES", "RoutingConfig",
    # the catalogue
    "LIST_LIMIT", "TIMEZONE", "OpenStatus", "ScanStation", "StationInfo", "checkin_mode", "districts",
    "get_station", "home_station_id", "invalidate_index", "open_status", "scan_station", "service_labels",
    "station_index", "todays_activities",
    # lists, the JSON endpoint, the map's markers and the home card
    "Filters", "HomeCard", "Item", "in_district", "markers", "near_station", "nearby", "nearest_json",
    "nearest_json_body", "search", "home_card",
    # the station page
    "StationDetail", "detail", "navigation_links", "week_hours",
    # location consent
    "consent_of", "grant_consent", "withdraw_consent",
]


def __getattr__(name: str):
    """`stations.admin`, imported on first use (importing it above would be a cycle through services.checkin)."""
    if name == "admin":
        import importlib

        return importlib.import_module("services.stations.admin")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
