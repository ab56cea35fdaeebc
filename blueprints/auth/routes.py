"""Sign in, sign out, set a password, switch language."""
from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.auth.forms import LanguageForm, LoginForm, SetPasswordForm
from blueprints.bounds import safe_next
from blueprints.web import db, form_errors, render
from services import accounts
from services.errors import DomainError

bp = Blueprint("auth", __name__)


DEVICE_COOKIE = "sc_device"
DEVICE_DAYS = 400


def _account() -> str:
    """The account a sign-in names: the phone number as typed, normalised when possible."""
    raw = (request.form.get("phone") or "")[:40]
    try:
        return accounts.normalize_phone(raw)
    except DomainError:
        return raw


def _device_tags() -> list[str]:
    """The accounts this browser has signed in to before (OWASP device cookie), from its signed cookie."""
    from itsdangerous import BadSignature, URLSafeSerializer

    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 1000:
        return []
    try:
        tags = URLSafeSerializer(current_app.secret_key, salt="sc-device").loads(raw)
    except BadSignature:
        return []
    return [t for t in tags if isinstance(t, str)][:5] if isinstance(tags, list) else []


def _remember_device(response, tag: str):
    """Add the account to the browser's device cookie (the five most recent accounts)."""
    from itsdangerous import URLSafeSerializer

    tags = [tag] + [t for t in _device_tags() if t != tag]
    response.set_cookie(DEVICE_COOKIE, URLSafeSerializer(current_app.secret_key, salt="sc-device").dumps(tags[:5]),
                        max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _throttle_store():
    """Where failed sign-ins are counted: Redis when REDIS_URL is set, else the app database (both shared)."""
    store = accounts.throttle.SqlStore(db())
    url = current_app.config.get("REDIS_URL")
    if not url:
        return store
    client = current_app.extensions.get("sc_signin_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        current_app.extensions["sc_signin_redis"] = client
    return accounts.throttle.RedisStore(client, store, prefix=current_app.config.get("RATELIMIT_KEY_PREFIX", ""))


def _too_many(form, wait: int):
    """429 with Retry-After and a message saying how long to wait."""
    minutes = max(1, (wait + 59) // 60)
    response = render("auth/login.html", form=form, status=429,
                      errors=[_("Too many failed attempts. Try again in %(n)s minutes.", n=minutes)])
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with mobile number and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        return render("auth/login.html", form=form)
    target = safe_next(form.next.data) or url_for("home.index")  # checked before anything is written
    form.next.data = target  # a hostile return address is dropped, not a reason to refuse the sign-in
    errors = form_errors(form) if not form.validate_on_submit() else []
    account = _account()
    secret = current_app.secret_key
    tag = accounts.throttle.account_tag(secret, account)
    keys = accounts.throttle.keys_for(secret=secret, account=account, address=request.remote_addr or "",
                                      known_device=tag in _device_tags())
    store = _throttle_store()
    limits = accounts.throttle.Limits.from_config(current_app.config)
    wait, counts = accounts.throttle.begin(store, keys, limits)  # counted before the check: bursts cannot slip by
    if wait:
        form.password.data = ""
        return _too_many(form, wait)
    if not errors:
        try:
            token = accounts.sign_in(db(), phone=form.phone.data, password=form.password.data,
                                     remember=form.remember.data,
                                     idle_hours=current_app.config["SESSION_IDLE_HOURS"],
                                     remember_days=current_app.config["REMEMBER_DAYS"])
        except DomainError as e:
            errors = [str(e.message)]
            status = e.status
        else:
            lang = session.get("lang")
            session.clear()  # a new session at sign-in: nothing from before carries over
            if lang:
                session["lang"] = lang
            principal = accounts.load_principal(db(), token=token, idle_hours=current_app.config["SESSION_IDLE_HOURS"])
            login_user(principal, remember=form.remember.data)  # the cookie lives REMEMBER_DAYS, like the session
            accounts.throttle.succeeded(store, keys, counts, limits)
            return _remember_device(redirect(target), tag)
    else:
        status = 400
    form.password.data = ""
    return render("auth/login.html", form=form, errors=errors, status=status)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: the server forgets the session, so an old cookie no longer works."""
    if current_user.is_authenticated:
        accounts.end_session(db(), token=current_user.session_token)
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def set_password():
    """Choose a new password (required at first sign-in and after a reset)."""
    form = SetPasswordForm()
    forced = current_user.must_change_password
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                accounts.change_password(db(), member_id=current_user.id, current=form.current.data,
                                         new=form.new.data, keep_token=current_user.session_token)
            except DomainError as e:
                errors, status = [str(e.message)], e.status
            else:
                flash(_("Your new password is saved."), "success")
                return redirect(url_for("home.index"))
        else:
            errors, status = form_errors(form), 400
    return render("auth/password.html", form=form, forced=forced, errors=errors, status=status)


@bp.route("/language", methods=["POST"])
def language():
    """Switch between Simplified Chinese and English."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            accounts.set_locale(db(), member_id=current_user.id, locale=form.lang.data)
    return redirect(safe_next(form.next.data) or url_for("home.index"))
