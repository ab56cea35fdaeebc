"""Minutes (会议记录): the record with the roll and the quorum; the secretary edits it, adds decisions and
attachments, locks it, then adds dated addenda."""
from flask import abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.meetings.forms import AddendumForm, DecisionForm, EmptyForm, FileForm, MinutesForm
from blueprints.meetings.routes import ID, bp, personal
from blueprints.web import db, form_errors, leader_required, render
from services import meetings
from services.errors import DomainError


def _back(meeting_id: int, anchor: str = ""):
    return redirect(url_for("meetings.minutes", meeting_id=meeting_id) + anchor, 303)


@bp.get(f"/<{ID}:meeting_id>/minutes")
@login_required
def minutes(meeting_id: int):
    """The minutes: the record-book fields, the roll with names and reasons, the quorum, decisions, addenda."""
    session = db()
    rec = meetings.record(session, current_user, meeting_id=meeting_id)
    form = MinutesForm()
    people = [(0, "—")] + [(r.invite.member_id, r.name) for r in rec.roll.expected + rec.roll.observers]
    form.host_id.choices = form.recorder_id.choices = people
    if rec.minutes is not None:
        form.host_id.data, form.recorder_id.data = rec.minutes.host_id or 0, rec.minutes.recorder_id or 0
        form.topics.data, form.discussion.data = rec.minutes.topics, rec.minutes.discussion_md
    elif rec.meeting.agenda:
        form.topics.data = rec.meeting.agenda
    return render("meetings/minutes.html", rec=rec, form=form, decision=DecisionForm(), addendum=AddendumForm(),
                  upload=FileForm(), button=EmptyForm(), started=meetings.has_started(rec.meeting),
                  over=meetings.is_over(rec.meeting), place=meetings.reads.places(session, [rec.meeting])[
                      rec.meeting.id])


@bp.post(f"/<{ID}:meeting_id>/minutes")
@leader_required
def save_minutes(meeting_id: int):
    """Save the minutes' fields (until they are locked)."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = MinutesForm()
    form.host_id.choices = form.recorder_id.choices = []
    if not form.validate_on_submit():
        flash(" ".join(form_errors(form)), "error")
        return _back(meeting_id)
    try:
        meetings.save_minutes(db(), current_user, meeting_id=meeting_id, host_id=form.host_id.data or None,
                              recorder_id=form.recorder_id.data or None, topics=form.topics.data or "",
                              discussion_md=form.discussion.data or "")
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("Minutes saved."), "success")
    return _back(meeting_id)


@bp.post(f"/<{ID}:meeting_id>/minutes/decisions")
@leader_required
def add_decision(meeting_id: int):
    """Add a decision (with its votes at a 支部党员大会)."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(" ".join(form_errors(form)), "error")
        return _back(meeting_id, "#decisions")
    try:
        meetings.add_decision(db(), current_user, meeting_id=meeting_id, text=form.text.data,
                              votes_for=form.votes_for.data, votes_against=form.votes_against.data,
                              votes_abstain=form.votes_abstain.data)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("Decision added."), "success")
    return _back(meeting_id, "#decisions")


@bp.post(f"/<{ID}:meeting_id>/minutes/decisions/<{ID}:decision_id>/delete")
@leader_required
def remove_decision(meeting_id: int, decision_id: int):
    """Remove a decision while the minutes are open."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        meetings.remove_decision(db(), current_user, meeting_id=meeting_id, decision_id=decision_id)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    return _back(meeting_id, "#decisions")


@bp.post(f"/<{ID}:meeting_id>/minutes/lock")
@leader_required
def lock(meeting_id: int):
    """Lock the minutes: one action; from now on only dated addenda."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        meetings.lock_minutes(db(), current_user, meeting_id=meeting_id)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("The minutes are locked. Later corrections go in a dated addendum."), "success")
    return _back(meeting_id)


@bp.post(f"/<{ID}:meeting_id>/minutes/addenda")
@leader_required
def add_addendum(meeting_id: int):
    """A dated addendum to locked minutes."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = AddendumForm()
    if not form.validate_on_submit():
        flash(" ".join(form_errors(form)), "error")
        return _back(meeting_id, "#addenda")
    try:
        meetings.add_addendum(db(), current_user, meeting_id=meeting_id, text=form.text.data)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("Addendum added."), "success")
    return _back(meeting_id, "#addenda")


@bp.post(f"/<{ID}:meeting_id>/minutes/files")
@leader_required
def upload(meeting_id: int):
    """Attach a photo or the signed sheet (type from its bytes, size checked)."""
    meetings.get_meeting_led(db(), current_user, meeting_id)
    form = FileForm()
    if not form.validate_on_submit() or not getattr(form.file.data, "filename", ""):
        flash(_("Choose a file to attach."), "error")
        return _back(meeting_id, "#files")
    try:
        meetings.store_file(db(), current_user, meeting_id=meeting_id, stream=form.file.data.stream,
                            filename=form.file.data.filename)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("File attached."), "success")
    return _back(meeting_id, "#files")


@bp.get("/files/<token>")
@login_required
def file(token: str):
    """An attachment, only for those who run the meeting's branch."""
    row, path = meetings.file_for(db(), current_user, token=token[:100])
    response = send_file(path, mimetype=row.mime, conditional=True, download_name=row.original_name, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; object-src 'self'; " \
                                                  "frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return personal(response)
