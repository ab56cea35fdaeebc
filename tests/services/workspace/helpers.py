"""Helpers for the workspace tests: a branch with a year of known data (service, study, meetings)."""
import uuid
from datetime import date, datetime, timedelta, timezone

from models import (Attendance, CheckIn, CheckinStatus, InviteRole, Meeting, MeetingInvite, MeetingMinutes,
                    ProgressStatus, StudyProgress, StudyTask)
from tests.services.study.helpers import as_, principal  # noqa: F401  (re-exported)

NOW = datetime(2026, 5, 20, 4, 0, tzinfo=timezone.utc)  # 20 May 2026, 12:00 in Shanghai: the second quarter
SH = timezone(timedelta(hours=8))


def held(session, unit, kind, day: date, *, hour=19):
    """A meeting held on `day` with its minutes locked."""
    start = datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH)
    m = Meeting(org_unit_id=unit.id, uid=uuid.uuid4().hex, kind=kind, title=f"{kind} {day}", starts_at=start,
                ends_at=start + timedelta(hours=1), qr_key="k")
    session.add(m)
    session.flush()
    session.add(MeetingMinutes(meeting_id=m.id, org_unit_id=unit.id, topics="议题",
                               locked_at=start + timedelta(hours=2)))
    session.commit()
    return m


def invite(session, meeting, member, attendance=None):
    session.add(MeetingInvite(meeting_id=meeting.id, member_id=member.id, org_unit_id=meeting.org_unit_id,
                              role=InviteRole.attendee, has_vote=True, attendance=attendance))


def service(session, member, station, day: date, minutes: int, status=CheckinStatus.counted):
    """A closed check-in of `minutes` on `day`."""
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=SH)
    session.add(CheckIn(member_id=member.id, station_id=station.id, org_unit_id=member.org_unit_id, status=status,
                        checked_in_at=start, checked_out_at=start + timedelta(minutes=minutes), service_day=day,
                        minutes=minutes, credited_minutes=minutes))


_tasks: dict = {}


def study_hours(session, member, half: int, year: int = 2026, status=ProgressStatus.completed):
    """`half` half hours of study credited to the member in `year` (one completed task)."""
    task = StudyTask(org_unit_id=member.org_unit_id, title="学习", kind="article", completion="reading",
                     opens_on=date(year, 1, 1), due_on=date(year, 12, 31), hours_half=half)
    session.add(task)
    session.flush()
    session.add(StudyProgress(task_id=task.id, member_id=member.id, org_unit_id=member.org_unit_id, status=status,
                              credited_half=half if status == ProgressStatus.completed else 0,
                              credit_year=year if status == ProgressStatus.completed else None))


def year_of_data(session, factory, branch, station, members: list, *, meetings: int = 4):
    """Each member: some service (the i-th member i hours in April, every fifth none), study (i half hours), and
    `meetings` held meetings where the even members were present."""
    for i, m in enumerate(members):
        if i % 5:
            service(session, m, station, date(2026, 4, 1 + i % 28), 60 * (i % 25))
        study_hours(session, m, i % 40)
    rows = [held(session, branch, "committee", date(2026, 1 + k, 5)) for k in range(meetings)]
    for meeting in rows:
        for i, m in enumerate(members):
            invite(session, meeting, m, Attendance.present if i % 2 == 0 else None)
    session.commit()
    return rows
