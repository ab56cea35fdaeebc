"""What the home page shows a member today."""
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from models import Member, OrgUnit
from services.accounts import Principal
from services.orgs import led_units


@dataclass
class BranchSummary:
    """A unit the person leads, with its head count."""

    unit: OrgUnit
    members: int


def my_units(session: Session, principal: Principal) -> tuple[OrgUnit | None, OrgUnit | None]:
    """The member's branch and group."""
    branch = session.get(OrgUnit, principal.branch_id)
    group = session.get(OrgUnit, principal.group_id) if principal.group_id else None
    return branch, group


def led_summaries(session: Session, principal: Principal) -> list[BranchSummary]:
    """The branches the person leads, each with its member count (one query for the counts)."""
    units = [u for u in led_units(session, principal) if u.kind == "branch"]
    if not units:
        return []
    counts = dict(session.exec(
        select(Member.org_unit_id, func.count(Member.id))
        .where(Member.org_unit_id.in_([u.id for u in units]), Member.is_active.is_(True))
        .group_by(Member.org_unit_id)
    ).all())
    return [BranchSummary(unit=u, members=counts.get(u.id, 0)) for u in units]
