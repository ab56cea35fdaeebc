"""Small helpers every blueprint shares: fragment-or-page rendering and error answers."""
from functools import wraps

from flask import abort, make_response, render_template, request
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from models.db import get_session
from services.errors import DomainError


def wants_fragment() -> bool:
    """An htmx request for a part of the page (not boosted, not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, *, status: int = 200, **context):
    """Render the named block for htmx, or the whole page; always `Vary: HX-Request`."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def attachment(body: bytes, filename: str, mimetype: str = "text/csv"):
    """A file for the browser to save (CSV by default; text types get charset=utf-8)."""
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def db():
    """The request's database session."""
    return get_session()


def _only(view, allowed):
    """The view for signed-in people that `allowed(current_user)` admits; a 403 for others."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not allowed(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def leader_required(view):
    """Only secretaries, committee members and admins; a 403 for others."""
    return _only(view, lambda person: person.is_secretary)


def admin_required(view):
    """Only administrators; a 403 for others."""
    return _only(view, lambda person: person.is_admin)


def form_errors(form) -> list[str]:
    """Every validation message of a WTForms form, flattened."""
    return [str(m) for msgs in form.errors.values() for m in msgs]


def domain_error_status(error: DomainError) -> int:
    """The HTTP status for a broken rule."""
    return getattr(error, "status", 400) or 400
