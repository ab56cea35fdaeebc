"""What every part of the workspace shares: the units a person runs, the branches under a unit, settings."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlmodel import Session, select

from models import OrgKind, OrgUnit, utcnow
from models.db import unscoped
from services.accounts import Principal, orgs
from services.errors import NotFound

MAX_ID = 2**31 - 1  # ids are INTEGER columns


def cfg(name: str, default):
    """A setting of the app (the default outside one)."""
    return current_app.config.get(name, default) if has_app_context() else default


def tz() -> ZoneInfo:
    return ZoneInfo(cfg("TIMEZONE", "Asia/Shanghai"))


def local_now(now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(tz())


def check_id(value) -> int:
    """An id from a form or URL, or NotFound (never a 500 for a long number)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < number <= MAX_ID:
        raise NotFound()
    return number


def get_unit(session: Session, principal: Principal, unit_id: int) -> OrgUnit:
    """A branch, general branch or committee in the person's workspace, or NotFound (groups too)."""
    orgs.require_leader(principal)
    unit = orgs.get_unit_led(session, principal, check_id(unit_id))
    if unit.kind == OrgKind.group:
        raise NotFound()
    return unit


def get_branch(session: Session, principal: Principal, unit_id: int) -> OrgUnit:
    """A branch in the person's workspace, or NotFound."""
    unit = get_unit(session, principal, unit_id)
    if unit.kind != OrgKind.branch:
        raise NotFound()
    return unit


def top_units(session: Session, principal: Principal) -> list[OrgUnit]:
    """The highest units the person runs (not groups): where their workspace opens."""
    units = [u for u in orgs.led_units(session, principal) if u.kind != OrgKind.group]
    paths = [u.path for u in units]
    return [u for u in units if not any(u.path != p and u.path.startswith(p) for p in paths)]


def branches_under(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    """The branches in a unit's subtree (the unit itself when it is one), by name; one query."""
    if unit.kind == OrgKind.branch:
        return [unit]
    with unscoped(session):
        return list(session.exec(select(OrgUnit).where(OrgUnit.kind == OrgKind.branch,
                                                       OrgUnit.path.startswith(unit.path))
                                 .order_by(OrgUnit.name, OrgUnit.id)).all())


def groups_of(session: Session, branch_ids) -> dict[int, list[OrgUnit]]:
    """The groups (党小组) of the branches, by branch; one query."""
    out: dict[int, list[OrgUnit]] = {int(b): [] for b in branch_ids}
    with unscoped(session):
        for g in session.exec(select(OrgUnit).where(OrgUnit.kind == OrgKind.group,
                                                    OrgUnit.parent_id.in_(list(out) or [-1]))
                              .order_by(OrgUnit.name)).all():
            out[g.parent_id].append(g)
    return out


def quarter_of(day) -> int:
    return (day.month - 1) // 3 + 1
