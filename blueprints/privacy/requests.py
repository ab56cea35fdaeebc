"""更正申请: the correction requests of the units a secretary runs, and their answers."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.privacy.forms import AnswerForm
from blueprints.privacy.routes import ID, bp, private
from blueprints.web import db, form_errors, leader_required, render
from services import privacy
from services.errors import DomainError


def _page(*, status: int = 200, errors: dict | None = None):
    session = db()
    return private(render("privacy/requests.html", status=status, errors=errors or {}, active_tab="me",
                          open_rows=privacy.for_leader(session, current_user, status="open"),
                          answered=[row for row in privacy.for_leader(session, current_user, status="all")
                                    if row[0].status != "open"][:30],
                          subjects=privacy.SUBJECTS, form=AnswerForm()))


@bp.get("/privacy/requests")
@leader_required
def requests():
    """Requests waiting for an answer, then the answered ones."""
    return _page()


@bp.post(f"/privacy/requests/<{ID}:request_id>/answer")
@leader_required
def answer(request_id: int):
    """Answer a request: corrected, or not corrected with the reason; the member is told."""
    form = AnswerForm()
    if not form.validate_on_submit():
        return _page(status=400, errors={request_id: " ".join(form_errors(form)) or _("Please try again.")})
    if form.outcome.data not in ("done", "declined"):
        return _page(status=400, errors={request_id: _("Choose an answer.")})
    try:
        privacy.answer(db(), current_user, request_id=request_id, done=form.outcome.data == "done",
                       text=form.text.data or "")
    except DomainError as e:
        if e.status == 404:
            raise
        return _page(status=e.status, errors={request_id: str(e.message)})
    flash(_("Answered; the member is told."), "success")
    return redirect(url_for("privacy.requests"))
