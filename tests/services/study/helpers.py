"""Shared helpers for the study tests: principals without a sign-in, and tasks with sensible defaults."""
from datetime import date

from sqlmodel import select

from models import Role, RoleName
from services import study
from services.accounts import Principal, orgs

FAR_PAST = date(2020, 1, 1)
FAR_FUTURE = date(2099, 12, 31)


def principal(session, member) -> Principal:
    """The Principal a member would have when signed in, with the session scoped to them."""
    session.info["org_scope"] = "all"
    roles = session.exec(select(Role).where(Role.member_id == member.id)).all()
    p = Principal(id=member.id, name=member.name, phone=member.phone, branch_id=member.org_unit_id,
                  group_id=member.group_id, must_change_password=False, locale=member.locale,
                  session_token="test", is_admin=any(r.role == RoleName.admin for r in roles),
                  led_org_ids=frozenset(r.org_unit_id for r in roles
                                        if r.role in (RoleName.secretary, RoleName.committee) and r.org_unit_id))
    orgs.apply_scope(session, p)
    return p


def as_(session, p: Principal) -> Principal:
    """Scope the session to this person again (after a helper read everything)."""
    orgs.apply_scope(session, p)
    return p


def task_data(**kw) -> study.TaskData:
    """A reading task open from 2020 to 2099 unless told otherwise."""
    values = dict(title="学习党的二十届四中全会精神", kind="article", completion="reading", opens_on=FAR_PAST,
                  due_on=FAR_FUTURE, hours_half=2, min_seconds=60, body_md="## 导读\n\n全会精神要点……")
    values.update(kw)
    return study.TaskData(**values)


def make_task(session, sec_p: Principal, unit, **kw):
    """Create a task through the service as the given secretary."""
    as_(session, sec_p)
    return study.create_task(session, sec_p, unit_id=unit.id, data=task_data(**kw))
