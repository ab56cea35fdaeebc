"""Concurrency: a forged heartbeat flood from many threads at once adds no more than the real elapsed time."""
import os
import threading
import time

import pytest
from sqlmodel import Session, SQLModel, select

from app import create_app
from config import TestConfig as LoadConfig
from models import StudyProgress
from models.db import ALL_ORGS
from services import study
from services.errors import DomainError
from tests.conftest import Factory
from tests.services.study.helpers import principal, task_data

pytestmark = pytest.mark.load


@pytest.fixture
def file_app(tmp_path, app):
    """A file SQLite database (or the PostgreSQL one when TEST_DATABASE_URL points at it)."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'load.db'}"
    application = app if url.startswith("postgres") else create_app(LoadConfig(url))
    SQLModel.metadata.create_all(application.extensions["sc_engine"])
    application.config["STUDY_HEARTBEAT_SECONDS"] = 1
    yield application
    if application is not app:
        application.extensions["sc_engine"].dispose()


def test_parallel_heartbeat_flood_credits_at_most_real_time(file_app):
    """Do 8 threads hammering heartbeats for 3 seconds credit at most 3 seconds, with one progress row and no error?"""
    engine = file_app.extensions["sc_engine"]
    with Session(engine, expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        factory = Factory(file_app, s)
        branch = factory.branch()
        sec, member = factory.secretary(branch), factory.member(branch)
        with file_app.app_context():
            task = study.create_task(s, principal(s, sec), unit_id=branch.id, data=task_data(min_seconds=3600))
        p = principal(s, member)
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + 3

    def hammer():
        with file_app.test_request_context():
            while time.monotonic() < stop_at:
                with Session(engine, expire_on_commit=False) as s:
                    s.info["org_scope"] = ALL_ORGS
                    try:
                        study.beat(s, p, task_id=task.id)
                        key = "ok"
                    except DomainError as e:
                        key = e.code
                    except Exception as e:  # noqa: BLE001 - any other failure is what this test looks for
                        key = f"{type(e).__name__}: {e}"
                with lock:
                    outcomes[key] = outcomes.get(key, 0) + 1

    started = time.monotonic()
    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    with Session(engine) as s:
        s.info["org_scope"] = ALL_ORGS
        rows = s.exec(select(StudyProgress).where(StudyProgress.task_id == task.id)).all()
    assert set(outcomes) <= {"ok", "too_soon"}, outcomes
    assert outcomes.get("too_soon", 0) > 0  # beats closer than half an interval are refused
    assert len(rows) == 1
    assert rows[0].seconds_read <= elapsed
