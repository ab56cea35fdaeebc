"""Forms of check-in, service hours and activities."""
import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from wtforms import (DateField, DateTimeLocalField, DecimalField, HiddenField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange

from blueprints.form import AppForm
from services.checkin import GeoFix


@dataclass(frozen=True)
class ScanPost:
    """The confirm POST: hidden fields the page fills in (its script adds the position when a code needs it).

    Parsed by hand, not with WTForms: this is the app's busiest request, and a WTForms form cost
    about 0.4 ms of its ~3 ms (docs/benchmarks.md). CSRFProtect checks its token app-wide.
    """

    code: str
    scan_pass: str
    nonce: str
    position: GeoFix | None

    @classmethod
    def parse(cls, form) -> "ScanPost | None":
        """The posted fields, or None when one is missing, too long, or not a finite number."""
        code, scan_pass, nonce = (form.get(name, "") for name in ("code", "scan_pass", "nonce"))
        if not code or not nonce or len(code) > 200 or len(scan_pass) > 100 or len(nonce) > 64:
            return None
        numbers = []
        for name in ("lat", "lon", "accuracy"):
            text = form.get(name, "").strip()
            try:
                numbers.append(float(text) if text else None)
            except ValueError:
                return None
            if numbers[-1] is not None and not math.isfinite(numbers[-1]):
                return None
        return cls(code, scan_pass, nonce, None if None in numbers else GeoFix(*numbers))


class NonceForm(AppForm):
    """A button that posts once (check-out, sign-up): CSRF and a nonce."""

    nonce = HiddenField(validators=[Length(max=64)])


class StaffScanForm(AppForm):
    """Station staff scan (or type) a member's check-in code."""

    code = StringField(_l("Member's check-in code"), validators=[DataRequired(_l("Scan or enter a code.")),
                                                                 Length(max=200)],
                       render_kw={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"})
    nonce = HiddenField(validators=[Length(max=64)])


class ManualHoursForm(AppForm):
    """Hours added by hand (补录), for the secretary to approve."""

    station_id = SelectField(_l("Station"), coerce=int, validators=[DataRequired(_l("Choose a station."))])
    day = DateField(_l("Date"), validators=[DataRequired(_l("Choose a date."))])
    hours = DecimalField(_l("Service hours"), places=1, validators=[
        DataRequired(_l("Enter the hours.")), NumberRange(min=0.5, max=8, message=_l("Enter between 0.5 and 8 hours."))],
        render_kw={"inputmode": "decimal", "step": "0.5", "min": "0.5", "max": "8"})
    note = StringField(_l("What did you do?"), validators=[DataRequired(_l("Say briefly what you did.")),
                                                          Length(max=200)])
    nonce = HiddenField(validators=[Length(max=64)])


class CertificateForm(AppForm):
    """The date range of a certificate of service."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    start = DateField(_l("From"), validators=[DataRequired(_l("Choose a start date."))])
    end = DateField(_l("To"), validators=[DataRequired(_l("Choose an end date."))])


class ActivityForm(AppForm):
    """Post a volunteer activity."""

    title = StringField(_l("Activity name"), validators=[DataRequired(_l("Enter the activity name.")), Length(max=120)])
    station_id = SelectField(_l("Station"), coerce=int, validators=[DataRequired(_l("Choose a station."))])
    place = StringField(_l("Meeting point"), validators=[Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired(_l("Choose when it starts."))])
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired(_l("Choose when it ends."))])
    slots = IntegerField(_l("Places"), default=10, validators=[
        DataRequired(_l("Enter the number of places.")),
        NumberRange(min=1, max=500, message=_l("Between 1 and 500 places."))], render_kw={"inputmode": "numeric"})
    bring = StringField(_l("What to bring"), validators=[Length(max=200)])
    description = TextAreaField(_l("Details"), validators=[Length(max=2000)])


class DecideForm(AppForm):
    """Approve or decline the ticked records."""

    decision = HiddenField()
