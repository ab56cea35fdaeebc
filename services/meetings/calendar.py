"""Calendars, written with icalendar: a meeting's .ics download and each member's personal feed.

One VEVENT per meeting with a UID that never changes and a SEQUENCE that rises with every change;
a cancelled meeting keeps its UID with STATUS:CANCELLED (and METHOD:CANCEL in the single download).
No REFRESH-INTERVAL line (MIUI's import fails on it). The feed's secret token is kept only as a hash.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event
from sqlmodel import Session, select

from models import CalendarFeed, InviteRole, Meeting, MeetingInvite, Member, Station, utcnow
from models.db import begin_write, unscoped
from services.meetings.common import kind_label, settings_for

PRODID = "-//ServiceCircle//Meetings//ZH"
UID_DOMAIN = "servicecircle"
FEED_PAST_DAYS = 400


def _calendar(method: str, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _event(meeting: Meeting, *, place: str, url: str, alarms: list[int] = ()) -> Event:
    event = Event()
    event.add("uid", f"{meeting.uid}@{UID_DOMAIN}")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", meeting.updated_at or utcnow())
    event.add("last-modified", meeting.updated_at or utcnow())
    event.add("created", meeting.created_at or utcnow())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", meeting.title)
    event.add("categories", [kind_label(meeting.kind)])
    if place:
        event.add("location", place)
    description = meeting.agenda or ""
    if meeting.cancelled_at is not None:
        event.add("status", "CANCELLED")
        cancelled = _("Cancelled: %(reason)s", reason=meeting.cancel_reason)
        description = cancelled + ("\n\n" + description if description else "")
    else:
        event.add("status", "CONFIRMED")
    if url:
        event.add("url", url)
        description = (description + "\n\n" if description else "") + url
    if description:
        event.add("description", description)
    if meeting.cancelled_at is None:
        for minutes in alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", meeting.title)
            alarm.add("trigger", timedelta(minutes=-int(minutes)))
            event.add_component(alarm)
    return event


def _places(session: Session, meetings: list[Meeting]) -> dict[int, str]:
    ids = {m.station_id for m in meetings if m.station_id}
    with unscoped(session):
        names = dict(session.exec(select(Station.id, Station.name).where(Station.id.in_(ids or [-1]))).all())
    return {m.id: names.get(m.station_id, "") if m.station_id else (m.online_url or m.place_text) for m in meetings}


def meeting_ics(session: Session, meeting: Meeting, *, url: str) -> bytes:
    """A meeting's "add to calendar" file: METHOD:PUBLISH, or METHOD:CANCEL once it is cancelled."""
    cal = _calendar("CANCEL" if meeting.cancelled_at is not None else "PUBLISH")
    alarms = settings_for(session, [meeting.org_unit_id])[meeting.org_unit_id].reminder_minutes or []
    cal.add_component(_event(meeting, place=_places(session, [meeting])[meeting.id], url=url, alarms=alarms))
    return cal.to_ical()


# -- the personal feed -------------------------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_status(session: Session, *, member_id: int) -> CalendarFeed | None:
    """The member's feed, if they made one (its token is not kept; only that it exists and since when)."""
    return session.exec(select(CalendarFeed).where(CalendarFeed.member_id == member_id)).first()


def reset_feed(session: Session, *, member_id: int, now: datetime | None = None) -> str:
    """Make (or remake) the member's feed: returns the new secret token; the old URL stops working at once."""
    token = secrets.token_urlsafe(32)
    begin_write(session)
    row = feed_status(session, member_id=member_id) or CalendarFeed(member_id=member_id)
    row.token_hash, row.created_at = _hash(token), now or utcnow()
    session.add(row)
    session.commit()
    return token


def stop_feed(session: Session, *, member_id: int) -> bool:
    """Turn the feed off: its URL gives 404 from now on."""
    begin_write(session)
    row = feed_status(session, member_id=member_id)
    if row is not None:
        session.delete(row)
    session.commit()
    return row is not None


def feed_member(session: Session, token: str) -> int | None:
    """The member whose feed a token opens, or None (tampered, reset or turned off)."""
    if not token or len(token) > 100:
        return None
    row = session.exec(select(CalendarFeed.member_id).where(CalendarFeed.token_hash == _hash(token))).first()
    if row is None:
        return None
    with unscoped(session):
        active = session.exec(select(Member.is_active).where(Member.id == row)).first()
    return row if active else None


def feed_ics(session: Session, *, member_id: int, url_for_meeting, now: datetime | None = None) -> bytes:
    """Every meeting the member is on the list of (from about a year back), cancelled ones included, with
    alarms at the branch's reminder times (a bonus: some calendar apps ignore alarms in subscriptions)."""
    since = (now or utcnow()) - timedelta(days=FEED_PAST_DAYS)
    with unscoped(session):
        meetings = list(session.exec(
            select(Meeting).join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
            .where(MeetingInvite.member_id == member_id,
                   MeetingInvite.role.in_([InviteRole.attendee, InviteRole.observer]), Meeting.ends_at >= since)
            .order_by(Meeting.starts_at)).all())
    places = _places(session, meetings)
    settings = settings_for(session, {m.org_unit_id for m in meetings})
    cal = _calendar("PUBLISH", _("ServiceCircle meetings"))
    for meeting in meetings:
        cal.add_component(_event(meeting, place=places[meeting.id], url=url_for_meeting(meeting),
                                 alarms=settings[meeting.org_unit_id].reminder_minutes or []))
    return cal.to_ical()
