"""消息: the member's inbox; the old /notices/ addresses lead here."""
from flask import Blueprint, abort, g, redirect, url_for
from flask_login import current_user, login_required

from blueprints.notify.forms import ButtonForm
from blueprints.web import db, render
from services import notify

bp = Blueprint("notify", __name__)

MAX_ID = 2**63 - 1


def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def unread_badge() -> int:
    """The signed-in member's unread count, once per request (the tab bar and 我的 both show it)."""
    if not current_user.is_authenticated:
        return 0
    if "notify_unread" not in g:
        g.notify_unread = notify.unread_count(db(), member_id=current_user.id)
    return g.notify_unread


@bp.app_context_processor
def _inbox_globals():
    return {"inbox_unread": unread_badge}


@bp.get("/inbox/")
@login_required
def index():
    """The member's messages, newest first; unread ones stand out."""
    items = notify.for_member(db(), member_id=current_user.id, limit=100)
    return _private(render("notify/inbox.html", items=items, button=ButtonForm(), active_tab="me",
                           unread=sum(1 for n in items if n.read_at is None and n.withdrawn_at is None)))


@bp.post("/inbox/<int:notification_id>/open")
@login_required
def open_item(notification_id: int):
    """Mark a message read and go to the thing it is about."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    if notification_id > MAX_ID:
        abort(404)
    row = notify.mark_read(db(), member_id=current_user.id, notification_id=notification_id)
    return redirect(notify.safe_url(row.url) or url_for("notify.index"))


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def read_one(notification_id: int):
    """Mark one message read and stay on the list."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    if notification_id > MAX_ID:
        abort(404)
    notify.mark_read(db(), member_id=current_user.id, notification_id=notification_id)
    return redirect(url_for("notify.index"))


@bp.post("/inbox/read-all")
@login_required
def read_all():
    """Mark every message read."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    notify.mark_all_read(db(), member_id=current_user.id)
    return redirect(url_for("notify.index"))


@bp.get("/notices/")
def old_index():
    """The inbox moved from /notices/ to /inbox/."""
    return redirect(url_for("notify.index"), code=301)


@bp.post("/notices/<int:notification_id>/open")
def old_open(notification_id: int):
    """An old open form keeps working (308 keeps the method and the form)."""
    return redirect(url_for("notify.open_item", notification_id=notification_id), code=308)


@bp.post("/notices/read-all")
def old_read_all():
    """An old mark-all form keeps working."""
    return redirect(url_for("notify.read_all"), code=308)

