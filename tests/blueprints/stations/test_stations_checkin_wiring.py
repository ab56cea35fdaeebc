"""The 地图 tab with the check-in domain's data: today's activities, check-in mode and home station."""
from datetime import timedelta

from models import checkin, utcnow
from services import stations


def test_activities_checkin_mode_and_home_station_show(client, auth, factory, session):
    """Do today's activities, the station's check-in mode and the member's home station appear on the tab?"""
    home = factory.station(code="H1", name="家门口党群服务站", lat=22.551, lon=114.05)
    factory.station(code="H2", name="隔壁党群服务站", lat=22.556, lon=114.05)
    member = factory.member()
    now = utcnow()
    session.add(checkin.Activity(title="社区义诊", station_id=home.id, starts_at=now, ends_at=now + timedelta(hours=2)))
    session.add(checkin.CommunityRegistration(member_id=member.id, station_id=home.id))
    session.commit()
    stations.invalidate_index(session)
    phone, home_id = member.phone, home.id
    assert stations.home_station_id(session, member_id=member.id) == home_id
    session.rollback()  # end the read: the in-memory test database has one shared connection
    auth.login(phone)
    near_home = client.get("/stations/?home=1").get_data(as_text=True)
    assert near_home.index("家门口党群服务站") < near_home.index("隔壁党群服务站") and "社区义诊" in near_home
    page = client.get(f"/stations/{home_id}").get_data(as_text=True)
    assert "社区义诊" in page and "签到方式" in page
    assert "家门口党群服务站" in client.get("/").get_data(as_text=True)
