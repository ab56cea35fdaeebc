"""A branch's roster page (members, CSV in and out, adding a member, password resets).

/branch/ and a member's old address lead to the workspace, which owns the member page and transfers.
"""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.branch.forms import EmptyForm, MemberForm, RosterImportForm
from blueprints.web import attachment, db, form_errors, leader_required, render
from models import OrgKind, OrgUnit
from services.accounts import members, orgs, roster
from services.errors import DomainError

bp = Blueprint("branch", __name__, url_prefix="/branch")


@bp.get("/")
@leader_required
def index():
    """The old address of the workspace: it moved to /workspace/."""
    return redirect(url_for("workspace.index"))


def _unit_page(unit_id: int, form: MemberForm | None = None, errors=None, status: int = 200):
    session = db()
    unit = orgs.get_unit_led(session, current_user, unit_id)
    groups = [u for u in orgs.led_units(session, current_user) if u.parent_id == unit.id and u.kind == OrgKind.group]
    form = form or MemberForm()
    form.group_id.choices = [(0, _("No group"))] + [(g.id, g.name) for g in groups]
    q = request.args.get("q", "")
    people = members.members_of(session, unit_ids=[unit.id], q=q)
    return render("branch/unit.html", "member_list", unit=unit, groups=groups, members=people, q=q,
                  form=form, errors=errors or [], status=status, import_form=RosterImportForm())


@bp.get("/units/<int:unit_id>")
@leader_required
def unit(unit_id: int):
    """A branch: its members (searchable) and a form to add one."""
    return _unit_page(unit_id)


@bp.post("/units/<int:unit_id>/members")
@leader_required
def add_member(unit_id: int):
    """Add a member; the secretary passes on the one-time password shown."""
    form = MemberForm()
    groups = orgs.led_units(db(), current_user)
    form.group_id.choices = [(0, "")] + [(g.id, g.name) for g in groups]
    if not form.validate_on_submit():
        return _unit_page(unit_id, form, form_errors(form), 400)
    try:
        member, initial = members.create_member(
            db(), current_user, name=form.name.data, phone=form.phone.data, branch_id=unit_id,
            group_id=form.group_id.data or None, joined_on=form.joined_on.data, status=form.status.data)
    except DomainError as e:
        return _unit_page(unit_id, form, [str(e.message)], e.status)
    flash(_("%(name)s was added. One-time password: %(pw)s — they choose their own at first sign-in.",
            name=member.name, pw=initial), "success")
    return redirect(url_for("workspace.member", member_id=member.id))


@bp.get("/members/<int:member_id>")
@leader_required
def member(member_id: int):
    """The old address of a member's page: the workspace's member page, for the secretary's own members only."""
    orgs.get_member_led(db(), current_user, member_id)
    return redirect(url_for("workspace.member", member_id=member_id))


@bp.post("/members/<int:member_id>/reset-password")
@leader_required
def reset_password(member_id: int):
    """Give the member a one-time password and sign them out everywhere."""
    orgs.get_member_led(db(), current_user, member_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("workspace.member", member_id=member_id))
    initial = members.reset_password(db(), current_user, member_id=member_id)
    flash(_("Password reset. One-time password: %(pw)s", pw=initial), "success")
    return redirect(url_for("workspace.member", member_id=member_id))


@bp.get("/units/<int:unit_id>/roster.csv")
@leader_required
def roster_csv(unit_id: int):
    """Download the branch's member roster as CSV."""
    return attachment(roster.export_roster(db(), current_user, unit_id=unit_id), f"roster-{unit_id}.csv")


@bp.post("/units/<int:unit_id>/import")
@leader_required
def roster_import(unit_id: int):
    """Add the members of a CSV file: every row valid, or nothing is added."""
    unit = orgs.get_unit_led(db(), current_user, unit_id)
    form = RosterImportForm()
    if not form.validate_on_submit():
        return render("branch/import.html", unit=unit, errors=form_errors(form), problems=[], created=[], status=400)
    try:
        created = roster.import_roster(db(), current_user, unit_id=unit_id, data=form.file.data.read())
    except roster.RosterImportError as e:
        return render("branch/import.html", unit=unit, errors=[str(e.message)], problems=e.problems, created=[],
                      status=400)
    except DomainError as e:
        return render("branch/import.html", unit=unit, errors=[str(e.message)], problems=[], created=[],
                      status=e.status)
    return render("branch/import.html", unit=unit, errors=[], problems=[], created=created)
