"""Error pages: a clear message in the member's language and a 4xx, never a bare 500."""
import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from models.db import close_session
from services.errors import DomainError

log = logging.getLogger(__name__)


def _messages():
    return {
        400: _("The request could not be understood. Please go back and try again."),
        401: _("Please sign in first."),
        403: _("You don't have permission to see this page."),
        404: _("This page does not exist, or you cannot see it."),
        405: _("This action is not allowed here."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Nothing was saved; please try again."),
    }


def error_page(status: int, message: str | None = None):
    """Render the error page (or a bare message for htmx, shown in the page's notice area)."""
    text = message or _messages().get(status, _messages()[400])
    if request.headers.get("HX-Request") == "true":
        response = render_template("errors/_notice.html", message=text, status=status)
        return response, status, {"HX-Retarget": "#notice", "HX-Reswap": "innerHTML"}
    return render_template("errors/error.html", message=text, status=status), status


def register_error_handlers(app: Flask) -> None:
    """Turn every error into a friendly page."""

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return error_page(400, _("This page has expired. Please reload it and try again."))

    @app.errorhandler(DomainError)
    def _domain(e: DomainError):
        close_session()  # roll back whatever the failed rule had started
        return error_page(getattr(e, "status", 400), str(e.message))

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if e.code == 429:
            return error_page(429)
        return error_page(e.code or 400)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        log.exception("unhandled error")
        close_session()
        return error_page(500)
