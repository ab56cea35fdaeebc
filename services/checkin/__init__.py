"""Check-in and service hours: station codes (rotating, poster, the member's own), scans in and
out with the geofence, hours (rounding, the daily cap, forgotten check-outs) and approvals,
volunteer activities, community registration (在职党员到社区报到), station staff and kiosks,
records and exports, and certificates.

`codes` is the public QR code engine (HMAC tokens, SVG); the meetings domain reuses it.
"""
from services.checkin import codes
from services.checkin.activities import (ActivityRow, cancel_signup, create_activity, get_activity, list_activities,
                                         sign_up)
from services.checkin.approvals import add_manual, decide
from services.checkin.certificate_pdf import pdf_available, render_certificate
from services.checkin.certificates import Certificate, certificate
from services.checkin.community import CommunityStatus, community_status, register_community
from services.checkin.geofence import GeoFix, GeoResult, distance_m, judge_position
from services.checkin.hours import close_stale, credit_minutes, due_close_time, round_minutes
from services.checkin.records import (RecordRow, ServiceSummary, TodayCard, branch_records, export_csv,
                                      member_records_led, service_summary, status_label, today_card)
from services.checkin.rules import CheckInError, cfg, local_day, local_tz
from services.checkin.scans import (ScanResult, check_out, get_own_record, needs_position, open_checkin,
                                    perform_checkin, resolve_station_code, staff_scan)
from services.checkin.staff import (kiosk_station, member_name, reprint_poster, require_staff, search_stations,
                                    staff_stations, station_for_poster)
from services.stations import CheckinMode

__all__ = [
    "codes",
    "ActivityRow", "cancel_signup", "create_activity", "get_activity", "list_activities", "sign_up",
    "add_manual", "decide",
    "pdf_available", "render_certificate", "Certificate", "certificate",
    "CommunityStatus", "community_status", "register_community",
    "GeoFix", "GeoResult", "distance_m", "judge_position",
    "close_stale", "credit_minutes", "due_close_time", "round_minutes",
    "RecordRow", "ServiceSummary", "TodayCard", "branch_records", "export_csv", "member_records_led",
    "service_summary", "status_label", "today_card",
    "CheckInError", "CheckinMode", "cfg", "local_day", "local_tz",
    "ScanResult", "check_out", "get_own_record", "needs_position", "open_checkin", "perform_checkin",
    "resolve_station_code", "staff_scan",
    "kiosk_station", "member_name", "reprint_poster", "require_staff", "search_stations", "staff_stations",
    "station_for_poster",
]
