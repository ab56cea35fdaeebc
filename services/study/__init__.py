"""Study: tasks and the yearly study-hours (学时) record.

Owns task authoring, completion by reading time, quiz, report or lecture attendance, the question
bank, yearly records, the secretaries' oversight (overview, reminders, matrix, CSV export) and
uploaded study files. Modules: common (settings, audience rules, a member's tasks), completion,
quiz, reports, attendance, records, authoring, oversight, uploads. Import from here.
"""
from services.study.attendance import credit_attendance, record_attendance
from services.study.authoring import (TaskData, archive_task, assignee_ids, candidate_members, check_task_data,
                                      create_task, get_task_led, unit_tasks, update_task)
from services.study.common import board, get_member_task, hours_text, local_today, member_tasks, render_markdown, tz
from services.study.completion import beat, heartbeat_seconds
from services.study.oversight import export_csv, matrix, member_card, remind_behind, task_overview
from services.study.quiz import (MAX_OPTIONS, add_question, attempts_of, correct_of, get_attempt, get_question_led,
                                 questions, replace_question, retire_question, start_attempt, submit_attempt)
from services.study.records import home_card, record, ring, year_totals
from services.study.reports import pending_reports, review_report, save_report
from services.study.uploads import discard_upload, file_for, sniff, store_upload, task_file

__all__ = [
    # common
    "board", "get_member_task", "hours_text", "local_today", "member_tasks", "render_markdown", "tz",
    # completion
    "beat", "heartbeat_seconds",
    # authoring
    "TaskData", "archive_task", "assignee_ids", "candidate_members", "check_task_data", "create_task",
    "get_task_led", "unit_tasks", "update_task",
    # quiz
    "MAX_OPTIONS", "add_question", "attempts_of", "correct_of", "get_attempt", "get_question_led", "questions",
    "replace_question", "retire_question", "start_attempt", "submit_attempt",
    # reports
    "pending_reports", "review_report", "save_report",
    # attendance
    "credit_attendance", "record_attendance",
    # records
    "home_card", "record", "ring", "year_totals",
    # oversight
    "export_csv", "matrix", "member_card", "remind_behind", "task_overview",
    # uploads
    "discard_upload", "file_for", "sniff", "store_upload", "task_file",
]
