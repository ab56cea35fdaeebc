"""The attendance screen: the meeting's rotating code (on the secretary's phone or a screen), the roll with
manual marks, the member's own code scanned as a fallback, walk-ins admitted as 列席, observers added."""
from datetime import datetime, timezone

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from blueprints.meetings.forms import EmptyForm, MarkForm, MemberScanForm, ObserversForm
from blueprints.meetings.routes import ID, bp
from blueprints.web import db, form_errors, leader_required, render
from models import Member
from models.db import unscoped
from services import meetings
from services.checkin import codes as qr
from services.errors import DomainError


def _code(m):
    """The code shown now: its text, the URL it holds (a phone camera opens it) and its SVG."""
    token = qr.meeting_token(m)
    url = qr.public_url("meetings.scan", code=token)
    return token, url, qr.svg(url, scale=10, title=m.title)


def _page(meeting_id: int, *, block: str | None = None, result=None, error: str | None = None, status: int = 200):
    session = db()
    m = meetings.get_meeting_led(session, current_user, meeting_id)
    now = datetime.now(timezone.utc)
    showing = m.cancelled_at is None and meetings.code_opens_at(m) <= now <= m.ends_at
    token, url, svg = _code(m) if showing else (None, None, None)
    the_roll = meetings.roll(session, m)
    listed = {r.invite.member_id for r in the_roll.expected} | {r.invite.member_id for r in the_roll.observers}
    with unscoped(session):
        candidates = session.exec(select(Member).where(Member.org_unit_id == m.org_unit_id,
                                                       Member.is_active.is_(True)).order_by(Member.name)).all()
    observers = ObserversForm()
    observers.member_ids.choices = [(c.id, c.name) for c in candidates if c.id not in listed]
    names = {r.invite.member_id: r.name for r in the_roll.expected + the_roll.observers + the_roll.requests}
    return render("meetings/attendance.html", block, m=m, names=names, showing=showing, token=token, url=url, svg=svg,
                  roll=the_roll, labels=meetings.ATTENDANCE_LABELS, mark=MarkForm(), button=EmptyForm(),
                  scan_form=MemberScanForm(), observers=observers, result=result, error=error, status=status,
                  opens_at=meetings.code_opens_at(m), locked=meetings.is_locked(session, m))


@bp.get(f"/<{ID}:meeting_id>/attendance")
@leader_required
def attendance(meeting_id: int):
    """The attendance screen: the code that turns every 15 s (polled every 5 s), and the roll."""
    return _page(meeting_id, block="meeting_code" if request.args.get("part") == "code" else
                 ("roll_list" if request.args.get("part") == "roll" else None))


@bp.post(f"/<{ID}:meeting_id>/attendance/<{ID}:invite_id>")
@leader_required
def mark(meeting_id: int, invite_id: int):
    """A manual mark: present, late, on leave or absent without leave."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = MarkForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        meetings.mark_attendance(db(), current_user, meeting_id=meeting_id, invite_id=invite_id,
                                 status=form.status.data)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    return redirect(url_for("meetings.attendance", meeting_id=meeting_id) + "#roll_list", 303)


@bp.post(f"/<{ID}:meeting_id>/member-scan")
@leader_required
def member_scan(meeting_id: int):
    """The secretary scans a member's own code (我的签到码) when the member cannot scan."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = MemberScanForm()
    result, error, status = None, None, 200
    if not form.validate_on_submit():
        error, status = " ".join(form_errors(form)) or _("The request could not be understood."), 400
    else:
        try:
            result = meetings.scan_member(db(), current_user, meeting_id=meeting_id, code=form.code.data)
        except DomainError as e:
            if e.status == 404:
                raise
            error, status = str(e.message), e.status
    if request.headers.get("HX-Request") == "true":
        return _page(meeting_id, block="scan_result", result=result, error=error, status=status)
    if error:
        flash(error, "error")
    elif result.status == "not_invited":
        flash(_("This member is not on the list: admit them as an observer below."), "info")
    else:
        flash(_("Marked present.") if result.status == "present" else _("Marked late."), "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting_id), 303)


@bp.post(f"/<{ID}:meeting_id>/admit/<{ID}:invite_id>")
@leader_required
def admit(meeting_id: int, invite_id: int):
    """Admit someone who scanned without being on the list, as 列席."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        meetings.admit_observer(db(), current_user, meeting_id=meeting_id, invite_id=invite_id)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("Admitted as an observer (列席)."), "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting_id) + "#roll_list", 303)


@bp.post(f"/<{ID}:meeting_id>/observers")
@leader_required
def observers(meeting_id: int):
    """Invite members of the branch as observers (列席)."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = ObserversForm()
    form.member_ids.choices = []
    if not form.validate_on_submit():
        abort(400)
    try:
        added = meetings.add_observers(db(), current_user, meeting_id=meeting_id, member_ids=form.member_ids.data or [])
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("%(n)s observer(s) added.", n=added), "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting_id) + "#roll_list", 303)
