"""The secretary's meeting screens: a branch's meetings, schedule, edit and move, cancel, the RSVP board with
leave decisions, settings, and compliance."""
from datetime import datetime, time

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlmodel import select

from blueprints.bounds import arg_int
from blueprints.meetings.forms import CancelForm, EmptyForm, LeaveDecisionForm, MeetingForm, SettingsForm
from blueprints.meetings.routes import ID, bp
from blueprints.web import db, form_errors, leader_required, render
from models import Member, OrgKind, OrgUnit, Role, RoleName, StudyTask
from models.db import unscoped
from services import checkin, meetings
from services.accounts import orgs
from services.errors import DomainError


@bp.get(f"/units/<{ID}:unit_id>")
@leader_required
def unit(unit_id: int):
    """A branch's meetings: upcoming with answers counted, the past year's with their minutes state."""
    session = db()
    unit_, upcoming, past = meetings.unit_meetings(session, current_user, unit_id=unit_id)
    pending = meetings.pending_leave_requests(session, unit_ids=[unit_.id])
    return render("meetings/unit.html", unit=unit_, upcoming=upcoming, past=past, pending=pending)


# -- schedule and edit ------------------------------------------------------------------------------------------

def _people(unit_id: int):
    """The branch's groups, members and open lecture tasks, for the form's choices."""
    session = db()
    with unscoped(session):
        groups = list(session.exec(select(OrgUnit).where(OrgUnit.parent_id == unit_id, OrgUnit.kind == OrgKind.group)
                                   .order_by(OrgUnit.name)).all())
        people = list(session.exec(select(Member).where(Member.org_unit_id == unit_id, Member.is_active.is_(True))
                                   .order_by(Member.name, Member.id)).all())
        tasks = list(session.exec(select(StudyTask).where(StudyTask.org_unit_id == unit_id,
                                                          StudyTask.completion == "attendance",
                                                          StudyTask.archived_at.is_(None))
                                  .order_by(StudyTask.due_on.desc()).limit(20)).all())
    return groups, people, tasks


def _prepare(form: MeetingForm, unit_id: int):
    groups, people, tasks = _people(unit_id)
    form.group_id.choices = [(0, _("Choose a group"))] + [(g.id, g.name) for g in groups]
    form.member_ids.choices = [(m.id, m.name) for m in people]
    form.observer_ids.choices = [(m.id, m.name) for m in people]
    form.study_task_id.choices = [(0, _("Make a lecture task for this Party lecture"))] + \
        [(t.id, t.title) for t in tasks]
    found = checkin.search_stations(db(), q=form.station_q.data or "", limit=8) if form.station_q.data else []
    chosen = form.station_id.data if isinstance(form.station_id.data, int) else None
    choices = [(s.id, f"{s.name} · {s.address}") for s in found]
    if chosen and chosen not in {c[0] for c in choices}:
        from models import Station

        station = db().get(Station, chosen)
        if station is not None:
            choices.insert(0, (station.id, f"{station.name} · {station.address}"))
    form.station_id.choices = choices
    return groups


def _data(form: MeetingForm) -> meetings.MeetingData:
    """The form's values as the service's MeetingData (Shanghai date and times to aware datetimes)."""
    tz = meetings.tz()
    starts = datetime.combine(form.day.data, form.start.data, tzinfo=tz) if form.day.data and form.start.data else None
    ends = datetime.combine(form.day.data, form.end.data, tzinfo=tz) if form.day.data and form.end.data else None
    station = form.station_id.data if isinstance(form.station_id.data, int) and form.station_id.data > 0 else None
    return meetings.MeetingData(
        kind=form.kind.data or "", title=form.title.data or "", starts_at=starts, ends_at=ends,
        place_kind=form.place_kind.data or "text", station_id=station, place_text=form.place_text.data or "",
        online_url=(form.online_url.data or "").strip(), agenda=form.agenda.data or "",
        audience=form.audience.data or "branch", group_id=form.group_id.data or None,
        member_ids=form.member_ids.data or [], observer_ids=form.observer_ids.data or [],
        study_task_id=form.study_task_id.data or None)


@bp.route(f"/units/<{ID}:unit_id>/new", methods=["GET", "POST"])
@leader_required
def new(unit_id: int):
    """Schedule a meeting; a 主题党日 can repeat on the branch's fixed day every month."""
    session = db()
    unit_ = meetings.require_runs(session, current_user, unit_id)
    form = MeetingForm()
    groups = _prepare(form, unit_.id)
    errors, status = [], 200
    if request.method == "GET":
        kind = request.args.get("kind", "branch_assembly")
        form.kind.data = kind if kind in {k.value for k in meetings.KIND_LABELS} else "branch_assembly"
        defaults = {k.value: a.value for k, a in meetings.DEFAULT_AUDIENCE.items()}
        form.audience.data = defaults.get(form.kind.data, "branch")
        form.repeat_day.data = meetings.settings_of(session, unit_.id).fixed_day
        form.start.data, form.end.data = time(19, 30), time(21, 0)
    elif request.form.get("search_station"):  # the station search button: show the form again with results
        pass
    elif form.validate_on_submit():
        data = _data(form)
        try:
            if form.repeat.data and data.kind == "theme_day":
                made = meetings.repeat_theme_days(session, current_user, unit_id=unit_.id, data=data,
                                                  day=form.repeat_day.data or 0, months=form.repeat_months.data or 0)
                flash(ngettext("%(num)d 主题党日 scheduled.", "%(num)d 主题党日 scheduled.", len(made)), "success")
                return redirect(url_for("meetings.unit", unit_id=unit_.id), 303)
            m = meetings.create_meeting(session, current_user, unit_id=unit_.id, data=data)
        except DomainError as e:
            if e.status == 404:
                raise
            errors, status = [str(e.message)], e.status
        else:
            flash(_("The meeting was scheduled; everyone invited was notified."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=m.id), 303)
    else:
        errors, status = form_errors(form), 400
    return render("meetings/form.html", form=form, unit=unit_, m=None, groups=groups, errors=errors, status=status)


@bp.route(f"/<{ID}:meeting_id>/edit", methods=["GET", "POST"])
@leader_required
def edit(meeting_id: int):
    """Edit or move a meeting before it starts (a new time or place is sent to the invited at once)."""
    session = db()
    m = meetings.get_meeting_led(session, current_user, meeting_id)
    unit_ = meetings.require_runs(session, current_user, m.org_unit_id)
    form = MeetingForm()
    errors, status = [], 200
    if request.method == "GET":
        start, end = meetings.local(m.starts_at), meetings.local(m.ends_at)
        form.kind.data, form.title.data, form.agenda.data = m.kind.value if hasattr(m.kind, "value") else m.kind, \
            m.title, m.agenda
        form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
        form.place_kind.data = getattr(m.place_kind, "value", m.place_kind)
        form.place_text.data, form.online_url.data, form.station_id.data = m.place_text, m.online_url, m.station_id
        form.audience.data = getattr(m.audience, "value", m.audience)
        form.group_id.data = m.group_id or 0
        rows = meetings.rsvp.rows_of(session, m.id)
        form.member_ids.data = [r.invite.member_id for r in rows if r.invite.role == "attendee"]
        form.observer_ids.data = [r.invite.member_id for r in rows if r.invite.role == "observer"]
        form.study_task_id.data = m.study_task_id or 0
    groups = _prepare(form, unit_.id)
    if request.method == "POST" and not request.form.get("search_station"):
        if form.validate_on_submit():
            data = _data(form)
            data.kind = getattr(m.kind, "value", m.kind)
            try:
                meetings.update_meeting(session, current_user, meeting_id=m.id, data=data)
            except DomainError as e:
                if e.status == 404:
                    raise
                errors, status = [str(e.message)], e.status
            else:
                flash(_("The meeting was saved."), "success")
                return redirect(url_for("meetings.meeting", meeting_id=m.id), 303)
        else:
            errors, status = form_errors(form), 400
    return render("meetings/form.html", form=form, unit=unit_, m=m, groups=groups, errors=errors, status=status,
                  cancel=CancelForm())


@bp.post(f"/<{ID}:meeting_id>/cancel")
@leader_required
def cancel(meeting_id: int):
    """Cancel a meeting with a reason sent to everyone invited."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash(" ".join(form_errors(form)), "error")
        return redirect(url_for("meetings.edit", meeting_id=meeting_id), 303)
    try:
        meetings.cancel_meeting(db(), current_user, meeting_id=meeting_id, reason=form.reason.data)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
        return redirect(url_for("meetings.meeting", meeting_id=meeting_id), 303)
    flash(_("The meeting was cancelled and everyone invited was told."), "success")
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id), 303)


# -- the RSVP board and leave ----------------------------------------------------------------------------------------

@bp.get(f"/<{ID}:meeting_id>/board")
@leader_required
def board(meeting_id: int):
    """Who answered 参加, who asked for leave (to decide), who is on approved leave, who has not answered."""
    return render("meetings/board.html", board=meetings.board(db(), current_user, meeting_id=meeting_id),
                  form=LeaveDecisionForm())


@bp.post(f"/<{ID}:meeting_id>/leave/<{ID}:invite_id>")
@leader_required
def decide(meeting_id: int, invite_id: int):
    """Approve or return a leave request (the member is told)."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = LeaveDecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "return"):
        abort(400)
    try:
        meetings.decide_leave(db(), current_user, meeting_id=meeting_id, invite_id=invite_id,
                              approve=form.decision.data == "approve", note=form.note.data or "")
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("Leave approved.") if form.decision.data == "approve" else _("Leave request returned."), "success")
    return redirect(url_for("meetings.board", meeting_id=meeting_id), 303)


# -- settings and compliance ----------------------------------------------------------------------------------------

@bp.route(f"/units/<{ID}:unit_id>/settings", methods=["GET", "POST"])
@leader_required
def settings(unit_id: int):
    """The branch's 固定党日, lateness grace, reminders and the committee member on duty for leave."""
    session = db()
    unit_ = meetings.require_runs(session, current_user, unit_id)
    current = meetings.settings_of(session, unit_.id)
    form = SettingsForm()
    with unscoped(session):
        committee = session.exec(select(Member).join(Role, Role.member_id == Member.id).where(
            Role.org_unit_id == unit_.id, Role.role.in_([RoleName.committee, RoleName.secretary]),
            Member.is_active.is_(True)).order_by(Member.name)).all()
    form.duty_member_id.choices = [(0, _("Nobody (the secretary decides)"))] + [(c.id, c.name) for c in committee]
    errors, status = [], 200
    if request.method == "GET":
        form.fixed_day.data, form.late_grace_minutes.data = current.fixed_day, current.late_grace_minutes
        offsets = set(current.reminder_minutes or [])
        form.remind_day.data, form.remind_hours.data, form.remind_hour.data = 1440 in offsets, 120 in offsets, \
            60 in offsets
        form.important_kinds.data = list(current.important_kinds or [])
        form.duty_member_id.data = current.duty_member_id or 0
    elif form.validate_on_submit():
        offsets = [m for m, on in ((1440, form.remind_day.data), (120, form.remind_hours.data),
                                   (60, form.remind_hour.data)) if on]
        try:
            meetings.save_settings(session, current_user, unit_id=unit_.id, fixed_day=form.fixed_day.data,
                                   late_grace_minutes=form.late_grace_minutes.data, reminder_minutes=offsets,
                                   important_kinds=form.important_kinds.data or [],
                                   duty_member_id=form.duty_member_id.data or None)
        except DomainError as e:
            if e.status == 404:
                raise
            errors, status = [str(e.message)], e.status
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("meetings.unit", unit_id=unit_.id), 303)
    else:
        errors, status = form_errors(form), 400
    return render("meetings/settings.html", form=form, unit=unit_, errors=errors, status=status)


def _quarter_args() -> tuple[int, int]:
    today = meetings.local(datetime.now(meetings.tz())).date()
    year = arg_int(request.args, "year") or today.year
    quarter = arg_int(request.args, "quarter") or (today.month - 1) // 3 + 1
    if not 2000 <= year <= today.year + 1 or not 1 <= quarter <= 4:
        year, quarter = today.year, (today.month - 1) // 3 + 1
    return year, quarter


@bp.get(f"/units/<{ID}:unit_id>/compliance")
@leader_required
def compliance(unit_id: int):
    """三会一课 on track: a branch's rules by month (required / held / missing, next due), or every branch
    under a committee or general branch with the ones behind first."""
    session = db()
    unit_ = orgs.get_unit_led(session, current_user, unit_id)
    if unit_.kind == OrgKind.group:
        abort(404)
    year, quarter = _quarter_args()
    result = meetings.compliance(session, unit_ids=[unit_.id], year=year, quarter=quarter)
    if unit_.kind != OrgKind.branch:
        result.sort(key=lambda r: (-r.overdue, r.unit.name))
    prev = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    nxt = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return render("meetings/compliance.html", unit=unit_, result=result, year=year, quarter=quarter, prev=prev,
                  nxt=nxt, single=unit_.kind == OrgKind.branch, button=EmptyForm())
