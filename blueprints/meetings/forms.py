"""Forms of the meeting screens: schedule and edit, answer, cancel, leave decisions, marks, minutes, settings."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.form import AppForm
from services.meetings import KIND_LABELS

MAX_ID = 2 ** 31 - 1  # ids are INTEGER columns


def id_or_zero(value) -> int:
    """A submitted id (0 for none); anything past an INTEGER column's range is refused as an invalid choice."""
    number = int(value or 0)
    if not 0 <= number <= MAX_ID:
        raise ValueError("out of range")
    return number


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier on a phone than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Any submitted id is passed on: the service decides who may be chosen (404 for others)."""

    def process_formdata(self, valuelist):
        try:
            self.data = [int(v) for v in valuelist if 0 < int(v) <= MAX_ID][:2000]
        except (TypeError, ValueError):
            self.data = []
            raise ValueError(self.gettext("Invalid choice(s): one or more data inputs could not be coerced.")) \
                from None


def kind_choices():
    return [(k.value, label) for k, label in KIND_LABELS.items()]


class MeetingForm(AppForm):
    """Schedule or edit a meeting (times in Asia/Shanghai)."""

    kind = SelectField(_l("Kind of meeting"), choices=kind_choices)
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=120)])
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    start = TimeField(_l("Starts at"), validators=[InputRequired(_l("Enter the start time."))])
    end = TimeField(_l("Ends at"), validators=[InputRequired(_l("Enter the end time."))])
    place_kind = RadioField(_l("Where"), default="text", choices=[
        ("text", _l("In person")), ("station", _l("At a service station")), ("online", _l("Online"))])
    place_text = StringField(_l("Room or address"), validators=[Optional(), Length(max=200)])
    station_q = StringField(_l("Search a service station"), validators=[Optional(), Length(max=40)])
    station_id = RadioField(_l("Service station"), coerce=id_or_zero, validate_choice=False, validators=[Optional()])
    online_url = StringField(_l("Meeting link (https://)"), validators=[Optional(), Length(max=500)],
                             render_kw={"inputmode": "url", "placeholder": "https://"})
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=5000)])
    audience = RadioField(_l("Who must attend"), default="branch", choices=[
        ("branch", _l("The whole branch")), ("committee", _l("The branch committee")),
        ("group", _l("One Party group")), ("members", _l("Chosen members"))])
    group_id = SelectField(_l("Group"), coerce=id_or_zero, validate_choice=False, validators=[Optional()])
    member_ids = MultiCheckboxField(_l("Members"), coerce=int)
    observer_ids = MultiCheckboxField(_l("Observers (列席)"), coerce=int)
    study_task_id = SelectField(_l("Study hours for a Party lecture"), coerce=id_or_zero, validate_choice=False,
                                validators=[Optional()])
    repeat = BooleanField(_l("Repeat on the fixed Party day every month"))
    repeat_day = IntegerField(_l("Fixed Party day (day of the month)"), validators=[Optional(), NumberRange(1, 28)])
    repeat_months = IntegerField(_l("For how many months"), default=3, validators=[Optional(), NumberRange(1, 12)])


class AnswerForm(AppForm):
    """参加 or 请假 (with a reason)."""

    answer = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason for leave"), validators=[Optional(), Length(max=300)])


class CancelForm(AppForm):
    """Cancel with a reason the invited will see."""

    reason = TextAreaField(_l("Reason (sent to everyone invited)"),
                           validators=[DataRequired(_l("Give the reason.")), Length(max=300)])


class LeaveDecisionForm(AppForm):
    """Approve or return a leave request."""

    decision = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Note to the member (needed to return it)"), validators=[Optional(), Length(max=300)])


class MarkForm(AppForm):
    """A manual attendance mark."""

    status = HiddenField(validators=[DataRequired()])


class MemberScanForm(AppForm):
    """A member's own code (我的签到码), scanned by the secretary."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=300)])
    nonce = HiddenField()


class ObserversForm(AppForm):
    """Add observers (列席)."""

    member_ids = MultiCheckboxField(_l("Members"), coerce=int)


class MinutesForm(AppForm):
    """The minutes' fields."""

    host_id = SelectField(_l("Host (主持人)"), coerce=id_or_zero, validate_choice=False, validators=[Optional()])
    recorder_id = SelectField(_l("Recorder (记录人)"), coerce=id_or_zero, validate_choice=False, validators=[Optional()])
    topics = TextAreaField(_l("Topics (议题)"), validators=[Optional(), Length(max=2000)])
    discussion = TextAreaField(_l("Discussion (Markdown: ## heading, **bold**, - list)"),
                               validators=[Optional(), Length(max=50_000)])


class DecisionForm(AppForm):
    """One decision, with votes at a 支部党员大会."""

    text = TextAreaField(_l("Decision"), validators=[DataRequired(_l("Write the decision.")), Length(max=500)])
    votes_for = IntegerField(_l("For"), validators=[Optional(), NumberRange(0, 100_000)])
    votes_against = IntegerField(_l("Against"), validators=[Optional(), NumberRange(0, 100_000)])
    votes_abstain = IntegerField(_l("Abstain"), validators=[Optional(), NumberRange(0, 100_000)])


class AddendumForm(AppForm):
    """A dated addendum to locked minutes."""

    text = TextAreaField(_l("Addendum"), validators=[DataRequired(_l("Write the addendum.")), Length(max=2000)])


class FileForm(AppForm):
    """A photo or the signed sheet."""

    file = FileField(_l("Photo or signed sheet (PNG, JPEG or PDF)"))


class SettingsForm(AppForm):
    """A branch's meeting settings."""

    fixed_day = IntegerField(_l("Fixed Party day (day of the month, 1-28)"),
                             validators=[Optional(), NumberRange(1, 28)])
    late_grace_minutes = IntegerField(_l("Late after the start plus (minutes)"), default=10,
                                      validators=[InputRequired(), NumberRange(0, 120)])
    remind_day = BooleanField(_l("Remind 24 hours before"), default=True)
    remind_hours = BooleanField(_l("Remind 2 hours before"))
    remind_hour = BooleanField(_l("Remind 1 hour before"), default=True)
    important_kinds = SelectMultipleField(_l("Last reminder marked important for"), choices=kind_choices,
                                          widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    duty_member_id = SelectField(_l("Committee member on duty for leave requests"), coerce=id_or_zero,
                                 validate_choice=False, validators=[Optional()])


class EmptyForm(AppForm):
    """A button that posts (CSRF only)."""
