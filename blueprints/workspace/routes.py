"""The secretary's workspace: the dashboard of a branch, or of a committee's branches side by side."""
from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.bounds import arg_int
from blueprints.web import db, leader_required, render
from blueprints.workspace import charts
from services import workspace

bp = Blueprint("workspace", __name__, url_prefix="/workspace")
ID = "int(max=2147483647)"  # ids are INTEGER columns: a longer one is simply not found


def year_quarter_args() -> tuple[int | None, int | None]:
    """The ?year= and ?quarter= of a request, ignored when they are not sensible."""
    return arg_int(request.args, "year", low=2000, high=2100), arg_int(request.args, "quarter", low=1, high=4)


@bp.get("/")
@leader_required
def index():
    """The workspace: the dashboard of the unit the person runs, or a choice when they run several."""
    tops = workspace.top_units(db(), current_user)
    if len(tops) == 1:
        return _dashboard(tops[0].id)
    return render("workspace/choose.html", units=tops)


@bp.get(f"/units/<{ID}:unit_id>")
@leader_required
def unit(unit_id: int):
    """The dashboard of a branch, or of every branch under a committee side by side."""
    return _dashboard(unit_id)


def _dashboard(unit_id: int):
    year, quarter = year_quarter_args()
    board = workspace.dashboard(db(), current_user, unit_id=unit_id, year=year, quarter=quarter)
    if board.single:
        return render("workspace/branch.html", d=board, b=board.boards[0], charts=_branch_charts(board))
    return render("workspace/committee.html", d=board, charts=_committee_charts(board))


def _branch_charts(d) -> dict:
    b = d.boards[0]
    members = lambda **kw: url_for("workspace.members", unit_id=b.unit.id, **kw)  # noqa: E731
    out = {}
    if b.compliance:
        compliance = url_for("meetings.compliance", unit_id=b.unit.id, year=d.year, quarter=d.quarter)
        out["compliance"] = charts.bars(
            [(r.label, r.held, compliance, "red" if r.overdue else ("ok" if r.held >= r.required else ""))
             for r in b.compliance.rules],
            max_value=max([r.required for r in b.compliance.rules] + [1]), suffix="")
        out["compliance_rules"] = b.compliance.rules
    out["trend"] = charts.trend([(r.starts_at.astimezone(_tz()).strftime("%m-%d"), round(100 * r.rate),
                                  url_for("meetings.meeting", meeting_id=r.id)) for r in b.rates])
    out["hours"] = charts.bars([(label, n, members(hours=i)) for i, (label, n) in enumerate(zip(d.hour_labels, b.hours))],
                               suffix=_("people"))
    out["study"] = charts.progress(b.study_on_track, b.members)
    return out


def _committee_charts(d) -> dict:
    unit = lambda b: url_for("workspace.unit", unit_id=b.unit.id)  # noqa: E731
    return {
        "attendance": charts.bars([(b.unit.name, b.attendance_rate or 0, unit(b),
                                    "red" if (b.attendance_rate or 0) < 60 else "") for b in d.boards],
                                  max_value=100, suffix="%"),
        "study": charts.bars([(b.unit.name, round(100 * b.study_on_track / b.members) if b.members else 0, unit(b))
                              for b in d.boards], max_value=100, suffix="%"),
    }


def _tz():
    from services.workspace.common import tz

    return tz()


from blueprints.workspace import people, records  # noqa: E402,F401  (the other screens register on bp)
