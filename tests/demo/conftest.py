"""Fixtures for the demo tests: every call the meetings seed makes to the notifications API, recorded."""
import pytest

from tests.services.meetings.notify_shim import install


@pytest.fixture(autouse=True)
def notified(monkeypatch):
    """What the demo seed told the notifications domain."""
    return install(monkeypatch)
