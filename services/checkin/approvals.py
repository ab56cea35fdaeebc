"""Hours added by hand (补录) and the secretary's approvals."""
from datetime import date, datetime, timedelta, timezone

from sqlmodel import Session, select

from models import CheckIn, CheckinMethod, CheckinSource, CheckinStatus, Station, utcnow
from models.db import begin_write, unscoped
from services.checkin.hours import credit_minutes
from services.checkin.records import reach_ids
from services.checkin.rules import CheckInError, cfg, local_day, local_tz
from services.checkin.scans import check_nonce, lock_member
from services import audit
from services.errors import NotFound


def add_manual(session: Session, *, member_id: int, station_id: int, day: date, hours: float, note: str,
               nonce: str, activity_id: int | None = None) -> CheckIn:
    """Hours added by hand (补录): kept apart from scans, they wait for the secretary's approval."""
    nonce = check_nonce(nonce)
    today = local_day(utcnow())
    if day > today or day < today - timedelta(days=366):
        raise CheckInError("bad_day")
    if not (0.5 <= hours <= float(cfg("CHECKIN_DAILY_CAP_HOURS"))):
        raise CheckInError("bad_hours")
    begin_write(session)
    with unscoped(session):
        existing = session.exec(select(CheckIn).where(CheckIn.member_id == member_id, CheckIn.nonce == nonce)).first()
        if existing is not None:
            return existing
        branch_id = lock_member(session, member_id)
        if session.get(Station, station_id) is None:
            raise NotFound()
        start = datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=local_tz()).astimezone(timezone.utc)
        minutes = int(round(hours * 60))
        record = CheckIn(member_id=member_id, org_unit_id=branch_id, station_id=station_id,
                         activity_id=activity_id, source=CheckinSource.manual, method=CheckinMethod.manual,
                         status=CheckinStatus.pending, nonce=nonce, checked_in_at=start,
                         checked_out_at=start + timedelta(minutes=minutes), checkout_method=None,
                         service_day=day, minutes=minutes, note=(note or "").strip()[:200],
                         credited_minutes=credit_minutes(session, member_id=member_id, day=day, minutes=minutes))
        session.add(record)
        session.flush()
        audit.record(session, actor=member_id, action="hours.manual_add", member=member_id, unit=branch_id,
                     target=f"checkin:{record.id}",
                     after={"station_id": station_id, "day": day, "minutes": minutes, "status": record.status,
                            "credited_minutes": record.credited_minutes})
        session.commit()
    return record


def decide(session: Session, principal, *, unit_id: int, ids: list[int], approve: bool) -> int:
    """Approve or decline pending records of a branch in bulk; NotFound when any id is outside it."""
    ids = sorted({int(i) for i in ids})[:500]
    if not ids:
        return 0
    begin_write(session)
    reach = reach_ids(session, principal, unit_id)
    rows = session.exec(select(CheckIn).where(CheckIn.id.in_(ids), CheckIn.org_unit_id.in_(reach))).all()
    if len(rows) != len(ids):
        raise NotFound()
    now = utcnow()
    changed = []
    for record in rows:
        if record.status != CheckinStatus.pending:
            continue
        record.status = CheckinStatus.approved if approve else CheckinStatus.declined
        record.decided_by = principal.id
        record.decided_at = now
        session.add(record)
        changed.append({"actor": principal, "action": "hours.approve" if approve else "hours.decline",
                        "member": record.member_id, "unit": record.org_unit_id, "target": f"checkin:{record.id}",
                        "before": {"status": CheckinStatus.pending},
                        "after": {"status": record.status, "credited_minutes": record.credited_minutes}})
    audit.record_many(session, changed, now=now)
    session.commit()
    return len(changed)
