"""Check-in's settings, its refusals (CheckInError with stable codes) and local time."""
import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from models import CheckIn, CheckinStatus, Station
from services.errors import DomainError
from services.stations import ScanStation

DEFAULTS = {
    "CHECKIN_ROUND_MINUTES": 30,  # credited time is rounded down to this
    "CHECKIN_DAILY_CAP_HOURS": 8,  # at most this many hours a day
    "CHECKIN_MAX_OPEN_HOURS": 8,  # a forgotten check-out closes after this
    "CHECKIN_OFFLINE_MAX_HOURS": 24,  # an offline scan must reach the server within this
    "CHECKIN_SCAN_GRACE_SECONDS": 120,  # from opening a code to confirming it (also across sign-in)
    "CHECKIN_REPEAT_SECONDS": 60,  # a second scan within this returns the first result
    "CHECKIN_HOURS_GRACE_MINUTES": 30,  # check-in allowed this long before opening and after closing
    "CHECKIN_GEO_MAX_ACCURACY_M": 150,  # worse than this: use 我的签到码 instead
    "CHECKIN_GEO_ACCURACY_ALLOWANCE_M": 50,  # at most this much of the accuracy widens the fence
}
COUNTED = (CheckinStatus.counted, CheckinStatus.approved)
StationLike = Station | ScanStation | sa.Row  # the scan path reads a station's facts, or its row
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


MESSAGES = {
    "bad_code": _l("This is not a valid ServiceCircle check-in code."),
    "expired_code": _l("This code has expired. Please scan the latest code at the station."),
    "station_closed": _l("%(station)s is not open for check-in now."),
    "outside_geofence": _l("You are about %(distance)s m from %(station)s; check-in needs you within %(radius)s m. "
                           "Move closer, or show your check-in code to the station staff."),
    "needs_position": _l("This code needs your position. Allow location access, or show your check-in code "
                         "to the station staff."),
    "poor_accuracy": _l("Your position is too imprecise (±%(accuracy)s m). Show your check-in code to the "
                        "station staff instead."),
    "duplicate": _l("You already scanned here a moment ago; nothing new was recorded."),
    "not_checked_in": _l("You are not checked in, so there is nothing to check out."),
    "activity_full": _l("Sorry, this activity is full."),
    "activity_over": _l("This activity has already ended."),
    "not_staff": _l("Only the staff of this station can do this."),
    "scan_too_old": _l("This offline scan is too old to be accepted."),
    "scan_in_future": _l("The scan time is in the future. Check your phone's clock."),
    "bad_nonce": _l("The request could not be understood. Please scan again."),
    "bad_hours": _l("Enter between 0.5 and 8 hours."),
    "bad_day": _l("Choose a day in the past year, not in the future."),
    "bad_activity": _l("Check the activity: a title, an end after the start, and 1 to 500 places."),
}
STATUS = {
    "bad_code": 400, "expired_code": 410, "station_closed": 409, "outside_geofence": 403, "needs_position": 428,
    "poor_accuracy": 422, "duplicate": 409, "not_checked_in": 409, "activity_full": 409, "activity_over": 409,
    "not_staff": 403, "scan_too_old": 410, "scan_in_future": 400, "bad_nonce": 400, "bad_hours": 400,
    "bad_day": 400, "bad_activity": 400,
}


class CheckInError(DomainError):
    """A check-in, check-out or sign-up was refused; `code` says why, `message` says it to the member."""

    def __init__(self, code: str, *, checkin: CheckIn | None = None, **params) -> None:
        super().__init__(code, code, status=STATUS.get(code, 400), **params)
        # translated only when shown: the worker and the load tests raise it outside any request
        self.message = LazyString(_message, code, params)
        self.checkin = checkin


def _message(code: str, params: dict) -> str:
    return str(MESSAGES[code]) % params if params else str(MESSAGES[code])


def cfg(name: str):
    """A check-in setting from the app's config, or its default."""
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


def local_tz() -> ZoneInfo:
    """The city's time zone."""
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai")


def local_day(moment: datetime) -> date:
    """The local date of an aware moment."""
    return moment.astimezone(local_tz()).date()


def aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
