"""Accounts: phone validation, hashing parameters, sign-in, sessions and passwords."""
import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from config import Config
from models import Member, UserSession
from services import accounts
from services.accounts import passwords
from services.errors import DomainError
from tests.conftest import PASSWORD


@pytest.mark.parametrize("raw,expected", [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"), ("+8613800138000", "13800138000"),
    ("0086-138-0013-8000", "13800138000"),
])
def test_normalize_phone_accepts_mainland_mobiles(raw, expected):
    """Does a mainland mobile number in common spellings normalise to 11 digits?"""
    assert accounts.normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "12800138000", "1380013800", "138001380001", "abcdefghijk", "0755-8888888"])
def test_normalize_phone_refuses_others(raw):
    """Is anything but an 11-digit 1[3-9] number refused with bad_phone?"""
    with pytest.raises(DomainError) as e:
        accounts.normalize_phone(raw)
    assert e.value.code == "bad_phone"


def test_production_hashing_uses_owasp_argon2id():
    """Does the production config hash with argon2id at m=19 MiB, t=2, p=1?"""
    cfg = Config()
    assert (cfg.ARGON2_MEMORY_KIB, cfg.ARGON2_TIME_COST, cfg.ARGON2_PARALLELISM) == (19456, 2, 1)
    hashed = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash("x" * 8)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_hash_and_verify(ctx):
    """Does a password verify against its own hash and nothing else?"""
    h = passwords.hash_password("abcdefgh")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "abcdefgh")
    assert not passwords.verify_password(h, "abcdefgi")
    assert not passwords.verify_password(None, "abcdefgh")
    assert not passwords.verify_password("garbage", "abcdefgh")


def test_sign_in_and_wrong_password(ctx, factory, session):
    """Does sign-in open a session for the right password and refuse a wrong one or an unknown phone?"""
    m = factory.member(phone="13900000123")
    token = accounts.sign_in(session, phone="139 0000 0123", password=PASSWORD)
    assert accounts.load_principal(session, token=token, idle_hours=12).id == m.id
    for phone, pw in [("13900000123", "wrong-password"), ("13900000999", PASSWORD)]:
        with pytest.raises(DomainError) as e:
            accounts.sign_in(session, phone=phone, password=pw)
        assert e.value.code == "bad_credentials" and e.value.status == 401


def test_end_session_refuses_the_token(ctx, factory, session):
    """After sign-out, is the old token refused?"""
    m = factory.member()
    token = accounts.sign_in(session, phone=m.phone, password=PASSWORD)
    accounts.end_session(session, token=token)
    assert accounts.load_principal(session, token=token, idle_hours=12) is None


def test_each_sign_in_gets_a_new_token(ctx, factory, session):
    """Does every sign-in get a fresh token (no fixation), stored only as a hash?"""
    m = factory.member()
    t1 = accounts.sign_in(session, phone=m.phone, password=PASSWORD)
    t2 = accounts.sign_in(session, phone=m.phone, password=PASSWORD)
    assert t1 != t2
    stored = session.exec(select(UserSession.token_hash)).all()
    assert t1 not in stored and t2 not in stored


@pytest.mark.parametrize("new,code", [("short", "password_too_short"), ("x" * 129, "password_too_long")])
def test_password_length_rules(ctx, factory, session, new, code):
    """Are passwords under 8 or over 128 characters refused, and nothing changed?"""
    m = factory.member()
    before = m.password_hash
    with pytest.raises(DomainError) as e:
        accounts.change_password(session, member_id=m.id, current=PASSWORD, new=new, keep_token=None)
    assert e.value.code == code
    session.expire_all()
    assert session.get(Member, m.id).password_hash == before


def test_password_of_128_characters_is_accepted(ctx, factory, session):
    """Is a 128-character password accepted and usable?"""
    m = factory.member()
    new = "y" * 128
    accounts.change_password(session, member_id=m.id, current=PASSWORD, new=new, keep_token=None)
    assert accounts.sign_in(session, phone=m.phone, password=new)


def test_change_password_needs_current_and_signs_out_elsewhere(ctx, factory, session):
    """Does a change need the current password and end the member's other sessions?"""
    m = factory.member()
    keep = accounts.sign_in(session, phone=m.phone, password=PASSWORD)
    other = accounts.sign_in(session, phone=m.phone, password=PASSWORD)
    with pytest.raises(DomainError) as e:
        accounts.change_password(session, member_id=m.id, current="nope-nope", new="a new password", keep_token=keep)
    assert e.value.code == "bad_current_password"
    accounts.change_password(session, member_id=m.id, current=PASSWORD, new="a new password", keep_token=keep)
    assert accounts.load_principal(session, token=keep, idle_hours=12) is not None
    assert accounts.load_principal(session, token=other, idle_hours=12) is None


def test_forced_change_clears_the_flag(ctx, factory, session):
    """Does a member who must change their password do so without the old one?"""
    m = factory.member(must_change=True)
    accounts.change_password(session, member_id=m.id, current=None, new="my own password", keep_token=None)
    session.expire_all()
    assert session.get(Member, m.id).must_change_password is False
