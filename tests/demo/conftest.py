"""Fixtures for the demo tests: the notifications API the meetings seed calls, recorded (a stand-in until it is
on main)."""
import pytest

from tests.services.meetings.notify_shim import install


@pytest.fixture(autouse=True)
def notified(monkeypatch):
    """What the demo seed told the notifications domain."""
    return install(monkeypatch)
