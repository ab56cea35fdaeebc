"""What a notification is for (its purpose), the channels, and what each purpose defaults to."""
from flask_babel import lazy_gettext as _l

MEETING_REMINDER = "meeting_reminder"
MEETING_CHANGED = "meeting_changed"
MEETING_CANCELLED = "meeting_cancelled"
LEAVE_DECISION = "leave_decision"
STUDY_DUE = "study_due"
STUDY_REVIEW = "study_review"
ACTIVITY_STARTING = "activity_starting"
TERM_ENDING = "term_ending"
POLITICAL_BIRTHDAY = "political_birthday"
EXPORT_READY = "export_ready"
DATA_REQUEST = "data_request"
TEST = "test"

# In the order the preferences page lists them, with the member's words for each.
PURPOSES = {
    MEETING_REMINDER: _l("Meeting reminders"),
    MEETING_CHANGED: _l("Meeting moved or changed"),
    MEETING_CANCELLED: _l("Meeting cancelled"),
    LEAVE_DECISION: _l("Leave requests decided"),
    STUDY_DUE: _l("Study tasks due"),
    STUDY_REVIEW: _l("Study reports reviewed"),
    ACTIVITY_STARTING: _l("Volunteer activities starting"),
    TERM_ENDING: _l("Committee term ending"),
    POLITICAL_BIRTHDAY: _l("Political birthday"),
    EXPORT_READY: _l("Exports ready"),
    DATA_REQUEST: _l("Personal data requests"),
    TEST: _l("Test messages"),
}

INBOX = "inbox"
PUSH = "push"
SMS = "sms"
CHANNELS = (INBOX, PUSH, SMS)
SENDING_CHANNELS = (PUSH, SMS)  # the ones with delivery rows; the inbox is the notification itself

# Always delivered on every channel the member has, whatever their choices.
ALWAYS = frozenset({MEETING_CANCELLED, TEST})
# Shown on the preferences page (the test message is not a choice).
CHOOSABLE = tuple(p for p in PURPOSES if p != TEST)


def is_purpose(value) -> bool:
    """Whether `value` names a known purpose."""
    return isinstance(value, str) and value in PURPOSES
