"""The secretary's check-in records: approvals, export, a member's service; the close-stale CLI."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.bounds import arg_ints
from blueprints.checkin.forms import DecideForm
from blueprints.checkin.routes import bp, year_arg
from blueprints.web import attachment, db, leader_required, render
from services import checkin as svc

# -- the secretary ----------------------------------------------------------------------------------------------

@bp.get("/checkin/branch/<int:unit_id>")
@leader_required
def branch_records(unit_id: int):
    """A branch's service records: approve or decline in bulk, export as CSV."""
    status = request.args.get("status", "pending")
    status = status if status in ("pending", "all") else "pending"
    year = year_arg()
    unit, rows = svc.branch_records(db(), current_user, unit_id=unit_id,
                                    status="pending" if status == "pending" else None, year=year)
    return render("checkin/branch.html", unit=unit, rows=rows, which=status, year=year, form=DecideForm(),
                  status_label=svc.status_label)


@bp.post("/checkin/branch/<int:unit_id>/decide")
@leader_required
def decide(unit_id: int):
    """Approve or decline the ticked records."""
    form = DecideForm()
    if not form.validate_on_submit():
        return redirect(url_for("checkin.branch_records", unit_id=unit_id), 303)
    ids = arg_ints(request.form, "ids")
    decision = request.form.get("decision")
    if decision not in ("approve", "decline") or not ids:
        flash(_("Tick at least one record, then approve or decline."), "error")
        return redirect(url_for("checkin.branch_records", unit_id=unit_id), 303)
    count = svc.decide(db(), current_user, unit_id=unit_id, ids=ids, approve=decision == "approve")
    flash(_("%(num)d records approved.", num=count) if decision == "approve"
          else _("%(num)d records declined.", num=count), "success")
    return redirect(url_for("checkin.branch_records", unit_id=unit_id), 303)


@bp.get("/checkin/branch/<int:unit_id>/export.csv")
@leader_required
def export(unit_id: int):
    """The branch's records of a year as CSV (UTF-8 with BOM for Excel)."""
    filename, data = svc.export_csv(db(), current_user, unit_id=unit_id, year=year_arg())
    return attachment(data, filename)


@bp.get("/checkin/branch/members/<int:member_id>")
@leader_required
def member_service(member_id: int):
    """A member's year of service, for their secretary."""
    member, summary = svc.member_records_led(db(), current_user, member_id=member_id, year=year_arg())
    return render("checkin/member_service.html", member=member, summary=summary, status_label=svc.status_label)



@bp.cli.command("close-stale")
def close_stale_command() -> None:
    """Close forgotten check-outs that are due and flag them for the secretary (for cron or the worker)."""
    import click

    from models.db import get_session

    click.echo(f"closed {svc.close_stale(get_session())} forgotten check-outs")
