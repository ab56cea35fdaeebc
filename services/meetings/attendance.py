"""Attendance: the meeting's rotating code scanned by members, the member's own code scanned by the secretary,
manual marks, 列席 (observers and admitted walk-ins), the roll (应到 / 实到 / 请假 / 缺席) and the quorum.

A mark is one UPDATE of the member's row that checks its own condition (not yet marked present), so a
crowd scanning at once marks each member exactly once on SQLite (BEGIN IMMEDIATE) and PostgreSQL (row lock).
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import (Attendance, InviteRole, LeaveStatus, Meeting, MeetingInvite, MeetingKind, Member, Rsvp,
                    utcnow)
from models.db import begin_write, core_connection, unscoped
from services import audit, study
from services.accounts import Principal
from services.checkin import codes as qr
from services.errors import DomainError, NotFound
from services.meetings.common import (code_opens_at, get_meeting_led, is_over, local, refuse, settings_of, writes)
from services.meetings.rsvp import BoardRow, rows_of

log = logging.getLogger(__name__)
SCAN_GRACE_SECONDS = 120  # from opening a code to confirming it (also across a sign-in)

_invite = MeetingInvite.__table__
_MARK = (sa.update(_invite)
         .where(_invite.c.meeting_id == sa.bindparam("m_id"), _invite.c.member_id == sa.bindparam("u_id"),
                _invite.c.role.in_([InviteRole.attendee.value, InviteRole.observer.value]),
                sa.or_(_invite.c.attendance.is_(None),
                       _invite.c.attendance.in_([Attendance.leave.value, Attendance.absent.value])))
         .values(attendance=sa.bindparam("b_status"), marked_at=sa.bindparam("b_at"), marked_by=sa.bindparam("b_by"),
                 mark_method=sa.bindparam("b_method"))
         .returning(_invite.c.id))
_ROW = sa.select(_invite.c.id, _invite.c.role, _invite.c.attendance, _invite.c.marked_at).where(
    _invite.c.meeting_id == sa.bindparam("meeting_id"), _invite.c.member_id == sa.bindparam("member_id"))


def _hhmm(moment: datetime | None) -> str:
    """A time of day in the city, for messages (no locale needed: the worker and the load tests have none)."""
    return local(moment).strftime("%H:%M") if moment else ""


@dataclass
class Marked:
    """What a scan did: the member marked present or late; or not on the list (`invite_id` is their request)."""

    meeting: Meeting
    member_id: int
    status: str  # present, late, not_invited
    invite_id: int | None = None


def _meeting_of_code(session: Session, code: str) -> tuple[qr.Token, Meeting]:
    try:
        token = qr.parse(code)
    except qr.TokenError:
        refuse("bad_code", _l("This is not a valid meeting code."))
    if token.kind != "g":
        refuse("bad_code", _l("This is not a valid meeting code."))
    with unscoped(session):
        meeting = session.get(Meeting, token.subject_id)
    if meeting is None or not qr.verify_meeting_mac(token, meeting):
        refuse("bad_code", _l("This is not a valid meeting code."))
    return token, meeting


def _check_open(meeting: Meeting, at: datetime) -> None:
    if meeting.cancelled_at is not None:
        refuse("cancelled", _l("This meeting was cancelled."), 409)
    if at < code_opens_at(meeting):
        refuse("not_open", _l("Attendance opens 30 minutes before the start (%(time)s).",
                              time=_hhmm(code_opens_at(meeting))), 409)
    if at > meeting.ends_at:
        refuse("over", _l("This meeting has ended."), 410)


def resolve_code(session: Session, code: str, *, at: datetime) -> Meeting:
    """The meeting a rotating code names, checked at the moment it was scanned (its step or the one before)."""
    token, meeting = _meeting_of_code(session, code)
    if not qr.step_window_ok(token.counter, qr.step_at(at)):
        refuse("expired_code", _l("This code has expired. Please scan the code on the screen again."), 410)
    _check_open(meeting, at)
    return meeting


def _status_at(session: Session, meeting: Meeting, at: datetime) -> Attendance:
    grace = timedelta(minutes=settings_of(session, meeting.org_unit_id).late_grace_minutes or 0)
    return Attendance.late if at > meeting.starts_at + grace else Attendance.present


def _mark(session: Session, meeting: Meeting, member_id: int, *, status: Attendance, at: datetime,
          by: int | None, method: str) -> Marked:
    """Mark one member present or late: one UPDATE that checks its own condition; a second scan is refused,
    someone not on the list becomes a request the secretary may admit as 列席."""
    begin_write(session)
    conn = core_connection(session)
    done = conn.execute(_MARK, {"m_id": meeting.id, "u_id": member_id, "b_status": status.value,
                                "b_at": at, "b_by": by, "b_method": method}).scalar()
    if done is not None:
        session.commit()
        _credit(session, meeting, [member_id])
        return Marked(meeting, member_id, status.value, done)
    row = conn.execute(_ROW, {"meeting_id": meeting.id, "member_id": member_id}).first()
    if row is not None and row.role != InviteRole.requested:
        session.rollback()
        refuse("already_marked", _l("You are already marked present (%(time)s); nothing new was recorded.",
                                    time=_hhmm(row.marked_at)), 409)
    if row is None:
        with unscoped(session):
            active = session.exec(select(Member.is_active).where(Member.id == member_id)).first()
        if not active:
            raise NotFound()
        request = MeetingInvite(meeting_id=meeting.id, member_id=member_id, org_unit_id=meeting.org_unit_id,
                                role=InviteRole.requested, marked_at=at)
        try:
            with session.begin_nested():
                session.add(request)
        except IntegrityError:  # the same person scanning twice at once
            pass
        session.commit()
        request_id = request.id
    else:
        session.rollback()
        request_id = row.id
    return Marked(meeting, member_id, "not_invited", request_id)


def scan_code(session: Session, *, member_id: int, code: str, scanned_at: datetime | None = None,
              now: datetime | None = None) -> Marked:
    """A member scanned the meeting's rotating code: present, or late after the start plus the branch's grace.

    `scanned_at` is when the server first saw the code opened (a signed pass, 2 minutes at most).
    """
    now = now or utcnow()
    at = scanned_at or now
    if at > now + timedelta(seconds=5) or now - at > timedelta(seconds=SCAN_GRACE_SECONDS):
        refuse("expired_code", _l("This code has expired. Please scan the code on the screen again."), 410)
    meeting = resolve_code(session, code, at=at)
    return _mark(session, meeting, member_id, status=_status_at(session, meeting, at), at=at, by=None, method="qr")


@writes
def scan_member(session: Session, principal: Principal, *, meeting_id: int, code: str,
                now: datetime | None = None) -> Marked:
    """The secretary scans a member's own 我的签到码 on the attendance screen (when the member cannot scan)."""
    now = now or utcnow()
    meeting = get_meeting_led(session, principal, meeting_id)
    try:
        token = qr.parse(code)
    except qr.TokenError:
        refuse("bad_code", _l("This is not a member's check-in code. Ask them to open 我的签到码."))
    if token.kind != "m" or not qr.verify_member_mac(token):
        refuse("bad_code", _l("This is not a member's check-in code. Ask them to open 我的签到码."))
    if not qr.step_window_ok(token.counter, qr.step_at(now)):
        refuse("expired_code", _l("This code has expired. Ask the member to show it again."), 410)
    _check_open(meeting, now)
    return _mark(session, meeting, token.subject_id, status=_status_at(session, meeting, now), at=now,
                 by=principal.id, method="member_code")


def _credit(session: Session, meeting: Meeting, member_ids: list[int]) -> None:
    """A 党课 attended credits its lecture task's study hours, once per member (study skips those credited)."""
    if meeting.kind != MeetingKind.lecture or not meeting.study_task_id or not member_ids:
        return
    try:
        credited = study.credit_attendance(session, task_id=meeting.study_task_id, member_ids=member_ids,
                                           source=f"meeting:{meeting.id}")
    except DomainError as e:  # e.g. an observer outside the task's audience: attendance stands, no hours
        session.rollback()
        log.info("meeting %s: no study credit for %s (%s)", meeting.id, member_ids, e.code)
        return
    if credited:
        begin_write(session)
        core_connection(session).execute(sa.update(_invite).where(
            _invite.c.meeting_id == meeting.id, _invite.c.member_id.in_(credited)).values(credited_at=utcnow()))
        session.commit()


# -- the secretary's marks ----------------------------------------------------------------------------------------

def _invite_of(session: Session, meeting: Meeting, invite_id: int) -> MeetingInvite:
    with unscoped(session):
        invite = session.get(MeetingInvite, invite_id)
    if invite is None or invite.meeting_id != meeting.id:
        raise NotFound()
    return invite


@writes
def mark_attendance(session: Session, principal: Principal, *, meeting_id: int, invite_id: int, status: str,
                    now: datetime | None = None) -> MeetingInvite:
    """A manual mark by the secretary (present, late, approved leave, absent without leave), with who and when."""
    now = now or utcnow()
    try:
        value = Attendance(status)
    except ValueError:
        refuse("bad_status", _l("Choose present, late, on leave or absent."))
    begin_write(session)
    meeting = get_meeting_led(session, principal, meeting_id)
    from services.meetings.minutes import require_unlocked

    require_unlocked(session, meeting)
    if meeting.cancelled_at is not None:
        refuse("cancelled", _l("This meeting was cancelled."), 409)
    if now < code_opens_at(meeting):
        refuse("not_open", _l("Attendance can be marked from 30 minutes before the start."), 409)
    invite = _invite_of(session, meeting, invite_id)
    if invite.role == InviteRole.requested:
        refuse("not_listed", _l("Admit this member as an observer first."), 409)
    before = {"attendance": invite.attendance, "mark_method": invite.mark_method}
    invite.attendance, invite.marked_at, invite.marked_by, invite.mark_method = value, now, principal.id, "manual"
    session.add(invite)
    audit.record(session, actor=principal, action="attendance.mark", member=invite.member_id,
                 unit=meeting.org_unit_id, target=f"meeting:{meeting.id}", before=before,
                 after={"attendance": value, "mark_method": "manual"}, now=now)
    session.commit()
    if value in (Attendance.present, Attendance.late):
        _credit(session, meeting, [invite.member_id])
    return invite


@writes
def admit_observer(session: Session, principal: Principal, *, meeting_id: int, invite_id: int,
                   now: datetime | None = None) -> MeetingInvite:
    """Admit someone who scanned without being on the list as 列席, marked present at their scan."""
    now = now or utcnow()
    begin_write(session)
    meeting = get_meeting_led(session, principal, meeting_id)
    from services.meetings.minutes import require_unlocked

    require_unlocked(session, meeting)
    invite = _invite_of(session, meeting, invite_id)
    if invite.role != InviteRole.requested:
        refuse("not_a_request", _l("This member is already on the list."), 409)
    invite.role, invite.attendance = InviteRole.observer, Attendance.present
    invite.marked_at, invite.marked_by, invite.mark_method = invite.marked_at or now, principal.id, "admitted"
    session.add(invite)
    audit.record(session, actor=principal, action="attendance.admit", member=invite.member_id,
                 unit=meeting.org_unit_id, target=f"meeting:{meeting.id}", before={"role": InviteRole.requested},
                 after={"role": InviteRole.observer, "attendance": Attendance.present}, now=now)
    session.commit()
    return invite


@writes
def add_observers(session: Session, principal: Principal, *, meeting_id: int, member_ids,
                  now: datetime | None = None) -> int:
    """Invite members of the branch not yet on the list as observers (列席)."""
    ids = sorted({int(i) for i in member_ids})
    if not ids:
        refuse("nobody", _l("Choose at least one member."))
    begin_write(session)
    meeting = get_meeting_led(session, principal, meeting_id)
    from services.meetings.minutes import require_unlocked

    require_unlocked(session, meeting)
    with unscoped(session):
        found = {m.id: m for m in session.exec(select(Member).where(
            Member.id.in_(ids), Member.org_unit_id == meeting.org_unit_id, Member.is_active.is_(True))).all()}
        listed = {i.member_id: i for i in session.exec(select(MeetingInvite).where(
            MeetingInvite.meeting_id == meeting.id, MeetingInvite.member_id.in_(ids))).all()}
    if len(found) != len(ids):
        raise NotFound(_l("A chosen member is not in this branch."))
    added = 0
    for member_id in ids:
        row = listed.get(member_id)
        if row is not None and row.role != InviteRole.requested:
            continue
        row = row or MeetingInvite(meeting_id=meeting.id, member_id=member_id, org_unit_id=meeting.org_unit_id)
        row.role = InviteRole.observer
        session.add(row)
        added += 1
    from services.meetings.reminders import sync_reminders

    sync_reminders(session, meeting, now=now)
    session.commit()
    return added


# -- the roll and the quorum ------------------------------------------------------------------------------------

@dataclass
class Roll:
    """应到 / 实到 / 请假 / 缺席 of a meeting with names, the observers, and its quorum (None where no rule)."""

    expected: list[BoardRow] = field(default_factory=list)
    present: list[BoardRow] = field(default_factory=list)  # present or late
    late: list[BoardRow] = field(default_factory=list)
    leave: list[BoardRow] = field(default_factory=list)
    absent: list[BoardRow] = field(default_factory=list)
    unmarked: list[BoardRow] = field(default_factory=list)  # before the meeting ends
    observers: list[BoardRow] = field(default_factory=list)  # 列席 who came
    requests: list[BoardRow] = field(default_factory=list)  # scanned without being on the list
    quorum_rule: str | None = None  # "voters" (支部党员大会) or "committee" (支委会)
    quorum_base: int = 0  # members with a vote / committee members on the list
    quorum_present: int = 0

    @property
    def quorum_ok(self) -> bool | None:
        """More than half present; None for kinds without a rule."""
        if self.quorum_rule is None:
            return None
        return self.quorum_present * 2 > self.quorum_base

    @property
    def quorum_needed(self) -> int:
        return self.quorum_base // 2 + 1


def effective(invite: MeetingInvite, over: bool) -> str | None:
    """How an attendee counts: their mark, else approved leave, else absent once the meeting is over."""
    if invite.attendance is not None:
        return invite.attendance.value if hasattr(invite.attendance, "value") else invite.attendance
    if invite.rsvp == Rsvp.leave and invite.leave_status == LeaveStatus.approved:
        return Attendance.leave.value
    return Attendance.absent.value if over else None


def roll_of(meeting: Meeting, rows: list[BoardRow], *, now: datetime | None = None) -> Roll:
    """The roll of a meeting from its list (no query)."""
    over = is_over(meeting, now)
    roll = Roll()
    for row in rows:
        i = row.invite
        if i.role == InviteRole.requested:
            roll.requests.append(row)
            continue
        if i.role == InviteRole.observer:
            if i.attendance in (Attendance.present, Attendance.late):
                roll.observers.append(row)
            continue
        roll.expected.append(row)
        state = effective(i, over)
        if state in ("present", "late"):
            roll.present.append(row)
            if state == "late":
                roll.late.append(row)
        elif state == "leave":
            roll.leave.append(row)
        elif state == "absent":
            roll.absent.append(row)
        else:
            roll.unmarked.append(row)
    if meeting.kind == MeetingKind.branch_assembly:
        roll.quorum_rule = "voters"
        roll.quorum_base = sum(1 for r in roll.expected if r.invite.has_vote)
        roll.quorum_present = sum(1 for r in roll.present if r.invite.has_vote)
    elif meeting.kind == MeetingKind.committee:
        roll.quorum_rule = "committee"
        roll.quorum_base = sum(1 for r in roll.expected if r.invite.on_committee)
        roll.quorum_present = sum(1 for r in roll.present if r.invite.on_committee)
    return roll


def roll(session: Session, meeting: Meeting, *, now: datetime | None = None) -> Roll:
    """The roll of a meeting (one query)."""
    return roll_of(meeting, rows_of(session, meeting.id), now=now)


def passes(votes_for: int | None, roll_: Roll) -> bool:
    """A 支部党员大会 decision passes with more than half of those entitled to vote (应到会有表决权的党员),
    and only when the meeting had its quorum."""
    return bool(roll_.quorum_ok) and (votes_for or 0) * 2 > roll_.quorum_base
