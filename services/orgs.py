"""The organisation tree, who may see which part of it, and members within it."""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlmodel import Session, select

from models import Member, MemberStatus, Membership, OrgKind, OrgUnit, Role, RoleName, utcnow
from models.db import ALL_ORGS, begin_write, core_connection, set_scope, unscoped
from services import passwords
from services.accounts import Principal, end_all_sessions, normalize_phone
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


def members_of(session: Session, *, unit_ids, q: str = "") -> list[Member]:
    """Members of the given units (branches or groups), by name."""
    ids = list(unit_ids)
    query = select(Member).where(or_(Member.org_unit_id.in_(ids), Member.group_id.in_(ids)))
    if q.strip():
        like = f"%{q.strip()[:40]}%"
        query = query.where(or_(Member.name.like(like), Member.phone.like(like)))
    return list(session.exec(query.order_by(Member.name)).all())


def _check_branch(unit: OrgUnit) -> None:
    if unit.kind != OrgKind.branch:
        raise DomainError("not_a_branch", _l("Members belong to a branch (党支部)."))


def create_member(session: Session, principal: Principal, *, name: str, phone: str, branch_id: int,
                  group_id: int | None = None, joined_on: date | None = None,
                  status: MemberStatus = MemberStatus.full) -> tuple[Member, str]:
    """Add a member to a branch the secretary leads; returns the member and a one-time password.

    The member must set their own password at first sign-in.
    """
    require_leader(principal)
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise DomainError("bad_name", _l("Enter a name of 1 to 40 characters."))
    number = normalize_phone(phone)
    begin_write(session)
    branch = get_unit_led(session, principal, branch_id)
    _check_branch(branch)
    group = None
    if group_id:
        group = get_unit_led(session, principal, group_id)
        if group.parent_id != branch.id:
            raise DomainError("bad_group", _l("That group is not in this branch."))
    with unscoped(session):
        if session.exec(select(Member.id).where(Member.phone == number)).first():
            raise DomainError("phone_taken", _l("This phone number already has an account."))
    initial, initial_hash = passwords.make_one_time_password()
    member = Member(name=name, phone=number, org_unit_id=branch.id, group_id=group.id if group else None,
                    joined_on=joined_on, status=MemberStatus(status),
                    password_hash=initial_hash, must_change_password=True)
    session.add(member)
    session.flush()
    session.add(Membership(member_id=member.id, org_unit_id=branch.id, note="joined"))
    session.commit()
    return member, initial


def reset_password(session: Session, principal: Principal, *, member_id: int) -> str:
    """Give a member of the secretary's workspace a one-time password and sign them out everywhere."""
    begin_write(session)
    member = get_member_led(session, principal, member_id)
    initial, member.password_hash = passwords.make_one_time_password()
    member.must_change_password = True
    session.add(member)
    end_all_sessions(session, member_id=member.id)
    session.commit()
    return initial


def transfer_member(session: Session, principal: Principal, *, member_id: int, to_branch_id: int,
                    note: str = "") -> Member:
    """Move a member to another branch, closing the old membership and opening a new one.

    The secretary must lead the member's current branch; an admin can move anyone anywhere.
    The receiving branch may be outside the secretary's reach (a transfer out).
    """
    begin_write(session)
    member = get_member_led(session, principal, member_id)
    with unscoped(session):
        target = session.get(OrgUnit, to_branch_id)
        if target is None:
            raise NotFound()
        _check_branch(target)
        if target.id == member.org_unit_id:
            raise DomainError("same_branch", _l("The member is already in that branch."))
        now = utcnow()
        for row in session.exec(select(Membership).where(Membership.member_id == member.id,
                                                         Membership.ended_at.is_(None))).all():
            row.ended_at = now
            session.add(row)
        session.add(Membership(member_id=member.id, org_unit_id=target.id, started_at=now, note=note[:200]))
        member.org_unit_id = target.id
        member.group_id = None
        session.add(member)
        session.commit()
    return member


def membership_history(session: Session, *, member_id: int) -> list[tuple[Membership, OrgUnit]]:
    """A member's branches over time, newest first."""
    return list(session.exec(
        select(Membership, OrgUnit).join(OrgUnit, OrgUnit.id == Membership.org_unit_id)
        .where(Membership.member_id == member_id).order_by(Membership.started_at.desc())
    ).all())


def grant_role(session: Session, *, member_id: int, role: RoleName, org_unit_id: int | None = None,
               station_id: int | None = None) -> Role:
    """Give a member a role (used by the seed and by admins)."""
    existing = session.exec(select(Role).where(Role.member_id == member_id, Role.role == role,
                                               Role.org_unit_id.is_not_distinct_from(org_unit_id),
                                               Role.station_id.is_not_distinct_from(station_id))).first()
    if existing:
        return existing
    row = Role(member_id=member_id, role=role, org_unit_id=org_unit_id, station_id=station_id)
    session.add(row)
    session.flush()
    return row


def all_branches(session: Session) -> list[OrgUnit]:
    """Every branch of the city (names only are public: a transfer can go anywhere)."""
    return list(session.exec(select(OrgUnit).where(OrgUnit.kind == OrgKind.branch).order_by(OrgUnit.name)).all())
