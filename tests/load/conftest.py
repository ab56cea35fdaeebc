"""Fixtures for the load tests: the app on a file database that many threads can share."""
import pytest
from sqlmodel import SQLModel

from app import create_app
from config import TestConfig as _TestConfig
from tests.conftest import TEST_DATABASE_URL, _is_postgres


@pytest.fixture
def load_app(request, tmp_path):
    """The app on a file SQLite database, or on PostgreSQL (emptied) when the suite runs there."""
    if _is_postgres(TEST_DATABASE_URL):
        yield request.getfixturevalue("app")
        return
    application = create_app(_TestConfig(f"sqlite:///{tmp_path / 'load.db'}"))
    SQLModel.metadata.create_all(application.extensions["sc_engine"])
    yield application
    application.extensions["sc_engine"].dispose()
