"""A spy on the notifications API the meetings domain calls (services.notify send, schedule, withdraw):
the real functions run, and every call the meetings domain makes is recorded for the tests."""
from dataclasses import dataclass, field

import pytest

from services import notify


@dataclass
class Spy:
    """Every call the meetings domain made, and the pending plan per subject."""

    sent: list = field(default_factory=list)
    scheduled: dict = field(default_factory=dict)
    withdrawn: list = field(default_factory=list)

    def sent_to(self, purpose: str) -> list:
        return [s for s in self.sent if s["purpose"] == purpose]


def install(monkeypatch) -> Spy:
    """Wrap services.notify's send, schedule and withdraw so each call is recorded, then passed on."""
    spy = Spy()
    real_send, real_schedule, real_withdraw = notify.send, notify.schedule, notify.withdraw

    def send(session, *args, **kw):
        if "purpose" in kw:
            kw["member_ids"] = sorted(set(kw["member_ids"]))
            spy.sent.append({"member_ids": kw["member_ids"], "purpose": kw["purpose"], "key": kw.get("key"),
                             "message": kw.get("message"), "important": kw.get("important", False),
                             "event_at": kw.get("event_at")})
        return real_send(session, *args, **kw)

    def schedule(session, *, subject, reminders, **kw):
        reminders = list(reminders)
        spy.scheduled[subject] = reminders
        return real_schedule(session, subject=subject, reminders=reminders, **kw)

    def withdraw(session, *, subject, **kw):
        spy.withdrawn.append(subject)
        spy.scheduled[subject] = []
        return real_withdraw(session, subject=subject, **kw)

    monkeypatch.setattr(notify, "send", send)
    monkeypatch.setattr(notify, "schedule", schedule)
    monkeypatch.setattr(notify, "withdraw", withdraw)
    return spy


@pytest.fixture
def notified(monkeypatch) -> Spy:
    """What the meetings domain told the notifications domain during the test."""
    return install(monkeypatch)
