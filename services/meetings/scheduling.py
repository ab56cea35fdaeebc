"""Scheduling: checked meeting data, who is invited, create, edit and move, cancel, and the 主题党日 repeat helper."""
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import (InviteRole, Meeting, MeetingAudience, MeetingInvite, MeetingKind, MeetingSettings, Member,
                    MemberStatus, OrgKind, OrgUnit, PlaceKind, Role, RoleName, Station, utcnow)
from models.db import begin_write, unscoped
from services import study
from services.accounts import Principal
from services.errors import DomainError, NotFound
from services.meetings.common import (MAX_LENGTH, get_meeting_led, has_started, is_over, local, refuse, require_runs,
                                      tz, writes)
from services.meetings.reminders import notify_cancelled, notify_moved, sync_reminders

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DEFAULT_AUDIENCE = {MeetingKind.committee: MeetingAudience.committee, MeetingKind.group: MeetingAudience.group}
MAX_REPEAT_MONTHS = 12


@dataclass
class MeetingData:
    """What a secretary fills in for a meeting (times aware; shown in Asia/Shanghai, stored UTC)."""

    kind: str
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    place_kind: str = PlaceKind.text.value
    station_id: int | None = None
    place_text: str = ""
    online_url: str = ""
    agenda: str = ""
    audience: str = MeetingAudience.branch.value
    group_id: int | None = None
    member_ids: list[int] = field(default_factory=list)
    observer_ids: list[int] = field(default_factory=list)
    study_task_id: int | None = None  # a 党课: link this lecture task instead of making one


def _clean(text: str | None, limit: int) -> str:
    return CONTROL.sub("", (text or "").strip())[:limit + 1]


def check_data(data: MeetingData, *, now: datetime | None = None) -> None:
    """Refuse a meeting that cannot happen, with a message that says why."""
    now = now or utcnow()
    try:
        kind, audience, place = MeetingKind(data.kind), MeetingAudience(data.audience), PlaceKind(data.place_kind)
    except ValueError:
        refuse("bad_kind", _l("Choose the kind of meeting, who attends and where."))
    title = _clean(data.title, 120)
    if not title or len(title) > 120:
        refuse("bad_title", _l("Enter a title of 1 to 120 characters."))
    if data.starts_at is None or data.ends_at is None or data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        refuse("bad_time", _l("Enter the start and end time."))
    if data.ends_at <= data.starts_at:
        refuse("ends_before_start", _l("The meeting must end after it starts."))
    if data.ends_at - data.starts_at > MAX_LENGTH:
        refuse("too_long", _l("A meeting can last at most 12 hours."))
    if data.starts_at <= now:
        refuse("in_the_past", _l("The start time has passed. Choose a time in the future."))
    if data.starts_at > now + timedelta(days=800):
        refuse("too_far", _l("Schedule meetings at most two years ahead."))
    if place == PlaceKind.station and not data.station_id:
        refuse("no_station", _l("Choose the service station where the meeting takes place."))
    if place == PlaceKind.text and not (1 <= len(_clean(data.place_text, 200)) <= 200):
        refuse("no_place", _l("Say where the meeting takes place (up to 200 characters)."))
    if place == PlaceKind.online:
        url = _clean(data.online_url, 500)
        if not url.startswith("https://") or len(url) > 500 or any(c in url for c in " <>\"'"):
            refuse("bad_link", _l("An online meeting needs its https:// link."))
    if len(data.agenda or "") > 5000:
        refuse("agenda_too_long", _l("The agenda is too long: at most 5,000 characters."))
    if kind == MeetingKind.group and (audience != MeetingAudience.group or not data.group_id):
        refuse("group_needed", _l("A Party group meeting belongs to one group: choose it."))
    if audience == MeetingAudience.group and not data.group_id:
        refuse("group_needed", _l("Choose the group that attends."))
    if audience == MeetingAudience.members and not data.member_ids:
        refuse("no_members", _l("Choose at least one member, or invite the whole branch."))
    if len(data.member_ids) > 2000 or len(data.observer_ids) > 200:
        refuse("too_many", _l("Too many members chosen."))


# -- who is invited ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invitee:
    """A member to put on the list, with their standing when invited."""

    member_id: int
    role: InviteRole
    has_vote: bool
    on_committee: bool


def invitees(session: Session, unit: OrgUnit, data: MeetingData) -> list[Invitee]:
    """The members a meeting's audience names, and its observers (列席); chosen ids outside the branch are NotFound."""
    with unscoped(session):
        people = {m.id: m for m in session.exec(select(Member).where(Member.org_unit_id == unit.id,
                                                                     Member.is_active.is_(True))).all()}
        committee = set(session.exec(select(Role.member_id).where(
            Role.org_unit_id == unit.id, Role.role.in_([RoleName.secretary, RoleName.committee]))).all())
        if data.group_id:
            group = session.get(OrgUnit, data.group_id)
            if group is None or group.parent_id != unit.id or group.kind != OrgKind.group:
                raise NotFound(_l("That group is not in this branch."))
    audience = MeetingAudience(data.audience)
    if audience == MeetingAudience.branch:
        ids = set(people)
    elif audience == MeetingAudience.committee:
        ids = committee & set(people)
    elif audience == MeetingAudience.group:
        ids = {i for i, m in people.items() if m.group_id == data.group_id}
    else:
        ids = {int(i) for i in data.member_ids}
        if not ids <= set(people):
            raise NotFound(_l("A chosen member is not in this branch."))
    observers = {int(i) for i in data.observer_ids} - ids
    if not observers <= set(people):
        raise NotFound(_l("A chosen member is not in this branch."))
    if not ids:
        refuse("nobody", _l("Nobody would be invited: this branch has no members there yet."))

    def make(i, role):
        return Invitee(i, role, people[i].status == MemberStatus.full, i in committee)

    return ([make(i, InviteRole.attendee) for i in sorted(ids)]
            + [make(i, InviteRole.observer) for i in sorted(observers)])


def _sync_invites(session: Session, meeting: Meeting, wanted: list[Invitee]) -> None:
    """Make the list match: add the new, drop those no longer invited, refresh the standing of the rest."""
    with unscoped(session):
        current = {i.member_id: i for i in session.exec(select(MeetingInvite).where(
            MeetingInvite.meeting_id == meeting.id)).all()}
    wanted_ids = {w.member_id for w in wanted}
    for member_id, row in current.items():
        if member_id not in wanted_ids and row.role != InviteRole.requested:
            session.delete(row)
    for w in wanted:
        row = current.get(w.member_id)
        if row is None:
            row = MeetingInvite(meeting_id=meeting.id, member_id=w.member_id, org_unit_id=meeting.org_unit_id)
        row.role, row.has_vote, row.on_committee = w.role, w.has_vote, w.on_committee
        session.add(row)
    session.flush()


def _station_ok(session: Session, station_id: int | None) -> None:
    if station_id is None:
        return
    station = session.get(Station, station_id)
    if station is None or not station.is_active:
        raise NotFound(_l("That service station was not found."))


def _apply(meeting: Meeting, data: MeetingData) -> None:
    meeting.kind = MeetingKind(data.kind)
    meeting.title = _clean(data.title, 120)
    meeting.starts_at, meeting.ends_at = data.starts_at, data.ends_at
    meeting.place_kind = PlaceKind(data.place_kind)
    meeting.station_id = data.station_id if meeting.place_kind == PlaceKind.station else None
    meeting.place_text = _clean(data.place_text, 200) if meeting.place_kind == PlaceKind.text else ""
    meeting.online_url = _clean(data.online_url, 500) if meeting.place_kind == PlaceKind.online else ""
    meeting.agenda = CONTROL.sub("", data.agenda or "").strip()
    meeting.audience = MeetingAudience(data.audience)
    meeting.group_id = data.group_id if meeting.audience == MeetingAudience.group else None


# -- the 党课's lecture task (through study's public authoring) ----------------------------------------------------

def _lecture_data(meeting: Meeting, attendee_ids: list[int], principal: Principal) -> study.TaskData:
    minutes = (meeting.ends_at - meeting.starts_at).total_seconds() / 60
    day = local(meeting.starts_at).date()
    whole = meeting.audience == MeetingAudience.branch
    return study.TaskData(
        title=meeting.title, kind="lecture", completion="attendance", opens_on=min(study.local_today(), day),
        due_on=day, hours_half=max(1, min(16, round(minutes / 30))), required=True,
        audience="unit" if whole else "members", member_ids=[] if whole else attendee_ids,
        body_md=meeting.agenda or "", lecture_at=meeting.starts_at,
        lecture_place=(meeting.place_text or meeting.online_url or "")[:120])


def _link_lecture(session: Session, principal: Principal, meeting: Meeting, task_id: int | None,
                  attendee_ids: list[int]) -> None:
    """Link the chosen lecture task, or make one for this 党课 (study's create_task commits by itself)."""
    if task_id:
        task = study.get_task_led(session, principal, task_id)
        if task.completion != "attendance" or task.archived_at is not None:
            refuse("not_a_lecture", _l("Link a lecture task that is completed by attendance."))
        meeting.study_task_id, meeting.study_task_owned = task.id, False
        return
    task = study.create_task(session, principal, unit_id=meeting.org_unit_id,
                             data=_lecture_data(meeting, attendee_ids, principal))
    meeting.study_task_id, meeting.study_task_owned = task.id, True


def _refresh_lecture(session: Session, principal: Principal, meeting: Meeting, attendee_ids: list[int]) -> None:
    """Keep a lecture task made for this 党课 in step with a move or a new list (it commits by itself)."""
    if meeting.kind != MeetingKind.lecture or not meeting.study_task_id or not meeting.study_task_owned:
        return
    try:
        study.update_task(session, principal, task_id=meeting.study_task_id,
                          data=_lecture_data(meeting, attendee_ids, principal))
    except DomainError:
        session.rollback()  # the meeting stands; the task keeps its old details


# -- create, edit, move, cancel ----------------------------------------------------------------------------------

def _new_meeting(unit_id: int, principal: Principal, now: datetime, series: str | None = None) -> Meeting:
    return Meeting(org_unit_id=unit_id, uid=uuid.uuid4().hex, kind=MeetingKind.branch_assembly, title="",
                   starts_at=now, ends_at=now, qr_key=secrets.token_hex(16), series=series,
                   created_by=principal.id, created_at=now, updated_at=now)


@writes
def create_meeting(session: Session, principal: Principal, *, unit_id: int, data: MeetingData,
                   now: datetime | None = None) -> Meeting:
    """Schedule a meeting of a branch the person runs: the list, the lecture task of a 党课, the reminders."""
    now = now or utcnow()
    check_data(data, now=now)
    begin_write(session)
    unit = require_runs(session, principal, unit_id)
    _station_ok(session, data.station_id if data.place_kind == PlaceKind.station else None)
    wanted = invitees(session, unit, data)
    meeting = _new_meeting(unit.id, principal, now)
    _apply(meeting, data)
    if meeting.kind == MeetingKind.lecture:
        _link_lecture(session, principal, meeting, data.study_task_id,
                      [w.member_id for w in wanted if w.role == InviteRole.attendee])
        begin_write(session)
    session.add(meeting)
    session.flush()
    _sync_invites(session, meeting, wanted)
    sync_reminders(session, meeting, now=now)
    session.commit()
    return meeting


@writes
def update_meeting(session: Session, principal: Principal, *, meeting_id: int, data: MeetingData,
                   now: datetime | None = None) -> Meeting:
    """Edit or move a meeting before it starts: the invited are told of a new time or place at once."""
    now = now or utcnow()
    begin_write(session)
    meeting = get_meeting_led(session, principal, meeting_id)
    if meeting.cancelled_at is not None:
        refuse("cancelled", _l("This meeting was cancelled; schedule a new one instead."), 409)
    if has_started(meeting, now):
        refuse("started", _l("The meeting has started: its time and place can no longer change."), 409)
    check_data(data, now=now)  # first: it refuses a kind that is not one
    if MeetingKind(data.kind) != meeting.kind:
        refuse("kind_fixed", _l("The kind of a meeting cannot change; cancel it and schedule a new one."))
    with unscoped(session):
        unit = session.get(OrgUnit, meeting.org_unit_id)
    _station_ok(session, data.station_id if data.place_kind == PlaceKind.station else None)
    wanted = invitees(session, unit, data)
    before = (meeting.starts_at, meeting.ends_at, meeting.place_kind, meeting.station_id, meeting.place_text,
              meeting.online_url)
    _apply(meeting, data)
    moved = before != (meeting.starts_at, meeting.ends_at, meeting.place_kind, meeting.station_id,
                       meeting.place_text, meeting.online_url)
    meeting.sequence += 1
    meeting.updated_at = now
    session.add(meeting)
    _sync_invites(session, meeting, wanted)
    if moved:
        notify_moved(session, meeting)
    sync_reminders(session, meeting, now=now)
    session.commit()
    _refresh_lecture(session, principal, meeting, [w.member_id for w in wanted if w.role == InviteRole.attendee])
    return meeting


@writes
def cancel_meeting(session: Session, principal: Principal, *, meeting_id: int, reason: str,
                   now: datetime | None = None) -> Meeting:
    """Cancel a meeting with a reason: reminders withdrawn, the invited told at once."""
    now = now or utcnow()
    reason = _clean(reason, 300)
    if not 2 <= len(reason) <= 300:
        refuse("no_reason", _l("Give the reason for the cancellation (2 to 300 characters); the invited will see it."))
    begin_write(session)
    meeting = get_meeting_led(session, principal, meeting_id)
    if meeting.cancelled_at is not None:
        refuse("cancelled", _l("This meeting was already cancelled."), 409)
    if is_over(meeting, now):
        refuse("over", _l("This meeting is over and cannot be cancelled."), 409)
    meeting.cancelled_at, meeting.cancel_reason = now, reason
    meeting.sequence += 1
    meeting.updated_at = now
    session.add(meeting)
    notify_cancelled(session, meeting)
    session.commit()
    if meeting.study_task_id and meeting.study_task_owned:
        try:
            study.archive_task(session, principal, task_id=meeting.study_task_id, now=now)
        except DomainError:
            session.rollback()
    return meeting


# -- the 主题党日 repeat helper ------------------------------------------------------------------------------------

def repeat_dates(*, day: int, months: int, start: time, today: date, first_after: datetime) -> list[datetime]:
    """The fixed day of each of the next `months` months (this one included when still ahead), at `start`."""
    out = []
    year, month = today.year, today.month
    for _ in range(months + 1):
        moment = datetime.combine(date(year, month, day), start, tzinfo=tz())
        if moment > first_after:
            out.append(moment)
        if len(out) == months:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@writes
def repeat_theme_days(session: Session, principal: Principal, *, unit_id: int, data: MeetingData, day: int,
                      months: int, now: datetime | None = None) -> list[Meeting]:
    """Make real 主题党日 rows on the branch's fixed day (固定党日) for the next months; each can be moved or
    cancelled alone. `data` gives the first one's title, times of day, place and list."""
    now = now or utcnow()
    if not isinstance(day, int) or not 1 <= day <= 28:
        refuse("bad_day", _l("The fixed Party day is a day of the month from 1 to 28."))
    if not isinstance(months, int) or not 1 <= months <= MAX_REPEAT_MONTHS:
        refuse("bad_months", _l("Repeat for 1 to 12 months."))
    if data.starts_at is None or data.ends_at is None or data.starts_at.tzinfo is None:
        refuse("bad_time", _l("Enter the start and end time."))
    length = data.ends_at - data.starts_at
    first = local(data.starts_at)
    dates = repeat_dates(day=day, months=months, start=first.timetz().replace(tzinfo=None),
                         today=local(now).date(), first_after=now)
    if not dates:
        refuse("no_dates", _l("This repeat rule makes no dates in the future."))
    data.kind = MeetingKind.theme_day.value
    for moment in dates:
        check_data(MeetingData(**{**data.__dict__, "starts_at": moment, "ends_at": moment + length}), now=now)
    begin_write(session)
    unit = require_runs(session, principal, unit_id)
    _station_ok(session, data.station_id if data.place_kind == PlaceKind.station else None)
    wanted = invitees(session, unit, data)
    series = uuid.uuid4().hex
    made = []
    for moment in dates:
        meeting = _new_meeting(unit.id, principal, now, series)
        _apply(meeting, MeetingData(**{**data.__dict__, "starts_at": moment.astimezone(tz()),
                                       "ends_at": moment + length}))
        session.add(meeting)
        session.flush()
        _sync_invites(session, meeting, wanted)
        sync_reminders(session, meeting, now=now)
        made.append(meeting)
    with unscoped(session):
        settings = session.exec(select(MeetingSettings).where(MeetingSettings.org_unit_id == unit.id)).first()
    settings = settings or MeetingSettings(org_unit_id=unit.id)
    settings.fixed_day, settings.updated_at = day, now
    session.add(settings)
    session.commit()
    return made
