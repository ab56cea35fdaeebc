"""The installable app: manifest, service worker, offline page, icons, health check."""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import (Blueprint, current_app, jsonify, make_response, render_template, request, send_from_directory,
                   url_for)
from flask_babel import gettext as _
from sqlalchemy import text

from blueprints.web import db
from extensions import csrf, limiter

bp = Blueprint("pwa", __name__)

STATIC = Path(__file__).resolve().parent.parent.parent / "static"

# The app shell: cached at install, served when the network is gone. Only what every page has just
# loaded itself (so the install takes it from the HTTP cache) and the offline page; other files are
# cached on first use, and a feature's offline kit when its page asks (KITS in the service worker).
SHELL = (
    "css/app.css",
    "js/app.js",
    "icons/icon.svg",
)


@lru_cache(maxsize=1)
def _shell_version() -> str:
    """A hash of the shell files: a new release gets a new cache, and old ones are deleted."""
    digest = hashlib.sha256()
    for name in SHELL:
        path = STATIC / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest (Chinese name first)."""
    data = {
        "name": _("ServiceCircle — Party-Mass Service"),
        "short_name": _("ServiceCircle"),
        "description": _("Check in at service stations, study, and find stations within a 15-minute walk."),
        "lang": "zh-CN",
        "start_url": "/?source=pwa",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#b3121d",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = make_response(jsonify(data))
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so that its scope is the whole app."""
    body = render_template(
        "pwa/sw.js",
        version=_shell_version(),
        shell=[url_for("static", filename=name) for name in SHELL],
        offline_url=url_for("pwa.offline"),
    )
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.add_etag()  # the browser checks for an update on every visit: a 304 when nothing changed
    return response.make_conditional(request)


@bp.get("/offline")
def offline():
    """Shown by the service worker when a page cannot be reached."""
    response = make_response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/favicon.ico")
def favicon():
    """The tab icon."""
    return send_from_directory(STATIC / "icons", "icon-192.png", mimetype="image/png")


@bp.get("/healthz")
@csrf.exempt
@limiter.exempt
def healthz():
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        db().exec(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        current_app.logger.exception("health check failed")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
