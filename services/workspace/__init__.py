"""The secretary's workspace (支部工作台): a branch's dashboard, or a committee's branches side by side;
members (list with filters, a member's records, add, deactivate, transfer, import from CSV or XLSX);
the branch rating (党建质量评定) with the members' anonymous yearly evaluation; reminders for the branch
itself (支部换届, 政治生日); exports (CSV, XLSX) and printable pages.

Builds on the public functions of accounts, meetings, checkin, study and notify. Modules: common,
figures, dashboard, people, imports, sheets, rating, reminders, exports.
"""
from services.workspace.common import branches_under, get_branch, get_unit, top_units
from services.workspace.dashboard import BranchBoard, Dashboard, boards, dashboard
from services.workspace.figures import HOUR_BUCKETS, MemberFigures, member_figures

__all__ = [
    "branches_under", "get_branch", "get_unit", "top_units",
    "BranchBoard", "Dashboard", "boards", "dashboard",
    "HOUR_BUCKETS", "MemberFigures", "member_figures",
]
from services.workspace.people import (MemberFilter, MemberPage, MemberRecords, Move, member_list,  # noqa: E402
                                       member_records, set_active, transfer, transfers)

__all__ += ["MemberFilter", "MemberPage", "MemberRecords", "Move", "member_list", "member_records", "set_active",
            "transfer", "transfers"]
from services.workspace.imports import ImportRejected, ImportResult, import_members, template_rows  # noqa: E402
from services.workspace.rating import (CHOICES, QUESTIONS, Rating, RatingPage, has_answered, rating_page,  # noqa: E402
                                       ratings, submit_evaluation)

__all__ += ["ImportRejected", "ImportResult", "import_members", "template_rows",
            "CHOICES", "QUESTIONS", "Rating", "RatingPage", "has_answered", "rating_page", "ratings",
            "submit_evaluation"]
from services.workspace.exports import FORMATS, KINDS, Table, export, table  # noqa: E402

__all__ += ["FORMATS", "KINDS", "Table", "export", "table"]
from services.workspace.reminders import Term, send_due, send_political_birthdays, send_term_warnings, set_term, term_of  # noqa: E402,E501

__all__ += ["Term", "send_due", "send_political_birthdays", "send_term_warnings", "set_term", "term_of"]
