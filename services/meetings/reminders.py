"""The meeting's reminder plan, in one place, and what the invited are told at once (moved, cancelled, leave).

The notifications domain owns channels, quiet hours, merging, preferences and the worker; this module
only says who is reminded of which meeting when, and which reminders are important. `sync_reminders`
is called after every change (create, edit, move, an answer or leave request, a leave decision, a
cancellation) and replaces the meeting's pending reminders with the plan of that moment.
"""
from datetime import datetime, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlmodel import Session, select

from models import LeaveStatus, Meeting, MeetingInvite, MeetingKind, Rsvp, Station, utcnow
from models.db import unscoped
from services import notify
from services.meetings.common import COUNTED_ROLES, settings_of


def subject_of(meeting: Meeting) -> str:
    """The notifications subject of a meeting's reminders."""
    return f"meeting:{meeting.id}"


def url_of(meeting: Meeting) -> str:
    """The in-app path of a meeting."""
    return f"/meetings/{meeting.id}"


def _place(session: Session, meeting: Meeting) -> str:
    if meeting.station_id:
        with unscoped(session):
            station = session.get(Station, meeting.station_id)
        return station.name if station else ""
    if meeting.online_url:
        return _("Online")
    return meeting.place_text


def _when(meeting: Meeting) -> str:
    return format_datetime(meeting.starts_at, "short")


def invited_ids(session: Session, meeting: Meeting) -> list[int]:
    """Everyone on the list (attendees and observers)."""
    with unscoped(session):
        return list(session.exec(select(MeetingInvite.member_id).where(
            MeetingInvite.meeting_id == meeting.id, MeetingInvite.role.in_(COUNTED_ROLES))).all())


def recipients(session: Session, meeting: Meeting) -> list[int]:
    """Who is reminded: the invited, less those on leave (asked or approved; a returned request counts as coming)."""
    with unscoped(session):
        rows = session.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == meeting.id,
                                                        MeetingInvite.role.in_(COUNTED_ROLES))).all()
    return sorted(r.member_id for r in rows
                  if not (r.rsvp == Rsvp.leave and r.leave_status in (LeaveStatus.pending, LeaveStatus.approved)))


def plan(session: Session, meeting: Meeting, *, now: datetime | None = None) -> list:
    """The reminders of a meeting: each recipient at each of the branch's offsets still ahead; the shortest
    offset is important for the kinds the branch names (by default the 1-hour reminder of a 支部党员大会)."""
    now = now or utcnow()
    if meeting.cancelled_at is not None or meeting.starts_at <= now:
        return []
    settings = settings_of(session, meeting.org_unit_id)
    offsets = sorted({int(m) for m in (settings.reminder_minutes or []) if 0 < int(m) <= 60 * 24 * 14}, reverse=True)
    if not offsets:
        return []
    important_kinds = {MeetingKind(k) for k in settings.important_kinds or [] if k in MeetingKind._value2member_map_}
    shortest = offsets[-1]
    message = notify.Message(title=_("Meeting reminder: %(title)s", title=meeting.title),
                             body=" · ".join(p for p in (_when(meeting), _place(session, meeting)) if p),
                             url=url_of(meeting))
    out = []
    for member_id in recipients(session, meeting):
        for offset in offsets:
            due = meeting.starts_at - timedelta(minutes=offset)
            if due <= now:
                continue
            out.append(notify.Reminder(member_id=member_id, purpose=notify.MEETING_REMINDER, due_at=due,
                                       message=message, event_at=meeting.starts_at,
                                       important=meeting.kind in important_kinds and offset == shortest))
    return out


def sync_reminders(session: Session, meeting: Meeting, *, now: datetime | None = None) -> None:
    """Replace the meeting's pending reminders with its plan now (withdraw them all when it is cancelled).

    Part of the caller's transaction: the caller commits.
    """
    if meeting.cancelled_at is not None:
        notify.withdraw(session, subject=subject_of(meeting), commit=False)
        return
    notify.schedule(session, subject=subject_of(meeting), reminders=plan(session, meeting, now=now), commit=False)


def notify_moved(session: Session, meeting: Meeting) -> int:
    """Tell everyone on the list at once that the meeting has a new time or place."""
    message = notify.Message(title=_("Meeting changed: %(title)s", title=meeting.title),
                             body=_("Now: %(when)s · %(place)s", when=_when(meeting), place=_place(session, meeting)),
                             url=url_of(meeting))
    return notify.send(session, member_ids=invited_ids(session, meeting), purpose=notify.MEETING_CHANGED,
                       key=f"meeting:{meeting.id}:changed:{meeting.sequence}", message=message,
                       event_at=meeting.starts_at, commit=False)


def notify_cancelled(session: Session, meeting: Meeting) -> int:
    """Withdraw the reminders and tell everyone on the list at once, with the reason."""
    notify.withdraw(session, subject=subject_of(meeting), commit=False)
    message = notify.Message(title=_("Meeting cancelled: %(title)s", title=meeting.title),
                             body=_("%(when)s. Reason: %(reason)s", when=_when(meeting), reason=meeting.cancel_reason),
                             url=url_of(meeting))
    return notify.send(session, member_ids=invited_ids(session, meeting), purpose=notify.MEETING_CANCELLED,
                       key=f"meeting:{meeting.id}:cancelled", message=message, important=True,
                       event_at=meeting.starts_at, commit=False)


def notify_leave_decision(session: Session, meeting: Meeting, invite: MeetingInvite) -> int:
    """Tell the member how their leave request was decided."""
    approved = invite.leave_status == LeaveStatus.approved
    title = (_("Leave approved: %(title)s", title=meeting.title) if approved
             else _("Leave request returned: %(title)s", title=meeting.title))
    body = invite.leave_note or (_("You are excused from this meeting.") if approved
                                 else _("Please attend, or talk to your secretary."))
    stamp = int((invite.leave_decided_at or utcnow()).timestamp())
    return notify.send(session, member_ids=[invite.member_id], purpose=notify.LEAVE_DECISION,
                       key=f"meeting:{meeting.id}:leave:{invite.id}:{stamp}",
                       message=notify.Message(title=title, body=body, url=url_of(meeting)),
                       event_at=meeting.starts_at, commit=False)
