"""Accounts: phone numbers, sign-in, server-side sessions and passwords."""
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import Member, Role, RoleName, UserSession, utcnow
from models.db import begin_write, core_connection, unscoped
from services import passwords
from services.errors import DomainError

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str | None) -> str:
    """A mainland mobile number as 11 digits, or DomainError("bad_phone")."""
    text = re.sub(r"[\s\-]", "", raw or "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if not PHONE_RE.match(text):
        raise DomainError("bad_phone", _l("Enter an 11-digit mainland mobile number, such as 13800138000."))
    return text


def check_new_password(password: str) -> None:
    """Refuse a password that is too short or too long."""
    if len(password or "") < passwords.MIN_LENGTH:
        raise DomainError("password_too_short", _l("The password needs at least %(n)s characters.", n=passwords.MIN_LENGTH))
    if len(password) > passwords.MAX_LENGTH:
        raise DomainError("password_too_long", _l("The password can have at most %(n)s characters.", n=passwords.MAX_LENGTH))


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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, *, phone: str, password: str) -> Member:
    """The member with this phone and password, or DomainError("bad_credentials")."""
    number = normalize_phone(phone)
    if len(password or "") > passwords.MAX_LENGTH:
        raise DomainError("bad_credentials", _l("Wrong phone number or password."), status=401)
    with unscoped(session):
        member = session.exec(select(Member).where(Member.phone == number)).first()
    if member is None or not member.is_active:
        passwords.verify_password(None, password)
        raise DomainError("bad_credentials", _l("Wrong phone number or password."), status=401)
    if not passwords.verify_password(member.password_hash, password):
        raise DomainError("bad_credentials", _l("Wrong phone number or password."), status=401)
    return member


def start_session(session: Session, *, member: Member, remember: bool, idle_hours: int, remember_days: int) -> str:
    """Open a server-side session for the member and return its new random token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = timedelta(days=remember_days) if remember else timedelta(hours=idle_hours)
    begin_write(session)
    session.add(
        UserSession(token_hash=_token_hash(token), member_id=member.id, remember=remember,
                    created_at=now, last_seen_at=now, expires_at=now + lifetime)
    )
    session.commit()
    return token


def sign_in(session: Session, *, phone: str, password: str, remember: bool = False,
            idle_hours: int = 12, remember_days: int = 30) -> str:
    """Check the credentials, open a session and return its token."""
    member = authenticate(session, phone=phone, password=password)
    if member.password_hash and passwords.needs_rehash(member.password_hash):
        begin_write(session)
        member.password_hash = passwords.hash_password(password)
        session.add(member)
        session.commit()
    return start_session(session, member=member, remember=remember,
                         idle_hours=idle_hours, remember_days=remember_days)


def end_session(session: Session, *, token: str) -> None:
    """Revoke a session so that its cookie is refused from now on."""
    begin_write(session)
    row = session.exec(select(UserSession).where(UserSession.token_hash == _token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    session.commit()


def end_all_sessions(session: Session, *, member_id: int, keep_token: str | None = None) -> None:
    """Revoke every session of a member (after a password change or reset)."""
    keep = _token_hash(keep_token) if keep_token else None
    rows = session.exec(
        select(UserSession).where(UserSession.member_id == member_id, UserSession.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for row in rows:
        if row.token_hash != keep:
            row.revoked_at = now
            session.add(row)


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
    rows = core_connection(session).execute(_PRINCIPAL_QUERY, {"token_hash": _token_hash(token)}).all()
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


def change_password(session: Session, *, member_id: int, current: str | None, new: str, keep_token: str | None) -> None:
    """Set a member's own new password; the current one is needed unless a change is forced."""
    check_new_password(new)
    begin_write(session)
    with unscoped(session):
        member = session.get(Member, member_id)
        if member is None:
            raise DomainError("not_found", status=404)
        if not member.must_change_password and not passwords.verify_password(member.password_hash, current or ""):
            raise DomainError("bad_current_password", _l("The current password is wrong."))
        if passwords.verify_password(member.password_hash, new):
            raise DomainError("same_password", _l("Choose a password different from the old one."))
        member.password_hash = passwords.hash_password(new)
        member.must_change_password = False
        session.add(member)
        end_all_sessions(session, member_id=member.id, keep_token=keep_token)
        session.commit()


def set_locale(session: Session, *, member_id: int, locale: str) -> None:
    """Remember the member's language."""
    begin_write(session)
    with unscoped(session):
        member = session.get(Member, member_id)
        if member is not None:
            member.locale = locale
            session.add(member)
    session.commit()
