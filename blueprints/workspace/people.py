"""The workspace's member screens: the list with filters, a member's records, add, deactivate, transfer, moves."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.web import db, form_errors, leader_required, render
from blueprints.workspace.forms import EmptyForm, MemberForm, TransferForm
from blueprints.workspace.routes import ID, bp
from services import workspace
from services.accounts import members as accounts_members, orgs
from services.errors import DomainError


def _member_form(page, form: MemberForm | None = None) -> MemberForm:
    form = form or MemberForm()
    form.group_id.choices = [(0, _("No group"))] + [(g.id, g.name) for g in page.groups]
    return form


@bp.get(f"/units/<{ID}:unit_id>/members")
@leader_required
def members(unit_id: int):
    """A branch's members: search, filters (status, group, behind on study, no service in 90 days, absent from the
    last two meetings, a bar of the hours chart) and pages."""
    flt = workspace.MemberFilter.parse(request.args)
    page = workspace.member_list(db(), current_user, unit_id=unit_id, flt=flt)
    return render("workspace/members.html", "member_results", p=page, form=_member_form(page), button=EmptyForm())


@bp.post(f"/units/<{ID}:unit_id>/members")
@leader_required
def add_member(unit_id: int):
    """Add a member; the secretary passes on the one-time password shown."""
    page = workspace.member_list(db(), current_user, unit_id=unit_id, flt=workspace.MemberFilter())
    form = _member_form(page, MemberForm())
    if form.validate_on_submit():
        try:
            member, initial = accounts_members.create_member(
                db(), current_user, name=form.name.data, phone=form.phone.data, branch_id=unit_id,
                group_id=form.group_id.data or None, joined_on=form.joined_on.data, status=form.status.data)
        except DomainError as e:
            errors = [str(e.message)]
        else:
            flash(_("%(name)s was added. One-time password: %(pw)s — they choose their own at first sign-in.",
                    name=member.name, pw=initial), "success")
            return redirect(url_for("workspace.member", member_id=member.id))
    else:
        errors = form_errors(form)
    return render("workspace/members.html", p=page, form=form, errors=errors, button=EmptyForm(), status=400)


@bp.get(f"/members/<{ID}:member_id>")
@leader_required
def member(member_id: int):
    """A member's page: this year's figures, meetings attended, branch history; deactivate, transfer."""
    rec = workspace.member_records(db(), current_user, member_id=member_id)
    transfer_form = TransferForm()
    transfer_form.to_branch_id.choices = [(b.id, b.name) for b in orgs.all_branches(db()) if b.id != rec.unit.id]
    return render("workspace/member.html", r=rec, transfer=transfer_form, button=EmptyForm())


@bp.post(f"/members/<{ID}:member_id>/active")
@leader_required
def set_active(member_id: int):
    """Deactivate a member, or take them back."""
    orgs.get_member_led(db(), current_user, member_id)  # 404 first for anyone else's
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            workspace.set_active(db(), current_user, member_id=member_id, active=active)
            flash(_("The member is active again.") if active else _("The member was deactivated."), "success")
        except DomainError as e:
            flash(str(e.message), "error")
    return redirect(url_for("workspace.member", member_id=member_id))


@bp.post(f"/members/<{ID}:member_id>/transfer")
@leader_required
def transfer(member_id: int):
    """Move a member to another branch (组织关系转接): history kept, both secretaries see the move."""
    rec = workspace.member_records(db(), current_user, member_id=member_id)
    form = TransferForm()
    form.to_branch_id.choices = [(b.id, b.name) for b in orgs.all_branches(db())]
    if not form.validate_on_submit():
        flash(" ".join(form_errors(form)), "error")
        return redirect(url_for("workspace.member", member_id=member_id))
    try:
        workspace.transfer(db(), current_user, member_id=member_id, to_branch_id=form.to_branch_id.data,
                           note=form.note.data or "")
    except DomainError as e:
        flash(str(e.message), "error")
        return redirect(url_for("workspace.member", member_id=member_id))
    flash(_("The member was transferred."), "success")
    return redirect(url_for("workspace.moves", unit_id=rec.unit.id))


@bp.get(f"/units/<{ID}:unit_id>/moves")
@leader_required
def moves(unit_id: int):
    """Members moved into and out of the branch (组织关系转接)."""
    unit = workspace.get_branch(db(), current_user, unit_id)
    return render("workspace/moves.html", unit=unit, moves=workspace.transfers(db(), current_user, unit_id=unit_id))
