"""The organisation tree and the central scoping rule."""
import pytest
from sqlmodel import Session, select

from models import Member, Membership, OrgKind
from models.db import UnscopedQueryError, set_scope
from services import accounts
from services.accounts import members, orgs
from services.errors import DomainError, NotFound
from tests.conftest import PASSWORD


def _principal(session, member):
    token = accounts.sign_in(session, phone=member.phone, password=PASSWORD)
    return accounts.load_principal(session, token=token, idle_hours=12)


def test_tree_paths_and_subtree(factory, session):
    """Does a subtree hold the unit and everything under it, and nothing beside it?"""
    top = factory.committee()
    a = factory.branch(parent=top)
    b = factory.branch(parent=top)
    ga = factory.group(a)
    assert orgs.subtree_ids(session, [a.id]) == {a.id, ga.id}
    assert orgs.subtree_ids(session, [top.id]) == {top.id, a.id, b.id, ga.id}


def test_tree_shape_is_enforced(factory, session):
    """Can a group be put under a committee? (It cannot.)"""
    top = factory.committee()
    with pytest.raises(DomainError) as e:
        orgs.create_unit(session, name="x", kind=OrgKind.group, parent=top)
    assert e.value.code == "bad_parent"


def test_unscoped_read_is_impossible(app, factory):
    """Does reading members without declaring a scope raise instead of leaking?"""
    factory.member()
    with Session(app.extensions["sc_engine"]) as raw:
        with pytest.raises(UnscopedQueryError):
            raw.exec(select(Member)).all()


def test_scope_filters_every_read(app, factory):
    """With a scope of branch A, are branch B's members invisible to select, get and count?"""
    a, b = factory.branch(), factory.branch()
    ma, mb = factory.member(a), factory.member(b)
    with Session(app.extensions["sc_engine"]) as s:
        set_scope(s, {a.id})
        assert [m.id for m in s.exec(select(Member)).all()] == [ma.id]
        assert s.get(Member, mb.id) is None


def test_secretary_sees_own_subtree_only(ctx, factory, session):
    """Does a secretary of A get NotFound for B's members and units?"""
    a, b = factory.branch(), factory.branch()
    sec = factory.secretary(a)
    other = factory.member(b)
    p = _principal(session, sec)
    with pytest.raises(NotFound):
        orgs.get_member_led(session, p, other.id)
    with pytest.raises(NotFound):
        orgs.get_unit_led(session, p, b.id)
    assert orgs.get_unit_led(session, p, a.id).id == a.id


def test_plain_member_cannot_lead(ctx, factory, session):
    """Is a plain member refused the workspace's operations?"""
    m = factory.member()
    p = _principal(session, m)
    with pytest.raises(DomainError) as e:
        orgs.get_member_led(session, p, m.id)
    assert e.value.code == "forbidden"


def test_create_member_needs_a_new_phone_and_forces_password(ctx, factory, session):
    """Does a created member have to set a password, and is a duplicate phone refused?"""
    a = factory.branch()
    p = _principal(session, factory.secretary(a))
    member, initial = members.create_member(session, p, name="王五", phone="13912345678", branch_id=a.id)
    assert member.must_change_password and len(initial) >= 8
    with pytest.raises(DomainError) as e:
        members.create_member(session, p, name="王六", phone="139 1234 5678", branch_id=a.id)
    assert e.value.code == "phone_taken"


def test_create_member_outside_subtree_is_not_found(ctx, factory, session):
    """Can a secretary add members to someone else's branch? (No: NotFound, nothing written.)"""
    a, b = factory.branch(), factory.branch()
    p = _principal(session, factory.secretary(a))
    with pytest.raises(NotFound):
        members.create_member(session, p, name="王五", phone="13912345679", branch_id=b.id)
    session.info["org_scope"] = "all"
    assert session.exec(select(Member).where(Member.phone == "13912345679")).first() is None


def test_transfer_keeps_history(ctx, factory, session):
    """Does a transfer close the old membership and open a new one?"""
    a, b = factory.branch(), factory.branch()
    p = _principal(session, factory.secretary(a))
    m = factory.member(a)
    members.transfer_member(session, p, member_id=m.id, to_branch_id=b.id, note="工作调动")
    rows = session.exec(select(Membership).where(Membership.member_id == m.id).order_by(Membership.id)).all()
    assert [r.org_unit_id for r in rows] == [a.id, b.id]
    assert rows[0].ended_at is not None and rows[1].ended_at is None
    # and the old secretary no longer sees them
    with pytest.raises(NotFound):
        orgs.get_member_led(session, p, m.id)


def test_reset_password_signs_member_out(ctx, factory, session):
    """After a reset, is the member's session gone and a new password forced?"""
    a = factory.branch()
    p = _principal(session, factory.secretary(a))
    m = factory.member(a)
    token = accounts.sign_in(session, phone=m.phone, password=PASSWORD)
    initial = members.reset_password(session, p, member_id=m.id)
    assert accounts.load_principal(session, token=token, idle_hours=12) is None
    assert accounts.sign_in(session, phone=m.phone, password=initial)


def test_core_select_of_scoped_table_is_refused(app, factory):
    """Is a Core column select of a scoped table (which loader criteria cannot filter) refused, not leaked?"""
    a, b = factory.branch(), factory.branch()
    factory.member(a), factory.member(b)
    with Session(app.extensions["sc_engine"]) as s:
        set_scope(s, {a.id})
        with pytest.raises(UnscopedQueryError):
            s.execute(select(Member.__table__.c.id)).all()
        assert len(s.exec(select(Member.id)).all()) == 1
