"""Fixtures: a fresh database per test (SQLite in memory, or PostgreSQL via TEST_DATABASE_URL),
the app, a client, a login helper and factories."""
import os
import re
from datetime import date
from itertools import count

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

import models  # noqa: F401
from app import create_app
from config import TestConfig
from models import Member, MemberStatus, OrgKind, RoleName, Station
from models.db import ALL_ORGS
from services.accounts import members, orgs, passwords

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
PASSWORD = "correct horse 42"


def _is_postgres(url: str) -> bool:
    return url.startswith("postgres")


@pytest.fixture(scope="session")
def _pg_schema():
    """On PostgreSQL, build the schema once through the migrations."""
    if not _is_postgres(TEST_DATABASE_URL):
        yield None
        return
    from cli import upgrade_database

    app = create_app(TestConfig(TEST_DATABASE_URL))
    engine = app.extensions["sc_engine"]
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_database(app)
    yield engine
    engine.dispose()


@pytest.fixture
def app(_pg_schema):
    """A fresh app and an empty database for one test."""
    application = create_app(TestConfig(TEST_DATABASE_URL))
    engine = application.extensions["sc_engine"]
    if _is_postgres(TEST_DATABASE_URL):
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        SQLModel.metadata.create_all(engine)
    if os.environ.get("TEST_REDIS_URL"):  # limits kept in Redis outlive the app: start each test from none
        from extensions import limiter

        limiter.reset()
        _forget_signin_counts(application)
    yield application
    engine.dispose()


def _forget_signin_counts(application) -> None:
    """Failed sign-ins counted in Redis outlive the app too (services/accounts/throttle.py): start from none."""
    import redis

    store = redis.Redis.from_url(application.config["REDIS_URL"])
    for key in store.scan_iter(application.config.get("RATELIMIT_KEY_PREFIX", "") + "signin:*"):
        store.delete(key)


@pytest.fixture
def session(app):
    """A Session that may read every org unit (for arranging and checking data).

    It pushes no Flask context: a test client request inside one would share its `g`.
    """
    with Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        yield s


@pytest.fixture
def ctx(app):
    """An app and request context for calling services directly (not together with `client`)."""
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


_seq = count(1)


def _phone() -> str:
    return f"139{next(_seq):08d}"


def _in_app(method):
    """Run a factory method inside an app context (config for hashing), then leave it."""

    def wrapped(self, *args, **kwargs):
        with self.app.app_context():
            return method(self, *args, **kwargs)

    wrapped.__name__ = method.__name__
    wrapped.__doc__ = method.__doc__
    return wrapped


class Factory:
    """Makes org units, members and stations with sensible defaults."""

    def __init__(self, app, session: Session):
        self.app = app
        self.s = session


    def committee(self, name="测试党委"):
        unit = orgs.create_unit(self.s, name=name, kind=OrgKind.committee)
        self.s.commit()
        return unit

    def branch(self, name=None, parent=None):
        parent = parent or self.committee()
        unit = orgs.create_unit(self.s, name=name or f"第{next(_seq)}党支部", kind=OrgKind.branch, parent=parent)
        self.s.commit()
        return unit

    def group(self, branch, name=None):
        unit = orgs.create_unit(self.s, name=name or f"第{next(_seq)}党小组", kind=OrgKind.group, parent=branch)
        self.s.commit()
        return unit

    def member(self, branch=None, *, name="张三", phone=None, password=PASSWORD, roles=(), must_change=False,
               group=None):
        branch = branch or self.branch()
        m = Member(name=name, phone=phone or _phone(), org_unit_id=branch.id, group_id=group.id if group else None,
                   password_hash=passwords.hash_password(password) if password else None,
                   must_change_password=must_change, joined_on=date(2010, 7, 1), status=MemberStatus.full)
        self.s.add(m)
        self.s.flush()
        models_membership = models.Membership(member_id=m.id, org_unit_id=branch.id)
        self.s.add(models_membership)
        for role in roles:
            if isinstance(role, tuple):
                name_, target = role
            else:
                name_, target = role, None
            role_name = RoleName(name_)
            if role_name == RoleName.station_staff:
                members.grant_role(self.s, member_id=m.id, role=role_name, station_id=target.id)
            elif role_name == RoleName.admin:
                members.grant_role(self.s, member_id=m.id, role=role_name)
            else:
                members.grant_role(self.s, member_id=m.id, role=role_name, org_unit_id=(target or branch).id)
        self.s.commit()
        return m

    def secretary(self, branch=None, **kw):
        branch = branch or self.branch()
        return self.member(branch, name=kw.pop("name", "李书记"), roles=[("secretary", branch)], **kw)

    def district(self, code="futian", name="福田区"):
        existing = self.s.get(models.District, code)
        if existing:
            return existing
        d = models.District(code=code, name=name, name_en=code.title())
        self.s.add(d)
        self.s.commit()
        return d

    def station(self, *, code=None, name="莲花北社区党群服务中心", lat=22.5500, lon=114.0550, hours="24/7", radius=100,
                district="futian"):
        self.district(district)
        st = Station(code=code or f"st-{next(_seq)}", name=name, district_code=district, address="深圳市福田区",
                     lat=lat, lon=lon, opening_hours=hours, geofence_radius_m=radius, services=["volunteer"])
        self.s.add(st)
        self.s.commit()
        return st


for _name, _fn in list(vars(Factory).items()):
    if callable(_fn) and not _name.startswith("_"):
        setattr(Factory, _name, _in_app(_fn))


@pytest.fixture
def factory(app, session):
    """Factory fixtures for org units, members and stations."""
    return Factory(app, session)


def csrf_from(html: str) -> str:
    """The CSRF token of a rendered page."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Auth:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path="/login") -> str:
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def login(self, phone, password=PASSWORD, remember=False, next_url=""):
        data = {"phone": phone, "password": password, "csrf_token": self.csrf(), "next": next_url}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        token = self.csrf("/me/")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path, data=None, page=None, **kw):
        """POST with a CSRF token taken from `page` (default: the home page)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf(page or "/"))
        return self.client.post(path, data=data, **kw)


@pytest.fixture
def auth(client):
    """Sign-in helper bound to the test client."""
    return Auth(client)
