"""The base of every form: Flask-WTF's, with WTForms' own messages translated from a per-process cache."""
from functools import lru_cache

from babel import support
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str) -> support.Translations:
    """WTForms' catalogue for a locale, read once per process (Flask-WTF re-reads it on every request)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class AppForm(FlaskForm):
    """A form with CSRF and WTForms' built-in messages in the member's language.

    Every form also refuses, whatever its own validators say (blueprints.bounds.field_problem):
    control characters (line breaks too in one-line fields), dates outside services.bounds' years,
    integers beyond PostgreSQL's int4 and numbers that are not finite.
    """

    def validate(self, extra_validators=None) -> bool:
        from blueprints.bounds import field_problem

        early = {}
        for field in self:  # numbers too large for WTForms' own validators (math.isnan of a 400-digit int)
            problem = field_problem(field)
            if problem and isinstance(field.data, int):
                early[field.name] = problem
                field.data = None
        ok = super().validate(extra_validators)
        for field in self:
            problem = early.get(field.name) or field_problem(field)
            if problem:
                field.errors = [*field.errors, problem]
                ok = False
        return ok

    class Meta:
        def get_translations(self, form):
            return _wtforms_translations(str(get_locale()))
