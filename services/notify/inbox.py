"""The in-app inbox: a member's notifications from the moment they are due, newest first; read marks."""
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from models import Notification, utcnow
from models.db import begin_write
from services.errors import NotFound


def _visible(member_id: int, now: datetime):
    return (Notification.member_id == member_id, Notification.due_at <= now)


def for_member(session: Session, *, member_id: int, limit: int = 50, before_id: int | None = None,
               now: datetime | None = None) -> list[Notification]:
    """The member's notifications that are due, newest first (withdrawn ones included, marked)."""
    query = select(Notification).where(*_visible(member_id, now or utcnow()))
    if before_id:
        query = query.where(Notification.id < before_id)
    return list(session.exec(query.order_by(Notification.due_at.desc(), Notification.id.desc()).limit(limit)).all())


def unread_count(session: Session, *, member_id: int, now: datetime | None = None) -> int:
    """How many of the member's due notifications are unread (withdrawn ones do not count)."""
    return session.exec(select(func.count(Notification.id)).where(
        *_visible(member_id, now or utcnow()), Notification.read_at.is_(None),
        Notification.withdrawn_at.is_(None))).one()


def mark_read(session: Session, *, member_id: int, notification_id: int, now: datetime | None = None) -> Notification:
    """Mark one of the member's own due notifications read (NotFound for anyone else's)."""
    now = now or utcnow()
    begin_write(session)
    row = session.get(Notification, notification_id)
    if row is None or row.member_id != member_id or row.due_at > now:
        session.rollback()
        raise NotFound()
    if row.read_at is None:
        row.read_at = now
        session.add(row)
    session.commit()
    return row


def mark_all_read(session: Session, *, member_id: int, now: datetime | None = None) -> int:
    """Mark every unread due notification of the member read; returns how many."""
    now = now or utcnow()
    begin_write(session)
    result = session.exec(update(Notification).where(*_visible(member_id, now), Notification.read_at.is_(None))
                          .values(read_at=now))
    session.commit()
    return result.rowcount
