"""Forms of the inbox and the reminder settings."""
from blueprints.form import AppForm


class ButtonForm(AppForm):
    """A button that posts (CSRF only)."""
