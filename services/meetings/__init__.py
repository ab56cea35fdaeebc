"""Branch meetings (三会一课, 主题党日, 组织生活会, 民主评议党员).

Owns scheduling (the list of who must attend, 列席 observers, edits and moves, cancellation, the
主题党日 repeat helper), answers and leave (参加 / 请假 until the start, the secretary's or duty
member's decision), attendance (the meeting's rotating code from the check-in code engine, the
member's own code scanned by the secretary, manual marks), the roll and the quorum, minutes
(record-book fields, decisions with votes, attachments, locking and addenda), a 党课's study credit
(through study's public functions), the reminder plan (handed to services.notify), calendars
(.ics and each member's feed), and compliance against the config table MEETING_RULES.

Modules: common, scheduling, reminders, rsvp, attendance, minutes, calendar, compliance, reads.

Read functions for other domains (the workspace's dashboard and rating build on them); each runs a
fixed number of queries whatever the number of branches, and trusts the caller to have checked that
the signed-in person may see the units:
- ``compliance(session, *, unit_ids, year, quarter)``: per branch under the units, per rule: required,
  held and missing by period (month / quarter / year), the next due date and the next scheduled meeting.
- ``attendance_rates(session, *, unit_ids, since)``: per held meeting: invited, present, late, on leave, absent.
- ``absent_streaks(session, *, unit_id, last_n=2)``: members absent without leave from their last n meetings.
- ``pending_leave_requests(session, *, unit_ids)``: leave requests waiting for a decision.
"""
from services.meetings import attendance, reads, rsvp  # noqa: F401  (modules used by the views)
from services.meetings.attendance import (Marked, Roll, add_observers, admit_observer, mark_attendance, passes,
                                          resolve_code, roll, roll_of, scan_code, scan_member)
from services.meetings.calendar import feed_ics, feed_member, feed_status, meeting_ics, reset_feed, stop_feed
from services.meetings.common import (ATTENDANCE_LABELS, KIND_LABELS, can_decide_leave, code_opens_at,
                                      get_meeting_led, get_meeting_seen, has_started, is_over, kind_label, leads,
                                      local, require_runs, settings_of, tz)
from services.meetings.compliance import BranchCompliance, compliance, rules
from services.meetings.minutes import (Record, add_addendum, add_decision, file_for, is_locked, lock_minutes, record,
                                       remove_decision, save_minutes, store_file)
from services.meetings.reads import (LedBranch, MeetingRate, MyMeeting, Overview, PendingLeave, Streak, UnitMeeting,
                                     absent_streaks, attendance_rates, led_overview, next_meeting, overview,
                                     pending_leave_requests, unit_meetings)
from services.meetings.reminders import plan, recipients, sync_reminders
from services.meetings.rsvp import Board, answer, board, decide_leave
from services.meetings.scheduling import (DEFAULT_AUDIENCE, MeetingData, cancel_meeting, check_data, create_meeting,
                                          repeat_dates, repeat_theme_days, update_meeting)
from services.meetings.settings import save_settings

__all__ = [
    # scheduling
    "DEFAULT_AUDIENCE", "MeetingData", "cancel_meeting", "check_data", "create_meeting", "repeat_dates",
    "repeat_theme_days", "update_meeting", "save_settings",
    # answers and leave
    "Board", "answer", "board", "decide_leave",
    # attendance
    "Marked", "Roll", "add_observers", "admit_observer", "mark_attendance", "passes", "resolve_code", "roll",
    "roll_of", "scan_code", "scan_member",
    # minutes
    "Record", "add_addendum", "add_decision", "file_for", "is_locked", "lock_minutes", "record", "remove_decision",
    "save_minutes", "store_file",
    # reminders
    "plan", "recipients", "sync_reminders",
    # calendars
    "feed_ics", "feed_member", "feed_status", "meeting_ics", "reset_feed", "stop_feed",
    # reads
    "LedBranch", "MeetingRate", "MyMeeting", "Overview", "PendingLeave", "Streak", "UnitMeeting", "absent_streaks",
    "attendance_rates", "led_overview", "next_meeting", "overview", "pending_leave_requests", "unit_meetings",
    "BranchCompliance", "compliance", "rules",
    # common
    "attendance", "reads", "rsvp",
    "ATTENDANCE_LABELS", "KIND_LABELS", "can_decide_leave", "code_opens_at", "get_meeting_led", "get_meeting_seen",
    "has_started", "is_over", "kind_label", "leads", "local", "require_runs", "settings_of", "tz",
]
