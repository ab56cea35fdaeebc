"""地图: stations within a 15-minute walk (list first, map second), station pages, consent, tiles.

The member's position reaches the server only in POST bodies (never a URL, a cookie or a log)
and only after they consented; it ranks the stations and is forgotten with the request.
"""
import sys
from pathlib import Path

import click
from flask import Blueprint, abort, current_app, flash, g, jsonify, make_response, redirect, request, url_for
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.bounds import arg_int
from blueprints.stations.forms import ButtonForm, ConsentForm, FilterForm, ImportForm
from blueprints.web import attachment, db, form_errors, render, wants_fragment
from extensions import csrf, limiter
from models import utcnow
from models.db import get_session, unscoped
from services import bounds, stations
from services.errors import DomainError

bp = Blueprint("stations", __name__, url_prefix="/stations", cli_group="stations")


@bp.app_template_global()
def list_words() -> dict:
    """The list's recurring words, translated once per request (flask-babel look-ups are costly per row).

    Values are format strings filled in the templates with `|format(...)`.
    """
    words = g.get("station_words")
    if words is None:
        t = get_translations()
        words = g.station_words = {
            "always": t.ugettext("24 hours"), "open": t.ugettext("Open now"), "closed": t.ugettext("Closed now"),
            "unknown": t.ugettext("Hours unknown"), "closes_at": t.ugettext("closes at %(t)s"),
            "opens_at": t.ugettext("opens at %(t)s"), "opens": t.ugettext("opens %(t)s"),
            "today": t.ugettext("Today:"), "minutes": t.ungettext("%(num)d min", "%(num)d min", 2),
            "metres": t.ugettext("%(m)s m"), "km": t.ugettext("%(km)s km")}
    return words


def _filter_form(source, *, districts: bool = True) -> FilterForm:
    """The filter form read from query args or a POST body, with its choices (districts only for a whole page)."""
    form = FilterForm(formdata=source)
    form.district.choices = [("", _("Choose a district"))] + (
        [(d.code, d.name) for d in stations.districts(db())] if districts else [])
    form.service.choices = [("", _("All services"))] + [(c, str(l)) for c, l in stations.service_labels().items()]
    return form


def _labels() -> dict:
    """Service code -> label as plain strings (a missing code gives "")."""
    from collections import defaultdict

    return defaultdict(str, {code: str(label) for code, label in stations.service_labels().items()})


def _filters(form: FilterForm) -> stations.Filters:
    return stations.Filters(open_now=bool(form.open_now.data), all_day=bool(form.all_day.data),
                            service=form.service.data or None)


def _routing() -> stations.RoutingConfig | None:
    """The routing engine, when ROUTING_URL is configured."""
    url = current_app.config.get("ROUTING_URL")
    if not url:
        return None
    return stations.RoutingConfig(url=url, engine=current_app.config.get("ROUTING_ENGINE", "osrm"),
                             timeout=float(current_app.config.get("ROUTING_TIMEOUT", 1.5)))


_UNSET = object()


def _page(*, mode: str, form: FilterForm, items=None, error=None, status: int = 200, consent=_UNSET, **extra):
    session = db()
    if consent is _UNSET:
        consent = stations.consent_of(session, member_id=current_user.id)
    home_id = stations.home_station_id(session, member_id=current_user.id)
    return render("stations/index.html", "station_results", status=status, mode=mode, form=form,
                  items=items or [], error=error, consent=consent, home_id=home_id,
                  labels=_labels(), reach_m=stations.REACH_M, reach_minutes=stations.REACH_MINUTES,
                  **extra)


@bp.get("/")
@login_required
def index():
    """The list: near me (after consent), or by district, search or home station; with filters."""
    session = db()
    form = _filter_form(request.args)
    now = utcnow()
    filters = _filters(form)
    mode, items = "choose", []
    try:
        if "q" in request.args:
            mode = "search"
            items = stations.search(session, q=form.q.data or "", filters=filters, at=now)
        elif form.district.data:
            mode = "district"
            items = stations.in_district(session, district=form.district.data, filters=filters, at=now)
        elif request.args.get("home"):
            home_id = stations.home_station_id(session, member_id=current_user.id)
            if home_id is None:
                raise DomainError("no_home_station", _("You have no registered home station yet."))
            mode = "home"
            items = stations.near_station(session, station_id=home_id, filters=filters, at=now)
        elif stations.consent_of(session, member_id=current_user.id):
            mode = "locate"
    except DomainError as e:
        return _page(mode=mode, form=form, error=str(e.message), status=e.status)
    return _page(mode=mode, form=form, items=items)


@bp.post("/nearby")
@login_required
def nearby():
    """Stations near the position in the POST body (never in the URL); needs the member's consent."""
    session = db()
    form = _filter_form(request.form, districts=not wants_fragment())
    consent = stations.consent_of(session, member_id=current_user.id)
    if not consent:
        return _page(mode="choose", form=form, status=403, consent=consent,
                     error=_("Allow the use of your location first, or choose a district."))
    try:
        items = stations.nearby(session, lat=request.form.get("lat"), lon=request.form.get("lon"),
                                filters=_filters(form), at=utcnow(), routing=_routing())
    except DomainError as e:
        return _page(mode="nearby", form=form, error=str(e.message), status=e.status, consent=consent)
    return _page(mode="nearby", form=form, items=items, consent=consent)


@bp.post("/api/nearest")
@csrf.exempt
@limiter.exempt
def api_nearest():
    """JSON: the nearest stations to {lat, lon} (public station data; the position is not kept).

    No cookies, no state: exempt from CSRF, and from Flask-Limiter, which has no limit for it and
    costs as much per request as the geo work (a reverse proxy limits by address).
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = request.form
    try:
        limit = bounds.parse_int(data.get("limit") or stations.DEFAULT_LIMIT, low=1, high=1000)
        filters = stations.Filters(open_now=bool(data.get("open_now")), all_day=bool(data.get("all_day")),
                                   service=str(data.get("service") or "") or None)
        body = stations.nearest_json_body(db(), lat=data.get("lat"), lon=data.get("lon"), filters=filters,
                                          at=utcnow(), limit=limit, routing=_routing())
    except (TypeError, ValueError, OverflowError):
        return jsonify(error="bad_request", message=_("The request could not be understood.")), 400
    except DomainError as e:
        return jsonify(error=e.code, message=str(e.message)), e.status
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/map")
@login_required
def map_view():
    """The map: all stations as fast canvas markers, the member's position and the 15-minute reach."""
    session = db()
    focus = None
    station_id = arg_int(request.args, "station", low=1)
    if station_id:
        station = stations.get_station(session, station_id)
        focus = {"lat": station.lat, "lon": station.lon, "id": station.id}
    config = {
        "tiles": stations.tiles.client_config(current_app.config),
        "markers": url_for("stations.markers"),
        "card": url_for("stations.card", station_id=0),
        "reach_m": round(stations.REACH_M, 1),
        "consent": stations.consent_of(session, member_id=current_user.id) is not None,
        "focus": focus,
        "center": stations.tiles.DEFAULT_CENTER,
    }
    return render("stations/map.html", config=config)


@bp.get("/markers.json")
@login_required
def markers():
    """Every station for the map, delta-coded (a few KB compressed)."""
    response = jsonify(stations.markers(db()))
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/<int:station_id>")
@login_required
def station(station_id: int):
    """A station: address, hours, services, contact, activities, check-in mode, navigation."""
    info = stations.detail(db(), station_id=station_id, at=utcnow())
    return render("stations/station.html", d=info, labels=stations.service_labels())


@bp.get("/<int:station_id>/card")
@login_required
def card(station_id: int):
    """A station's short card, for a tapped marker."""
    info = stations.detail(db(), station_id=station_id, at=utcnow())
    return render("stations/_card.html", d=info)


@bp.route("/consent", methods=["GET", "POST"])
@login_required
def consent():
    """The separate consent screen: what is used, for what, and that nothing is kept."""
    form = ConsentForm()
    session = db()
    if request.method == "POST":
        if form.validate_on_submit():
            stations.grant_consent(session, member_id=current_user.id)
            flash(_("Thank you. Your location is now used to find stations near you."), "success")
            return redirect(url_for("stations.index"))
        return render("stations/consent.html", form=form, errors=form_errors(form), status=400,
                      granted=None)
    return render("stations/consent.html", form=form, errors=[],
                  granted=stations.consent_of(session, member_id=current_user.id))


@bp.post("/consent/withdraw")
@login_required
def withdraw():
    """Withdraw the consent: the list goes back to districts and search."""
    if ButtonForm().validate_on_submit():
        stations.withdraw_consent(db(), member_id=current_user.id)
        flash(_("Location use is turned off. You can still choose a district or search."), "success")
    target = request.form.get("next") or ""
    return redirect(target if target in (url_for("me.index"), url_for("stations.index")) else url_for("me.index"))


@bp.get("/tiles/<int:z>/<int:x>/<int:y>.png")
def tile(z: int, x: int, y: int):
    """A stand-in map tile drawn here, so that tests and the demo never call outside servers."""
    if current_app.config.get("TILE_PROVIDER") != "local" or not stations.tiles.valid_tile(z, x, y):
        abort(404)
    response = make_response(stations.tiles.stand_in_png(z, x, y))
    response.mimetype = "image/png"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_file():
    """An administrator uploads a station file (the same all-or-nothing import as the CLI)."""
    if not current_user.is_admin:
        abort(403)
    form = ImportForm()
    problems, errors, status = [], [], 200
    if request.method == "POST":
        upload = request.files.get("file")
        if not form.validate_on_submit() or upload is None or not upload.filename:
            errors = form_errors(form) or [_("Choose a CSV or GeoJSON file.")]
            status = 400
        else:
            session = db()
            try:
                with unscoped(session):
                    result = stations.importexport.import_stations(session, data=upload.read(),
                                                                   filename=upload.filename, crs=form.crs.data)
            except stations.importexport.StationImportError as e:
                errors, problems, status = [str(e.message)], e.problems, 400
            except DomainError as e:
                errors, status = [str(e.message)], e.status
            else:
                flash(_("Imported: %(c)s new, %(u)s updated, %(n)s unchanged.", c=result.created, u=result.updated,
                        n=result.unchanged), "success")
                return redirect(url_for("stations.import_file"))
    return render("stations/import.html", form=form, errors=errors, problems=problems, status=status,
                  closed=stations.admin.closed_stations(db(), current_user))


@bp.get("/export.<fmt>")
@login_required
def export_file(fmt: str):
    """An administrator downloads every station (CSV or GeoJSON, WGS-84)."""
    if not current_user.is_admin or fmt not in ("csv", "geojson"):
        abort(403 if fmt in ("csv", "geojson") else 404)
    return attachment(stations.importexport.export_stations(db(), fmt=fmt), f"stations.{fmt}",
                      "text/csv" if fmt == "csv" else "application/geo+json")


# -- command line: flask --app app stations import|export FILE --------------------------------

def _in_request(fn):
    """Run a CLI body in a request context: messages come out in the default language (Chinese)."""
    with current_app.test_request_context():
        return fn()


@bp.cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", type=click.Choice(stations.importexport.CRS), default="wgs84", show_default=True,
              help="Coordinate system of the file; stored always as WGS-84.")
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson"]), default=None,
              help="Default: from the file name.")
def import_command(path: str, crs: str, fmt: str | None) -> None:
    """Import stations from a CSV or GeoJSON file (all or nothing; updates by code)."""
    def run():
        session = get_session()
        name = f"file.{fmt}" if fmt else path
        try:
            with unscoped(session):
                result = stations.importexport.import_stations(session, data=Path(path).read_bytes(), filename=name,
                                                               crs=crs)
        except stations.importexport.StationImportError as e:
            click.echo(str(e.message), err=True)
            click.echo(e.report(), err=True)
            sys.exit(1)
        except DomainError as e:
            click.echo(str(e.message), err=True)
            sys.exit(1)
        click.echo(f"{path}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")
    _in_request(run)


@bp.cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--crs", type=click.Choice(stations.importexport.CRS), default="wgs84", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson"]), default=None,
              help="Default: from the file name.")
def export_command(path: str, crs: str, fmt: str | None) -> None:
    """Export every station to a CSV or GeoJSON file."""
    def run():
        session = get_session()
        chosen = fmt or stations.importexport.detect_format(path)
        with unscoped(session):
            data = stations.importexport.export_stations(session, fmt=chosen, crs=crs)
        Path(path).write_bytes(data)
        count = data.count(b'"Feature"') if chosen == "geojson" else len(data.decode("utf-8-sig").splitlines()) - 1
        click.echo(f"{path}: {count} stations")
    _in_request(run)



# The administrators' station management screens register on this blueprint (same tab, same prefix).
from blueprints.stations import manage  # noqa: E402,F401
