"""Volunteer activities at stations: list, sign up (never over-filled), cancel, post."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Activity, ActivitySignup, Station, utcnow
from models.db import begin_write
from services.checkin.rules import CheckInError, aware
from services.errors import NotFound


@dataclass
class ActivityRow:
    """An activity with its station and the member's place in it."""

    activity: Activity
    station_name: str
    signed_up: bool

    @property
    def left(self) -> int:
        return max(0, self.activity.slots - self.activity.taken)


def list_activities(session: Session, *, member_id: int, now: datetime | None = None, limit: int = 50
                    ) -> list[ActivityRow]:
    """Activities not yet over, soonest first, with whether the member signed up."""
    now = now or utcnow()
    rows = session.exec(select(Activity, Station.name).join(Station, Station.id == Activity.station_id)
                        .where(Activity.ends_at > now, Activity.cancelled.is_(False))
                        .order_by(Activity.starts_at).limit(limit)).all()
    mine = set(session.exec(select(ActivitySignup.activity_id).where(
        ActivitySignup.member_id == member_id, ActivitySignup.active.is_(True))).all())
    return [ActivityRow(a, name, a.id in mine) for a, name in rows]


def get_activity(session: Session, *, activity_id: int, member_id: int) -> ActivityRow:
    """One activity, or NotFound."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.cancelled:
        raise NotFound()
    signed = session.exec(select(ActivitySignup.id).where(
        ActivitySignup.activity_id == activity_id, ActivitySignup.member_id == member_id,
        ActivitySignup.active.is_(True))).first()
    return ActivityRow(activity, session.get(Station, activity.station_id).name, bool(signed))


def sign_up(session: Session, *, member_id: int, activity_id: int, now: datetime | None = None) -> ActivitySignup:
    """Take a place in an activity; a conditional UPDATE never lets the places over-fill."""
    now = now or utcnow()
    begin_write(session)
    activity = session.get(Activity, activity_id)
    if activity is None or activity.cancelled:
        raise NotFound()
    if activity.ends_at <= now:
        raise CheckInError("activity_over")
    existing = session.exec(select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                                         ActivitySignup.member_id == member_id)).first()
    if existing is not None and existing.active:
        session.rollback()
        return existing
    taken = session.execute(update(Activity).where(Activity.id == activity_id, Activity.taken < Activity.slots)
                            .values(taken=Activity.taken + 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        session.rollback()
        raise CheckInError("activity_full")
    if existing is not None:
        existing.active, existing.cancelled_at, existing.created_at = True, None, now
        signup = existing
    else:
        signup = ActivitySignup(activity_id=activity_id, member_id=member_id, created_at=now)
    session.add(signup)
    try:
        session.commit()
    except IntegrityError:  # the same member signing up twice at once: the other request won
        session.rollback()
        return session.exec(select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                                         ActivitySignup.member_id == member_id)).one()
    return signup


def cancel_signup(session: Session, *, member_id: int, activity_id: int) -> None:
    """Give the place back (nothing happens when the member had none)."""
    begin_write(session)
    signup = session.exec(select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                                       ActivitySignup.member_id == member_id,
                                                       ActivitySignup.active.is_(True))).first()
    if signup is None:
        session.rollback()
        return
    signup.active, signup.cancelled_at = False, utcnow()
    session.add(signup)
    session.execute(update(Activity).where(Activity.id == activity_id, Activity.taken > 0)
                    .values(taken=Activity.taken - 1).execution_options(synchronize_session=False))
    session.commit()


def create_activity(session: Session, principal, *, station_id: int, title: str, starts_at: datetime,
                    ends_at: datetime, slots: int, place: str = "", bring: str = "",
                    description: str = "") -> Activity:
    """Post an activity: the station's staff, a secretary (for their branch) or an admin."""
    title = (title or "").strip()
    starts_at, ends_at = aware(starts_at), aware(ends_at)
    if not title or len(title) > 120 or ends_at <= starts_at or not (1 <= int(slots) <= 500) \
            or ends_at - starts_at > timedelta(days=3):
        raise CheckInError("bad_activity")
    if not (principal.is_admin or station_id in principal.staff_station_ids or principal.led_org_ids):
        raise CheckInError("not_staff")
    begin_write(session)
    if session.get(Station, station_id) is None:
        raise NotFound()
    org_unit_id = None if station_id in principal.staff_station_ids else (
        principal.branch_id if principal.branch_id in principal.led_org_ids else next(iter(principal.led_org_ids), None))
    activity = Activity(title=title, station_id=station_id, org_unit_id=org_unit_id, place=place.strip()[:200],
                        starts_at=starts_at, ends_at=ends_at, slots=int(slots), bring=bring.strip()[:200],
                        description=description.strip()[:2000], created_by=principal.id)
    session.add(activity)
    session.commit()
    return activity
