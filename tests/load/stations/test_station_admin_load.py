"""Station staff under a race: many administrators adding the same member at once leave one role.

On a file SQLite database (BEGIN IMMEDIATE), and on PostgreSQL (the station row locked) when TEST_DATABASE_URL
points at it.
"""
import pytest
from sqlmodel import select

from models import Role, RoleName
from services import stations
from services.accounts import Principal
from services.errors import DomainError
from tests.conftest import Factory
from tests.load.helpers import new_session, run_at_once

pytestmark = pytest.mark.load


def test_same_member_added_at_once_gives_one_role(load_app):
    """Do 8 simultaneous adds of one member give exactly one staff role, the others "already_staff"?"""
    with new_session(load_app) as s:
        f = Factory(load_app, s)
        branch = f.branch()
        station_id = f.station().id
        admin = f.member(branch, name="管理员", roles=["admin"])
        phone = f.member(branch, name="王志愿").phone
    principal = Principal(id=admin.id, name=admin.name, phone=admin.phone, branch_id=branch.id, group_id=None,
                          must_change_password=False, locale=None, session_token="t", is_admin=True)

    def job():
        with load_app.test_request_context(), new_session(load_app) as s:
            return stations.admin.add_staff(s, principal, station_id=station_id, phone=phone).id

    results, errors = run_at_once(8, [job] * 8)
    assert len(results) == 1
    assert len(errors) == 7 and all(isinstance(e, DomainError) and e.code == "already_staff" for e in errors), errors
    with new_session(load_app) as s:
        roles = s.exec(select(Role).where(Role.role == RoleName.station_staff, Role.station_id == station_id)).all()
    assert len(roles) == 1
