"""Demo data for meetings: a year of 三会一课 and 主题党日 for every demo branch, with attendance, leave and locked
minutes, some branches behind on compliance; real upcoming meetings for the demo secretary and member.

`seed(session, rng=...)` is idempotent: it does nothing when the demo branch already has its meetings. Past
meetings are written in bulk (they happened); upcoming ones go through the meetings service, so their lists,
lecture task and reminders are made as for any meeting.
"""
import random
import secrets
import uuid
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta

from flask import current_app, has_request_context

from sqlalchemy import insert
from sqlmodel import Session, select

from models import (Attendance, InviteRole, LeaveStatus, Meeting, MeetingDecision, MeetingInvite, MeetingKind,
                    MeetingMinutes, MeetingSettings, Member, MemberStatus, OrgKind, OrgUnit, Role, RoleName, Rsvp,
                    utcnow)
from models.db import unscoped
from services import meetings
from services.accounts import Principal

SECRETARY_PHONE = "13800000001"
MEMBER_PHONE = "13800000002"
MARKER = "支部党员大会：审议年度工作计划"

TOPICS = {
    MeetingKind.branch_assembly: ["审议年度工作计划", "讨论发展党员事项", "学习传达上级会议精神", "通报党费收缴情况"],
    MeetingKind.committee: ["研究本月支部工作安排", "讨论主题党日活动方案", "研究困难党员帮扶", "分析党员学习情况"],
    MeetingKind.group: ["学习讨论", "交流志愿服务体会", "收集群众意见"],
    MeetingKind.lecture: ["书记讲党课：坚定理想信念", "党课：弘扬伟大建党精神", "党课：在基层治理中发挥先锋作用",
                          "党课：学习党的二十届四中全会精神"],
    MeetingKind.theme_day: ["走访慰问困难群众", "社区环境整治志愿服务", "参观党史教育基地", "重温入党誓词",
                            "垃圾分类宣传", "关爱独居老人"],
    MeetingKind.life_meeting: ["年度组织生活会"],
    MeetingKind.review: ["民主评议党员"],
}
PLACES = ["社区党群服务中心二楼会议室", "党群服务中心多功能厅", "支部活动室", "社区会议室"]
REASONS = ["出差在外地", "家中老人住院需要照顾", "单位临时加班", "身体不适", "孩子生病"]


def _admin(member: Member) -> Principal:
    """A principal with full reach: the demo's meetings are created through the services in its name."""
    return Principal(id=member.id, name=member.name, phone=member.phone, branch_id=member.org_unit_id,
                     group_id=member.group_id, must_change_password=False, locale=None, session_token="demo",
                     is_admin=True)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=meetings.tz())


def _month_starts(today: date, months: int) -> list[date]:
    out, year, month = [], today.year, today.month
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(out)


def seed(session: Session, *, rng: random.Random | None = None) -> str:
    """A year of meetings for every demo branch (idempotent); returns a one-line summary.

    The CLI runs it in an app context only: the texts (kinds, reminders) are made in a request context of
    their own, in the default language.
    """
    rng = rng or random.Random(2026)
    with nullcontext() if has_request_context() else current_app.test_request_context():
        return _seed(session, rng)


def _seed(session: Session, rng: random.Random) -> str:
    with unscoped(session):
        member = session.exec(select(Member).where(Member.phone == MEMBER_PHONE)).first()
        secretary = session.exec(select(Member).where(Member.phone == SECRETARY_PHONE)).first()
        if member is None:
            return "meetings: demo member 13800000002 not found; nothing seeded"
        if session.exec(select(Meeting.id).where(Meeting.org_unit_id == member.org_unit_id,
                                                 Meeting.title == MARKER)).first():
            return "meetings: demo meetings already present"
        branches = list(session.exec(select(OrgUnit).where(OrgUnit.kind == OrgKind.branch).order_by(OrgUnit.id)).all())
        made = invites = 0
        for index, branch in enumerate(branches):
            m, i = _past_year(session, branch, index, rng, demo_member=member if branch.id == member.org_unit_id
                              else None)
            made += m
            invites += i
        session.commit()
        upcoming = _upcoming(session, member, secretary or member, rng)
    return f"meetings: {made} past meetings ({invites} attendance rows) in {len(branches)} branches, {upcoming} upcoming"


def _people(session: Session, branch: OrgUnit):
    members = list(session.exec(select(Member).where(Member.org_unit_id == branch.id, Member.is_active.is_(True))
                                .order_by(Member.id)).all())
    committee = set(session.exec(select(Role.member_id).where(
        Role.org_unit_id == branch.id, Role.role.in_([RoleName.secretary, RoleName.committee]))).all())
    groups = list(session.exec(select(OrgUnit).where(OrgUnit.parent_id == branch.id, OrgUnit.kind == OrgKind.group)
                               .order_by(OrgUnit.id)).all())
    return members, committee, groups


def _past_year(session: Session, branch: OrgUnit, index: int, rng: random.Random, *, demo_member: Member | None
               ) -> tuple[int, int]:
    """Twelve months of meetings before today; branch 3 of every 5 skips recent ones, branch 4 leaves minutes open."""
    members, committee, groups = _people(session, branch)
    if not members:
        return 0, 0
    now = utcnow()
    today = meetings.local(now).date()
    fixed_day = 10 + index % 15
    session.add(MeetingSettings(org_unit_id=branch.id, fixed_day=fixed_day, late_grace_minutes=10,
                                reminder_minutes=[1440, 60], important_kinds=["branch_assembly"],
                                duty_member_id=next(iter(sorted(committee - {members[0].id})), None)))
    behind, unlocked = index % 5 == 3, index % 5 == 4
    keen = rng.uniform(0.7, 0.95)
    plan: list[tuple[MeetingKind, datetime, int | None]] = []
    for month in _month_starts(today, 12):
        recent = (today - month).days < 70
        if not (behind and recent):
            plan.append((MeetingKind.committee, _at(month + timedelta(days=4), 19), None))
            if month.month % 2 or not behind:
                for g in groups:
                    plan.append((MeetingKind.group, _at(month + timedelta(days=6 + groups.index(g)), 20), g.id))
        if not (behind and recent and month.month % 2):
            plan.append((MeetingKind.theme_day, _at(month.replace(day=fixed_day), 9), None))
        if month.month in (2, 5, 8, 11):
            if not (behind and recent):
                plan.append((MeetingKind.branch_assembly, _at(month + timedelta(days=19), 19, 30), None))
            plan.append((MeetingKind.lecture, _at(month + timedelta(days=24), 19, 30), None))
        if month.month == 1:
            plan.append((MeetingKind.life_meeting, _at(month + timedelta(days=14), 14, 30), None))
            plan.append((MeetingKind.review, _at(month + timedelta(days=15), 14, 30), None))
    plan = [p for p in plan if p[1] + timedelta(hours=2) < now]
    if demo_member is not None:  # the marker the seed looks for: the demo branch's first assembly of the year
        plan.append((MeetingKind.branch_assembly, _at(max(today - timedelta(days=300), today.replace(month=1, day=5)), 19, 30), None))
    made = invite_rows = 0
    for n, (kind, start, group_id) in enumerate(plan):
        title = MARKER if (demo_member is not None and n == len(plan) - 1) else \
            f"{meetings.kind_label(kind) if kind != MeetingKind.theme_day else '主题党日'}：{rng.choice(TOPICS[kind])}"
        end = start + timedelta(hours=2 if kind in (MeetingKind.theme_day, MeetingKind.life_meeting) else 1,
                                minutes=30)
        meeting = Meeting(org_unit_id=branch.id, uid=uuid.uuid4().hex, kind=kind, title=title[:120],
                          starts_at=start, ends_at=end, place_text=rng.choice(PLACES),
                          agenda="\n".join(f"{i + 1}. {t}" for i, t in enumerate(rng.sample(TOPICS[kind],
                                                                                             min(2, len(TOPICS[kind]))))),
                          audience={MeetingKind.committee: "committee", MeetingKind.group: "group"}.get(kind, "branch"),
                          group_id=group_id, qr_key=secrets.token_hex(16), created_at=start - timedelta(days=10),
                          updated_at=start - timedelta(days=10))
        session.add(meeting)
        session.flush()
        if kind == MeetingKind.committee:
            listed = [m for m in members if m.id in committee]
        elif kind == MeetingKind.group:
            listed = [m for m in members if m.group_id == group_id]
        else:
            listed = members
        rows = []
        for m in listed:
            row = {"meeting_id": meeting.id, "member_id": m.id, "org_unit_id": branch.id, "role": InviteRole.attendee.value,
                   "has_vote": m.status == MemberStatus.full, "on_committee": m.id in committee, "rsvp": None,
                   "answered_at": None, "leave_reason": "", "leave_status": None, "leave_note": "",
                   "leave_decided_by": None, "leave_decided_at": None, "attendance": None, "marked_at": None,
                   "marked_by": None, "mark_method": "", "credited_at": None}
            roll = rng.random()
            demo = demo_member is not None and m.id == demo_member.id
            if demo:
                roll = 0.3 if n % 9 else 0.97  # the demo member: nearly always there, once on leave
            if roll < keen:
                late = roll > keen - 0.06
                row.update(rsvp=Rsvp.attend.value, answered_at=start - timedelta(days=2),
                           attendance=(Attendance.late if late else Attendance.present).value,
                           marked_at=start + timedelta(minutes=rng.randint(12, 25) if late else -rng.randint(1, 20)),
                           mark_method="qr")
            elif roll < keen + 0.08 or demo:
                row.update(rsvp=Rsvp.leave.value, answered_at=start - timedelta(days=1),
                           leave_reason=rng.choice(REASONS), leave_status=LeaveStatus.approved.value,
                           leave_decided_by=listed[0].id, leave_decided_at=start - timedelta(hours=20),
                           attendance=None if unlocked else Attendance.leave.value)
            elif not unlocked:
                row.update(attendance=Attendance.absent.value, mark_method="locked")
            if row["attendance"] and row["marked_at"] is None:
                row["marked_at"] = end + timedelta(days=1)
            rows.append(row)
        if rows:
            session.execute(insert(MeetingInvite), rows)
        invite_rows += len(rows)
        host = next((m for m in listed if m.id in committee), listed[0] if listed else None)
        recorder = next((m for m in listed if m.id in committee and m is not host), host)
        open_minutes = unlocked and (today - meetings.local(start).date()).days < 70
        session.add(MeetingMinutes(
            meeting_id=meeting.id, org_unit_id=branch.id, host_id=host.id if host else None,
            recorder_id=recorder.id if recorder else None, topics=meeting.agenda,
            discussion_md="与会同志结合工作实际逐项讨论，一致同意会议议题。",
            discussion_html="<p>与会同志结合工作实际逐项讨论，一致同意会议议题。</p>",
            updated_at=end + timedelta(days=1), locked_at=None if open_minutes else end + timedelta(days=2),
            locked_by=host.id if host and not open_minutes else None))
        if kind == MeetingKind.branch_assembly:
            voters = sum(1 for r in rows if r["has_vote"] and r["attendance"] in ("present", "late"))
            session.add(MeetingDecision(meeting_id=meeting.id, org_unit_id=branch.id, position=1,
                                        text="同意" + title.split("：", 1)[-1], votes_for=voters,
                                        votes_against=0, votes_abstain=0))
        made += 1
    session.flush()
    return made, invite_rows


def _upcoming(session: Session, member: Member, secretary: Member, rng: random.Random) -> int:
    """Real upcoming meetings for the demo branch, made through the service (lists, a lecture task, reminders)."""
    admin = _admin(secretary)
    branch = session.get(OrgUnit, member.org_unit_id)
    now = utcnow()
    today = meetings.local(now).date()
    groups = [g for g in session.exec(select(OrgUnit).where(OrgUnit.parent_id == branch.id,
                                                            OrgUnit.kind == OrgKind.group).order_by(OrgUnit.id)).all()
              if session.exec(select(Member.id).where(Member.group_id == g.id, Member.is_active.is_(True))).first()]
    if member.group_id in {g.id for g in groups}:
        groups.sort(key=lambda g: g.id != member.group_id)  # the demo member's own group first

    def data(kind, title, day, hour, minute=0, hours=1.5, **kw):
        start = _at(day, hour, minute)
        return meetings.MeetingData(kind=kind, title=title, starts_at=start, ends_at=start + timedelta(hours=hours),
                                    place_kind="text", place_text="社区党群服务中心二楼会议室",
                                    agenda=kw.pop("agenda", "1. 学习传达上级会议精神\n2. 讨论近期工作"), **kw)

    made = [
        meetings.create_meeting(session, admin, unit_id=branch.id, data=data(
            "branch_assembly", "第四季度支部党员大会", today + timedelta(days=3), 19, 30,
            agenda="1. 学习传达上级会议精神\n2. 审议年度工作总结\n3. 讨论接收预备党员事项")),
        meetings.create_meeting(session, admin, unit_id=branch.id, data=data(
            "committee", "支委会：研究下月工作安排", today + timedelta(days=5), 19, audience="committee")),
        meetings.create_meeting(session, admin, unit_id=branch.id, data=data(
            "lecture", "书记讲党课：把全会精神落实到社区服务中", today + timedelta(days=8), 19, 30, hours=2,
            agenda="结合社区近一年来的志愿服务、为民办实事项目，讲解如何把全会精神落实到日常工作中。")),
    ]
    if groups:
        made.append(meetings.create_meeting(session, admin, unit_id=branch.id, data=data(
            "group", f"{groups[0].name}学习讨论", today + timedelta(days=6), 20, audience="group",
            group_id=groups[0].id)))
    settings = meetings.settings_of(session, branch.id)
    day = settings.fixed_day or 15
    made += meetings.repeat_theme_days(session, admin, unit_id=branch.id, day=day, months=3,
                                       data=data("theme_day", "主题党日：关爱独居老人志愿服务", today, 9, hours=2.5,
                                                 agenda="1. 重温入党誓词\n2. 分组走访独居老人"))
    # the demo member has answered the first; another member asked for leave (waiting for the secretary)
    me = Principal(id=member.id, name=member.name, phone=member.phone, branch_id=member.org_unit_id,
                   group_id=member.group_id, must_change_password=False, locale=None, session_token="demo")
    meetings.answer(session, me, meeting_id=made[0].id, rsvp="attend")
    other = session.exec(select(Member).where(Member.org_unit_id == branch.id, Member.id.not_in(
        [member.id, secretary.id])).order_by(Member.id)).first()
    if other is not None:
        them = Principal(id=other.id, name=other.name, phone=other.phone, branch_id=other.org_unit_id,
                         group_id=other.group_id, must_change_password=False, locale=None, session_token="demo")
        meetings.answer(session, them, meeting_id=made[0].id, rsvp="leave", reason="单位年底加班，无法参加")
    return len(made)
