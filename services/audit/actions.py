"""The action codes of the trail and their names; one line per action (other domains add theirs here)."""
from flask_babel import lazy_gettext as _l

ACTIONS = {
    # service hours (services.checkin)
    "hours.manual_add": _l("Hours added by hand"),
    "hours.approve": _l("Hours approved"),
    "hours.decline": _l("Hours declined"),
    "hours.auto_close": _l("Forgotten check-out closed"),
    # meetings (services.meetings)
    "attendance.mark": _l("Attendance marked"),
    "attendance.admit": _l("Observer admitted"),
    "leave.approve": _l("Leave approved"),
    "leave.return": _l("Leave returned"),
    "minutes.lock": _l("Minutes locked"),
    "minutes.addendum": _l("Addendum added"),
    # accounts (services.accounts)
    "member.create": _l("Member added"),
    "member.transfer": _l("Member transferred"),
    "member.reset_password": _l("Password reset"),
    "member.deactivate": _l("Member deactivated"),
    "member.activate": _l("Member reactivated"),
    "roster.import": _l("Roster imported"),
    "role.grant": _l("Role given"),
    "role.revoke": _l("Role taken away"),
    # stations (services.stations)
    "station.settings": _l("Station settings changed"),
    # data rights (services.privacy)
    "privacy.export": _l("Data export requested"),
    "privacy.correct": _l("Contact details corrected"),
    "privacy.request": _l("Correction requested"),
    "privacy.answer": _l("Correction request answered"),
    "privacy.consent": _l("Consent withdrawn"),
    "privacy.delete_request": _l("Account deletion requested"),
    "privacy.delete_cancel": _l("Account deletion cancelled"),
    "privacy.anonymise": _l("Account anonymised"),
    "privacy.retention": _l("Expired data purged"),
}


def label(action: str) -> str:
    """The action's name in the reader's language (its code when unknown)."""
    name = ACTIONS.get(action)
    return str(name) if name is not None else action
