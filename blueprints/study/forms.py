"""Forms of the study screens: tasks, questions, reports, reviews, attendance."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.form import AppForm
from services.study import MAX_OPTIONS


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier on a phone than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Any submitted id is passed on: the service decides who may be chosen (404 for others)."""


def hour_choices():
    """0.5 to 8 学时 in half hours."""
    return [(h, _l("%(n)s study hours", n=(str(h // 2) if h % 2 == 0 else f"{h / 2:.1f}"))) for h in range(1, 17)]


class TaskForm(AppForm):
    """Create or edit a study task."""

    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[("article", _l("Article")), ("video", _l("Video")),
                                            ("lecture", _l("Party lecture (in person)")),
                                            ("report", _l("Study report"))])
    completion = SelectField(_l("Completed by"), choices=[
        ("reading", _l("Reading or watching for a minimum time")), ("quiz", _l("Passing a quiz")),
        ("attendance", _l("Attending the lecture")), ("report", _l("A report approved by the secretary"))])
    hours_half = SelectField(_l("Study hours credited"), coerce=int, default=2)
    required = BooleanField(_l("Required (not elective)"), default=True)
    opens_on = DateField(_l("Opens on"), validators=[InputRequired(_l("Enter the opening date."))])
    due_on = DateField(_l("Due on"), validators=[InputRequired(_l("Enter the due date."))])
    body_md = TextAreaField(_l("Text (Markdown: ## heading, **bold**, - list)"), validators=[Length(max=100_000)])
    link_url = StringField(_l("Link (optional)"), validators=[Optional(), Length(max=500)],
                           render_kw={"inputmode": "url", "placeholder": "https://"})
    file = FileField(_l("PDF, video or image (optional)"))
    remove_file = BooleanField(_l("Remove the current file"))
    min_minutes = IntegerField(_l("Minimum reading time (minutes)"), default=10,
                               validators=[Optional(), NumberRange(min=1, max=240)])
    pass_mark = IntegerField(_l("Pass mark (%)"), default=80, validators=[Optional(), NumberRange(min=1, max=100)])
    quiz_size = IntegerField(_l("Questions per attempt (0 = all)"), default=0,
                             validators=[Optional(), NumberRange(min=0, max=100)])
    report_min_chars = IntegerField(_l("Minimum report length (characters)"), default=300,
                                    validators=[Optional(), NumberRange(min=0, max=5000)])
    lecture_at = DateTimeLocalField(_l("Lecture time"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    lecture_place = StringField(_l("Lecture place"), validators=[Optional(), Length(max=120)])
    audience = RadioField(_l("For"), choices=[("unit", _l("Everyone in this unit")),
                                              ("members", _l("Chosen members"))], default="unit")
    member_ids = MultiCheckboxField(_l("Members"), coerce=int)


class QuestionForm(AppForm):
    """One quiz question with up to six options, each with a "right" tick."""

    kind = RadioField(_l("Type"), choices=[("single", _l("Single choice")), ("multiple", _l("Multiple choice"))],
                      default="single")
    text = TextAreaField(_l("Question"), validators=[DataRequired(_l("Enter the question.")), Length(max=500)])


for _i in range(MAX_OPTIONS):
    setattr(QuestionForm, f"option_{_i}", StringField(_l("Option %(n)s", n=_i + 1), validators=[Length(max=200)]))
    setattr(QuestionForm, f"correct_{_i}", BooleanField(_l("Right answer")))


def question_options(form: QuestionForm) -> tuple[list[str], list[int]]:
    """The options typed and the indexes ticked right."""
    options = [getattr(form, f"option_{i}").data or "" for i in range(MAX_OPTIONS)]
    correct = [i for i in range(MAX_OPTIONS) if getattr(form, f"correct_{i}").data]
    return options, correct


def option_fields(form: QuestionForm):
    """(option field, right tick) pairs for the template."""
    return [(getattr(form, f"option_{i}"), getattr(form, f"correct_{i}")) for i in range(MAX_OPTIONS)]


class ReportForm(AppForm):
    """The member's written report (心得体会)."""

    text = TextAreaField(_l("Your report"))


class ReviewForm(AppForm):
    """Approve or return a report."""

    comment = TextAreaField(_l("Comment (needed to return it)"), validators=[Length(max=500)])


class AttendanceForm(AppForm):
    """Tick who attended the lecture."""

    member_ids = MultiCheckboxField(_l("Who attended"), coerce=int)


class EmptyForm(AppForm):
    """A button that posts (CSRF only)."""
