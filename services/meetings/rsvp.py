"""Answers and leave: 参加 / 请假 (with a reason) until the start, the secretary's decision, the RSVP board."""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import InviteRole, LeaveStatus, Meeting, MeetingInvite, Member, Rsvp, utcnow
from models.db import begin_write, unscoped
from services import audit
from services.accounts import Principal
from services.errors import NotFound
from services.meetings.common import (COUNTED_ROLES, can_decide_leave, get_meeting_led, get_meeting_seen,
                                      has_started, refuse, require_leave_decider, writes)
from services.meetings.reminders import notify_leave_decision, sync_reminders
from services.meetings.scheduling import CONTROL


@writes
def answer(session: Session, principal: Principal, *, meeting_id: int, rsvp: str, reason: str = "",
           now: datetime | None = None) -> MeetingInvite:
    """The member answers 参加 or 请假 (a reason is needed); the answer can change until the meeting starts."""
    now = now or utcnow()
    try:
        choice = Rsvp(rsvp)
    except ValueError:
        refuse("bad_answer", _l("Answer 'attend' or 'ask for leave'."))
    reason = CONTROL.sub("", (reason or "").strip())
    if choice == Rsvp.leave and not 2 <= len(reason) <= 300:
        refuse("no_reason", _l("Give the reason for your leave request (2 to 300 characters)."))
    begin_write(session)
    meeting, invite, _runs = get_meeting_seen(session, principal, meeting_id)
    if invite is None or invite.role not in COUNTED_ROLES:
        refuse("not_invited", _l("You are not on this meeting's list."), 403)
    if meeting.cancelled_at is not None:
        refuse("cancelled", _l("This meeting was cancelled."), 409)
    if has_started(meeting, now):
        refuse("started", _l("The meeting has started: answers and leave requests are closed. "
                             "If something came up, tell your secretary directly."), 409)
    if choice == Rsvp.attend:
        invite.rsvp, invite.leave_reason, invite.leave_status, invite.leave_note = Rsvp.attend, "", None, ""
        invite.leave_decided_by = invite.leave_decided_at = None
    elif not (invite.rsvp == Rsvp.leave and invite.leave_reason == reason
              and invite.leave_status in (LeaveStatus.pending, LeaveStatus.approved)):
        invite.rsvp, invite.leave_reason, invite.leave_status, invite.leave_note = Rsvp.leave, reason, \
            LeaveStatus.pending, ""
        invite.leave_decided_by = invite.leave_decided_at = None
    invite.answered_at = now
    session.add(invite)
    sync_reminders(session, meeting, now=now)
    session.commit()
    return invite


@writes
def decide_leave(session: Session, principal: Principal, *, meeting_id: int, invite_id: int, approve: bool,
                 note: str = "", now: datetime | None = None) -> MeetingInvite:
    """The secretary (or the committee member on duty) approves or returns a leave request; the member is told."""
    now = now or utcnow()
    note = CONTROL.sub("", (note or "").strip())
    if len(note) > 300:
        refuse("note_too_long", _l("Keep the note under 300 characters."))
    if not approve and len(note) < 2:
        refuse("note_needed", _l("Say why the request is returned (the member will see it)."))
    begin_write(session)
    meeting = get_meeting_led(session, principal, meeting_id)
    with unscoped(session):
        invite = session.get(MeetingInvite, invite_id)
    if invite is None or invite.meeting_id != meeting.id:
        raise NotFound()
    require_leave_decider(session, principal, meeting)
    if invite.rsvp != Rsvp.leave or invite.leave_status is None:
        refuse("no_request", _l("This member has not asked for leave."), 409)
    from services.meetings.minutes import require_unlocked

    require_unlocked(session, meeting)
    before = {"leave_status": invite.leave_status}
    invite.leave_status = LeaveStatus.approved if approve else LeaveStatus.returned
    invite.leave_note, invite.leave_decided_by, invite.leave_decided_at = note, principal.id, now
    session.add(invite)
    notify_leave_decision(session, meeting, invite)
    sync_reminders(session, meeting, now=now)
    audit.record(session, actor=principal, action="leave.approve" if approve else "leave.return",
                 member=invite.member_id, unit=meeting.org_unit_id, target=f"meeting:{meeting.id}", before=before,
                 after={"leave_status": invite.leave_status}, now=now)
    session.commit()
    return invite


@dataclass
class BoardRow:
    """A member on the list with their answer."""

    invite: MeetingInvite
    name: str
    phone: str


@dataclass
class Board:
    """The RSVP board: who comes, who asked for leave (pending, approved, returned), who has not answered."""

    meeting: Meeting
    attending: list[BoardRow] = field(default_factory=list)
    pending: list[BoardRow] = field(default_factory=list)
    approved: list[BoardRow] = field(default_factory=list)
    returned: list[BoardRow] = field(default_factory=list)
    silent: list[BoardRow] = field(default_factory=list)
    observers: list[BoardRow] = field(default_factory=list)
    can_decide: bool = False

    @property
    def invited(self) -> int:
        return len(self.attending) + len(self.pending) + len(self.approved) + len(self.returned) + len(self.silent)


def rows_of(session: Session, meeting_id: int) -> list[BoardRow]:
    """Everyone on a meeting's list with their name, in name order (one query)."""
    with unscoped(session):
        rows = session.exec(select(MeetingInvite, Member.name, Member.phone)
                            .join(Member, Member.id == MeetingInvite.member_id)
                            .where(MeetingInvite.meeting_id == meeting_id)
                            .order_by(Member.name, Member.id)).all()
    return [BoardRow(invite=i, name=n, phone=p) for i, n, p in rows]


def board(session: Session, principal: Principal, *, meeting_id: int) -> Board:
    """The RSVP board of a meeting the person runs."""
    meeting = get_meeting_led(session, principal, meeting_id)
    out = Board(meeting=meeting, can_decide=can_decide_leave(session, principal, meeting))
    for row in rows_of(session, meeting.id):
        i = row.invite
        if i.role == InviteRole.observer:
            out.observers.append(row)
        elif i.role != InviteRole.attendee:
            continue
        elif i.rsvp == Rsvp.attend:
            out.attending.append(row)
        elif i.rsvp == Rsvp.leave:
            {LeaveStatus.pending: out.pending, LeaveStatus.approved: out.approved,
             LeaveStatus.returned: out.returned}.get(i.leave_status, out.pending).append(row)
        else:
            out.silent.append(row)
    return out
