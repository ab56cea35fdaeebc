"""会议: a member's meetings, a meeting's page with 参加 / 请假, the meeting code scanned, calendars."""
import uuid
from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.meetings.forms import AnswerForm, EmptyForm
from blueprints.web import db, render
from services import meetings
from services.accounts import orgs
from services.checkin import codes as qr
from services.errors import DomainError

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
ID = "int(max=2147483647)"  # ids are INTEGER columns (PostgreSQL's end there): a longer one is simply not found


@bp.app_template_global("meeting_kind")
def meeting_kind(kind) -> str:
    """A meeting kind in the member's language."""
    return meetings.kind_label(kind)


@bp.app_template_global("meetings_home_card")
def meetings_home_card():
    """The member's next meeting, for the home page's card (None when there is none)."""
    return meetings.next_meeting(db(), current_user) if current_user.is_authenticated else None


@bp.app_template_global("meetings_led_units")
def meetings_led_units():
    """The units above branches the person runs (for compliance links) and, for each branch they run, its next
    meeting with answers counted and its waiting leave requests (the workspace's and the 会议 tab's card)."""
    if not current_user.is_authenticated or not current_user.is_secretary:
        return [], []
    units = [u for u in orgs.led_units(db(), current_user) if u.kind != "group"]
    branches = [u.id for u in units if u.kind == "branch"][:30]
    return [u for u in units if u.kind != "branch"], meetings.led_overview(db(), unit_ids=branches)


@bp.after_request
def _private(response):
    """Every meeting page is personal: never kept by a shared cache or the browser."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def personal(response):
    """Personal data: never kept by a shared cache or the browser."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def meeting_url(meeting) -> str:
    """The meeting's absolute https address (for calendars)."""
    return qr.public_url("meetings.meeting", meeting_id=meeting.id)


@bp.get("/")
@login_required
def index():
    """The 会议 tab: upcoming meetings with my answer, past ones, my attendance this year; a secretary's branches."""
    session = db()
    return render("meetings/index.html", ov=meetings.overview(session, current_user),
                  feed=meetings.feed_status(session, member_id=current_user.id))


@bp.get(f"/<{ID}:meeting_id>")
@login_required
def meeting(meeting_id: int):
    """A meeting: when, where, the agenda, my answer (参加 / 请假), the roll and the quorum once it starts."""
    session = db()
    m, invite, runs = meetings.get_meeting_seen(session, current_user, meeting_id)
    started = meetings.has_started(m)
    the_roll = meetings.roll(session, m) if (runs or started) else None
    return render("meetings/meeting.html", m=m, invite=invite, runs=runs, roll=the_roll, started=started,
                  over=meetings.is_over(m), place=meetings.reads.places(session, [m])[m.id],
                  answer_form=AnswerForm(), code_open=meetings.code_opens_at(m) <= datetime.now(timezone.utc),
                  can_decide=runs and meetings.can_decide_leave(session, current_user, m),
                  locked=meetings.is_locked(session, m))


@bp.post(f"/<{ID}:meeting_id>/answer")
@login_required
def answer(meeting_id: int):
    """参加 or 请假 (with a reason), until the meeting starts."""
    meetings.get_meeting_seen(db(), current_user, meeting_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    back = request.form.get("back") == "home"
    try:
        meetings.answer(db(), current_user, meeting_id=meeting_id, rsvp=form.answer.data, reason=form.reason.data or "")
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
        return redirect(url_for("meetings.meeting", meeting_id=meeting_id) + "#answer", 303)
    flash(_("Thank you: you will attend.") if form.answer.data == "attend"
          else _("Your leave request was sent to the secretary."), "success")
    return redirect(url_for("home.index") if back else url_for("meetings.meeting", meeting_id=meeting_id), 303)


@bp.get(f"/<{ID}:meeting_id>/calendar.ics")
@login_required
def ics(meeting_id: int):
    """Add to calendar: the meeting as an .ics file (METHOD:CANCEL once cancelled)."""
    session = db()
    m, _invite, _runs = meetings.get_meeting_seen(session, current_user, meeting_id)
    response = make_response(meetings.meeting_ics(session, m, url=meeting_url(m)))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="meeting-{m.id}.ics"'
    return personal(response)


# -- the meeting's code, scanned by a member -------------------------------------------------------------------

def _scan_error(message: str, status: int, code: str = ""):
    return render("meetings/scan_error.html", message=message, code=code, status=status)


@bp.get("/c/<code>")
def scan(code: str):
    """A scanned meeting code: checked now, kept through sign-in (2 minutes), then confirmed with one tap."""
    session = db()
    now = datetime.now(timezone.utc)
    code = code[:100]
    scanned_at = qr.open_scan(code, request.args.get("p")) if request.args.get("p") else now
    if scanned_at is None or now - scanned_at > timedelta(seconds=meetings.attendance.SCAN_GRACE_SECONDS):
        return _scan_error(_("This code has expired. Please scan the code on the screen again."), 410, code)
    try:
        m = meetings.resolve_code(session, code, at=scanned_at)
    except DomainError as e:
        return _scan_error(str(e.message), e.status, code)
    scan_pass = qr.sign_scan(code, scanned_at)
    if not current_user.is_authenticated:
        flash(_("Please sign in; your attendance at %(title)s is recorded right after.", title=m.title), "info")
        return redirect(url_for("auth.login", next=url_for("meetings.scan", code=code, p=scan_pass)))
    return render("meetings/confirm.html", m=m, code=code, scan_pass=scan_pass, nonce=uuid.uuid4().hex,
                  auto=request.args.get("via") == "app", place=meetings.reads.places(session, [m])[m.id])


@bp.post("/scan")
@login_required
def confirm():
    """Record the member present (or late) with a confirmed code."""
    code = str(request.form.get("code", ""))[:100]
    scanned_at = qr.open_scan(code, str(request.form.get("scan_pass", ""))[:100])
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if scanned_at is None:
            raise DomainError("expired_code", _("This code has expired. Please scan the code on the screen again."),
                              status=410)
        out = meetings.scan_code(db(), member_id=current_user.id, code=code, scanned_at=scanned_at)
    except DomainError as e:
        db().rollback()
        if e.code == "already_marked":
            m = meetings.resolve_code(db(), code, at=scanned_at) if scanned_at else None
            if m is not None:
                flash(str(e.message), "info")
                return redirect(url_for("meetings.meeting", meeting_id=m.id), 303)
        return _scan_error(str(e.message), e.status, code)
    if out.status == "not_invited":
        return _scan_error(_("You are not on the list of %(title)s. The secretary has been asked and can admit you "
                             "as an observer (列席).", title=out.meeting.title), 403, code)
    flash(_("Signed in: you are marked late.") if out.status == "late" else _("Signed in: you are marked present."),
          "success")
    return redirect(url_for("meetings.meeting", meeting_id=out.meeting.id), 303)


# -- calendars -----------------------------------------------------------------------------------------------------

@bp.get("/calendar")
@login_required
def calendar():
    """日历订阅: the member's personal calendar feed (made, reset or turned off here)."""
    return render("meetings/calendar.html", feed=meetings.feed_status(db(), member_id=current_user.id),
                  button=EmptyForm(), token=None)


@bp.post("/calendar/reset")
@login_required
def reset_calendar():
    """Make a new feed address (the old one stops working) and show it once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = db()
    token = meetings.reset_feed(session, member_id=current_user.id)
    url = qr.public_url("meetings.feed", token=token)
    return personal(render("meetings/calendar.html", feed=meetings.feed_status(session, member_id=current_user.id),
                           button=EmptyForm(), token=token, url=url,
                           webcal="webcal://" + url.split("://", 1)[1]))


@bp.post("/calendar/stop")
@login_required
def stop_calendar():
    """Turn the feed off: its address gives nothing from now on."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    meetings.stop_feed(db(), member_id=current_user.id)
    flash(_("Calendar subscription turned off."), "success")
    return redirect(url_for("meetings.calendar"), 303)


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """The member's calendar feed (no sign-in: the secret address is the key; 404 once reset)."""
    session = db()
    member_id = meetings.feed_member(session, token)
    if member_id is None:
        abort(404)
    body = meetings.feed_ics(session, member_id=member_id, url_for_meeting=meeting_url)
    response = make_response(body)
    response.mimetype = "text/calendar"
    return personal(response)


# The secretary's screens register on this blueprint too.
from blueprints.meetings import attendance, manage, minutes  # noqa: E402,F401
