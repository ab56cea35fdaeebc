"""Demo data for check-in: station staff, volunteer activities, a year of service records, pending approvals."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models import Activity, ActivitySignup, CheckIn, CommunityRegistration, District, Member, RoleName, Station, utcnow
from models.db import unscoped
from services.accounts.members import grant_role
from services.checkin import round_minutes

TZ = ZoneInfo("Asia/Shanghai")
SECRETARY, MEMBER = "13800000001", "13800000002"
FALLBACK_STATIONS = [  # only when the demo city has no stations yet (the map's seed adds 2,300)
    ("demo-ck-1", "莲花北社区党群服务中心", "深圳市福田区莲花街道莲花北村", 22.5558, 114.0553, "09:00-21:00"),
    ("demo-ck-2", "福田区党群服务中心", "深圳市福田区福中三路", 22.5431, 114.0579, "24/7"),
    ("demo-ck-3", "香蜜湖街道党群服务中心", "深圳市福田区香蜜湖街道", 22.5453, 114.0256, "Mo-Su 08:30-21:30"),
    ("demo-ck-4", "景田社区党群服务站", "深圳市福田区景田北路", 22.5535, 114.0436, "09:00-18:00"),
    ("demo-ck-5", "梅林一村社区党群服务站", "深圳市福田区梅林街道", 22.5702, 114.0481, "09:00-18:00"),
]
ACTIVITIES = [
    ("社区义诊志愿服务", "一楼大厅", "红马甲、党员徽章", 20, 2, 9, 3),
    ("垃圾分类宣传引导", "小区东门", "帽子、饮用水", 12, 4, 8, 2),
    ("长者助餐送餐服务", "长者饭堂", "无", 8, 1, 11, 2),
    ("“四点半课堂”辅导", "二楼活动室", "文具", 6, 6, 16, 2),
    ("文明交通劝导", "莲花路口", "反光背心（站点提供）", 15, 9, 7, 2),
    ("防诈骗宣传进社区", "社区广场", "宣传单页", 10, 12, 14, 3),
]
NOTES = ["协助开展社区义诊", "参加垃圾分类督导", "长者助餐服务", "社区环境清洁", "四点半课堂辅导"]


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(timezone.utc)


def _stations(session: Session) -> list[Station]:
    stations = list(session.exec(select(Station).where(Station.is_active.is_(True)).order_by(Station.id).limit(8)).all())
    if len(stations) >= 3:
        return stations
    if session.get(District, "futian") is None:
        session.add(District(code="futian", name="福田区", name_en="Futian", sort=1))
        session.flush()
    for code, name, address, lat, lon, hours in FALLBACK_STATIONS:
        if session.exec(select(Station.id).where(Station.code == code)).first() is None:
            session.add(Station(code=code, name=name, district_code="futian", address=address, lat=lat, lon=lon,
                                opening_hours=hours, services=["volunteer"]))
    session.flush()
    return list(session.exec(select(Station).where(Station.is_active.is_(True)).order_by(Station.id).limit(8)).all())


def _records_for(session: Session, rng, member: Member, stations: list[Station], *, per_month: tuple[int, int],
                 home: Station, today: date) -> int:
    """A year of visits: mostly weekends, mostly at the home community, half-hour credit, 8 h a day at most."""
    added = 0
    used: dict[date, int] = {}
    for months_back in range(11, -1, -1):
        first = (today.replace(day=1) - timedelta(days=31 * months_back)).replace(day=1)
        for _ in range(rng.randint(*per_month)):
            day = first + timedelta(days=rng.randint(0, 27))
            if day >= today:
                continue
            if day.weekday() < 5 and rng.random() < 0.6:
                day += timedelta(days=5 - day.weekday())
                if day >= today:
                    continue
            station = home if rng.random() < 0.65 else rng.choice(stations)
            start = _local(day, rng.choice([8, 9, 9, 10, 14, 15]), rng.choice([0, 10, 20, 30, 40]))
            minutes = rng.choice([65, 95, 120, 150, 185, 210, 245])
            credited = min(round_minutes(minutes), 480 - used.get(day, 0))
            used[day] = used.get(day, 0) + credited
            roll = rng.random()
            record = CheckIn(member_id=member.id, org_unit_id=member.org_unit_id, station_id=station.id,
                             source="scan", method=rng.choice(["rotating", "rotating", "rotating", "poster", "staff"]),
                             status="counted", checked_in_at=start, checked_out_at=start + timedelta(minutes=minutes),
                             checkout_method=rng.choice(["scan", "button"]), service_day=day, minutes=minutes,
                             credited_minutes=credited, offline=roll < 0.05)
            if record.method == "poster":
                record.geo_inside, record.geo_distance_m, record.geo_accuracy_m = True, rng.choice([10, 20, 40]), 15
            session.add(record)
            added += 1
    return added


def seed(session: Session, *, rng) -> str:
    """Add check-in demo data on top of the demo city (idempotent); returns a one-line summary."""
    with unscoped(session):
        secretary = session.exec(select(Member).where(Member.phone == SECRETARY)).first()
        member = session.exec(select(Member).where(Member.phone == MEMBER)).first()
        if member is None:
            return "check-in: no demo member 13800000002, nothing added"
        if session.exec(select(CheckIn.id).where(CheckIn.member_id == member.id)).first() is not None:
            return "check-in: demo data already present"
        stations = _stations(session)
        home = stations[0]
        today = datetime.now(TZ).date()

        # station staff: the demo secretary runs the first station's kiosk; a few members run others
        if secretary is not None:
            grant_role(session, member_id=secretary.id, role=RoleName.station_staff, station_id=home.id)
        branch_mates = list(session.exec(select(Member).where(Member.org_unit_id == member.org_unit_id,
                                                              Member.id != member.id).order_by(Member.id)).all())
        for staff, station in zip(branch_mates[:3], stations[1:4]):
            grant_role(session, member_id=staff.id, role=RoleName.station_staff, station_id=station.id)

        # home community (在职党员到社区报到)
        if session.exec(select(CommunityRegistration).where(CommunityRegistration.member_id == member.id)).first() is None:
            session.add(CommunityRegistration(member_id=member.id, station_id=home.id,
                                              registered_at=utcnow() - timedelta(days=300)))

        # volunteer activities in the next two weeks; the demo member has signed up for two
        created = []
        for i, (title, place, bring, slots, days, hour, hours) in enumerate(ACTIVITIES):
            station = stations[i % len(stations)]
            day = today + timedelta(days=days)
            act = Activity(title=title, station_id=station.id, org_unit_id=member.org_unit_id, place=place, bring=bring,
                           starts_at=_local(day, hour), ends_at=_local(day, hour + hours), slots=slots,
                           description=f"{title}，欢迎党员同志报名参加。请提前 10 分钟到达{place}签到。",
                           created_by=secretary.id if secretary else None)
            session.add(act)
            created.append(act)
        session.flush()
        pool = [member, *branch_mates[:30]]
        for act in created:
            takers = rng.sample(pool[1:], min(len(pool) - 1, rng.randint(1, act.slots - 1)))
            if act in created[:2]:
                takers = [member, *takers][: act.slots]
            for person in takers:
                session.add(ActivitySignup(activity_id=act.id, member_id=person.id))
            act.taken = len(takers)
            session.add(act)

        # a year of service for the demo member, and for the branch
        count = _records_for(session, rng, member, stations, per_month=(2, 4), home=home, today=today)
        for mate in branch_mates[:40]:
            count += _records_for(session, rng, mate, stations, per_month=(0, 2), home=rng.choice(stations),
                                  today=today)
        session.flush()

        # things for the secretary to approve: hand-added hours and a forgotten check-out
        pending = 0
        for person in [member, *branch_mates[:4]]:
            day = today - timedelta(days=rng.randint(2, 20))
            start = _local(day, 9)
            minutes = rng.choice([90, 120, 180])
            session.add(CheckIn(member_id=person.id, org_unit_id=person.org_unit_id, station_id=home.id, source="manual",
                                method="manual", status="pending", checked_in_at=start,
                                checked_out_at=start + timedelta(minutes=minutes), service_day=day, minutes=minutes,
                                credited_minutes=minutes, note=rng.choice(NOTES)))
            pending += 1
        day = today - timedelta(days=3)
        start = _local(day, 14)
        session.add(CheckIn(member_id=member.id, org_unit_id=member.org_unit_id, station_id=home.id, source="scan",
                            method="rotating", status="pending", checked_in_at=start,
                            checked_out_at=start + timedelta(hours=7), checkout_method="auto", auto_closed=True,
                            service_day=day, minutes=420, credited_minutes=420))
        pending += 1
        session.commit()
    return (f"check-in: {len(created)} activities, {count} service records, {pending} awaiting approval, "
            f"kiosk of {home.name} for 13800000001")

