"""Forms of the 地图 tab."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from blueprints.form import AppForm
from services.stations import CheckinMode
from services.stations.admin import RADIUS_MAX_M, RADIUS_MIN_M


class FilterForm(AppForm):
    """How to choose stations without a position (district, search) and the list's filters."""

    class Meta:
        csrf = False  # read-only GET form; the position-based list posts with the page's CSRF token

    q = StringField(_l("Station name or address"), validators=[Optional(), Length(max=60)],
                    render_kw={"type": "search", "autocomplete": "off", "enterkeyhint": "search"})
    district = SelectField(_l("District"), validators=[Optional()])
    open_now = BooleanField(_l("Open now"))
    all_day = BooleanField(_l("24 hours"))
    service = SelectField(_l("Service"), validators=[Optional()])


class ConsentForm(AppForm):
    """The separate consent to use the member's location (the box starts unticked)."""

    agree = BooleanField(_l("I agree that ServiceCircle uses my current location on this phone to find nearby "
                            "stations. It is not stored."),
                         validators=[DataRequired(_l("Tick the box to agree, or go back and choose a district."))])


class ButtonForm(AppForm):
    """A button that posts (CSRF only)."""


class ImportForm(AppForm):
    """An administrator's upload of a station file."""

    file = FileField(_l("Station file (CSV or GeoJSON)"))
    crs = SelectField(_l("Coordinate system"), choices=[("wgs84", _l("WGS-84 (GPS)")),
                                                      ("gcj02", _l("GCJ-02 (AMap, Tencent)"))],
                      validators=[DataRequired()])


class StationSettingsForm(AppForm):
    """An administrator's check-in settings of a station."""

    checkin_mode = RadioField(_l("How members check in"),
                              choices=[(CheckinMode.kiosk, _l("Kiosk code")),
                                       (CheckinMode.geofence, _l("Code and location")),
                                       (CheckinMode.off, _l("Check-in off"))],
                              invalid_choice_message=_l("Choose how members check in at this station."))
    geofence_radius_m = IntegerField(
        _l("Geofence radius (metres)"),
        validators=[InputRequired(_l("Enter the radius in metres.")),
                    NumberRange(min=RADIUS_MIN_M, max=RADIUS_MAX_M,
                                message=_l("Enter a radius between %(min)s and %(max)s metres."))],
        render_kw={"inputmode": "numeric", "min": RADIUS_MIN_M, "max": RADIUS_MAX_M})
    is_active = BooleanField(_l("Open: members find it in the list and on the map"))


class StaffForm(AppForm):
    """Add a member to a station's staff by their mobile number."""

    phone = StringField(_l("Mobile number"), validators=[DataRequired(_l("Enter a mobile number.")), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "off", "placeholder": "13800138000"})
