"""Location consent: the fact and the time a member agreed to the use of their position, nothing else."""
from datetime import datetime
from typing import Optional

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.db import begin_write
from models.geo import LocationConsent


def consent_of(session: Session, *, member_id: int) -> Optional[datetime]:
    """When the member consented to the use of their location, or None."""
    return session.exec(select(LocationConsent.granted_at).where(LocationConsent.member_id == member_id)).first()


def grant_consent(session: Session, *, member_id: int) -> datetime:
    """Record the member's consent (the fact and the time only); granting twice keeps the first."""
    begin_write(session)
    existing = session.exec(select(LocationConsent).where(LocationConsent.member_id == member_id)).first()
    if existing is not None:
        session.commit()
        return existing.granted_at
    row = LocationConsent(member_id=member_id)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # a concurrent grant won: theirs stands
        session.rollback()
        return consent_of(session, member_id=member_id)
    return row.granted_at


def withdraw_consent(session: Session, *, member_id: int) -> bool:
    """Withdraw the consent; True when there was one."""
    begin_write(session)
    row = session.exec(select(LocationConsent).where(LocationConsent.member_id == member_id)).first()
    if row is not None:
        session.delete(row)
    session.commit()
    return row is not None
