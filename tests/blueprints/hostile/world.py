"""A small world for the hostile-input tests: two branches, the four roles, and one of each thing
a route can point at (station, activity, check-in, study tasks, a quiz attempt, a meeting, a notice)."""
from datetime import date, datetime, timedelta, timezone

from models import CheckIn, utcnow
from services import meetings, notify, study
from tests.services.study.helpers import principal, task_data

ROLES = ("stranger", "member", "secretary", "admin")


def build(factory, session) -> dict[str, int]:
    """Seed the world; return the ids routes may point at, by path parameter name (and a few extras)."""
    a = factory.branch(name="莲花一支部")
    b = factory.branch(name="景田二支部", parent=factory.s.get(type(a), a.parent_id))
    group = factory.group(a, name="第一党小组")
    sec = factory.secretary(a)
    member = factory.member(a, name="王小红", group=group)
    victim = factory.member(a, name="陈大明")
    factory.member(b, name="乙支部党员")
    admin = factory.member(a, name="管理员", roles=["admin"])
    station = factory.station()
    sec_p = principal(session, sec)

    reading = study.create_task(session, sec_p, unit_id=a.id, data=task_data(title="学习全会精神"))
    quiz = study.create_task(session, sec_p, unit_id=a.id, data=task_data(title="应知应会测试", completion="quiz",
                                                                          pass_mark=100))
    q1 = study.add_question(session, sec_p, task_id=quiz.id, kind="single", text="学时目标？",
                            options=["16", "32"], correct=[1])
    q2 = study.add_question(session, sec_p, task_id=quiz.id, kind="multiple", text="三会一课？",
                            options=["支部党员大会", "党课"], correct=[0, 1])
    study.create_task(session, sec_p, unit_id=a.id, data=task_data(title="心得体会", kind="report",
                                                                    completion="report", report_min_chars=10))
    attempt = study.start_attempt(session, principal(session, member), task_id=quiz.id)
    session.info["org_scope"] = "all"

    start = utcnow() + timedelta(days=2)
    meeting = meetings.create_meeting(session, principal(session, sec), unit_id=a.id, data=meetings.MeetingData(
        kind="branch_assembly", title="支部党员大会", starts_at=start, ends_at=start + timedelta(hours=1),
        place_kind="text", place_text="二楼会议室", agenda="学习"))
    session.info["org_scope"] = "all"
    invite = session.exec(meetings_invites(meeting.id)).first()

    now = utcnow()
    record = CheckIn(member_id=member.id, station_id=station.id, org_unit_id=a.id, checked_in_at=now - timedelta(hours=1),
                     checked_out_at=now, service_day=date.today(), status="counted", minutes=60, credited_minutes=60)
    session.add(record)
    session.commit()
    notify.send(session, member_ids=[member.id, sec.id], purpose="study_due", key="hostile",
                message=notify.Message(title="学习提醒", url="/study/"))
    session.info["org_scope"] = "all"
    progress = session.exec(progress_of(reading.id, member.id)).first()
    session.commit()
    return {
        "member_id": victim.id, "unit_id": a.id, "station_id": station.id, "activity_id": 1,
        "checkin_id": record.id, "notification_id": 1, "meeting_id": meeting.id,
        "invite_id": invite.id if invite else 1, "decision_id": 1, "attempt_id": attempt.id,
        "progress_id": progress.id if progress else 1, "question_id": q1.id, "task_id": reading.id,
        "question": q1.id, "question2": q2.id, "quiz": quiz.id, "z": 12, "x": 3421, "y": 1781,
        "yesterday": (date.today() - timedelta(days=1)).isoformat(),
        "phone:member": member.phone, "phone:secretary": sec.phone, "phone:admin": admin.phone,
    }


def meetings_invites(meeting_id: int):
    """The invites of a meeting."""
    from sqlmodel import select

    from models import MeetingInvite

    return select(MeetingInvite).where(MeetingInvite.meeting_id == meeting_id)


def progress_of(task_id: int, member_id: int):
    """A member's progress row of a task."""
    from sqlmodel import select

    from models import StudyProgress

    return select(StudyProgress).where(StudyProgress.task_id == task_id)


__all__ = ["ROLES", "build", "datetime", "timezone"]
