"""The route census: every endpoint of `app.url_map` and the input it reads.

test_census.py fails when a route has no entry here, so no new route skips the hostile-input
tests (test_hostile.py). To add a route, add ONE line to ROUTES, keyed by its endpoint:

    "area.view": R(query="q page", form="title body", json="lat lon", files="file"),

Each argument is a space-separated list of the names the view reads (leave out what it does not
read; `R()` for a route that reads nothing but its path). Path parameters come from the rule
itself: `<int:...>` gets huge, negative and 400-digit numbers or a real id of the test world (by
parameter name, the dict world.build returns; an unknown name gets 1), other converters get
hostile strings.
A name may hold `{key}` to use an id of the world (e.g. "q{question}" for a quiz answer field), and
`name=value` gives a valid value (percent-encoded, `{key}` allowed): each example keeps most valid
values and makes the others hostile, so the hostile ones get past the form to the service.
Flags: `signs_out=True` when a successful request ends the caller's session (they sign in again
after it), `roles="member admin"` to try only some of stranger, member, secretary and admin.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class R:
    """What one endpoint reads besides its path."""

    query: str = ""
    form: str = ""
    json: str = ""
    files: str = ""
    signs_out: bool = False
    roles: str = "stranger member secretary admin"


MEETING_FORM = ("kind=branch_assembly title=大会 day=2030-05-01 start=19:30 end=21:00 place_kind=text place_text=会议室 "
                "station_q station_id online_url agenda=学习 audience=branch group_id member_ids={member_id} "
                "observer_ids study_task_id repeat repeat_day repeat_months search_station")
TASK_FORM = ("title=学习 kind=lecture completion=attendance hours_half=2 required=y opens_on=2026-01-01 due_on=2030-12-31 "
             "body_md=正文 link_url remove_file min_minutes=1 pass_mark=80 quiz_size=0 report_min_chars=10 "
             "lecture_at=2030-05-01T09:00 lecture_place=会议室 audience=unit member_ids={member_id}")
QUESTION_FORM = "kind=single text=问题 option_0=甲 correct_0=y option_1=乙 correct_1 option_2 correct_2 correct_5"
FILTERS = "q district open_now all_day service home"

ROUTES: dict[str, R] = {
    # pwa and ops
    "static": R(),
    "pwa.favicon": R(),
    "pwa.healthz": R(),
    "pwa.manifest": R(),
    "pwa.offline": R(),
    "pwa.service_worker": R(),
    # auth
    "auth.login": R(query="next", form="phone password remember next"),
    "auth.logout": R(signs_out=True),
    "auth.set_password": R(form="current new confirm"),
    "auth.language": R(form="lang next"),
    # home and me
    "home.index": R(),
    "me.index": R(),
    # branch (the secretary's members)
    "branch.index": R(query="q"),
    "branch.member": R(),
    "branch.reset_password": R(),
    "branch.unit": R(query="q"),
    "branch.roster_import": R(files="file"),
    "branch.add_member": R(form="name=张三 phone=13912345678 group_id status=full joined_on=2010-07-01"),
    "branch.roster_csv": R(),
    # check-in
    "checkin.scan": R(query="p via"),
    "checkin.index": R(query="year"),
    "checkin.activities": R(query="q"),
    "checkin.activity": R(),
    "checkin.cancel": R(form="nonce"),
    "checkin.signup": R(form="nonce"),
    "checkin.new_activity": R(query="q", form="title=植树 station_id={station_id} place=广场 starts_at=2030-05-01T09:00 "
                                             "ends_at=2030-05-01T11:00 slots=10 bring description"),
    "checkin.branch_records": R(query="status"),
    "checkin.decide": R(form="ids decision"),
    "checkin.export": R(query="status"),
    "checkin.member_service": R(query="year"),
    "checkin.certificate": R(query="start end"),
    "checkin.certificate_pdf_view": R(query="start end"),
    "checkin.community": R(),
    "checkin.register_community": R(form="station_id nonce"),
    "checkin.my_code": R(),
    "checkin.offline_scan": R(),
    "checkin.record": R(),
    "checkin.checkout": R(form="nonce"),
    "checkin.confirm": R(form="code=r.{station_id}.1.x scan_pass=1.x nonce=n-confirm lat=22.55 lon=114.05 accuracy=20"),
    "checkin.service": R(query="year"),
    "checkin.manual": R(form="station_id={station_id} day={yesterday} hours=2 note=补录 nonce=n-manual"),
    "checkin.kiosk": R(query="part"),
    "checkin.poster": R(),
    "checkin.renew_poster": R(),
    "checkin.staff_scan": R(form="code nonce"),
    "checkin.sync": R(json='code="r.{station_id}.1.x" nonce="n-sync" scanned_at="2026-05-01T09:00:00Z" geo.inside=true '
                              "geo.distance_m=10 geo.accuracy_m=20"),
    "checkin.token": R(),
    # notifications
    "notify.index": R(query="before"),
    "notify.open_item": R(),
    "notify.read_one": R(),
    "notify.read_all": R(),
    "notify.old_index": R(),
    "notify.old_open": R(),
    "notify.old_read_all": R(),
    "notify.settings": R(form="choice=meeting_reminder:push"),
    "notify.push_subscribe": R(json="subscription"),
    "notify.push_unsubscribe": R(json="endpoint"),
    "notify.push_test": R(json="endpoint"),
    # meetings
    "meetings.index": R(),
    "meetings.meeting": R(),
    "meetings.admit": R(),
    "meetings.answer": R(form="answer reason back"),
    "meetings.attendance": R(query="part"),
    "meetings.mark": R(form="status"),
    "meetings.board": R(),
    "meetings.ics": R(),
    "meetings.cancel": R(form="reason"),
    "meetings.edit": R(form=MEETING_FORM),
    "meetings.decide": R(form="decision note"),
    "meetings.member_scan": R(form="code nonce"),
    "meetings.minutes": R(),
    "meetings.save_minutes": R(form="host_id recorder_id topics discussion"),
    "meetings.add_addendum": R(form="text"),
    "meetings.add_decision": R(form="text=决议 votes_for=5 votes_against=0 votes_abstain=0"),
    "meetings.remove_decision": R(),
    "meetings.upload": R(files="file"),
    "meetings.lock": R(),
    "meetings.observers": R(form="member_ids"),
    "meetings.scan": R(query="p via"),
    "meetings.calendar": R(),
    "meetings.reset_calendar": R(),
    "meetings.stop_calendar": R(),
    "meetings.feed": R(),
    "meetings.file": R(),
    "meetings.confirm": R(form="code scan_pass nonce"),
    "meetings.unit": R(),
    "meetings.compliance": R(query="year quarter"),
    "meetings.new": R(query="kind", form=MEETING_FORM),
    "meetings.settings": R(form="fixed_day=15 late_grace_minutes=10 remind_day=y remind_hours remind_hour important_kinds "
                                "duty_member_id"),
    # stations
    "stations.index": R(query=FILTERS),
    "stations.station": R(),
    "stations.card": R(),
    "stations.manage": R(),
    "stations.manage_settings": R(form="checkin_mode=kiosk geofence_radius_m=100 is_active=y"),
    "stations.add_staff": R(form="phone"),
    "stations.remove_staff": R(),
    "stations.api_nearest": R(json="lat=22.55 lon=114.05 limit=5 open_now all_day service", form="lat lon limit"),
    "stations.consent": R(form="agree next"),
    "stations.withdraw": R(form="next"),
    "stations.export_file": R(),
    "stations.import_file": R(form="crs=wgs84", files="file"),
    "stations.map_view": R(query="station"),
    "stations.markers": R(),
    "stations.nearby": R(form="lat=22.55 lon=114.05 " + FILTERS),
    "stations.tile": R(),
    # study
    "study.index": R(query="year"),
    "study.attempt": R(form="q{question}=1 q{question2}=0 qx"),
    "study.file": R(),
    "study.member_card": R(query="year"),
    "study.review": R(form="decision comment back"),
    "study.edit_question": R(form=QUESTION_FORM),
    "study.retire_question": R(),
    "study.manage_task": R(),
    "study.archive_task": R(),
    "study.attendance": R(form="member_ids"),
    "study.edit_task": R(form=TASK_FORM, files="file"),
    "study.questions": R(form=QUESTION_FORM),
    "study.remind": R(),
    "study.manage_unit": R(query="year"),
    "study.export": R(query="year"),
    "study.matrix": R(query="year"),
    "study.reviews": R(),
    "study.new_task": R(form=TASK_FORM, files="file"),
    "study.record": R(query="year"),
    "study.task": R(),
    "study.beat": R(),
    "study.start_quiz": R(),
    "study.report": R(form="text=学习心得体会写得很长很长"),
    # workspace (the secretary's branch and a committee's branches)
    "workspace.index": R(query="year quarter"),
    "workspace.unit": R(query="year quarter"),
    "workspace.members": R(query="q status group behind idle absent hours page"),
    "workspace.add_member": R(form="name=张三 phone=13912345678 group_id status=full joined_on=2010-07-01"),
    "workspace.member": R(),
    "workspace.set_active": R(form="active"),
    "workspace.transfer": R(form="to_branch_id note"),
    "workspace.moves": R(),
    "workspace.import_members": R(files="file"),
    "workspace.import_template": R(),
    "workspace.rating": R(query="year"),
    "workspace.term": R(form="elected_on=2025-01-01 years=3"),
    "workspace.evaluation": R(form="life=4 study=3 service=2 lead=1"),
    "workspace.exports": R(query="year"),
    "workspace.export": R(query="year"),
    "workspace.print_page": R(query="year"),
    # privacy (data rights) and the audit trail
    "privacy.policy": R(),
    "privacy.me": R(),
    "privacy.export": R(),
    "privacy.download": R(),
    "privacy.phone": R(form="phone=13912345679 password"),
    "privacy.ask": R(form="subject=name text=姓名写错了"),
    "privacy.withdraw": R(),
    "privacy.allow_sms": R(),
    "privacy.delete": R(form="confirm=y member_id"),
    "privacy.cancel_delete": R(),
    "privacy.requests": R(),
    "privacy.answer": R(form="outcome=done text"),
    "privacy.trail": R(query="member action since until before"),
}
