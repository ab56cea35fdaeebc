"""Forms of the workspace."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.branch.forms import EmptyForm, MemberForm, TransferForm  # noqa: F401  (the same fields)
from blueprints.form import AppForm


class ImportForm(AppForm):
    """A CSV or XLSX file of members to add or update."""

    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a CSV or XLSX file."))],
                     render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


class TermForm(AppForm):
    """When the branch committee was elected."""

    elected_on = DateField(_l("Committee elected on"), validators=[DataRequired(_l("Enter a date."))])
    years = IntegerField(_l("Term in years"), default=3, validators=[NumberRange(1, 5)])
