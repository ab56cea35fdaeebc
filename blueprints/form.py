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
    """A form with CSRF and WTForms' built-in messages in the member's language."""

    class Meta:
        def get_translations(self, form):
            return _wtforms_translations(str(get_locale()))
