"""Sign-in: phone numbers, credentials, server-side sessions, password changes and language."""
import re
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import Member, UserSession, utcnow
from models.db import begin_write, unscoped
from services.accounts import passwords
from services.accounts.principal import token_hash
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
        UserSession(token_hash=token_hash(token), member_id=member.id, remember=remember,
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
    row = session.exec(select(UserSession).where(UserSession.token_hash == token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    session.commit()


def end_all_sessions(session: Session, *, member_id: int, keep_token: str | None = None) -> None:
    """Revoke every session of a member (after a password change or reset)."""
    keep = token_hash(keep_token) if keep_token else None
    rows = session.exec(
        select(UserSession).where(UserSession.member_id == member_id, UserSession.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for row in rows:
        if row.token_hash != keep:
            row.revoked_at = now
            session.add(row)


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
