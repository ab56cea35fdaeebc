"""Forms of check-in, service hours and activities."""
from flask_babel import lazy_gettext as _l
from blueprints.form import AppForm
from wtforms import (DateField, DateTimeLocalField, DecimalField, FloatField, HiddenField, IntegerField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ScanForm(AppForm):
    """Confirm a scanned code; the page's script adds the position when the code needs it.

    The app-wide CSRFProtect checks this POST; the form skips its own second token (the hot path),
    so its template renders csrf_token() itself.
    """

    class Meta:
        csrf = False

    code = HiddenField(validators=[DataRequired(), Length(max=200)])
    scan_pass = HiddenField(validators=[Length(max=100)])
    nonce = HiddenField(validators=[DataRequired(), Length(max=64)])
    lat = FloatField(validators=[Optional()])
    lon = FloatField(validators=[Optional()])
    accuracy = FloatField(validators=[Optional()])
    geo_error = HiddenField(validators=[Length(max=40)])


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
