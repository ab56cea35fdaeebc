"""Exports of a unit's records (its branches): attendance per meeting, service hours and study 学时 per member
for a year, and the rating; as CSV or XLSX (formulas defused), or as a table for the printable page."""
from dataclasses import dataclass
from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from services import meetings
from services.accounts import Principal
from services.errors import NotFound
from services.workspace.common import branches_under, get_unit, local_now, tz
from services.workspace.figures import member_figures
from services.workspace.rating import ratings
from services.workspace.sheets import XLSX_MIME, to_csv, to_xlsx

KINDS = {"attendance": _l("Attendance per meeting"), "service": _l("Service hours per member"),
         "study": _l("Study hours per member"), "rating": _l("Branch rating")}
FORMATS = ("csv", "xlsx")


@dataclass
class Table:
    """What an export holds: a title, the column names and the rows."""

    kind: str
    title: str
    unit_name: str
    year: int
    header: list[str]
    rows: list[list]


def table(session: Session, principal: Principal, *, unit_id: int, kind: str, year: int | None = None,
          now: datetime | None = None) -> Table:
    """The rows of one export for a unit in the person's workspace (NotFound for any other, or an unknown kind)."""
    if kind not in KINDS:
        raise NotFound()
    unit = get_unit(session, principal, unit_id)
    year = year or local_now(now).year
    branches = branches_under(session, unit)
    names = {b.id: b.name for b in branches}
    ids = list(names)
    if kind == "attendance":
        since = datetime.combine(datetime(year, 1, 1).date(), time(0), tzinfo=tz())
        header = ["支部", "日期", "会议", "应到", "实到", "迟到", "请假", "缺席", "出席率"]
        rows = [[names.get(r.meeting.org_unit_id, ""), r.meeting.starts_at.astimezone(tz()).strftime("%Y-%m-%d %H:%M"),
                 r.meeting.title, r.invited, r.present, r.late, r.leave, r.absent,
                 f"{round(100 * r.rate)}%" if r.invited else ""]
                for r in meetings.attendance_rates(session, unit_ids=ids, since=since, now=now)
                if r.meeting.starts_at.astimezone(tz()).year == year]
    elif kind == "service":
        header = ["支部", "姓名", "服务时长（小时）", "最近服务日期"]
        rows = [[names.get(f.branch_id, ""), f.name, f.service_hours,
                 f.last_service.isoformat() if f.last_service else ""]
                for f in member_figures(session, branch_ids=ids, year=year, now=now).values()]
    elif kind == "study":
        header = ["支部", "姓名", "年度", "学时", "年度目标", "是否达标"]
        rows = [[names.get(f.branch_id, ""), f.name, year, f.study_half / 2, f.target_half // 2,
                 "是" if f.study_half >= f.target_half else "否"]
                for f in member_figures(session, branch_ids=ids, year=year, now=now).values()]
    else:
        header = ["支部", "年度", "会议开展", "出席", "学习完成", "志愿服务", "指标得分", "测评人数", "测评得分", "总分", "等次"]
        rows = [[r.unit.name, year] + [round(r.indicators.get(k, 0), 1) for k in ("meetings", "attendance", "study",
                                                                                  "service")]
                + [r.indicator_score, r.answers, r.evaluation if r.evaluation is not None else "",
                   r.score, r.grade_label + ("" if r.final else "（暂定）")]
                for r in ratings(session, branches=branches, year=year, now=now)]
    if kind != "attendance":
        rows.sort(key=lambda r: (r[0], str(r[1])))
    return Table(kind=kind, title=str(KINDS[kind]), unit_name=unit.name, year=year, header=header, rows=rows)


def export(session: Session, principal: Principal, *, unit_id: int, kind: str, fmt: str, year: int | None = None,
           now: datetime | None = None) -> tuple[str, bytes, str]:
    """(filename, body, mimetype) of an export as CSV or XLSX."""
    if fmt not in FORMATS:
        raise NotFound()
    t = table(session, principal, unit_id=unit_id, kind=kind, year=year, now=now)
    name = f"{kind}-{unit_id}-{t.year}.{fmt}"
    if fmt == "csv":
        return name, to_csv(t.header, t.rows), "text/csv"
    return name, to_xlsx(t.header, t.rows, title=t.title), XLSX_MIME
