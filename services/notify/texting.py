"""Text messages in the sweep: never in quiet hours, a daily count per phone, one SendSms per delivery,
recorded at once (a provider does not de-duplicate, so nothing is left to chance between a send and its record)."""
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from models import Delivery, Member, Notification, SmsQuota
from models.db import begin_write, unscoped
from services.notify import sms
from services.notify.records import SweepResult, _record, _retry_values
from services.notify.timing import in_quiet_hours, sms_time, tz


def _take_quota(session: Session, member_id: int, now: datetime) -> bool:
    """Count one text to the member's phone today, unless the daily limit is reached."""
    day = now.astimezone(tz()).date()
    table = SmsQuota.__table__
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(member_id=member_id, day=day, sent=1)
    stmt = stmt.on_conflict_do_update(index_elements=["member_id", "day"], set_={"sent": table.c.sent + 1},
                                      where=table.c.sent < sms.daily_limit()).returning(table.c.sent)
    begin_write(session)
    row = session.execute(stmt).first()
    session.commit()
    return row is not None and sms.daily_limit() > 0


def _sms_one(session: Session, token: str, row: Delivery, note: Notification, now: datetime, http,
             result: SweepResult) -> None:
    if in_quiet_hours(now):
        later = sms_time(now, note.event_at)
        if later is None:
            _record(session, row.id, token, status="skipped", failed_at=now, last_error="quiet hours")
            result.skipped += 1
        else:
            _record(session, row.id, token, next_attempt_at=later, claimed_at=None, claim_token=None)
            result.released += 1
        return
    with unscoped(session):
        phone = session.execute(select(Member.phone).where(Member.id == row.member_id)).scalar_one_or_none()
    if not phone or not sms.available(note.purpose):
        _record(session, row.id, token, status="skipped", failed_at=now, last_error="sms unavailable")
        result.skipped += 1
        return
    if row.attempts == 0 and not _take_quota(session, row.member_id, now):
        _record(session, row.id, token, status="skipped", failed_at=now, last_error="daily limit")
        result.skipped += 1
        return
    when = note.event_at.astimezone(tz()).strftime("%m-%d %H:%M") if note.event_at else ""
    answer = sms.send_sms(phone=phone, purpose=note.purpose, variables={"title": note.title[:20], "time": when},
                          out_id=f"d{row.id}", session=http)  # signed with the real clock
    result.messages += 1
    if answer.ok:
        _record(session, row.id, token, status="sent", sent_at=now, attempts=row.attempts + 1, last_error="")
        result.sent += 1
    elif answer.retry:
        values = _retry_values(row, now, None, answer.code)
        _record(session, row.id, token, **values)
        result.failed += values.get("status") == "failed"
        result.retried += values.get("status") != "failed"
    else:
        _record(session, row.id, token, status="failed", failed_at=now, attempts=row.attempts + 1,
                last_error=answer.code[:200])
        result.failed += 1
