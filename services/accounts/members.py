"""Members within the tree: add, reset a password, transfer, membership history, roles."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlmodel import Session, select

from models import Member, Membership, MemberStatus, OrgKind, OrgUnit, Role, RoleName, utcnow
from models.db import begin_write, unscoped
from services import bounds
from services.accounts import passwords
from services.accounts.orgs import get_member_led, get_unit_led, require_leader
from services.accounts.principal import Principal
from services.accounts.signin import end_all_sessions, normalize_phone
from services.errors import DomainError, NotFound


def _audit(session: Session, **entry) -> None:
    from services import audit  # audit reads the org tree from this package

    audit.record(session, **entry)


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
    bounds.check_text(name, code="bad_name", field=_l("Name"))
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
    _audit(session, actor=principal, action="member.create", member=member.id, unit=branch.id,
           target=f"member:{member.id}", after={"org_unit_id": branch.id, "group_id": member.group_id,
                                                "status": member.status, "joined_on": joined_on})
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
    _audit(session, actor=principal, action="member.reset_password", member=member.id, unit=member.org_unit_id,
           target=f"member:{member.id}", after={"must_change_password": True, "sessions_ended": True})
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
        before = {"org_unit_id": member.org_unit_id, "group_id": member.group_id}
        member.org_unit_id = target.id
        member.group_id = None
        session.add(member)
        _audit(session, actor=principal, action="member.transfer", member=member.id, unit=before["org_unit_id"],
               target=f"member:{member.id}", before=before, after={"org_unit_id": target.id},
               now=now)
        session.commit()
    return member


def membership_history(session: Session, *, member_id: int) -> list[tuple[Membership, OrgUnit]]:
    """A member's branches over time, newest first."""
    return list(session.exec(
        select(Membership, OrgUnit).join(OrgUnit, OrgUnit.id == Membership.org_unit_id)
        .where(Membership.member_id == member_id).order_by(Membership.started_at.desc())
    ).all())


def grant_role(session: Session, *, member_id: int, role: RoleName, org_unit_id: int | None = None,
               station_id: int | None = None, actor=None) -> Role:
    """Give a member a role (used by the seed and by admins); with an `actor`, the change enters the audit trail."""
    existing = session.exec(select(Role).where(Role.member_id == member_id, Role.role == role,
                                               Role.org_unit_id.is_not_distinct_from(org_unit_id),
                                               Role.station_id.is_not_distinct_from(station_id))).first()
    if existing:
        return existing
    row = Role(member_id=member_id, role=role, org_unit_id=org_unit_id, station_id=station_id)
    session.add(row)
    session.flush()
    if actor is not None:
        _audit(session, actor=actor, action="role.grant", member=member_id, unit=org_unit_id,
               target=f"role:{row.id}", after={"role": role, "org_unit_id": org_unit_id, "station_id": station_id})
    return row
