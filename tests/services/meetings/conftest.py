"""Fixtures for the meetings tests: every call to the notifications API recorded."""
import pytest

from tests.services.meetings.notify_shim import install


@pytest.fixture(autouse=True)
def notified(monkeypatch):
    """What the meetings domain told the notifications domain during the test."""
    return install(monkeypatch)
