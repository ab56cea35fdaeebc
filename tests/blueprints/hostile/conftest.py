"""One app and one world per test module (and xdist worker): four signed-in clients, and a
snapshot of the database and the instance folder to prove that a refused request changed nothing."""
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlmodel import Session, SQLModel

from app import create_app
from config import TestConfig
from models.db import ALL_ORGS
from tests.blueprints.hostile import world
from tests.conftest import PASSWORD, TEST_DATABASE_URL, Factory, _is_postgres, csrf_from

# Written by requests that are refused too, by design: a failed sign-in is counted, and a session's
# idle expiry slides. Add a table here only with a reason.
IGNORED_TABLES = {"login_attempt"}
IGNORED_COLUMNS = {"user_session": {"last_seen_at", "expires_at"}}
ADDRESSES = {"stranger": "10.9.0.1", "member": "10.9.0.2", "secretary": "10.9.0.3", "admin": "10.9.0.4"}


@dataclass
class Hostile:
    """The app, its world's ids, a client per role and the places a request could write to."""

    app: object
    ids: dict
    clients: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    folder: Path | None = None

    def sign_in(self, role: str) -> None:
        """Sign the role's client in through the real form (nothing to do for the stranger)."""
        client = self.clients[role]
        token = csrf_from(client.get("/login").get_data(as_text=True))
        if role != "stranger":
            response = client.post("/login", data={"phone": self.ids[f"phone:{role}"], "password": PASSWORD,
                                                   "csrf_token": token})
            assert response.status_code == 302, (role, response.status_code)
            token = csrf_from(client.get("/me/").get_data(as_text=True))
        self.tokens[role] = token

    def snapshot(self) -> tuple:
        """Every row of every table (less the ignored ones) and every file under the instance folder."""
        engine = self.app.extensions["sc_engine"]
        tables = []
        with engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                if table.name in IGNORED_TABLES:
                    continue
                skip = IGNORED_COLUMNS.get(table.name, set())
                columns = [c for c in table.columns if c.name not in skip]
                rows = conn.execute(select(*columns)).all()
                tables.append((table.name, sorted(map(repr, rows))))
        files = sorted((str(p.relative_to(self.folder)), p.stat().st_size)
                       for p in self.folder.rglob("*") if p.is_file())
        return tuple(tables), tuple(files)


@pytest.fixture(scope="module")
def hostile(_pg_schema, tmp_path_factory):
    """The app with uploads in a temporary instance folder (each client sends its CSRF token, so the values reach
    the views)."""
    folder = tmp_path_factory.mktemp("instance")
    config = TestConfig(TEST_DATABASE_URL)
    config.UPLOAD_DIR = str(folder / "uploads")
    app = create_app(config)
    app.instance_path = str(folder)
    engine = app.extensions["sc_engine"]
    if _is_postgres(TEST_DATABASE_URL):
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        SQLModel.metadata.create_all(engine)
    from extensions import limiter

    limiter.reset()
    with Session(engine, expire_on_commit=False) as session:
        session.info["org_scope"] = ALL_ORGS
        with app.test_request_context():
            ids = world.build(Factory(app, session), session)
    state = Hostile(app=app, ids=ids, folder=folder)
    for role in world.ROLES:
        state.clients[role] = app.test_client()
        state.clients[role].environ_base["REMOTE_ADDR"] = ADDRESSES[role]
        state.sign_in(role)
    yield state
    engine.dispose()


def reproduce_hint() -> str:
    """How to rerun with fresh random examples instead of the fixed ones."""
    return "HOSTILE_RANDOM=1 for new examples" if os.environ.get("HOSTILE_RANDOM") != "1" else ""
