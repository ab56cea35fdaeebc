"""Members in the workspace: the list with search, filters and pages; a member's records across check-in,
study and meetings; deactivate and reactivate; transfers (组织关系转接) seen from both branches."""
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import Meeting, MeetingInvite, Member, Membership, OrgUnit, utcnow
from models.db import begin_write, unscoped
from services import meetings
from services.accounts import Principal, members as accounts_members, orgs
from services.errors import DomainError
from services.workspace.common import check_id, get_branch, groups_of, local_now
from services.workspace.figures import HOUR_BUCKETS, MemberFigures, hour_bucket, member_figures

PER_PAGE = 50
STATUSES = ("full", "probationary", "inactive")


@dataclass
class MemberFilter:
    """What the list is narrowed to; anything unusable in the request is simply ignored."""

    q: str = ""
    status: str = ""
    group_id: int | None = None
    behind: bool = False  # behind on study
    idle: bool = False  # no service in 90 days
    absent: bool = False  # absent without leave from the last two meetings
    hours: int | None = None  # a bar of the service-hours distribution
    page: int = 1

    @classmethod
    def parse(cls, args) -> "MemberFilter":
        """From request arguments (a mapping of strings)."""
        def flag(name):
            return str(args.get(name, "")).strip() in ("1", "on", "true", "y")

        def number(name, low, high):
            try:
                value = int(str(args.get(name, "")).strip())
            except ValueError:
                return None
            return value if low <= value <= high else None

        status = str(args.get("status", "")).strip()
        return cls(q=str(args.get("q", "")).strip()[:40], status=status if status in STATUSES else "",
                   group_id=number("group", 1, 2**31 - 1), behind=flag("behind"), idle=flag("idle"),
                   absent=flag("absent"), hours=number("hours", 0, len(HOUR_BUCKETS) - 1),
                   page=number("page", 1, 100000) or 1)

    def args(self, **change) -> dict:
        """As URL arguments (for links to other pages of the same list)."""
        values = {"q": self.q, "status": self.status, "group": self.group_id, "behind": int(self.behind) or None,
                  "idle": int(self.idle) or None, "absent": int(self.absent) or None, "hours": self.hours,
                  "page": self.page if self.page > 1 else None}
        values.update(change)
        return {k: v for k, v in values.items() if v not in (None, "", 0) or (k == "hours" and v == 0)}

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.group_id or self.behind or self.idle or self.absent
                    or self.hours is not None)


@dataclass
class MemberPage:
    """One page of a branch's members, with what they were filtered by."""

    unit: OrgUnit
    groups: list[OrgUnit]
    rows: list[MemberFigures]
    total: int
    page: int
    pages: int
    flt: MemberFilter
    absent_ids: set[int] = field(default_factory=set)


def member_list(session: Session, principal: Principal, *, unit_id: int, flt: MemberFilter,
                per_page: int = PER_PAGE, now: datetime | None = None) -> MemberPage:
    """A branch's members, filtered and one page of them (a fixed number of queries)."""
    unit = get_branch(session, principal, unit_id)
    today = local_now(now).date()
    groups = groups_of(session, [unit.id])[unit.id]
    figures = member_figures(session, branch_ids=[unit.id], now=now, active_only=flt.status != "inactive")
    if flt.status == "inactive":
        with unscoped(session):
            inactive = set(session.exec(select(Member.id).where(Member.org_unit_id == unit.id,
                                                                Member.is_active.is_(False))).all())
        figures = {k: v for k, v in figures.items() if k in inactive}
    absent = {s.member_id for s in meetings.absent_streaks(session, unit_id=unit.id, last_n=2, now=now)} \
        if flt.absent else set()
    q = flt.q.lower()
    rows = []
    for fig in figures.values():
        if q and q not in fig.name.lower() and q not in fig.phone:
            continue
        if flt.status in ("full", "probationary") and fig.status != flt.status:
            continue
        if flt.group_id and fig.group_id != flt.group_id:
            continue
        if flt.behind and not fig.study_behind(today):
            continue
        if flt.idle and not fig.idle(today):
            continue
        if flt.absent and fig.id not in absent:
            continue
        if flt.hours is not None and hour_bucket(fig.service_minutes) != flt.hours:
            continue
        rows.append(fig)
    pages = max(1, math.ceil(len(rows) / per_page))
    page = min(flt.page, pages)
    return MemberPage(unit=unit, groups=groups, rows=rows[(page - 1) * per_page: page * per_page], total=len(rows),
                      page=page, pages=pages, flt=flt, absent_ids=absent)


@dataclass
class MeetingLine:
    """A meeting the member was invited to, and how they attended."""

    meeting: Meeting
    attendance: str | None


@dataclass
class MemberRecords:
    """A member's page: who, their branch and group, this year's figures, meetings, branch history."""

    member: Member
    unit: OrgUnit
    group: OrgUnit | None
    figures: MemberFigures | None
    meetings: list[MeetingLine]
    history: list


def member_records(session: Session, principal: Principal, *, member_id: int,
                   now: datetime | None = None) -> MemberRecords:
    """A member of the workspace with their records (NotFound for anyone else's)."""
    member = orgs.get_member_led(session, principal, check_id(member_id))
    now = now or utcnow()
    with unscoped(session):
        unit = session.get(OrgUnit, member.org_unit_id)
        group = session.get(OrgUnit, member.group_id) if member.group_id else None
        rows = session.exec(select(Meeting, MeetingInvite).join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
                            .where(MeetingInvite.member_id == member.id, Meeting.cancelled_at.is_(None),
                                   Meeting.starts_at <= now, Meeting.starts_at >= now - timedelta(days=400))
                            .order_by(Meeting.starts_at.desc()).limit(30)).all()
    lines = [MeetingLine(m, _attended(i, m, now)) for m, i in rows]
    figures = member_figures(session, branch_ids=[member.org_unit_id], now=now, active_only=False).get(member.id)
    return MemberRecords(member=member, unit=unit, group=group, figures=figures, meetings=lines,
                         history=accounts_members.membership_history(session, member_id=member.id))


def _attended(invite: MeetingInvite, meeting: Meeting, now: datetime) -> str | None:
    if invite.attendance is not None:
        return getattr(invite.attendance, "value", invite.attendance)
    if invite.leave_status is not None and getattr(invite.leave_status, "value", invite.leave_status) == "approved":
        return "leave"
    return "absent" if meeting.ends_at <= now else None


def set_active(session: Session, principal: Principal, *, member_id: int, active: bool) -> Member:
    """Deactivate a member (they can no longer sign in and leave the figures) or take them back."""
    begin_write(session)
    member = orgs.get_member_led(session, principal, check_id(member_id))
    if member.id == principal.id and not active:
        raise DomainError("self", _l("You cannot deactivate yourself."))
    before = member.is_active
    member.is_active = bool(active)
    session.add(member)
    if not active:
        from services.accounts import end_all_sessions

        end_all_sessions(session, member_id=member.id)
    if before != member.is_active:
        from services import audit

        audit.record(session, actor=principal, action="member.activate" if active else "member.deactivate",
                     member=member.id, unit=member.org_unit_id, target=f"member:{member.id}",
                     before={"is_active": before}, after={"is_active": member.is_active})
    session.commit()
    return member


@dataclass
class Move:
    """A transfer seen from a branch: in or out, who, the other branch, when, the note."""

    direction: str  # in, out
    member_id: int
    name: str
    other: str
    at: datetime
    note: str


def transfers(session: Session, principal: Principal, *, unit_id: int, limit: int = 100) -> list[Move]:
    """Members moved into or out of a branch (组织关系转接), newest first; both branches' secretaries see them."""
    unit = get_branch(session, principal, unit_id)
    with unscoped(session):
        incoming = session.exec(select(Membership, Member.name).join(Member, Member.id == Membership.member_id)
                                .where(Membership.org_unit_id == unit.id, Membership.note.not_in(["joined", "imported"]),
                                       Membership.note != "")
                                .order_by(Membership.started_at.desc()).limit(limit)).all()
        leaving = session.exec(select(Membership, Member.name).join(Member, Member.id == Membership.member_id)
                               .where(Membership.org_unit_id == unit.id, Membership.ended_at.is_not(None))
                               .order_by(Membership.ended_at.desc()).limit(limit)).all()
        member_ids = {m.member_id for m, _n in list(incoming) + list(leaving)}
        spans = session.exec(select(Membership, OrgUnit.name).join(OrgUnit, OrgUnit.id == Membership.org_unit_id)
                             .where(Membership.member_id.in_(member_ids or [-1]))).all()
    by_member: dict[int, list] = {}
    for row, name in spans:
        by_member.setdefault(row.member_id, []).append((row, name))
    moves = []
    for row, name in leaving:
        after = [(r, n) for r, n in by_member.get(row.member_id, []) if r.started_at >= row.ended_at and r.id != row.id]
        if after:
            nxt = min(after, key=lambda rn: rn[0].started_at)
            moves.append(Move("out", row.member_id, name, nxt[1], row.ended_at, nxt[0].note))
    for row, name in incoming:
        before = [(r, n) for r, n in by_member.get(row.member_id, [])
                  if r.ended_at is not None and r.ended_at <= row.started_at and r.id != row.id]
        if before:
            prev = max(before, key=lambda rn: rn[0].ended_at)
            moves.append(Move("in", row.member_id, name, prev[1], row.started_at, row.note))
    moves.sort(key=lambda m: m.at, reverse=True)
    return moves[:limit]


def transfer(session: Session, principal: Principal, *, member_id: int, to_branch_id: int, note: str) -> Member:
    """Move a member to another branch (history kept; both secretaries see the move)."""
    note = (note or "").strip()[:200] or "转接"
    member = accounts_members.transfer_member(session, principal, member_id=check_id(member_id),
                                              to_branch_id=check_id(to_branch_id), note=note)
    return member

