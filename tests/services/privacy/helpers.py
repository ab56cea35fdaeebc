"""A member with something in every domain, for the export and deletion tests."""
import uuid
from datetime import date, timedelta

from models import (ActivitySignup, CalendarFeed, CheckIn, CommunityRegistration, LocationConsent, MeetingInvite,
                    Notification, NotifyPreference, PushSubscription, SmsQuota, StudyAttempt, StudyProgress,
                    UserSession, utcnow)
from models.privacy import DataRequest
from services import audit, checkin, meetings
from tests.services.meetings.helpers import data as meeting_data
from tests.services.study.helpers import as_, make_task, principal

NAME = "欧阳隐私测试"
PHONE = "13698765432"
REPORT = "我的心得体会：独一无二的测试文本甲乙丙"
LEAVE = "请假原因：独一无二的家事说明"
CORRECTION = "我的入党日期应为 2011-07-01（独一无二的更正说明）"
NOTE = "补录说明：独一无二的社区活动备注"


def rich_member(session, factory):
    """A branch with a secretary and a member who has rows in every domain; returns (member, secretary, station)."""
    branch = factory.branch(name="隐私测试支部")
    sec = factory.secretary(branch, name="隐私书记")
    member = factory.member(branch, name=NAME, phone=PHONE)
    station = factory.station(code=f"priv-{uuid.uuid4().hex[:6]}")
    session.info["org_scope"] = "all"
    now = utcnow()
    # check-in: a scan with geofence details, and hand-added hours
    session.add(CheckIn(member_id=member.id, org_unit_id=branch.id, station_id=station.id, status="counted",
                        checked_in_at=now - timedelta(days=40), checked_out_at=now - timedelta(days=40, hours=-2),
                        service_day=(now - timedelta(days=40)).date(), minutes=120, credited_minutes=120,
                        geo_inside=True, geo_distance_m=30, geo_accuracy_m=20, nonce=uuid.uuid4().hex))
    session.commit()
    checkin.add_manual(session, member_id=member.id, station_id=station.id,
                       day=checkin.local_day(now) - timedelta(days=1), hours=1, note=NOTE, nonce=uuid.uuid4().hex)
    session.add(CommunityRegistration(member_id=member.id, station_id=station.id))
    session.add(LocationConsent(member_id=member.id))
    session.commit()
    # study: a report task with a written report, and a quiz attempt
    sec_p = principal(session, sec)
    task = make_task(session, sec_p, branch, kind="report", completion="report", report_min_chars=5)
    session.info["org_scope"] = "all"
    session.add(StudyProgress(task_id=task.id, member_id=member.id, org_unit_id=branch.id, status="submitted",
                              report_text=REPORT))
    session.add(StudyAttempt(task_id=task.id, member_id=member.id, org_unit_id=branch.id, layout=[]))
    session.commit()
    # meetings: invited, asked for leave with a reason; a calendar feed
    as_(session, sec_p)
    meeting = meetings.create_meeting(session, sec_p, unit_id=branch.id,
                                      data=meeting_data(starts_at=now + timedelta(days=2)), now=now)
    me = principal(session, member)
    meetings.answer(session, me, meeting_id=meeting.id, rsvp="leave", reason=LEAVE, now=now)
    session.info["org_scope"] = "all"
    session.add(CalendarFeed(member_id=member.id, token_hash=uuid.uuid4().hex))
    # notifications: a message, a push device, preferences, the SMS count
    session.add(Notification(member_id=member.id, purpose="test", key="k1", title=f"给{NAME}的消息", due_at=now))
    session.add(PushSubscription(member_id=member.id, endpoint="https://push.example.test/abc",
                                 endpoint_hash=uuid.uuid4().hex, p256dh="p" * 20, auth="a" * 10, device="测试手机"))
    session.add(NotifyPreference(member_id=member.id, purpose="study_due", channel="sms", enabled=False))
    session.add(SmsQuota(member_id=member.id, day=date.today(), sent=1))
    session.add(UserSession(token_hash=uuid.uuid4().hex, member_id=member.id, expires_at=now + timedelta(hours=1)))
    # privacy: a correction request; an audit entry about them
    session.add(DataRequest(member_id=member.id, org_unit_id=branch.id, subject="joined_on", text=CORRECTION))
    audit.record(session, actor=sec.id, action="member.reset_password", member=member.id, unit=branch.id)
    session.commit()
    signup_activity(session, member, station, branch)
    return member, sec, station


def signup_activity(session, member, station, branch):
    from models import Activity

    a = Activity(title="社区清洁", station_id=station.id, org_unit_id=branch.id,
                 starts_at=utcnow() + timedelta(days=3), ends_at=utcnow() + timedelta(days=3, hours=2))
    session.add(a)
    session.flush()
    session.add(ActivitySignup(activity_id=a.id, member_id=member.id))
    session.commit()


def invite_of(session, member):
    session.info["org_scope"] = "all"
    from sqlmodel import select

    return session.exec(select(MeetingInvite).where(MeetingInvite.member_id == member.id)).first()
