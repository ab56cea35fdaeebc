"""消息: the member's inbox, reminder settings and this device's push switch; the old /notices/ addresses lead here."""
from flask import Blueprint, abort, flash, g, jsonify, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.notify.forms import ButtonForm
from blueprints.web import db, render
from services import notify
from services.errors import DomainError
from services.notify import preferences
from services.notify.sms import configured as sms_configured

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
    return {"inbox_unread": unread_badge, "push_key": notify.public_key}


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



# --- reminder settings: channels per purpose, and this device's Web Push ----------------------

def _grid_rows(grid: dict) -> list:
    from services.notify.purposes import ALWAYS, CHOOSABLE, PURPOSES, SENDING_CHANNELS

    return [(p, PURPOSES[p], p in ALWAYS, [(c, grid[(p, c)]) for c in SENDING_CHANNELS]) for p in CHOOSABLE]


@bp.route("/inbox/settings", methods=["GET", "POST"])
@login_required
def settings():
    """提醒设置: which purposes come by push and by text message (the inbox always; cancellations always)."""
    session = db()
    form = ButtonForm()
    error, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            preferences.save(session, member_id=current_user.id, enabled=request.form.getlist("choice"))
            flash(_("Reminder settings saved."), "success")
            return redirect(url_for("notify.settings"))
        except DomainError as e:
            session.rollback()
            error, status = str(e.message), 400
    grid = preferences.grid(session, member_id=current_user.id)
    return _private(render("notify/settings.html", status=status, rows=_grid_rows(grid), form=form, error=error,
                           sms_on=sms_configured(), devices=notify.device_count(session, member_id=current_user.id),
                           active_tab="me"))


def _json_error(message, status: int = 400, **extra):
    return _private(make_response(jsonify({"ok": False, "message": str(message), **extra}), status))


def _json_body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.post("/push/subscribe")
@login_required
def push_subscribe():
    """Turn push on for this device (the browser's subscription, as JSON; CSRF in X-CSRFToken)."""
    try:
        notify.subscribe(db(), member_id=current_user.id, data=_json_body().get("subscription"),
                         device=request.user_agent.platform or "")
    except DomainError as e:
        db().rollback()
        return _json_error(e.message)
    return _private(jsonify({"ok": True, "message": _("Push is on for this device.")}))


@bp.post("/push/unsubscribe")
@login_required
def push_unsubscribe():
    """Turn push off for this device."""
    notify.unsubscribe(db(), member_id=current_user.id, endpoint=_json_body().get("endpoint"))
    return _private(jsonify({"ok": True, "message": _("Push is off for this device.")}))


@bp.post("/push/test")
@login_required
def push_test():
    """Send a test notification to this member's devices now, and say how it went."""
    outcome = notify.send_test(db(), member_id=current_user.id, endpoint=_json_body().get("endpoint"))
    if outcome == "sent":
        return _private(jsonify({"ok": True, "message": _("Test notification sent. It should appear in a moment.")}))
    if outcome == "not_subscribed":
        return _json_error(_("Push is not on for this device. Turn it on first."))
    if outcome == "dropped":
        return _json_error(_("The push service no longer accepts this device's subscription; push is off. "
                             "Turn it on again to renew it."), 409, dropped=True)
    return _json_error(_("The push service did not answer. The message is in your inbox; we will try again."), 502)
