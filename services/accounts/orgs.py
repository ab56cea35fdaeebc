"""The organisation tree, who may see which part of it, and the units a person leads."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from models import Member, OrgKind, OrgUnit
from models.db import ALL_ORGS, core_connection, set_scope
from services.accounts.principal import Principal
from services.errors import DomainError, Forbidden, NotFound

CHILD_KINDS = {
    None: {OrgKind.committee},
    OrgKind.committee: {OrgKind.committee, OrgKind.general_branch, OrgKind.branch},
    OrgKind.general_branch: {OrgKind.branch},
    OrgKind.branch: {OrgKind.group},
    OrgKind.group: set(),
}


def create_unit(session: Session, *, name: str, kind: OrgKind, parent: OrgUnit | None = None) -> OrgUnit:
    """Add an org unit under a parent, keeping the tree's shape and its paths."""
    kind = OrgKind(kind)
    if kind not in CHILD_KINDS[parent.kind if parent else None]:
        raise DomainError("bad_parent", _l("This kind of unit cannot sit there in the tree."))
    unit = OrgUnit(name=name.strip()[:120], kind=kind, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.add(unit)
    session.flush()
    return unit


def _subtree_query() -> sa.Select:
    unit, root = OrgUnit.__table__.alias("unit"), OrgUnit.__table__.alias("root")
    return (sa.select(unit.c.id).select_from(unit.join(root, unit.c.path.startswith(root.c.path)))
            .where(root.c.id.in_(sa.bindparam("ids", expanding=True))))


_SUBTREE_QUERY = _subtree_query()  # built once: every signed-in request runs it


def subtree_ids(session: Session, unit_ids) -> set[int]:
    """The given units and every unit below them (one query; every signed-in request asks)."""
    unit_ids = list(unit_ids)
    if not unit_ids:
        return set()
    return set(core_connection(session).execute(_SUBTREE_QUERY, {"ids": unit_ids}).scalars())


def visible_org_ids(session: Session, principal: Principal):
    """The central scoping rule: the units a person may read, or ALL_ORGS for an admin.

    A secretary or committee member sees the units they lead and everything below; every
    member also sees their own branch and its groups (their meetings, tasks, activities).
    """
    if principal.is_admin:
        return ALL_ORGS
    return subtree_ids(session, set(principal.led_org_ids) | {principal.branch_id})


def apply_scope(session: Session, principal: Principal | None) -> None:
    """Declare the session's scope for this person (nothing branch-owned for a stranger); the units
    are looked up at the first branch-owned read."""
    set_scope(session, (lambda: visible_org_ids(session, principal)) if principal else set())


def led_subtree_ids(session: Session, principal: Principal):
    """The units a person runs (not merely belongs to): their workspace's reach."""
    if principal.is_admin:
        return ALL_ORGS
    return subtree_ids(session, principal.led_org_ids)


def require_leader(principal: Principal) -> None:
    """Only secretaries, committee members and admins run a branch."""
    if not principal.is_secretary:
        raise Forbidden(_l("Only branch secretaries and committee members can do this."))


def led_units(session: Session, principal: Principal) -> list[OrgUnit]:
    """The units in the person's workspace, tree order."""
    reach = led_subtree_ids(session, principal)
    query = select(OrgUnit).order_by(OrgUnit.path)
    if reach != ALL_ORGS:
        query = query.where(OrgUnit.id.in_(reach or [-1]))
    return list(session.exec(query).all())


def get_unit_led(session: Session, principal: Principal, unit_id: int) -> OrgUnit:
    """An org unit in the person's workspace, or NotFound (also for units outside it)."""
    reach = led_subtree_ids(session, principal)
    unit = session.get(OrgUnit, unit_id)
    if unit is None or (reach != ALL_ORGS and unit.id not in reach):
        raise NotFound()
    return unit


def get_owned_led(session: Session, principal: Principal, model, row_id: int):
    """A row whose org_unit_id lies in the person's workspace, or NotFound (the same for anyone else's)."""
    reach = led_subtree_ids(session, principal)
    row = session.get(model, row_id)
    if row is None or (reach != ALL_ORGS and row.org_unit_id not in reach):
        raise NotFound()
    return row


def get_member_led(session: Session, principal: Principal, member_id: int) -> Member:
    """A member of the person's workspace, or NotFound (the same for anyone else's)."""
    require_leader(principal)
    return get_owned_led(session, principal, Member, member_id)


def all_branches(session: Session) -> list[OrgUnit]:
    """Every branch of the city (names only are public: a transfer can go anywhere)."""
    return list(session.exec(select(OrgUnit).where(OrgUnit.kind == OrgKind.branch).order_by(OrgUnit.name)).all())


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
