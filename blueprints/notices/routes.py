"""我的通知: a member's in-app notices (reminders, report reviews)."""
from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user, login_required

from blueprints.study.forms import EmptyForm
from blueprints.web import db, render
from services import notify

bp = Blueprint("notices", __name__, url_prefix="/notices")


def _safe_link(link: str) -> str | None:
    """A notice's link, only when it stays on this site."""
    return link if link and link.startswith("/") and not link.startswith("//") and "\\" not in link else None


@bp.get("/")
@login_required
def index():
    """The member's notices, newest first; unread ones stand out."""
    return render("notices/index.html", items=notify.for_member(db(), member_id=current_user.id),
                  button=EmptyForm())


@bp.post("/<int:notice_id>/open")
@login_required
def open_notice(notice_id: int):
    """Mark a notice read and go where it points."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    notice = notify.mark_read(db(), member_id=current_user.id, notice_id=notice_id)
    return redirect(_safe_link(notice.link) or url_for("notify.index"))


@bp.post("/read-all")
@login_required
def read_all():
    """Mark every notice read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    notify.mark_all_read(db(), member_id=current_user.id)
    return redirect(url_for("notify.index"))
