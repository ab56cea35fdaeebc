"""Station management for administrators: check-in settings and staff (routes of the stations blueprint)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.stations.forms import ButtonForm, StaffForm, StationSettingsForm
from blueprints.stations.routes import bp
from blueprints.web import admin_required, db, render
from services import stations
from services.errors import DomainError


def _page(station_id: int, *, settings: StationSettingsForm | None = None, staff_form: StaffForm | None = None,
          settings_errors=(), staff_errors=(), status: int = 200):
    """The management page; a form that was posted comes back as typed, the other one from the database."""
    session = db()
    station = stations.admin.get_station(session, current_user, station_id=station_id)
    return render("stations/manage.html", status=status, station=station,
                  settings=settings or StationSettingsForm(formdata=None, obj=station),
                  staff_form=staff_form or StaffForm(formdata=None),
                  staff=stations.admin.list_staff(session, current_user, station_id=station.id),
                  settings_errors=list(settings_errors), staff_errors=list(staff_errors), button=ButtonForm(),
                  radius_min=stations.admin.RADIUS_MIN_M, radius_max=stations.admin.RADIUS_MAX_M)


def _back(station_id: int, anchor: str):
    return redirect(url_for("stations.manage", station_id=station_id, _anchor=anchor), 303)


@bp.get("/<int:station_id>/manage")
@admin_required
def manage(station_id: int):
    """A station's check-in mode, geofence radius, open or closed, kiosk and poster, and staff."""
    return _page(station_id)


@bp.post("/<int:station_id>/manage")
@admin_required
def manage_settings(station_id: int):
    """Save the station's check-in settings."""
    form = StationSettingsForm()
    if not form.validate_on_submit():
        return _page(station_id, settings=form, status=400)
    try:
        changed = stations.admin.update_settings(db(), current_user, station_id=station_id,
                                                checkin_mode=form.checkin_mode.data,
                                                geofence_radius_m=form.geofence_radius_m.data,
                                                is_active=form.is_active.data)
    except DomainError as e:
        return _page(station_id, settings=form, settings_errors=[str(e.message)], status=e.status)
    flash(_("The check-in settings were saved.") if changed else _("Nothing was changed."), "success")
    return _back(station_id, "settings")


@bp.post("/<int:station_id>/staff")
@admin_required
def add_staff(station_id: int):
    """Make a member staff of the station, found by their mobile number."""
    form = StaffForm()
    if not form.validate_on_submit():
        return _page(station_id, staff_form=form, status=400)
    try:
        member = stations.admin.add_staff(db(), current_user, station_id=station_id, phone=form.phone.data)
    except DomainError as e:
        return _page(station_id, staff_form=form, staff_errors=[str(e.message)], status=e.status)
    flash(_("%(name)s is now on the staff of this station.", name=member.name), "success")
    return _back(station_id, "staff")


@bp.post("/<int:station_id>/staff/<int:member_id>/remove")
@admin_required
def remove_staff(station_id: int, member_id: int):
    """Take a member off the station's staff, at once."""
    if not ButtonForm().validate_on_submit():
        return _page(station_id, status=400)
    try:
        member = stations.admin.remove_staff(db(), current_user, station_id=station_id, member_id=member_id)
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("%(name)s is no longer on the staff of this station.", name=member.name if member else ""),
              "success")
    return _back(station_id, "staff")
