"""The notifications API the meetings domain calls (services.notify: Message, Reminder, send, schedule, withdraw),
recorded for the tests. Until that API is on main, a stand-in with the agreed signatures takes its place here,
in the tests only; once it is there, the real functions run and every call is still recorded."""
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from services import notify


@dataclass
class Message:
    title: str
    body: str = ""
    url: str = ""


@dataclass
class Reminder:
    member_id: int
    purpose: str
    due_at: datetime
    message: Message
    event_at: datetime | None = None
    important: bool = False


@dataclass
class Spy:
    """Every call the meetings domain made, and the pending plan per subject as the stand-in keeps it."""

    sent: list = field(default_factory=list)
    scheduled: dict = field(default_factory=dict)
    withdrawn: list = field(default_factory=list)

    def sent_to(self, purpose: str) -> list:
        return [s for s in self.sent if s["purpose"] == purpose]


def install(monkeypatch) -> Spy:
    """Record (and, where the real API is missing, stand in for) services.notify's meeting functions."""
    spy = Spy()
    real = {name: getattr(notify, name, None) for name in ("send", "schedule", "withdraw")}
    has_real = callable(getattr(notify, "schedule", None))
    if not has_real:
        monkeypatch.setattr(notify, "Message", Message, raising=False)
        monkeypatch.setattr(notify, "Reminder", Reminder, raising=False)
        for name in ("MEETING_REMINDER", "MEETING_CHANGED", "MEETING_CANCELLED", "LEAVE_DECISION"):
            monkeypatch.setattr(notify, name, name.lower(), raising=False)

    def send(session, *, member_ids, purpose, key, message, important=False, event_at=None, commit=True, **kw):
        ids = sorted(set(member_ids))
        spy.sent.append({"member_ids": ids, "purpose": purpose, "key": key, "message": message,
                         "important": important, "event_at": event_at})
        if has_real:
            return real["send"](session, member_ids=ids, purpose=purpose, key=key, message=message,
                                important=important, event_at=event_at, commit=commit)
        if commit:
            session.commit()
        return len(ids)

    def schedule(session, *, subject, reminders, commit=True):
        reminders = list(reminders)
        spy.scheduled[subject] = reminders
        if has_real:
            return real["schedule"](session, subject=subject, reminders=reminders, commit=commit)
        if commit:
            session.commit()
        return None

    def withdraw(session, *, subject, commit=True):
        spy.withdrawn.append(subject)
        spy.scheduled[subject] = []
        if has_real:
            return real["withdraw"](session, subject=subject, commit=commit)
        if commit:
            session.commit()
        return 0

    monkeypatch.setattr(notify, "schedule", schedule, raising=False)
    monkeypatch.setattr(notify, "withdraw", withdraw, raising=False)
    old_send = real["send"]

    def either(session, *args, **kw):
        """Meeting calls (they carry `purpose`) are recorded; other domains' calls pass through unchanged."""
        if "purpose" in kw:
            return send(session, **kw)
        return old_send(session, *args, **kw)

    monkeypatch.setattr(notify, "send", either)
    return spy


@pytest.fixture
def notified(monkeypatch) -> Spy:
    """What the meetings domain told the notifications domain during the test."""
    return install(monkeypatch)
