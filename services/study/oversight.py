"""Secretaries oversee: who is where on a task, reminders, the members × tasks matrix, CSV export, a member's card."""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from models import (Audience, Member, OrgUnit, ProgressStatus, Role, RoleName, StudyAssignee, StudyProgress, StudyTask,
                    utcnow)
from models.db import unscoped
from services import csvio, notify
from services.accounts import Principal
from services.accounts.orgs import get_unit_led, led_subtree_ids
from services.study.authoring import get_task_led
from services.study.common import (_audience_members, _ids_in_paths, _reach_clause, _writes, hours_text, local_today,
                                   target_half)
from services.study.records import year_totals


@dataclass
class TaskRow:
    """One member's line on a task's overview."""

    member: Member
    progress: StudyProgress | None

    @property
    def status(self) -> str:
        return self.progress.status if self.progress else ProgressStatus.not_started.value


@dataclass
class TaskOverview:
    """Who completed a task and who is behind, among the members this person leads."""

    task: StudyTask
    done: list[TaskRow]
    behind: list[TaskRow]
    waiting: list[TaskRow]  # reports submitted, waiting for review


def task_overview(session: Session, principal: Principal, *, task_id: int) -> TaskOverview:
    """Every member the task is for (and this person leads), with their progress (fixed query count)."""
    task = get_task_led(session, principal, task_id)
    reach = led_subtree_ids(session, principal)
    with unscoped(session):
        rows = session.exec(select(Member, StudyProgress)
                            .outerjoin(StudyProgress, and_(StudyProgress.member_id == Member.id,
                                                           StudyProgress.task_id == task.id))
                            .where(Member.id.in_(_audience_members(session, task)), _reach_clause(reach))
                            .order_by(Member.name, Member.id)).all()
    lines = [TaskRow(member=m, progress=p) for m, p in rows]
    return TaskOverview(task=task, done=[r for r in lines if r.status == ProgressStatus.completed],
                        behind=[r for r in lines if r.status != ProgressStatus.completed],
                        waiting=[r for r in lines if r.status == ProgressStatus.submitted])


@_writes
def remind_behind(session: Session, principal: Principal, *, task_id: int, now: datetime | None = None) -> int:
    """An in-app notice to everyone not yet done; at most one per member, task and day."""
    now = now or utcnow()
    overview = task_overview(session, principal, task_id=task_id)
    task = overview.task
    behind = [r.member for r in overview.behind]
    key = f"study-remind:{task.id}:{local_today(now).isoformat()}"
    sent = 0
    by_locale: dict[str, list[int]] = {}
    for m in behind:
        by_locale.setdefault(m.locale or "zh_Hans_CN", []).append(m.id)
    for locale, ids in by_locale.items():
        with force_locale(locale):
            title = _("Study reminder: %(title)s", title=task.title)
            body = _("Please complete it by %(date)s. Every bit of study counts toward your yearly hours.",
                     date=task.due_on.isoformat())
        sent += notify.send(session, member_ids=ids, purpose=notify.STUDY_DUE, key=key,
                            message=notify.Message(title, body, f"/study/tasks/{task.id}"), now=now, commit=False)
    session.commit()
    return sent


@dataclass
class Matrix:
    """A branch's members × tasks for a year, with each member's year total against their target."""

    unit: OrgUnit
    year: int
    tasks: list[StudyTask]
    rows: list[tuple[Member, list[str], int, int]]  # (member, status per task, total half hours, target half hours)
    done_per_task: list[int]


def matrix(session: Session, principal: Principal, *, unit_id: int, year: int | None = None) -> Matrix:
    """Members × tasks of a unit for a year, in a fixed number of queries whatever the size.

    Tasks are those owned by the unit, its ancestors or its groups that run during the year;
    a cell is "na" where the task is not for that member.
    """
    year = year or local_today().year
    unit = get_unit_led(session, principal, unit_id)
    owners = _ids_in_paths([unit.path])
    first, last = date(year, 1, 1), date(year, 12, 31)
    with unscoped(session):
        subtree = dict(session.exec(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.path.startswith(unit.path))).all())
        members = list(session.exec(select(Member).where(Member.org_unit_id == unit.id, Member.is_active.is_(True))
                                    .order_by(Member.name, Member.id)).all())
        tasks = list(session.exec(select(StudyTask).where(
            or_(StudyTask.org_unit_id.in_(sorted(owners)), StudyTask.org_unit_id.in_(list(subtree))),
            StudyTask.archived_at.is_(None), StudyTask.opens_on <= last, StudyTask.due_on >= first)
            .order_by(StudyTask.due_on, StudyTask.id)).all())
        member_ids = select(Member.id).where(Member.org_unit_id == unit.id)
        task_ids = [t.id for t in tasks] or [-1]
        assigned = set(session.exec(select(StudyAssignee.task_id, StudyAssignee.member_id).where(
            StudyAssignee.task_id.in_(task_ids), StudyAssignee.member_id.in_(member_ids))).all())
        progress = StudyProgress.__table__.c  # plain columns: thousands of rows without ORM bookkeeping
        status = {(r[0], r[1]): r[2] for r in session.execute(
            select(progress.task_id, progress.member_id, progress.status).where(
                progress.task_id.in_(task_ids), progress.member_id.in_(member_ids)))}
        totals = dict(session.exec(select(StudyProgress.member_id, func.sum(StudyProgress.credited_half)).where(
            StudyProgress.member_id.in_(member_ids), StudyProgress.credit_year == year,
            StudyProgress.status == ProgressStatus.completed).group_by(StudyProgress.member_id)).all())
        leaders = set(session.exec(select(Role.member_id).where(
            Role.member_id.in_(member_ids), Role.role.in_([RoleName.secretary, RoleName.committee]))).all())
    # per task: who it is for, decided once (ORM attribute reads are slow in a 10,000-cell loop)
    EVERYONE, ASSIGNED, GROUP = 0, 1, 2
    plan = []
    for t in tasks:
        if t.audience == Audience.members:
            plan.append((t.id, ASSIGNED, ""))
        elif t.org_unit_id in subtree and t.org_unit_id != unit.id:
            plan.append((t.id, GROUP, f"/{t.org_unit_id}/"))
        else:
            plan.append((t.id, EVERYONE, ""))
    rows = []
    done_per_task = [0] * len(tasks)
    for m in members:
        mid, group_path = m.id, subtree.get(m.group_id, "") if m.group_id else ""
        cells = []
        for i, (tid, mode, token) in enumerate(plan):
            if (mode == ASSIGNED and (tid, mid) not in assigned) or (mode == GROUP and token not in group_path):
                cells.append("na")
                continue
            s = status.get((tid, mid), "not_started")
            if s == "completed":
                done_per_task[i] += 1
            cells.append(s)
        rows.append((m, cells, int(totals.get(mid) or 0), target_half(mid in leaders)))
    return Matrix(unit=unit, year=year, tasks=tasks, rows=rows, done_per_task=done_per_task)


def export_csv(session: Session, principal: Principal, *, unit_id: int, now: datetime | None = None) -> bytes:
    """学时 per member per year for a unit, as CSV (services.csvio: UTF-8 with a BOM, formulas defused)."""
    unit = get_unit_led(session, principal, unit_id)
    this_year = local_today(now).year
    with unscoped(session):
        members = list(session.exec(select(Member).where(Member.org_unit_id == unit.id)
                                    .order_by(Member.name, Member.id)).all())
        ids = select(Member.id).where(Member.org_unit_id == unit.id)
        totals = session.exec(select(StudyProgress.member_id, StudyProgress.credit_year,
                                     func.sum(StudyProgress.credited_half))
                              .where(StudyProgress.member_id.in_(ids), StudyProgress.status == ProgressStatus.completed,
                                     StudyProgress.credit_year.is_not(None))
                              .group_by(StudyProgress.member_id, StudyProgress.credit_year)).all()
        leaders = set(session.exec(select(Role.member_id).where(
            Role.member_id.in_(ids), Role.role.in_([RoleName.secretary, RoleName.committee]))).all())
    by_member: dict[int, dict[int, int]] = {}
    for mid, year, half in totals:
        by_member.setdefault(mid, {})[int(year)] = int(half or 0)
    rows = []
    for m in members:
        years = sorted(set(by_member.get(m.id, {})) | {this_year})
        target = target_half(m.id in leaders)
        for y in years:
            half = by_member.get(m.id, {}).get(y, 0)
            rows.append([unit.name, m.name, m.phone, y, hours_text(half), hours_text(target),
                         _("yes") if half >= target else _("no")])
    return csvio.to_csv([_("Party branch"), _("Name"), _("Mobile number"), _("Year"), _("Study hours"), _("Target"),
                         _("Target met")], rows)


@dataclass
class MemberCard:
    """A member's study record as their secretary sees it."""

    member: Member
    total_half: int
    target_half: int
    open_required: int


def member_card(session: Session, principal: Principal, *, member_id: int, now: datetime | None = None) -> MemberCard:
    """This year's 学时 of a member the secretary leads (NotFound otherwise)."""
    from services.accounts.orgs import get_member_led

    member = get_member_led(session, principal, member_id)
    year = local_today(now).year
    totals = year_totals(session, member_id=member.id)
    with unscoped(session):
        leader = session.exec(select(func.count(Role.id)).where(
            Role.member_id == member.id, Role.role.in_([RoleName.secretary, RoleName.committee]))).one() > 0
    return MemberCard(member=member, total_half=totals.get(year, 0), target_half=target_half(leader), open_required=0)
