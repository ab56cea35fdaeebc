"""The application factory: config, engine, extensions, blueprints, CLI and error pages."""
from flask import Flask, g, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from config import INSTANCE_DIR, Config
from extensions import babel, csrf, htmx, limiter, login_manager
from models.db import close_session, get_session, make_engine

BLUEPRINTS = (
    "blueprints.pwa",
    "blueprints.auth",
    "blueprints.home",
    "blueprints.me",
    "blueprints.branch",
    "blueprints.checkin",
    "blueprints.study",
    "blueprints.notify",
    "blueprints.stations",
    "blueprints.meetings",
    "blueprints.workspace",
    "blueprints.privacy",
)

# Endpoints a member who must set a new password may still reach.
OPEN_ENDPOINTS = {"static", "auth.login", "auth.logout", "auth.set_password", "auth.language"}


def create_app(config: Config | None = None) -> Flask:
    """Build the app; nothing runs at import time."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    app.config.from_object(config or Config())
    _init_bounds(app)
    app.extensions["sc_engine"] = make_engine(app.config["DATABASE_URL"],
                                              sqlite_busy_ms=app.config.get("SQLITE_BUSY_TIMEOUT_MS", 10000))
    app.teardown_appcontext(close_session)

    _init_extensions(app)
    for name in BLUEPRINTS:
        module = __import__(f"{name}.routes", fromlist=["bp"])
        app.register_blueprint(module.bp)
    _init_request_hooks(app)

    from blueprints.errors import register_error_handlers
    from cli import register_cli
    from templating import register_template_helpers

    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    if app.config.get("BENCH_HELLO"):
        _add_bench_hello(app)
    _init_ops(app)
    return app


def _init_bounds(app: Flask) -> None:
    """Bounded `<int:...>` ids and JSON (blueprints.bounds), before any blueprint adds its routes."""
    from blueprints import bounds

    bounds.init_app(app)


def _init_ops(app: Flask) -> None:
    """JSON logs and request ids, static files, compression, 503s for a busy database, backups."""
    import ops

    ops.init_app(app)


def _add_bench_hello(app: Flask) -> None:
    """A bare hello-world endpoint of the same app: the baseline the benchmarks compare against."""
    from extensions import csrf, limiter

    @app.get("/_bench/hello")
    @csrf.exempt
    @limiter.exempt
    def bench_hello():
        return "hello"


def _select_locale() -> str:
    """Simplified Chinese unless the person chose English."""
    languages = ("zh_Hans_CN", "en")
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.locale in languages:
        return user.locale
    return "zh_Hans_CN"


def _init_extensions(app: Flask) -> None:
    babel.init_app(app, locale_selector=_select_locale,
                   timezone_selector=lambda: app.config["TIMEZONE"])
    csrf.init_app(app)
    htmx.init_app(app)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in first.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session row is the protection

    @login_manager.user_loader
    def _load_user(token: str):
        from services.accounts import load_principal

        return load_principal(get_session(), token=token, idle_hours=app.config["SESSION_IDLE_HOURS"])

    @login_manager.unauthorized_handler
    def _unauthorized():
        from blueprints.bounds import safe_next

        if request.headers.get("HX-Request") == "true":
            response = app.response_class(status=401)
            response.headers["HX-Redirect"] = url_for("auth.login", next=safe_next(request.full_path))
            return response
        from flask import flash

        flash(str(login_manager.login_message), "info")
        return redirect(url_for("auth.login", next=safe_next(request.full_path)))


def _init_request_hooks(app: Flask) -> None:
    from services.accounts.orgs import apply_scope

    @app.before_request
    def _scope_and_password_gate():
        user = current_user if current_user.is_authenticated else None
        apply_scope(get_session(), user)
        g.locale = str(get_locale())
        if user and user.must_change_password and request.endpoint not in OPEN_ENDPOINTS \
                and request.endpoint and not request.endpoint.startswith("pwa."):
            return redirect(url_for("auth.set_password"))
        return None

    @app.after_request
    def _security_headers(response):
        from security import apply_security_headers

        return apply_security_headers(app, response)
