"""Minutes (会议记录) in the record book's fields: host, recorder, topics, the discussion (sanitised Markdown),
decisions (with votes at a 支部党员大会), attachments; locking is one action, then only dated addenda."""
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from models import (Attendance, InviteRole, Meeting, MeetingAddendum, MeetingDecision, MeetingFile, MeetingInvite,
                    MeetingKind, MeetingMinutes, utcnow)
from models.db import begin_write, unscoped
from services import audit, study
from services.accounts import Principal
from services.errors import NotFound
from services.meetings.attendance import Roll, effective, passes, roll
from services.meetings.common import cfg, get_meeting_led, get_meeting_seen, has_started, is_over, refuse, writes
from services.meetings.scheduling import CONTROL

ATTACHMENT_TYPES = {"image/png", "image/jpeg", "application/pdf"}
MAX_DECISIONS = 50


def minutes_of(session: Session, meeting: Meeting) -> MeetingMinutes | None:
    """The meeting's minutes, if any were written."""
    with unscoped(session):
        return session.exec(select(MeetingMinutes).where(MeetingMinutes.meeting_id == meeting.id)).first()


def is_locked(session: Session, meeting: Meeting) -> bool:
    """Whether the meeting's minutes are locked."""
    minutes = minutes_of(session, meeting)
    return minutes is not None and minutes.locked_at is not None


def require_unlocked(session: Session, meeting: Meeting) -> None:
    """Refuse a change to a meeting whose minutes are locked."""
    minutes = minutes_of(session, meeting)
    if minutes is not None and minutes.locked_at is not None:
        refuse("locked", _l("The minutes are locked: nothing can change; add a dated addendum instead."), 409)


def _editable(session: Session, principal: Principal, meeting_id: int, now: datetime | None = None
              ) -> tuple[Meeting, MeetingMinutes]:
    meeting = get_meeting_led(session, principal, meeting_id)
    if meeting.cancelled_at is not None:
        refuse("cancelled", _l("This meeting was cancelled; it has no minutes."), 409)
    if not has_started(meeting, now):
        refuse("not_started", _l("Minutes can be written once the meeting has started."), 409)
    require_unlocked(session, meeting)
    minutes = minutes_of(session, meeting) or MeetingMinutes(meeting_id=meeting.id, org_unit_id=meeting.org_unit_id)
    return meeting, minutes


def _listed(session: Session, meeting: Meeting, member_id: int | None) -> int | None:
    if member_id is None:
        return None
    with unscoped(session):
        found = session.exec(select(MeetingInvite.id).where(
            MeetingInvite.meeting_id == meeting.id, MeetingInvite.member_id == member_id,
            MeetingInvite.role.in_([InviteRole.attendee, InviteRole.observer]))).first()
    if found is None:
        raise NotFound(_l("The host and the recorder must be on the meeting's list."))
    return member_id


@writes
def save_minutes(session: Session, principal: Principal, *, meeting_id: int, host_id: int | None,
                 recorder_id: int | None, topics: str, discussion_md: str, now: datetime | None = None
                 ) -> MeetingMinutes:
    """Write or edit the minutes until they are locked."""
    now = now or utcnow()
    topics, discussion_md = CONTROL.sub("", topics or "").strip(), CONTROL.sub("", discussion_md or "").strip()
    if len(topics) > 2000:
        refuse("topics_too_long", _l("The topics are too long: at most 2,000 characters."))
    if len(discussion_md) > 50_000:
        refuse("discussion_too_long", _l("The discussion is too long: at most 50,000 characters."))
    begin_write(session)
    meeting, minutes = _editable(session, principal, meeting_id, now)
    minutes.host_id = _listed(session, meeting, host_id)
    minutes.recorder_id = _listed(session, meeting, recorder_id)
    minutes.topics, minutes.discussion_md = topics, discussion_md
    minutes.discussion_html = study.render_markdown(discussion_md)
    minutes.updated_at, minutes.updated_by = now, principal.id
    session.add(minutes)
    session.commit()
    return minutes


def _votes(value, name) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        refuse("bad_votes", _l("Votes are whole numbers."))
    if not 0 <= number <= 100_000:
        refuse("bad_votes", _l("Votes are whole numbers."))
    return number


@writes
def add_decision(session: Session, principal: Principal, *, meeting_id: int, text: str, votes_for=None,
                 votes_against=None, votes_abstain=None) -> MeetingDecision:
    """Add a decision (决议); at a 支部党员大会 with its vote count (赞成 / 反对 / 弃权), at most the voters present."""
    text = CONTROL.sub("", text or "").strip()
    if not 2 <= len(text) <= 500:
        refuse("bad_decision", _l("Write the decision in 2 to 500 characters."))
    counts = [_votes(v, n) for v, n in ((votes_for, "for"), (votes_against, "against"), (votes_abstain, "abstain"))]
    begin_write(session)
    meeting, minutes = _editable(session, principal, meeting_id)
    if meeting.kind == MeetingKind.branch_assembly:
        if None in counts:
            refuse("votes_needed", _l("A decision of the member assembly needs its votes: for, against, abstain."))
        the_roll = roll(session, meeting)
        if sum(counts) > the_roll.quorum_present:
            refuse("too_many_votes", _l("More votes than members with a vote present (%(n)s).",
                                        n=the_roll.quorum_present))
    else:
        counts = [None, None, None]
    with unscoped(session):
        position = session.exec(select(func.count(MeetingDecision.id)).where(
            MeetingDecision.meeting_id == meeting.id)).one()
    if position >= MAX_DECISIONS:
        refuse("too_many", _l("At most 50 decisions."))
    if minutes.id is None:
        session.add(minutes)
    row = MeetingDecision(meeting_id=meeting.id, org_unit_id=meeting.org_unit_id, position=position + 1, text=text,
                          votes_for=counts[0], votes_against=counts[1], votes_abstain=counts[2])
    session.add(row)
    session.commit()
    return row


@writes
def remove_decision(session: Session, principal: Principal, *, meeting_id: int, decision_id: int) -> None:
    """Remove a decision while the minutes are open."""
    begin_write(session)
    meeting, _minutes = _editable(session, principal, meeting_id)
    with unscoped(session):
        row = session.get(MeetingDecision, decision_id)
    if row is None or row.meeting_id != meeting.id:
        raise NotFound()
    session.delete(row)
    session.commit()


@writes
def lock_minutes(session: Session, principal: Principal, *, meeting_id: int, now: datetime | None = None
                 ) -> MeetingMinutes:
    """Lock the minutes (one action, after the meeting): the roll is fixed (the unmarked become absent, or on
    leave when it was approved) and the record can only gain dated addenda from now on."""
    now = now or utcnow()
    begin_write(session)
    meeting, minutes = _editable(session, principal, meeting_id, now)
    if not is_over(meeting, now):
        refuse("not_over", _l("Lock the minutes after the meeting has ended."), 409)
    if minutes.id is None or not minutes.host_id or not minutes.recorder_id or not minutes.topics:
        refuse("incomplete", _l("Fill in the host, the recorder and the topics before locking."))
    with unscoped(session):
        unmarked = session.exec(select(MeetingInvite).where(
            MeetingInvite.meeting_id == meeting.id, MeetingInvite.role == InviteRole.attendee,
            MeetingInvite.attendance.is_(None))).all()
    for invite in unmarked:
        invite.attendance = Attendance(effective(invite, True))
        invite.marked_at, invite.marked_by, invite.mark_method = now, principal.id, "locked"
        session.add(invite)
    minutes.locked_at, minutes.locked_by = now, principal.id
    session.add(minutes)
    audit.record(session, actor=principal, action="minutes.lock", unit=meeting.org_unit_id,
                 target=f"meeting:{meeting.id}", before={"locked": False},
                 after={"locked": True, "host_id": minutes.host_id, "recorder_id": minutes.recorder_id,
                        "marked_at_lock": {str(i.member_id): i.attendance for i in unmarked}}, now=now)
    session.commit()
    return minutes


@writes
def add_addendum(session: Session, principal: Principal, *, meeting_id: int, text: str,
                 now: datetime | None = None) -> MeetingAddendum:
    """Add a dated addendum to locked minutes."""
    text = CONTROL.sub("", text or "").strip()
    if not 2 <= len(text) <= 2000:
        refuse("bad_addendum", _l("Write the addendum in 2 to 2,000 characters."))
    begin_write(session)
    meeting = get_meeting_led(session, principal, meeting_id)
    minutes = minutes_of(session, meeting)
    if minutes is None or minutes.locked_at is None:
        refuse("not_locked", _l("The minutes are still open: edit them directly."), 409)
    row = MeetingAddendum(meeting_id=meeting.id, org_unit_id=meeting.org_unit_id, text=text, created_by=principal.id,
                          created_at=now or utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor=principal, action="minutes.addendum", unit=meeting.org_unit_id,
                 target=f"meeting:{meeting.id}", after={"addendum_id": row.id, "text": text}, now=row.created_at)
    session.commit()
    return row


# -- attachments -------------------------------------------------------------------------------------------------

def upload_dir() -> Path:
    """Where meeting attachments live (instance/uploads/meetings by default)."""
    base = cfg("UPLOAD_DIR", None) or os.path.join(current_app.instance_path, "uploads")
    path = Path(base) / "meetings"
    path.mkdir(parents=True, exist_ok=True)
    return path


@writes
def store_file(session: Session, principal: Principal, *, meeting_id: int, stream, filename: str = "",
               now: datetime | None = None) -> MeetingFile:
    """Keep a photo (PNG, JPEG) or the signed sheet (PDF, or a photo of it); its type comes from its bytes."""
    limit = int(cfg("MEETING_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    data = stream.read(limit + 1)
    if len(data) > limit:
        refuse("file_too_large", _l("The file is too large: at most %(mb)s MB.", mb=f"{limit / 1024 / 1024:g}"), 413)
    if not data:
        refuse("empty_file", _l("The file is empty."))
    kind = study.sniff(data[:16])
    if kind is None or kind[0] not in ATTACHMENT_TYPES:
        refuse("bad_file_type", _l("Attach a photo (PNG or JPEG) or a PDF."), 415)
    begin_write(session)
    meeting, _minutes = _editable(session, principal, meeting_id)
    token = secrets.token_urlsafe(24)
    target = upload_dir() / token
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    row = MeetingFile(meeting_id=meeting.id, org_unit_id=meeting.org_unit_id, token=token,
                      original_name=CONTROL.sub("", os.path.basename(filename or ""))[:200] or f"file{kind[1]}",
                      mime=kind[0], size=len(data), uploaded_by=principal.id, created_at=now or utcnow())
    try:
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        target.unlink(missing_ok=True)  # no row, no file
        raise
    return row


def file_for(session: Session, principal: Principal, *, token: str) -> tuple[MeetingFile, Path]:
    """An attachment for those who run the meeting's branch, or NotFound."""
    with unscoped(session):
        row = session.exec(select(MeetingFile).where(MeetingFile.token == token)).first()
    if row is None:
        raise NotFound()
    get_meeting_led(session, principal, row.meeting_id)
    path = upload_dir() / row.token
    if not path.exists():
        raise NotFound()
    return row, path


# -- the record as shown -----------------------------------------------------------------------------------------

@dataclass
class Record:
    """Everything the minutes page shows."""

    meeting: Meeting
    minutes: MeetingMinutes | None
    decisions: list[MeetingDecision]
    addenda: list[MeetingAddendum]
    files: list[MeetingFile]
    roll: Roll
    runs: bool
    names: dict[int, str]

    @property
    def locked(self) -> bool:
        return self.minutes is not None and self.minutes.locked_at is not None

    def passed(self, decision: MeetingDecision) -> bool | None:
        """Whether a decision is valid: a 支部党员大会's needs its votes; any needs the quorum where there is one."""
        if self.roll.quorum_ok is False:
            return False
        if self.meeting.kind == MeetingKind.branch_assembly:
            return passes(decision.votes_for, self.roll)
        return None


def record(session: Session, principal: Principal, *, meeting_id: int) -> Record:
    """The minutes of a meeting: for those who run it always; for those on its list once locked."""
    meeting, _invite, runs = get_meeting_seen(session, principal, meeting_id)
    minutes = minutes_of(session, meeting)
    if not runs and (minutes is None or minutes.locked_at is None):
        raise NotFound()
    with unscoped(session):
        decisions = list(session.exec(select(MeetingDecision).where(MeetingDecision.meeting_id == meeting.id)
                                      .order_by(MeetingDecision.position, MeetingDecision.id)).all())
        addenda = list(session.exec(select(MeetingAddendum).where(MeetingAddendum.meeting_id == meeting.id)
                                    .order_by(MeetingAddendum.created_at)).all())
        files = list(session.exec(select(MeetingFile).where(MeetingFile.meeting_id == meeting.id)
                                  .order_by(MeetingFile.created_at)).all()) if runs else []
    the_roll = roll(session, meeting)
    names = {r.invite.member_id: r.name for r in the_roll.expected + the_roll.observers}
    return Record(meeting, minutes, decisions, addenda, files, the_roll, runs, names)
