"""In-app notices: send one to many members (idempotent by key), list them, mark them read."""
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Notice, utcnow
from models.db import begin_write
from services.errors import NotFound


def send(session: Session, *, member_ids, title: str, body: str = "", link: str = "", key: str | None = None,
         now: datetime | None = None, commit: bool = True) -> int:
    """Give each member a notice; with a `key`, a member who already has that key gets nothing new.

    Returns how many notices were written. The unique (member_id, key) stands behind the check.
    """
    ids = sorted({int(i) for i in member_ids})
    if not ids:
        return 0
    now = now or utcnow()
    begin_write(session)
    for _ in range(2):
        have: set[int] = set()
        if key:
            have = set(session.exec(select(Notice.member_id).where(Notice.key == key,
                                                                    Notice.member_id.in_(ids))).all())
        rows = [Notice(member_id=i, title=str(title)[:120], body=str(body)[:500], link=link[:300], key=key,
                       created_at=now) for i in ids if i not in have]
        try:
            with session.begin_nested():
                session.add_all(rows)
        except IntegrityError:  # a concurrent sender won the race for some rows: read again
            continue
        break
    else:
        rows = []
    if commit:
        session.commit()
    return len(rows)


def for_member(session: Session, *, member_id: int, limit: int = 50) -> list[Notice]:
    """The member's notices, newest first."""
    return list(session.exec(select(Notice).where(Notice.member_id == member_id)
                             .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)).all())


def unread_count(session: Session, *, member_id: int) -> int:
    """How many of the member's notices are unread."""
    return session.exec(select(func.count(Notice.id)).where(Notice.member_id == member_id,
                                                            Notice.read_at.is_(None))).one()


def mark_read(session: Session, *, member_id: int, notice_id: int) -> Notice:
    """Mark one of the member's own notices read (NotFound for anyone else's)."""
    begin_write(session)
    notice = session.get(Notice, notice_id)
    if notice is None or notice.member_id != member_id:
        raise NotFound()
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.add(notice)
    session.commit()
    return notice


def mark_all_read(session: Session, *, member_id: int) -> int:
    """Mark every unread notice of the member read; returns how many."""
    begin_write(session)
    rows = session.exec(select(Notice).where(Notice.member_id == member_id, Notice.read_at.is_(None))).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
        session.add(row)
    session.commit()
    return len(rows)
