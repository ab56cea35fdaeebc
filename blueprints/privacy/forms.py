"""Forms of the privacy screens."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from blueprints.form import AppForm
from services.accounts.passwords import MAX_LENGTH


class ButtonForm(AppForm):
    """A button that posts (CSRF only)."""


class PhoneForm(AppForm):
    """A new mobile number, confirmed with the password."""

    phone = StringField(_l("New mobile number"), validators=[DataRequired(_l("Enter your mobile number.")),
                                                            Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your password.")),
                                                                Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})


class CorrectionForm(AppForm):
    """What should be corrected, and how."""

    subject = SelectField(_l("What is wrong"), choices=[], validate_choice=False)
    text = TextAreaField(_l("What is wrong and what is right"),
                         validators=[DataRequired(_l("Say what is wrong and what is right.")),
                                     Length(max=500, message=_l("At most 500 characters."))],
                         render_kw={"rows": 3, "maxlength": 500})


class DeleteForm(AppForm):
    """The deletion request, confirmed by a tick (and for whom: only oneself)."""

    confirm = BooleanField(_l("I understand: once the waiting time is over, my account is closed for good and my "
                              "name and number are removed from every record."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
    member_id = HiddenField()


class AnswerForm(AppForm):
    """The secretary's answer to a correction request."""

    outcome = SelectField(_l("Answer"), choices=[("done", _l("Corrected")), ("declined", _l("Not corrected"))],
                          validate_choice=False)
    text = TextAreaField(_l("Note to the member"), validators=[Length(max=500, message=_l("At most 500 characters."))],
                         render_kw={"rows": 2, "maxlength": 500})
