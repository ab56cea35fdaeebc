"""Station management service: check-in settings and station staff, for administrators only."""
import pytest
from sqlmodel import select

from models import Role, RoleName, Station
from services import accounts, stations
from services.errors import DomainError, Forbidden, NotFound
from tests.conftest import PASSWORD


def _principal(session, member):
    """The Principal the member has when signed in (roles read from the database)."""
    token = accounts.sign_in(session, phone=member.phone, password=PASSWORD)
    return accounts.load_principal(session, token=token, idle_hours=12)


@pytest.fixture
def world(ctx, factory, session):
    branch = factory.branch(name="莲花北社区党支部")
    station = factory.station(name="莲花北社区党群服务中心")
    other = factory.station(name="景田党群服务站")
    admin = factory.member(branch, name="管理员", roles=["admin"])
    return {"branch": branch, "station": station, "other": other,
            "admin": _principal(session, admin), "member": factory.member(branch, name="王志愿", phone="13912345678")}


def _roles(session, station_id):
    session.expire_all()
    return session.exec(select(Role).where(Role.role == RoleName.station_staff, Role.station_id == station_id)).all()


def test_update_settings_changes_mode_radius_and_active(world, session):
    """Are the mode, radius and open flag saved, the changed fields named, and updated_at moved?"""
    st = world["station"]
    before = st.updated_at
    changed = stations.admin.update_settings(session, world["admin"], station_id=st.id, checkin_mode="geofence",
                                            geofence_radius_m=250, is_active=True)
    assert changed == ["checkin_mode", "geofence_radius_m"]
    session.expire_all()
    saved = session.get(Station, st.id)
    assert (saved.checkin_mode, saved.geofence_radius_m, saved.is_active) == ("geofence", 250, True)
    assert saved.updated_at >= before
    again = stations.admin.update_settings(session, world["admin"], station_id=st.id, checkin_mode="geofence",
                                          geofence_radius_m=250, is_active=True)
    assert again == []


def test_closing_a_station_hides_it_from_members(world, session):
    """Does a closed station drop out of search and of the nearby list at once, and come back when opened again?"""
    st = world["station"]

    def found():
        by_name = [i.info.id for i in stations.search(session, q="莲花北", at=st.created_at)]
        near = [i.info.id for i in stations.nearby(session, lat=st.lat, lon=st.lon, at=st.created_at)]
        return st.id in by_name, st.id in near

    assert found() == (True, True)
    stations.admin.update_settings(session, world["admin"], station_id=st.id, checkin_mode="kiosk",
                                  geofence_radius_m=100, is_active=False)
    assert found() == (False, False)
    with pytest.raises(NotFound):
        stations.get_station(session, st.id)
    assert stations.admin.get_station(session, world["admin"], station_id=st.id).id == st.id  # admins still see it
    stations.admin.update_settings(session, world["admin"], station_id=st.id, checkin_mode="kiosk",
                                  geofence_radius_m=100, is_active=True)
    assert found() == (True, True)


@pytest.mark.parametrize("mode, radius, code", [
    ("teleport", 100, "bad_mode"), ("", 100, "bad_mode"), ("kiosk", 29, "bad_radius"),
    ("kiosk", 1001, "bad_radius"), ("kiosk", None, "bad_radius"), ("kiosk", "abc", "bad_radius"),
])
def test_bad_settings_are_refused_and_nothing_is_written(world, session, mode, radius, code):
    """Is a mode outside kiosk/geofence/off or a radius outside 30–1000 m refused with nothing saved?"""
    st = world["station"]
    with pytest.raises(DomainError) as e:
        stations.admin.update_settings(session, world["admin"], station_id=st.id, checkin_mode=mode,
                                      geofence_radius_m=radius, is_active=False)
    assert e.value.code == code and str(e.value.message)
    session.expire_all()
    saved = session.get(Station, st.id)
    assert (saved.checkin_mode, saved.geofence_radius_m, saved.is_active) == ("kiosk", 100, True)


@pytest.mark.parametrize("radius", [30, 1000])
def test_radius_bounds_are_inclusive(world, session, radius):
    """Are 30 m and 1000 m themselves accepted?"""
    stations.admin.update_settings(session, world["admin"], station_id=world["station"].id, checkin_mode="kiosk",
                                  geofence_radius_m=radius, is_active=True)
    session.expire_all()
    assert session.get(Station, world["station"].id).geofence_radius_m == radius


def test_add_staff_by_phone_and_list_them(world, session, factory):
    """Does a number typed with spaces and +86 find the member, and does the list show them masked with their branch?"""
    st = world["station"]
    member = stations.admin.add_staff(session, world["admin"], station_id=st.id, phone="+86 139 1234 5678")
    assert member.id == world["member"].id
    rows = stations.admin.list_staff(session, world["admin"], station_id=st.id)
    assert [(r.member_id, r.name, r.phone_masked, r.branch) for r in rows] == [
        (member.id, "王志愿", "139****5678", "莲花北社区党支部")]
    assert stations.admin.list_staff(session, world["admin"], station_id=world["other"].id) == []
    staffer = _principal(session, world["member"])
    assert staffer.staff_station_ids == {st.id}


def test_add_staff_across_branches(world, session, factory):
    """Can an admin make a member of any branch staff of any station?"""
    far = factory.member(factory.branch(name="景田社区党支部"), name="赵远")
    stations.admin.add_staff(session, world["admin"], station_id=world["station"].id, phone=far.phone)
    assert [r.branch for r in stations.admin.list_staff(session, world["admin"], station_id=world["station"].id)] \
        == ["景田社区党支部"]


@pytest.mark.parametrize("phone, code", [("12345", "bad_phone"), ("", "bad_phone"), ("13700000000", "no_member")])
def test_add_staff_refuses_bad_or_unknown_numbers(world, session, phone, code):
    """Is a malformed number or a number nobody has refused with a clear message and no role written?"""
    with pytest.raises(DomainError) as e:
        stations.admin.add_staff(session, world["admin"], station_id=world["station"].id, phone=phone)
    assert e.value.code == code
    if code == "no_member":
        assert "13700000000" in str(e.value.message)
    assert _roles(session, world["station"].id) == []


def test_add_staff_twice_is_refused(world, session):
    """Is adding the same member a second time refused, leaving one role?"""
    st = world["station"]
    stations.admin.add_staff(session, world["admin"], station_id=st.id, phone=world["member"].phone)
    with pytest.raises(DomainError) as e:
        stations.admin.add_staff(session, world["admin"], station_id=st.id, phone=world["member"].phone)
    assert e.value.code == "already_staff" and "王志愿" in str(e.value.message)
    assert len(_roles(session, st.id)) == 1


def test_add_staff_refuses_a_switched_off_account(world, session):
    """Is a member whose account is switched off refused?"""
    world["member"].is_active = False
    session.add(world["member"])
    session.commit()
    with pytest.raises(DomainError) as e:
        stations.admin.add_staff(session, world["admin"], station_id=world["station"].id, phone=world["member"].phone)
    assert e.value.code == "inactive_member"
    assert _roles(session, world["station"].id) == []


def test_remove_staff_takes_effect_for_that_station_only(world, session):
    """Does removing a staffer drop their role here at once, keep their role at another station, and refuse a repeat?"""
    st, other = world["station"], world["other"]
    for s in (st, other):
        stations.admin.add_staff(session, world["admin"], station_id=s.id, phone=world["member"].phone)
    removed = stations.admin.remove_staff(session, world["admin"], station_id=st.id, member_id=world["member"].id)
    assert removed.id == world["member"].id
    assert _roles(session, st.id) == [] and len(_roles(session, other.id)) == 1
    assert _principal(session, world["member"]).staff_station_ids == {other.id}
    with pytest.raises(DomainError) as e:
        stations.admin.remove_staff(session, world["admin"], station_id=st.id, member_id=world["member"].id)
    assert e.value.code == "not_staff"


def test_unknown_station_is_not_found(world, session):
    """Is every operation on a station that does not exist a NotFound?"""
    admin = world["admin"]
    with pytest.raises(NotFound):
        stations.admin.get_station(session, admin, station_id=9999)
    with pytest.raises(NotFound):
        stations.admin.update_settings(session, admin, station_id=9999, checkin_mode="kiosk", geofence_radius_m=100,
                                      is_active=True)
    with pytest.raises(NotFound):
        stations.admin.add_staff(session, admin, station_id=9999, phone=world["member"].phone)
    with pytest.raises(NotFound):
        stations.admin.remove_staff(session, admin, station_id=9999, member_id=world["member"].id)


def test_only_admins_manage_stations(world, session, factory):
    """Are a secretary, a station's own staff and a member all refused by every operation?"""
    st = world["station"]
    people = [factory.secretary(world["branch"], name="李书记"),
              factory.member(world["branch"], name="站点员", roles=[("station_staff", st)]),
              world["member"]]
    for person in people:
        p = _principal(session, person)
        calls = [
            lambda: stations.admin.get_station(session, p, station_id=st.id),
            lambda: stations.admin.list_staff(session, p, station_id=st.id),
            lambda: stations.admin.update_settings(session, p, station_id=st.id, checkin_mode="off",
                                                  geofence_radius_m=100, is_active=False),
            lambda: stations.admin.add_staff(session, p, station_id=st.id, phone=world["member"].phone),
            lambda: stations.admin.remove_staff(session, p, station_id=st.id, member_id=people[1].id),
        ]
        for call in calls:
            with pytest.raises(Forbidden):
                call()
    session.expire_all()
    assert session.get(Station, st.id).checkin_mode == "kiosk" and len(_roles(session, st.id)) == 1


@pytest.mark.parametrize("role, unit, station", [("station_staff", None, "station"), ("admin", None, None),
                                                 ("secretary", "branch", None)])
def test_database_refuses_a_repeated_role(session, world, role, unit, station):
    """Does the database itself refuse a second identical role, also where its unit or station is NULL?"""
    from sqlalchemy.exc import IntegrityError

    def row():
        return Role(member_id=world["member"].id, role=role, org_unit_id=world[unit].id if unit else None,
                    station_id=world[station].id if station else None)

    session.add(row())
    session.commit()
    session.add(row())
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
