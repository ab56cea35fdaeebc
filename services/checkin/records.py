"""Service records: a branch's list and export, a member's year, and the home card."""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import Activity, CheckIn, CheckinSource, CheckinStatus, Member, OrgUnit, Station, utcnow
from models.db import unscoped
from services import csvio
from services.accounts.orgs import get_member_led, get_unit_led, require_leader, subtree_ids
from services.checkin.rules import COUNTED, local_day, local_tz
from services.checkin.scans import open_checkin


def reach_ids(session: Session, principal, unit_id: int) -> list[int]:
    """The unit (which the secretary must lead) and every unit below it."""
    require_leader(principal)
    unit = get_unit_led(session, principal, unit_id)
    return sorted(subtree_ids(session, [unit.id]))


@dataclass
class RecordRow:
    """A record with what a list shows beside it."""

    checkin: CheckIn
    station_name: str
    member_name: str = ""
    activity_title: str = ""


def record_rows(session: Session, query) -> list[RecordRow]:
    results = session.execute(query.join(Station, Station.id == CheckIn.station_id)
                           .join(Member, Member.id == CheckIn.member_id)
                           .outerjoin(Activity, Activity.id == CheckIn.activity_id)
                           .add_columns(Station.name, Member.name, Activity.title)).all()
    return [RecordRow(r[0], r[1], r[2], r[3] or "") for r in results]


def branch_records(session: Session, principal, *, unit_id: int, status: str | None = None,
                   year: int | None = None, limit: int = 300) -> tuple[OrgUnit, list[RecordRow]]:
    """A branch's records (its subtree), newest first, optionally only one status or one year."""
    reach = reach_ids(session, principal, unit_id)
    unit = session.get(OrgUnit, unit_id)
    query = select(CheckIn).where(CheckIn.org_unit_id.in_(reach))
    if status:
        query = query.where(CheckIn.status == status)
    if year:
        query = query.where(CheckIn.service_day >= date(year, 1, 1), CheckIn.service_day <= date(year, 12, 31))
    query = query.order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc()).limit(limit)
    return unit, record_rows(session, query)


def member_records_led(session: Session, principal, *, member_id: int, year: int) -> tuple[Member, "ServiceSummary"]:
    """A member of the secretary's workspace and their year of service."""
    member = get_member_led(session, principal, member_id)
    return member, service_summary(session, member_id=member.id, year=year)


STATUS_LABELS = {
    CheckinStatus.open: _l("Checked in"), CheckinStatus.counted: _l("Counted"),
    CheckinStatus.pending: _l("Awaiting approval"), CheckinStatus.approved: _l("Approved"),
    CheckinStatus.declined: _l("Declined"),
}


def status_label(status: str) -> str:
    """A record's status in the member's language."""
    return str(STATUS_LABELS.get(CheckinStatus(status), status))


def export_csv(session: Session, principal, *, unit_id: int, year: int) -> tuple[str, bytes]:
    """A branch's records of a year as CSV (services.csvio: BOM, formulas defused); returns (filename, bytes)."""
    unit, rows = branch_records(session, principal, unit_id=unit_id, year=year, limit=100000)
    header = (_l("Name"), _l("Station"), _l("Date"), _l("Check-in"), _l("Check-out"), _l("Minutes on site"),
              _l("Hours credited"), _l("Source"), _l("Status"), _l("Offline"), _l("Closed automatically"),
              _l("Activity"), _l("Note"))
    tz = local_tz()
    lines = []
    for row in reversed(rows):
        c = row.checkin
        lines.append([
            row.member_name, row.station_name, c.service_day.isoformat(),
            c.checked_in_at.astimezone(tz).strftime("%H:%M"),
            c.checked_out_at.astimezone(tz).strftime("%H:%M") if c.checked_out_at else "",
            c.minutes, f"{c.credited_minutes / 60:.1f}",
            str(_l("Scan")) if c.source == CheckinSource.scan else str(_l("Added by hand")),
            status_label(c.status), "✓" if c.offline else "", "✓" if c.auto_closed else "", row.activity_title,
            c.note])
    return f"service-hours-{unit.id}-{year}.csv", csvio.to_csv(header, lines)


@dataclass
class ServiceSummary:
    """A member's year of service: totals, months and records."""

    year: int
    counted_minutes: int = 0
    pending_minutes: int = 0
    by_month: list[int] = field(default_factory=lambda: [0] * 12)
    records: list[RecordRow] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.counted_minutes / 60

    @property
    def pending_hours(self) -> float:
        return self.pending_minutes / 60

    @property
    def month_max(self) -> int:
        return max(self.by_month) or 1


def service_summary(session: Session, *, member_id: int, year: int, limit: int = 500) -> ServiceSummary:
    """Hours this year (counted and approved), by month, with each record and its status."""
    summary = ServiceSummary(year=year)
    with unscoped(session):
        query = select(CheckIn).where(CheckIn.member_id == member_id, CheckIn.service_day >= date(year, 1, 1),
                                      CheckIn.service_day <= date(year, 12, 31))
        summary.records = record_rows(session, query.order_by(CheckIn.checked_in_at.desc()).limit(limit))
        totals = session.exec(select(CheckIn.service_day, CheckIn.status, CheckIn.credited_minutes).where(
            CheckIn.member_id == member_id, CheckIn.service_day >= date(year, 1, 1),
            CheckIn.service_day <= date(year, 12, 31))).all()
    for day, status, minutes in totals:
        if status in COUNTED:
            summary.counted_minutes += minutes
            summary.by_month[day.month - 1] += minutes
        elif status == CheckinStatus.pending:
            summary.pending_minutes += minutes
    return summary


@dataclass
class TodayCard:
    """What the home page shows: today's visit or the open one, and this year's hours."""

    open: CheckIn | None
    open_station: str
    today_minutes: int
    year_minutes: int
    today_visits: int


def today_card(session: Session, principal) -> TodayCard:
    """The home card: an open check-in with its timer, today's credited time and this year's hours."""
    record = open_checkin(session, member_id=principal.id)
    today = local_day(utcnow())
    with unscoped(session):
        station = session.get(Station, record.station_id).name if record else ""
        rows = session.exec(select(CheckIn.service_day, CheckIn.status, CheckIn.credited_minutes).where(
            CheckIn.member_id == principal.id, CheckIn.service_day >= date(today.year, 1, 1))).all()
    return TodayCard(
        open=record, open_station=station,
        today_minutes=sum(m for d, s, m in rows if d == today and s in COUNTED),
        today_visits=sum(1 for d, s, m in rows if d == today),
        year_minutes=sum(m for d, s, m in rows if s in COUNTED))
