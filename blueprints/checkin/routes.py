"""签到: scan a station's code, check out, my code, my service, certificates, activities, kiosks, posters,
and the secretary's approval and export."""
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.bounds import arg_int
from blueprints.checkin.forms import NonceForm, ScanPost
from blueprints.web import db, render
from services import bounds
from services import checkin as svc
from services.checkin import CheckInError, GeoResult
from services.checkin import codes as qr
from services.errors import DomainError

bp = Blueprint("checkin", __name__, cli_group="checkin")


def new_nonce() -> str:
    return uuid.uuid4().hex


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def this_year() -> int:
    return datetime.now(local_tz()).year


def year_arg() -> int:
    year = arg_int(request.args, "year") or this_year()
    return min(max(year, 2000), this_year() + 1)


# -- the member: scanning ---------------------------------------------------------------------------------------

@bp.get("/checkin/")
@login_required
def index():
    """The 签到 tab: the open visit with its timer, the scanner, scans waiting to sync, and links."""
    session = db()
    return render("checkin/index.html", open=svc.open_checkin(session, member_id=current_user.id),
                  card=svc.today_card(session, current_user), stations=svc.staff_stations(session, current_user),
                  button=NonceForm(nonce=new_nonce()))


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
    return render("checkin/confirm.html", code=code, scan_pass=scan_pass, nonce=new_nonce(), station=station, needs_position=svc.needs_position(session, code),
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
    return render("checkin/record.html", record=record_, station=station, button=NonceForm(nonce=new_nonce()),
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
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parsed = datetime.fromtimestamp(float(value) / 1000.0, tz=timezone.utc)
        else:
            parsed = datetime.fromisoformat(str(value)[:40].replace("Z", "+00:00"))
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        return bounds.check_date(parsed.astimezone(timezone.utc))
    except (ValueError, OverflowError, OSError, DomainError):
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
            distance = bounds.parse_float(geo.get("distance_m"), low=0, high=1e7)
            accuracy = bounds.parse_float(geo.get("accuracy_m"), low=0, high=1e7)
            claim = GeoResult(inside=geo.get("inside") is True, distance_m=int(round(distance / 10)) * 10,
                              accuracy_m=int(round(accuracy)))
        except DomainError:
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


# The other screens of the tab register on this blueprint too.
from blueprints.checkin import activities, branch, service, staff  # noqa: E402,F401
