"""Station staff: the kiosk with its rotating code, staff scans of 我的签到码, posters."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.checkin.forms import NonceForm, StaffScanForm
from blueprints.checkin.routes import bp, new_nonce
from blueprints.web import db, form_errors, render
from services import checkin as svc
from services.checkin import CheckInError
from services.checkin import codes as qr

# -- station staff: kiosk and poster ----------------------------------------------------------------------------

def _kiosk_code(station):
    token = qr.rotating_token(station)
    url = qr.code_url(token, station, needs_position=station.checkin_mode == svc.CheckinMode.geofence)
    return token, url, qr.svg(url, scale=10, title=station.name)


@bp.get("/checkin/stations/<int:station_id>/kiosk")
@login_required
def kiosk(station_id: int):
    """The station's screen: a code that changes every 15 s, and a scanner for members' own codes."""
    station = svc.kiosk_station(db(), current_user, station_id=station_id)
    token, url, svg = _kiosk_code(station)
    return render("checkin/kiosk.html", "kiosk_code", station=station, token=token, url=url, svg=svg,
                  form=StaffScanForm(nonce=new_nonce()))


@bp.post("/checkin/stations/<int:station_id>/staff-scan")
@login_required
def staff_scan(station_id: int):
    """Check a member in or out by their own code (我的签到码), scanned at the kiosk."""
    svc.kiosk_station(db(), current_user, station_id=station_id)
    form = StaffScanForm()
    result = error = None
    status = 200
    if not form.validate_on_submit():
        error, status = " ".join(form_errors(form)), 400
    else:
        try:
            result = svc.staff_scan(db(), current_user, station_id=station_id, code=form.code.data,
                                    nonce=form.nonce.data or new_nonce())
        except CheckInError as e:
            db().rollback()
            error, status = str(e.message), e.status
    member_name = ""
    if result is not None:
        member_name = svc.member_name(db(), member_id=result.checkin.member_id)
    if request.headers.get("HX-Request") == "true":
        return render("checkin/kiosk.html", "staff_result", result=result, error=error, member_name=member_name,
                      status=status)
    if error:
        flash(error, "error")
    else:
        flash(_("%(name)s: checked in.", name=member_name) if result.action == "checked_in"
              else _("%(name)s: checked out.", name=member_name), "success")
    return redirect(url_for("checkin.kiosk", station_id=station_id), 303)


@bp.get("/checkin/stations/<int:station_id>/poster")
@login_required
def poster(station_id: int):
    """A printable A4 poster with the station's fixed code (it always needs the geofence)."""
    station = svc.station_for_poster(db(), current_user, station_id=station_id)
    url = qr.code_url(qr.poster_token(station), station, needs_position=True)
    return render("checkin/poster.html", station=station, svg=qr.svg(url, scale=12, title=station.name), url=url,
                  button=NonceForm())


@bp.post("/checkin/stations/<int:station_id>/poster/renew")
@login_required
def renew_poster(station_id: int):
    """Print a new poster: every older one stops working."""
    if NonceForm().validate_on_submit():
        svc.reprint_poster(db(), current_user, station_id=station_id)
        flash(_("A new poster code was made; posters printed before no longer work."), "success")
    return redirect(url_for("checkin.poster", station_id=station_id), 303)
