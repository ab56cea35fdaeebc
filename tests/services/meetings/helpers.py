"""Helpers for the meetings tests: a branch with a committee, principals, meetings with sensible defaults."""
from datetime import datetime, timedelta, timezone

from models import MemberStatus
from services import meetings
from tests.services.study.helpers import as_, principal  # noqa: F401  (re-exported)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


def data(**kw) -> meetings.MeetingData:
    """A 支部党员大会 tomorrow at 19:30 Shanghai for the whole branch, in a room, unless told otherwise."""
    start = kw.pop("starts_at", NOW + timedelta(days=1, hours=9, minutes=30))
    values = dict(kind="branch_assembly", title="第一季度支部党员大会", starts_at=start,
                  ends_at=kw.pop("ends_at", start + timedelta(hours=1, minutes=30)), place_kind="text",
                  place_text="社区党群服务中心二楼会议室", agenda="1. 学习传达上级精神\n2. 讨论发展党员事项")
    values.update(kw)
    return meetings.MeetingData(**values)


def make_branch(factory, *, full: int = 4, probationary: int = 2):
    """A branch with a secretary, two committee members (one of them on duty later), full and probationary members,
    and one group holding the first two ordinary members."""
    branch = factory.branch(name="莲花北社区党支部")
    group = factory.group(branch, name="第一党小组")
    sec = factory.secretary(branch)
    c1 = factory.member(branch, name="王委员", roles=[("committee", branch)])
    c2 = factory.member(branch, name="赵委员", roles=[("committee", branch)])
    people = [factory.member(branch, name=f"党员{i}", group=group if i < 2 else None) for i in range(full)]
    probs = []
    for i in range(probationary):
        m = factory.member(branch, name=f"预备党员{i}")
        m.status = MemberStatus.probationary
        factory.s.add(m)
        probs.append(m)
    factory.s.commit()
    return {"unit": branch, "group": group, "sec": sec, "c1": c1, "c2": c2, "members": people, "probs": probs}


def schedule(session, sec_p, unit, now=NOW, **kw):
    """Create a meeting through the service as the secretary."""
    as_(session, sec_p)
    return meetings.create_meeting(session, sec_p, unit_id=unit.id, data=data(**kw), now=now)
