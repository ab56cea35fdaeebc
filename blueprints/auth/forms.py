"""Sign-in and password forms."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from blueprints.form import AppForm
from services.accounts.passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(AppForm):
    """Phone and password."""

    phone = StringField(_l("Mobile number"), validators=[DataRequired(_l("Enter your mobile number.")), Length(max=20)],
                        render_kw={"autocomplete": "username", "inputmode": "tel"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                        Length(max=MAX_LENGTH, message=_l("The password is too long."))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this phone"))
    next = HiddenField()


class SetPasswordForm(AppForm):
    """A new password, typed twice (the current one when not forced)."""

    current = PasswordField(_l("Current password"), validators=[Length(max=MAX_LENGTH)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=MIN_LENGTH, max=MAX_LENGTH,
               message=_l("Use %(min)s to %(max)s characters.", min=MIN_LENGTH, max=MAX_LENGTH))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Type the new password again.")), EqualTo("new", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class LanguageForm(AppForm):
    """Switch the interface language."""

    lang = HiddenField()
    next = HiddenField()
