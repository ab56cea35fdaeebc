"""The signed-in person (Principal), loaded from the server-side session row on every request."""
import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from models import Member, Role, RoleName, UserSession, utcnow
from models.db import begin_write, core_connection


@dataclass(frozen=True)
class Principal:
    """The signed-in person, as the views and services need them for one request."""

    id: int
    name: str
    phone: str
    branch_id: int
    group_id: int | None
    must_change_password: bool
    locale: str | None
    session_token: str
    is_admin: bool = False
    led_org_ids: frozenset[int] = field(default_factory=frozenset)
    staff_station_ids: frozenset[int] = field(default_factory=frozenset)

    # Flask-Login's interface.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """The session token: Flask-Login stores it, and revoking the session voids it."""
        return self.session_token

    @property
    def is_secretary(self) -> bool:
        """Whether they lead any org unit (secretary or committee member)."""
        return bool(self.led_org_ids) or self.is_admin

    @property
    def is_station_staff(self) -> bool:
        """Whether they staff any station."""
        return bool(self.staff_station_ids) or self.is_admin


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal_query() -> sa.Select:
    us, m, r = UserSession.__table__.c, Member.__table__.c, Role.__table__.c
    return (sa.select(us.id, us.remember, us.last_seen_at, us.expires_at, us.revoked_at, m.id, m.name, m.phone,
                      m.org_unit_id, m.group_id, m.must_change_password, m.locale, m.is_active,
                      r.role, r.org_unit_id, r.station_id)
            .select_from(UserSession.__table__.join(Member.__table__, us.member_id == m.id)
                         .outerjoin(Role.__table__, r.member_id == m.id))
            .where(us.token_hash == sa.bindparam("token_hash")))


_PRINCIPAL_QUERY = _principal_query()  # built once: every signed-in request runs it


def load_principal(session: Session, *, token: str, idle_hours: int) -> Principal | None:
    """The person behind a session token, or None when it is unknown, revoked or expired.

    Every signed-in request pays for this, so it is one Core query (session row, member and
    roles joined) that skips the ORM and its scoping hook: the row is checked on every request,
    so a revoked session is refused at once.
    """
    now = utcnow()
    rows = core_connection(session).execute(_PRINCIPAL_QUERY, {"token_hash": token_hash(token)}).all()
    if not rows:
        return None
    (row_id, remember, last_seen_at, expires_at, revoked_at, member_id, name, phone, branch_id, group_id,
     must_change, locale, is_active) = rows[0][:13]
    if revoked_at is not None or expires_at <= now or not is_active:
        return None
    roles = [(role, unit_id, station_id) for *_, role, unit_id, station_id in rows if role is not None]
    if not remember and now - last_seen_at > timedelta(minutes=5):
        # sliding idle expiry, written at most every five minutes
        begin_write(session)
        sessions = UserSession.__table__
        session.connection().execute(sa.update(sessions).where(sessions.c.id == row_id).values(
            last_seen_at=now, expires_at=now + timedelta(hours=idle_hours)))
        session.commit()
    return Principal(
        id=member_id, name=name, phone=phone, branch_id=branch_id, group_id=group_id,
        must_change_password=bool(must_change), locale=locale, session_token=token,
        is_admin=any(role == RoleName.admin for role, _u, _s in roles),
        led_org_ids=frozenset(unit for role, unit, _s in roles
                              if role in (RoleName.secretary, RoleName.committee) and unit),
        staff_station_ids=frozenset(station for role, _u, station in roles
                                    if role == RoleName.station_staff and station),
    )
