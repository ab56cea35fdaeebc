"""The demo city's seed (`flask demo seed`) — districts, ~2,300 stations, ~40 branches, ~1,000 members.

Idempotent: a second run finds the demo committee and changes nothing. Feature modules add
their own demo data through `FEATURE_SEEDERS` (each `seed(session, *, rng) -> str`).
"""
import importlib
import random
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, insert
from sqlmodel import Session, select

from demo import city
from models import District, Member, Membership, MemberStatus, OrgKind, OrgUnit, RoleName, Station, utcnow
from models.db import unscoped
from services.accounts import passwords
from services.accounts.members import grant_role
from services.accounts.orgs import create_unit
from services.errors import DomainError

DEMO_PASSWORD = "demo-2026-sc"
ADMIN_PHONE, SECRETARY_PHONE, MEMBER_PHONE = "13800000000", "13800000001", "13800000002"
COMMITTEE_NAME = "深圳市服务圈示范党委"

# Feature modules with demo data of their own, run in this order after the city exists.
FEATURE_SEEDERS: list[str] = [
    "demo.checkin:seed",
    "demo.study:seed",
    "demo.meetings:seed",
    "demo.workspace:seed",
]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢钟")
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华",
         "建国", "建华", "志强", "海燕", "晓东", "晓红", "文博", "子涵", "雨桐", "浩然", "思远", "嘉怡", "梓轩", "国强", "丽华",
         "春梅", "玉兰", "志明", "俊杰", "婷婷", "欣怡", "宇航", "佳琪", "振华", "卫东", "红梅", "小龙", "永刚", "淑珍"]
UNITS = ["莲花北社区", "华富街道机关", "南园街道景田", "福田口岸", "香蜜湖街道", "梅林一村", "园岭街道", "沙头街道",
         "华强北商圈", "车公庙片区", "深业上城楼宇", "科技园社区", "蛇口社区", "南头古城", "桃源街道", "西丽湖",
         "粤海街道", "招商街道", "东门街道", "翠竹街道", "黄贝岭", "莲塘街道", "盐田港", "沙头角", "新安街道",
         "西乡街道", "福永街道", "龙华街道", "民治街道", "观澜街道", "布吉街道", "坂田街道", "横岗街道", "龙城街道",
         "坪山街道", "光明街道", "葵涌街道", "大鹏街道", "南澳街道", "前海合作区"]


def seed_demo(session: Session, *, only_if_empty: bool = False, seed: int = 2026,
              members: int = 1000, branches: int = 40, stations: int = 2300) -> str:
    """Load the demo city unless it is there already; returns a one-line summary."""
    if not current_app.config.get("DEMO_MODE"):
        raise DomainError("not_demo", "the demo city is loaded only with DEMO_MODE on")
    with unscoped(session):
        if only_if_empty and session.exec(select(func.count(Member.id))).one() > 0:
            return "database not empty: demo seed skipped"
        if session.exec(select(OrgUnit.id).where(OrgUnit.name == COMMITTEE_NAME)).first():
            summary = "demo city already loaded"
        else:
            rng = random.Random(seed)
            n_stations = _seed_stations(session, seed=seed, count=stations)
            n_members = _seed_people(session, rng=rng, members=members, branches=branches)
            session.commit()
            summary = f"demo city: {n_stations} stations, {branches} branches, {n_members} members"
        for dotted in FEATURE_SEEDERS:
            module_name, func_name = dotted.split(":")
            seeder = getattr(importlib.import_module(module_name), func_name)
            summary += "; " + seeder(session, rng=random.Random(f"{seed}-{dotted}"))
            session.commit()
    return summary


def _seed_stations(session: Session, *, seed: int, count: int) -> int:
    """Districts and stations from demo.city, inserted in bulk."""
    for i, d in enumerate(city.DISTRICTS):
        if session.get(District, d["code"]) is None:
            session.add(District(code=d["code"], name=d["name"], name_en=d["name_en"], sort=i))
    session.flush()
    now = utcnow()
    rows = [
        {"code": s["code"], "name": s["name"], "kind": s["kind"], "district_code": s["district"],
         "address": s["address"], "lat": s["lat"], "lon": s["lon"], "opening_hours": s["opening_hours"],
         "services": [sv["code"] if isinstance(sv, dict) else sv for sv in s["services"]], "phone": s["phone"],
         "geofence_radius_m": s["geofence_radius_m"], "is_active": True, "created_at": now, "updated_at": now}
        for s in city.generate_stations(seed=seed, count=count)
    ]
    for start in range(0, len(rows), 500):
        session.execute(insert(Station), rows[start:start + 500])
    return len(rows)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _seed_people(session: Session, *, rng: random.Random, members: int, branches: int) -> int:
    """The org tree, ~1,000 members with secretaries and committee members, and the three demo accounts."""
    committee = create_unit(session, name=COMMITTEE_NAME, kind=OrgKind.committee)
    generals = [create_unit(session, name=f"{area}党总支", kind=OrgKind.general_branch, parent=committee)
                for area in ("福田片区", "南山片区", "罗湖盐田片区", "宝安龙华片区", "龙岗坪山大鹏片区")]
    branch_units: list[OrgUnit] = []
    groups: dict[int, list[OrgUnit]] = {}
    for i in range(branches):
        parent = generals[i % len(generals)] if i % 8 else committee  # a few branches sit directly under it
        unit = create_unit(session, name=f"{UNITS[i % len(UNITS)]}第{(i // len(UNITS)) + 1}党支部"
                           if i >= len(UNITS) else f"{UNITS[i]}党支部", kind=OrgKind.branch, parent=parent)
        branch_units.append(unit)
        groups[unit.id] = [create_unit(session, name=f"第{g + 1}党小组", kind=OrgKind.group, parent=unit)
                           for g in range(rng.randint(2, 4))]
    demo_hash = passwords.hash_password(DEMO_PASSWORD)
    _one_time, seeded_hash = passwords.make_one_time_password()  # ordinary demo members must set their own
    used = {ADMIN_PHONE, SECRETARY_PHONE, MEMBER_PHONE}
    first_branch = branch_units[0]
    demo = [
        (ADMIN_PHONE, "管理员", first_branch, [(RoleName.admin, None)]),
        (SECRETARY_PHONE, "李书记", first_branch, [(RoleName.secretary, first_branch)]),
        (MEMBER_PHONE, "陈小明", first_branch, []),
    ]
    count = 0
    today = date.today()
    for phone, name, branch, roles in demo:
        m = Member(name=name, phone=phone, org_unit_id=branch.id, group_id=groups[branch.id][0].id,
                   password_hash=demo_hash, must_change_password=False, joined_on=date(2012, 7, 1),
                   status=MemberStatus.full)
        session.add(m)
        session.flush()
        session.add(Membership(member_id=m.id, org_unit_id=branch.id, note="demo"))
        for role, unit in roles:
            grant_role(session, member_id=m.id, role=role, org_unit_id=unit.id if unit else None)
        count += 1
    per_branch = max(1, (members - len(demo)) // branches)
    for b_index, branch in enumerate(branch_units):
        n = per_branch + (1 if b_index < (members - len(demo)) % branches else 0)
        rows = []
        for k in range(n):
            while True:
                phone = f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}"
                if phone not in used:
                    used.add(phone)
                    break
            joined = today - timedelta(days=rng.randint(200, 50 * 365))
            rows.append(Member(name=_name(rng), phone=phone, org_unit_id=branch.id,
                               group_id=rng.choice(groups[branch.id]).id, password_hash=seeded_hash,
                               must_change_password=True, joined_on=joined,
                               status=MemberStatus.probationary if rng.random() < 0.05 else MemberStatus.full))
        session.add_all(rows)
        session.flush()
        for m in rows:
            session.add(Membership(member_id=m.id, org_unit_id=branch.id, note="demo"))
        if branch is not first_branch and rows:
            grant_role(session, member_id=rows[0].id, role=RoleName.secretary, org_unit_id=branch.id)
        for m in rows[1:1 + rng.randint(2, 4)]:
            grant_role(session, member_id=m.id, role=RoleName.committee, org_unit_id=branch.id)
        count += len(rows)
    return count
