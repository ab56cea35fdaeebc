"""Concurrency: parallel imports of the same station file and parallel consents never duplicate rows."""
import threading

import pytest
from sqlmodel import Session, SQLModel, func, select

import config
from app import create_app
from models import District, LocationConsent, Station
from models.db import ALL_ORGS
from services import stations
from services.errors import DomainError
from tests.conftest import TEST_DATABASE_URL, Factory

pytestmark = pytest.mark.load

N = 300
CSV = ("code,name,district,lat,lon,opening_hours\n" + "".join(
    f"L-{k:04d},并发站{k},futian,{22.50 + k * 0.0005:.6f},114.05,24/7\n" for k in range(N))).encode()


@pytest.fixture
def shared_app(tmp_path, app):
    """An app on a database that threads really share: PostgreSQL, or a SQLite file (not :memory:)."""
    if TEST_DATABASE_URL.startswith("postgres"):
        yield app
        return
    application = create_app(config.TestConfig(f"sqlite:///{tmp_path / 'load.db'}"))
    SQLModel.metadata.create_all(application.extensions["sc_engine"])
    yield application
    application.extensions["sc_engine"].dispose()


def _session(app) -> Session:
    s = Session(app.extensions["sc_engine"], expire_on_commit=False)
    s.info["org_scope"] = ALL_ORGS
    return s


def _run(app, work, threads=6):
    results, errors = [], []
    barrier = threading.Barrier(threads)

    def run():
        with app.test_request_context(), _session(app) as s:
            barrier.wait()
            try:
                results.append(work(s))
            except DomainError as e:
                errors.append(e.code)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    return results, errors


def test_parallel_imports_of_one_file_create_each_station_once(shared_app):
    """Six imports of the same new file at once: is every station created exactly once, the rest unchanged or refused cleanly?"""
    with _session(shared_app) as s:
        s.add(District(code="futian", name="福田区", name_en="Futian"))
        s.commit()
    results, errors = _run(shared_app, lambda s: stations.importexport.import_stations(s, data=CSV, filename="l.csv"))
    assert set(errors) <= {"import_conflict"}
    assert sum(r.created for r in results) == N
    with _session(shared_app) as s:
        assert s.exec(select(func.count(Station.id))).one() == N


def test_parallel_consents_make_one_row(shared_app):
    """Six consents by the same member at once: is there exactly one consent row, with one time for all?"""
    with _session(shared_app) as s:
        member = Factory(shared_app, s).member()
    results, errors = _run(shared_app, lambda s: stations.grant_consent(s, member_id=member.id))
    assert errors == [] and len(set(results)) == 1
    with _session(shared_app) as s:
        assert s.exec(select(func.count(LocationConsent.id))).one() == 1
