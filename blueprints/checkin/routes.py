"""签到: scan a station's code, check out, my code, my service, certificates, activities, kiosks, posters,
and the secretary's approval and export."""
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.checkin.forms import (ActivityForm, CertificateForm, DecideForm, ManualHoursForm, NonceForm,
                                      ScanPost, StaffScanForm)
from blueprints.web import attachment, db, form_errors, leader_required, render
from services import certificate_pdf, qr
from services import checkin as svc
from services.checkin import CheckInError, GeoResult
from services.errors import DomainError

bp = Blueprint("checkin", __name__, cli_group="checkin")


def _nonce() -> str:
    return uuid.uuid4().hex


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _this_year() -> int:
    return datetime.now(_tz()).year


def _year_arg() -> int:
    year = request.args.get("year", type=int) or _this_year()
    return min(max(year, 2000), _this_year() + 1)


# -- the member: scanning ---------------------------------------------------------------------------------------

@bp.get("/checkin/")
@login_required
def index():
    """The 签到 tab: the open visit with its timer, the scanner, scans waiting to sync, and links."""
    session = db()
    return render("checkin/index.html", open=svc.open_checkin(session, member_id=current_user.id),
                  card=svc.today_card(session, current_user), stations=svc.staff_stations(session, current_user),
                  button=NonceForm(nonce=_nonce()))


def _code_error(error: CheckInError, code: str = ""):
    """A refused code: the reason, and what to do next."""
    return render("checkin/scan_error.html", error=error, code=code, status=error.status)


@bp.get("/c/<code>")
def scan(code: str):
    """A scanned station code: check it now, keep it through sign-in (2 minutes), and ask to confirm."""
    session = db()
    now = datetime.now(timezone.utc)
    scanned_at = qr.open_scan(code, request.args.get("p"))
    if scanned_at is None or now - scanned_at > timedelta(seconds=svc.cfg("CHECKIN_SCAN_GRACE_SECONDS")):
        scanned_at = None if request.args.get("p") else now
    if scanned_at is None:
        return _code_error(CheckInError("expired_code"), code)
    try:
        _token, station = svc.resolve_station_code(session, code, at=scanned_at)
    except CheckInError as e:
        return _code_error(e, code)
    scan_pass = qr.sign_scan(code, scanned_at)
    if not current_user.is_authenticated:
        flash(_("Please sign in; your check-in at %(station)s continues right after.", station=station.name), "info")
        return redirect(url_for("auth.login", next=url_for("checkin.scan", code=code, p=scan_pass)))
    current = svc.open_checkin(session, member_id=current_user.id)
    return render("checkin/confirm.html", code=code, scan_pass=scan_pass, nonce=_nonce(), station=station, needs_position=svc.needs_position(session, code),
                  checking_out=bool(current and current.station_id == station.id),
                  auto=request.args.get("via") == "app")


@bp.post("/checkin/scan")
@login_required
def confirm():
    """Check in (or out) with a confirmed code; the position is used here and never stored."""
    post = ScanPost.parse(request.form)
    if post is None:
        return _code_error(CheckInError("bad_code"))
    code = post.code
    scanned_at = qr.open_scan(code, post.scan_pass)
    try:
        if scanned_at is None:
            raise CheckInError("expired_code")
        result = svc.perform_checkin(db(), member_id=current_user.id, code=code, nonce=post.nonce,
                                     scanned_at=scanned_at, position=post.position)
    except CheckInError as e:
        if e.code == "duplicate" and e.checkin is not None:
            flash(str(e.message), "info")
            return redirect(url_for("checkin.record", checkin_id=e.checkin.id), 303)
        db().rollback()
        return _code_error(e, code)
    # no flash: the record page says 已签到 / 已签退 itself, and an unchanged session cookie is not re-sent
    return redirect(url_for("checkin.record", checkin_id=result.record_id), 303)


@bp.get("/checkin/records/<int:checkin_id>")
@login_required
def record(checkin_id: int):
    """One visit: a running timer and the check-out button while open, the hours once closed."""
    record_, station = svc.get_own_record(db(), member_id=current_user.id, checkin_id=checkin_id)
    if record_.open_member_id is not None:
        svc.open_checkin(db(), member_id=current_user.id)  # closes it lazily when overdue
    return render("checkin/record.html", record=record_, station=station, button=NonceForm(nonce=_nonce()),
                  status_label=svc.status_label)


@bp.post("/checkin/records/<int:checkin_id>/checkout")
@login_required
def checkout(checkin_id: int):
    """The check-out button."""
    form = NonceForm()
    if not form.validate_on_submit():
        return redirect(url_for("checkin.record", checkin_id=checkin_id), 303)
    try:
        record_ = svc.check_out(db(), member_id=current_user.id, checkin_id=checkin_id, nonce=form.nonce.data or "")
    except CheckInError as e:
        db().rollback()
        flash(str(e.message), "error")
        return redirect(url_for("checkin.record", checkin_id=checkin_id), 303)
    flash(_("Checked out: %(hours)s hours credited.", hours=f"{record_.credited_minutes / 60:g}"), "success")
    return redirect(url_for("checkin.record", checkin_id=checkin_id), 303)


def _parse_time(value) -> datetime | None:
    """An ISO time or milliseconds since the epoch, as aware UTC."""
    try:
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(float(value) / 1000.0, tz=timezone.utc)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


@bp.post("/checkin/sync")
@login_required
def sync():
    """An offline scan sent when the network returns (JSON): accepted when the code was valid at the scan time."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(ok=False, code="bad_request", message=_("The request could not be understood.")), 400
    scanned_at = _parse_time(data.get("scanned_at"))
    geo = data.get("geo") if isinstance(data.get("geo"), dict) else None
    claim = None
    if geo is not None:
        try:
            claim = GeoResult(inside=bool(geo.get("inside")), distance_m=int(round(float(geo["distance_m"]) / 10)) * 10,
                              accuracy_m=int(round(float(geo["accuracy_m"]))))
        except (KeyError, TypeError, ValueError):
            claim = None
    try:
        if scanned_at is None:
            raise CheckInError("bad_code")
        result = svc.perform_checkin(db(), member_id=current_user.id, code=str(data.get("code", ""))[:300],
                                     nonce=str(data.get("nonce", "")), scanned_at=scanned_at, offline=True,
                                     geo_claim=claim)
    except CheckInError as e:
        db().rollback()
        if e.code == "duplicate" and e.checkin is not None:
            return jsonify(ok=True, duplicate=True, record_id=e.checkin.id, message=str(e.message))
        return jsonify(ok=False, code=e.code, message=str(e.message)), e.status
    return jsonify(ok=True, action=result.action, record_id=result.record_id, station=result.station.name,
                   replayed=result.replayed,
                   url=url_for("checkin.record", checkin_id=result.record_id))


@bp.get("/checkin/offline-scan")
def offline_scan():
    """The scanner page the service worker keeps for use without network (no personal data on it)."""
    return render("checkin/offline_scan.html")


@bp.get("/checkin/token")
@login_required
def token():
    """A fresh CSRF token for the offline queue (a page kept for days may hold a stale one)."""
    from flask_wtf.csrf import generate_csrf

    return jsonify(csrf=generate_csrf())


@bp.get("/checkin/my-code")
@login_required
def my_code():
    """我的签到码: the member's own rotating code for station staff to scan (refreshed every 5 s)."""
    token = qr.member_token(current_user.id)
    return render("checkin/my_code.html", "my_code_qr", token=token, svg=qr.svg(token, scale=8))


# -- the member: service hours ----------------------------------------------------------------------------------

def _manual_choices(summary, community) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    if community.station is not None:
        seen[community.station.id] = community.station.name
    for row in summary.records:
        seen.setdefault(row.checkin.station_id, row.station_name)
    return list(seen.items())


def _service_page(form: ManualHoursForm | None = None, errors=None, status: int = 200):
    session = db()
    year = _year_arg()
    summary = svc.service_summary(session, member_id=current_user.id, year=year)
    community = svc.community_status(session, member_id=current_user.id, year=year)
    form = form or ManualHoursForm(nonce=_nonce())
    form.station_id.choices = _manual_choices(summary, community)
    today = datetime.now(_tz()).date()
    cert = CertificateForm(start=date(year, 1, 1), end=min(date(year, 12, 31), today))
    return render("checkin/service.html", summary=summary, community=community, form=form, cert=cert,
                  errors=errors or [], year=year, this_year=_this_year(), status=status,
                  status_label=svc.status_label, pdf_ok=certificate_pdf.pdf_available())


@bp.get("/checkin/service")
@login_required
def service():
    """我的服务: hours this year, by month, and every record with its station and status."""
    return _service_page()


@bp.post("/checkin/service/manual")
@login_required
def manual():
    """Add hours by hand (补录): they wait for the secretary's approval."""
    form = ManualHoursForm()
    session = db()
    summary = svc.service_summary(session, member_id=current_user.id, year=_this_year())
    form.station_id.choices = _manual_choices(summary, svc.community_status(session, member_id=current_user.id,
                                                                            year=_this_year()))
    if not form.validate_on_submit():
        return _service_page(form, form_errors(form), 400)
    try:
        svc.add_manual(session, member_id=current_user.id, station_id=form.station_id.data, day=form.day.data,
                       hours=float(form.hours.data), note=form.note.data, nonce=form.nonce.data or "")
    except DomainError as e:
        session.rollback()
        return _service_page(form, [str(e.message)], e.status)
    flash(_("Your hours were sent to your branch secretary for approval."), "success")
    return redirect(url_for("checkin.service"), 303)


def _certificate_range():
    form = CertificateForm(request.args)
    if not form.validate():
        raise DomainError("bad_range", _("Choose a start and an end date."))
    return form.start.data, form.end.data


@bp.get("/checkin/certificate")
@login_required
def certificate():
    """A printable certificate of service for a date range."""
    start, end = _certificate_range()
    cert = svc.certificate(db(), member_id=current_user.id, start=start, end=end)
    return render("checkin/certificate.html", cert=cert, pdf_ok=certificate_pdf.pdf_available())


@bp.get("/checkin/certificate.pdf")
@login_required
def certificate_pdf_view():
    """The same certificate as a PDF with an embedded Chinese font."""
    start, end = _certificate_range()
    cert = svc.certificate(db(), member_id=current_user.id, start=start, end=end)
    body = certificate_pdf.render_certificate(cert, title=_("Certificate of volunteer service"))
    response = make_response(body)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="service-{start}-{end}.pdf"'
    return response


# -- the member: activities and home community ------------------------------------------------------------------

@bp.get("/checkin/activities")
@login_required
def activities():
    """Volunteer activities to sign up for."""
    session = db()
    can_post = current_user.is_station_staff or current_user.is_secretary
    return render("checkin/activities.html", rows=svc.list_activities(session, member_id=current_user.id),
                  can_post=can_post)


@bp.get("/checkin/activities/<int:activity_id>")
@login_required
def activity(activity_id: int):
    """One activity: time, place, places left, what to bring; sign up or cancel."""
    row = svc.get_activity(db(), activity_id=activity_id, member_id=current_user.id)
    return render("checkin/activity.html", "activity_signup", row=row, button=NonceForm())


@bp.post("/checkin/activities/<int:activity_id>/signup")
@login_required
def signup(activity_id: int):
    """Take a place (never over-filled)."""
    if not NonceForm().validate_on_submit():
        return redirect(url_for("checkin.activity", activity_id=activity_id), 303)
    errors = []
    try:
        svc.sign_up(db(), member_id=current_user.id, activity_id=activity_id)
    except CheckInError as e:
        db().rollback()
        errors = [str(e.message)]
    row = svc.get_activity(db(), activity_id=activity_id, member_id=current_user.id)
    if not errors and row.signed_up:
        flash(_("You signed up. See you there!"), "success")
    if request.headers.get("HX-Request") == "true":
        return render("checkin/activity.html", "activity_signup", row=row, button=NonceForm(), errors=errors,
                      status=409 if errors else 200)
    if errors:
        flash(errors[0], "error")
    return redirect(url_for("checkin.activity", activity_id=activity_id), 303)


@bp.post("/checkin/activities/<int:activity_id>/cancel")
@login_required
def cancel(activity_id: int):
    """Give the place back."""
    if NonceForm().validate_on_submit():
        svc.cancel_signup(db(), member_id=current_user.id, activity_id=activity_id)
        flash(_("Your place was given back."), "info")
    return redirect(url_for("checkin.activity", activity_id=activity_id), 303)


def _activity_stations(session):
    stations = svc.staff_stations(session, current_user)
    community = svc.community_status(session, member_id=current_user.id, year=_this_year()).station
    if community is not None and community.id not in {s.id for s in stations}:
        stations.append(community)
    return stations


@bp.route("/checkin/activities/new", methods=["GET", "POST"])
@login_required
def new_activity():
    """Post an activity (station staff, secretaries)."""
    if not (current_user.is_station_staff or current_user.is_secretary):
        abort(403)
    session = db()
    form = ActivityForm()
    form.station_id.choices = [(s.id, s.name) for s in _activity_stations(session)]
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            tz = _tz()
            try:
                act = svc.create_activity(session, current_user, station_id=form.station_id.data,
                                          title=form.title.data, starts_at=form.starts_at.data.replace(tzinfo=tz),
                                          ends_at=form.ends_at.data.replace(tzinfo=tz), slots=form.slots.data,
                                          place=form.place.data or "", bring=form.bring.data or "",
                                          description=form.description.data or "")
            except DomainError as e:
                session.rollback()
                errors, status = [str(e.message)], e.status
            else:
                flash(_("The activity is posted."), "success")
                return redirect(url_for("checkin.activity", activity_id=act.id), 303)
        else:
            errors, status = form_errors(form), 400
    return render("checkin/activity_new.html", form=form, errors=errors, status=status)


@bp.get("/checkin/community")
@login_required
def community():
    """在职党员到社区报到: the home community station and the hours served there this year."""
    session = db()
    q = request.args.get("q", "")[:40]
    return render("checkin/community.html", "community_results",
                  status_=svc.community_status(session, member_id=current_user.id, year=_this_year()),
                  results=svc.search_stations(session, q=q), q=q, button=NonceForm())


@bp.post("/checkin/community")
@login_required
def register_community():
    """Register with (or change) the home community."""
    if NonceForm().validate_on_submit():
        station_id = request.form.get("station_id", type=int) or 0
        svc.register_community(db(), member_id=current_user.id, station_id=station_id)
        flash(_("You are registered with this community."), "success")
    return redirect(url_for("checkin.community"), 303)


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
                  form=StaffScanForm(nonce=_nonce()))


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
                                    nonce=form.nonce.data or _nonce())
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


# -- the secretary ----------------------------------------------------------------------------------------------

@bp.get("/checkin/branch/<int:unit_id>")
@leader_required
def branch_records(unit_id: int):
    """A branch's service records: approve or decline in bulk, export as CSV."""
    status = request.args.get("status", "pending")
    status = status if status in ("pending", "all") else "pending"
    year = _year_arg()
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
    ids = request.form.getlist("ids", type=int)
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
    filename, data = svc.export_csv(db(), current_user, unit_id=unit_id, year=_year_arg())
    return attachment(data, filename)


@bp.get("/checkin/branch/members/<int:member_id>")
@leader_required
def member_service(member_id: int):
    """A member's year of service, for their secretary."""
    member, summary = svc.member_records_led(db(), current_user, member_id=member_id, year=_year_arg())
    return render("checkin/member_service.html", member=member, summary=summary, status_label=svc.status_label)



@bp.cli.command("close-stale")
def close_stale_command() -> None:
    """Close forgotten check-outs that are due and flag them for the secretary (for cron or the worker)."""
    import click

    from models.db import get_session

    click.echo(f"closed {svc.close_stale(get_session())} forgotten check-outs")
