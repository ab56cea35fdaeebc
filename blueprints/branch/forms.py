"""Forms of the secretary's workspace."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.form import AppForm


class MemberForm(AppForm):
    """Add a member to a branch."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=40)])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(_l("Enter a mobile number.")), Length(max=20)],
                        render_kw={"inputmode": "tel"})
    group_id = SelectField(_l("Group"), coerce=int, validators=[Optional()])
    status = SelectField(_l("Status"), choices=[("full", _l("Full member")), ("probationary", _l("Probationary member"))])
    joined_on = DateField(_l("Date joined the Party"), validators=[Optional()])


class TransferForm(AppForm):
    """Move a member to another branch."""

    to_branch_id = SelectField(_l("New branch"), coerce=int)
    note = StringField(_l("Note"), validators=[Length(max=200)])


class EmptyForm(AppForm):
    """A button that posts (CSRF only)."""


class RosterImportForm(AppForm):
    """A CSV file of members to add."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"})

from blueprints.form import AppForm
