"""Demo data for study: tasks for the demo branches, members' progress, past years, a reminder.

`seed(session, rng=...)` is idempotent: a branch that already has the demo tasks is left alone.
The texts are short originals written for the demo, not copies of official documents.
"""
import random
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from models import (Member, OrgUnit, ProgressStatus, Role, RoleName, StudyProgress, StudyQuestion, StudyTask,
                    utcnow)
from models.db import unscoped
from services import notify, study
from services.accounts import Principal

SECRETARY_PHONE = "13800000001"
MEMBER_PHONE = "13800000002"
MARKER = "学习党的二十届四中全会精神（一）：全会精神要点"

TEXT_ONE = """## 一、为什么要学

党的二十届四中全会对今后五年的经济社会发展作出了部署。对社区党员来说，学习全会精神不是抽象的任务，而是弄清楚“今后几年身边会发生什么变化、我能做些什么”。

## 二、要点速览

- **坚持以人民为中心。** 发展为了人民，把群众的急难愁盼作为工作的出发点。
- **高质量发展。** 在科技创新、产业升级、绿色低碳等方面持续发力。
- **基层治理。** 发挥基层党组织战斗堡垒作用，让党群服务中心成为群众身边的“15 分钟服务圈”。

## 三、读后想一想

> 结合自己所在的小区、楼栋或单位，哪一件小事是我可以马上带头去做的？

请用 10 分钟左右读完本文，读完后可以在“心得体会”任务中写下自己的想法。"""

TEXT_TWO = """## 以高质量党建引领基层治理

社区是城市治理的“最后一公里”。党支部要把党员组织起来、把群众动员起来，把资源整合起来。

**一是亮身份。** 在职党员到社区报到，认领志愿服务岗位，在楼栋、网格中亮明身份、主动服务。

**二是解难题。** 围绕加装电梯、停车难、老旧小区改造等群众关心的事，党员带头议、带头做。

**三是强阵地。** 用好党群服务中心和站点，让群众办事、学习、活动都有去处。

学习时可以对照支部近期的工作，想一想哪些做法值得坚持，哪些地方还可以改进。"""

TEXT_LECTURE = """本次党课由支部书记主讲，结合社区近一年来的志愿服务、为民办实事项目，讲解如何把全会精神落实到日常工作中。

请准时到社区党群服务中心二楼会议室参加，现场签到后自动计入学时。"""

TEXT_REPORT = """请结合本次集中学习，联系自己的工作和生活实际，写一篇学习心得体会。

可以从以下几个方面入手：学到了什么、对照检查有哪些不足、下一步打算怎么做。字数不少于 300 字。"""

TEXT_RULES = """《中国共产党支部工作条例（试行）》对党支部的职责、组织设置、组织生活等作了系统规定。

请重点阅读“组织生活”一章，了解“三会一课”、主题党日、组织生活会和民主评议党员等制度的基本要求。"""

QUESTIONS = [
    ("single", "党员每年集中学习培训时间一般不少于多少学时？", ["16 学时", "32 学时", "56 学时", "64 学时"], [1]),
    ("single", "基层党组织书记和班子成员每年集中学习培训时间一般不少于多少学时？",
     ["32 学时", "40 学时", "56 学时"], [2]),
    ("multiple", "以下哪些属于“三会一课”？", ["支部党员大会", "支部委员会会议", "党小组会", "党课", "联欢会"],
     [0, 1, 2, 3]),
    ("single", "党支部党员大会一般多久召开一次？", ["每季度至少一次", "每年一次", "每两年一次"], [0]),
    ("single", "主题党日一般多久开展一次？", ["每周一次", "每月一次", "每年一次"], [1]),
    ("single", "党的二十届四中全会审议通过了关于制定哪一个五年规划的建议？",
     ["第十四个五年规划", "第十五个五年规划", "第十六个五年规划"], [1]),
]

REPORT_SAMPLE = ("通过这次集中学习，我对全会提出的目标任务有了更具体的认识。作为社区党员，我体会最深的是“以人民为中心”"
                 "不是一句口号，而是要落实到每一件小事上。去年我们楼栋加装电梯，前后协调了大半年，正是党员带头上门"
                 "做工作，才让大家达成了一致。对照全会精神，我觉得自己还存在学习不够系统、参与志愿服务时间不多等不足。"
                 "下一步，我打算每周至少参加一次党群服务中心的志愿服务，并利用手机上的学习任务坚持学习，把学到的"
                 "内容讲给楼栋里的邻居听，努力做到学有所思、思有所悟、悟有所行。")


def _clamp(day: date, year: int, today: date) -> date:
    """Keep a date within this year and not after today."""
    return min(max(day, date(year, 1, 2)), today)


def _admin_for(member: Member) -> Principal:
    """A principal with full reach, used only to create the demo tasks through the service."""
    return Principal(id=member.id, name=member.name, phone=member.phone, branch_id=member.org_unit_id,
                     group_id=member.group_id, must_change_password=False, locale=None, session_token="demo",
                     is_admin=True)


def _progress(task: StudyTask, member: Member, status: str, *, when: datetime, **extra) -> StudyProgress:
    done = status == ProgressStatus.completed
    return StudyProgress(task_id=task.id, member_id=member.id, org_unit_id=member.org_unit_id, status=status,
                         started_at=when - timedelta(days=1), updated_at=when,
                         completed_at=when if done else None, credited_half=task.hours_half if done else 0,
                         credit_year=when.astimezone(study.tz()).year if done else None,
                         source=extra.pop("source", task.completion if done else ""), **extra)


def seed(session: Session, *, rng: random.Random | None = None) -> str:
    """Add the demo study tasks and progress for the demo branches (idempotent); returns a one-line summary."""
    rng = rng or random.Random(2026)
    with unscoped(session):
        member = session.exec(select(Member).where(Member.phone == MEMBER_PHONE)).first()
        secretary = session.exec(select(Member).where(Member.phone == SECRETARY_PHONE)).first()
        if member is None:
            return "study: demo member 13800000002 not found; nothing seeded"
        branch_ids = {member.org_unit_id}
        if secretary is not None:
            branch_ids |= {r.org_unit_id for r in session.exec(select(Role).where(
                Role.member_id == secretary.id, Role.role.in_([RoleName.secretary, RoleName.committee]))).all()
                if r.org_unit_id}
        branches = [u for u in session.exec(select(OrgUnit).where(OrgUnit.id.in_(branch_ids))).all()
                    if u.kind == "branch"]
        made_tasks = made_rows = 0
        for branch in sorted(branches, key=lambda u: u.id):
            if session.exec(select(StudyTask.id).where(StudyTask.org_unit_id == branch.id,
                                                       StudyTask.title == MARKER)).first():
                continue
            t, r = _seed_branch(session, branch, secretary or member, member, rng)
            made_tasks += t
            made_rows += r
        notices = _seed_notice(session, member)
        session.commit()
    return (f"study: {made_tasks} tasks, {made_rows} progress rows, {notices} notice(s) "
            f"in {len(branches)} demo branch(es)")


def _seed_branch(session: Session, branch: OrgUnit, author: Member, demo_member: Member,
                 rng: random.Random) -> tuple[int, int]:
    """One branch: this year's tasks, earlier tasks, last years' record, and everybody's progress."""
    now = utcnow()
    today = study.local_today(now)
    year = today.year
    admin = _admin_for(author)
    members = list(session.exec(select(Member).where(Member.org_unit_id == branch.id,
                                                     Member.is_active.is_(True)).order_by(Member.id)).all())

    def task(title, *, kind, completion, opens, due, half, body="", required=True, **kw):
        data = study.TaskData(title=title, kind=kind, completion=completion, opens_on=opens, due_on=due,
                              hours_half=half, required=required, body_md=body, **kw)
        return study.create_task(session, admin, unit_id=branch.id, data=data, now=now)

    # this year: open now
    t1 = task(MARKER, kind="article", completion="reading", opens=today - timedelta(days=12),
              due=today + timedelta(days=4), half=2, body=TEXT_ONE, min_seconds=600)
    t2 = task("学习党的二十届四中全会精神（二）：以高质量党建引领基层治理", kind="article", completion="reading",
              opens=today - timedelta(days=5), due=today + timedelta(days=6), half=3, body=TEXT_TWO,
              min_seconds=900)
    quiz = task("全会精神应知应会测试", kind="article", completion="quiz", opens=today - timedelta(days=5),
                due=today + timedelta(days=20), half=2, pass_mark=80, quiz_size=5,
                body="共 5 道题，80 分及格，可以多次作答。")
    lecture_day = today - timedelta(days=3)
    lecture = task("书记讲党课：把全会精神落实到社区服务中", kind="lecture", completion="attendance",
                   opens=today - timedelta(days=10), due=today + timedelta(days=10), half=8, body=TEXT_LECTURE,
                   lecture_at=datetime.combine(lecture_day, time(19, 30), tzinfo=study.tz()),
                   lecture_place="社区党群服务中心二楼会议室")
    report = task("撰写全会精神学习心得体会", kind="report", completion="report", opens=today - timedelta(days=5),
                  due=today + timedelta(days=25), half=4, body=TEXT_REPORT, report_min_chars=300)
    video = task("观看专题片：基层党建工作经验", kind="video", completion="reading", opens=today - timedelta(days=2),
                 due=today + timedelta(days=30), half=2, required=False, min_seconds=1200,
                 link_url="https://www.12371.cn/", body="打开链接观看专题片，回到本页面后继续计时。")
    # this year: earlier, already closed
    rules = task("学习《中国共产党支部工作条例（试行）》", kind="article", completion="reading",
                 opens=_clamp(today - timedelta(days=40), year, today),
                 due=_clamp(today - timedelta(days=8), year, today),
                 half=2, body=TEXT_RULES, min_seconds=600)
    spring = task("春季党课：传承红色基因", kind="lecture", completion="attendance",
                  opens=_clamp(today - timedelta(days=120), year, today),
                  due=_clamp(today - timedelta(days=100), year, today), half=8, body="春季集中党课。")
    winter = task(f"{year}年度党员冬训集中学习", kind="lecture", completion="attendance",
                  opens=date(year, 1, 2), due=_clamp(date(year, 2, 28), year, today), half=8,
                  body="年初冬训集中学习，学习时间按半天计 4 学时。")

    # earlier years: the record a member sees under "past years"
    past = []
    for back, items in ((1, [("冬训集中学习", 16), ("二十届三中全会精神专题学习", 8), ("第一季度党课", 8),
                             ("第二季度党课", 8), ("第三季度党课", 8), ("第四季度党课", 8), ("七一主题党日", 4), ("年度学习心得", 4)]),
                        (2, [("冬训集中学习", 16), ("主题教育专题学习", 8), ("上半年党课", 8), ("下半年党课", 8),
                             ("应知应会测试", 2), ("年度学习心得", 4)])):
        y = year - back
        for i, (title, half) in enumerate(items):
            opens = date(y, 1 + i * 11 // len(items), 5)
            past.append((task(f"{y}年{title}", kind="lecture", completion="attendance", opens=opens,
                              due=opens + timedelta(days=20), half=half, body="往年学习任务。"), y))
    tasks_made = 9 + len(past)
    for position, (kind, text, options, correct) in enumerate(QUESTIONS, start=1):
        session.add(StudyQuestion(task_id=quiz.id, org_unit_id=branch.id, kind=kind, text=text, options=options,
                                  correct=correct, position=position))

    rows = []
    for m in members:
        demo = m.id == demo_member.id
        keen = 0.95 if demo else rng.uniform(0.3, 0.95)
        # last years: most members met the target, some nearly
        for t, y in past:
            if demo or rng.random() < keen + 0.1:
                when = datetime.combine(t.opens_on + timedelta(days=rng.randint(0, 15)), time(20), tzinfo=study.tz())
                rows.append(_progress(t, m, "completed", when=when, source="attendance:demo"))
        # earlier this year
        for t in (winter, spring, rules):
            if (demo and t is not rules) or (not demo and rng.random() < keen):  # the demo member left one overdue
                when = datetime.combine(_clamp(t.due_on - timedelta(days=rng.randint(0, 6)), year, today),
                                        time(20), tzinfo=study.tz())
                rows.append(_progress(t, m, "completed", when=min(when, now),
                                      seconds_read=t.min_seconds))
        # the lecture three days ago
        if demo or rng.random() < keen:
            rows.append(_progress(lecture, m, "completed", when=min(datetime.combine(lecture_day, time(21),
                                                                                     tzinfo=study.tz()), now),
                                  source="attendance:demo"))
        # the open tasks: a spread of states (the demo member has one done and one half read)
        if demo:
            rows.append(_progress(t1, m, "completed", when=now - timedelta(days=2), seconds_read=600))
            rows.append(_progress(t2, m, "in_progress", when=now - timedelta(hours=20), seconds_read=360))
            rows.append(_progress(quiz, m, "in_progress", when=now - timedelta(days=1), attempts=1, best_score=60))
            continue
        for t in (t1, t2, video):
            roll = rng.random()
            if roll < keen * 0.7:
                rows.append(_progress(t, m, "completed", when=now - timedelta(hours=rng.randint(2, 200)),
                                      seconds_read=t.min_seconds))
            elif roll < keen:
                rows.append(_progress(t, m, "in_progress", when=now - timedelta(hours=rng.randint(2, 100)),
                                      seconds_read=rng.randint(60, max(61, t.min_seconds - 60))))
        roll = rng.random()
        if roll < keen * 0.6:
            rows.append(_progress(quiz, m, "completed", when=now - timedelta(hours=rng.randint(2, 100)),
                                  attempts=rng.randint(1, 3), best_score=rng.choice([80, 100])))
        elif roll < keen:
            rows.append(_progress(quiz, m, "in_progress", when=now - timedelta(hours=rng.randint(2, 100)),
                                  attempts=1, best_score=rng.choice([40, 60])))
        roll = rng.random()
        if roll < keen * 0.3:
            rows.append(_progress(report, m, "completed", when=now - timedelta(days=1), report_text=REPORT_SAMPLE,
                                  submitted_at=now - timedelta(days=2), review_comment="体会真切，联系实际，很好。",
                                  reviewed_by=author.id, reviewed_at=now - timedelta(days=1)))
        elif roll < keen * 0.6:
            rows.append(_progress(report, m, "submitted", when=now - timedelta(hours=rng.randint(2, 60)),
                                  report_text=REPORT_SAMPLE, submitted_at=now - timedelta(hours=rng.randint(2, 60))))
        elif roll < keen * 0.7:
            rows.append(_progress(report, m, "returned", when=now - timedelta(days=1),
                                  report_text=REPORT_SAMPLE[:160] + "……（未完）",
                                  submitted_at=now - timedelta(days=3), review_comment="请补充下一步的具体打算。",
                                  reviewed_by=author.id, reviewed_at=now - timedelta(days=1)))
    session.add_all(rows)
    session.flush()
    return tasks_made, len(rows)


def _seed_notice(session: Session, member: Member) -> int:
    """An unread reminder for the demo member (so the home page and the 我的 tab show the badge)."""
    title = "学习提醒：学习党的二十届四中全会精神（二）：以高质量党建引领基层治理"
    task = session.exec(select(StudyTask).where(StudyTask.title.startswith("学习党的二十届四中全会精神（二）"),
                                                StudyTask.org_unit_id == member.org_unit_id)).first()
    if task is None:
        return 0
    session.flush()
    return notify.send(session, member_ids=[member.id], purpose=notify.STUDY_DUE, key="demo:study-remind",
                       message=notify.Message(title, "请按时完成。每一次学习都计入您的年度学时。",
                                              f"/study/tasks/{task.id}"), commit=False)
