"""Service hours: rounding, the daily cap, closing a visit, and closing forgotten check-outs."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func
from sqlmodel import Session, select

from models import Activity, CheckIn, CheckinStatus, CheckoutMethod, Station, utcnow
from models.db import begin_write, unscoped
from services.checkin.rules import COUNTED, cfg, local_tz
from services import audit
from services.stations import opening_hours


def round_minutes(minutes: int) -> int:
    """Minutes rounded down to the configured step (half an hour by default)."""
    step = int(cfg("CHECKIN_ROUND_MINUTES"))
    return max(0, minutes) // step * step if step > 0 else max(0, minutes)


def _used_minutes(session: Session, *, member_id: int, day: date, exclude_id: int | None) -> int:
    query = select(func.coalesce(func.sum(CheckIn.credited_minutes), 0)).where(
        CheckIn.member_id == member_id, CheckIn.service_day == day,
        CheckIn.status.in_([*COUNTED, CheckinStatus.pending]))
    if exclude_id:
        query = query.where(CheckIn.id != exclude_id)
    with unscoped(session):
        return int(session.exec(query).one())


def credit_minutes(session: Session, *, member_id: int, day: date, minutes: int, exclude_id: int | None = None) -> int:
    """The minutes that count: rounded down, and within the daily cap after the day's other records."""
    cap = int(float(cfg("CHECKIN_DAILY_CAP_HOURS")) * 60)
    left = max(0, cap - _used_minutes(session, member_id=member_id, day=day, exclude_id=exclude_id))
    return min(round_minutes(minutes), left)


def close_visit(session: Session, record: CheckIn, *, at: datetime, method: str, nonce: str | None = None) -> CheckIn:
    """Check a record out and credit its hours (auto-closed ones wait for the secretary)."""
    at = max(at, record.checked_in_at)
    record.checked_out_at = at
    record.checkout_method = method
    record.checkout_nonce = nonce
    record.open_member_id = None
    record.minutes = int((at - record.checked_in_at).total_seconds() // 60)
    record.credited_minutes = credit_minutes(session, member_id=record.member_id, day=record.service_day,
                                             minutes=record.minutes, exclude_id=record.id)
    if method == CheckoutMethod.auto:
        record.auto_closed = True
        record.status = CheckinStatus.pending
    else:
        record.status = CheckinStatus.counted
    session.add(record)
    return record


def due_close_time(session: Session, record: CheckIn) -> datetime:
    """When a forgotten open record closes: the activity's end, the station's closing time, or after 8 hours."""
    candidates = [record.checked_in_at + timedelta(hours=float(cfg("CHECKIN_MAX_OPEN_HOURS")))]
    if record.activity_id:
        activity = session.get(Activity, record.activity_id)
        if activity is not None and activity.ends_at > record.checked_in_at:
            candidates.append(activity.ends_at)
    station = session.get(Station, record.station_id)
    if station is not None:
        closes = opening_hours.closes_after(station.opening_hours, record.checked_in_at.astimezone(local_tz()),
                                            timedelta(minutes=cfg("CHECKIN_HOURS_GRACE_MINUTES")))
        if closes is not None and closes > record.checked_in_at:
            candidates.append(closes.astimezone(timezone.utc))
    return min(candidates)


def close_stale(session: Session, *, now: datetime | None = None, member_id: int | None = None,
                limit: int = 500) -> int:
    """Close forgotten check-outs that are due, flag them for the secretary; returns how many (worker, CLI)."""
    now = now or utcnow()
    begin_write(session)
    closed = 0
    with unscoped(session):
        query = select(CheckIn).where(CheckIn.open_member_id.is_not(None))
        if member_id is not None:
            query = query.where(CheckIn.member_id == member_id)
        query = query.where(CheckIn.checked_in_at <= now - timedelta(minutes=1)).order_by(CheckIn.id).limit(limit)
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        entries = []
        for record in session.exec(query).all():
            due = due_close_time(session, record)
            if due <= now:
                close_visit(session, record, at=due, method=CheckoutMethod.auto)
                closed += 1
                entries.append({"actor": None, "action": "hours.auto_close", "member": record.member_id,
                                "unit": record.org_unit_id, "target": f"checkin:{record.id}",
                                "before": {"status": CheckinStatus.open},
                                "after": {"status": record.status, "checked_out_at": record.checked_out_at,
                                          "minutes": record.minutes, "credited_minutes": record.credited_minutes}})
        audit.record_many(session, entries, now=now)
        session.commit()
    return closed
