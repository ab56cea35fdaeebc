"""Service stations: the station catalogue (lists near a point, in a district or by name, station
pages, the home card, what a scan reads, location consent), the nearest-station index and routing,
coordinate systems, opening hours, map tiles, import/export and station administration.

Callers import the package (`from services import stations`) and use `stations.<name>`; the
submodules used as modules are reached the same way (`stations.importexport`, `stations.admin`,
`stations.tiles`, ...) or imported by name (`from services.stations import opening_hours`).
"""
from services.stations import admin, coords, importexport, index, opening_hours, routing, tiles
from services.stations.catalogue import (LIST_LIMIT, SERVICES, TIMEZONE, CheckinMode, OpenStatus, ScanStation,
                                         StationInfo, checkin_mode, districts, get_station, home_station_id,
                                         invalidate_index, open_status, scan_station, service_labels, station_index,
                                         todays_activities)
from services.stations.circle import (Filters, HomeCard, Item, home_card, in_district, markers, near_station, nearby,
                                      nearest_json, nearest_json_body, search)
from services.stations.consent import consent_of, grant_consent, withdraw_consent
from services.stations.index import DEFAULT_LIMIT, REACH_M, REACH_MINUTES
from services.stations.page import StationDetail, detail, navigation_links, week_hours
from services.stations.routing import RoutingConfig

__all__ = [
    # submodules
    "admin", "coords", "importexport", "index", "opening_hours", "routing", "tiles",
    # the walking model and routing
    "DEFAULT_LIMIT", "REACH_M", "REACH_MINUTES", "RoutingConfig",
    # the catalogue
    "LIST_LIMIT", "SERVICES", "TIMEZONE", "CheckinMode", "OpenStatus", "ScanStation", "StationInfo", "checkin_mode", "districts",
    "get_station", "home_station_id", "invalidate_index", "open_status", "scan_station", "service_labels",
    "station_index", "todays_activities",
    # the 15-minute circle: lists, the JSON endpoint, the map's markers, the home card
    "Filters", "HomeCard", "Item", "home_card", "in_district", "markers", "near_station", "nearby",
    "nearest_json", "nearest_json_body", "search",
    # the station page
    "StationDetail", "detail", "navigation_links", "week_hours",
    # location consent
    "consent_of", "grant_consent", "withdraw_consent",
]

