"""The check-in demo data."""
import random

from sqlmodel import func, select

from demo import checkin as demo_checkin
from models import CheckIn, Role


def test_demo_seed_is_idempotent_and_alive(ctx, factory, session):
    """Does the seed give the demo member a year of records, the secretary a kiosk, and stay idempotent?"""
    branch = factory.branch(name="莲花北社区第一党支部")
    secretary = factory.secretary(branch, phone="13800000001")
    member = factory.member(branch, name="陈志愿", phone="13800000002")
    for i in range(5):
        factory.member(branch, name=f"党员{i}")
    summary = demo_checkin.seed(session, rng=random.Random(7))
    assert "activities" in summary
    records = session.exec(select(func.count(CheckIn.id)).where(CheckIn.member_id == member.id)).one()
    assert records >= 20
    assert session.exec(select(func.count(CheckIn.id)).where(CheckIn.status == "pending")).one() >= 2
    assert session.exec(select(Role).where(Role.member_id == secretary.id, Role.role == "station_staff")).first()
    assert demo_checkin.seed(session, rng=random.Random(7)) == "check-in: demo data already present"
    assert session.exec(select(func.count(CheckIn.id)).where(CheckIn.member_id == member.id)).one() == records
