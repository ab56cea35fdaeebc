"""Sign in, sign out, set a password, switch language."""
from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.auth.forms import LanguageForm, LoginForm, SetPasswordForm
from blueprints.bounds import safe_next
from blueprints.web import db, form_errors, render
from extensions import limiter
from services import accounts
from services.errors import DomainError

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    """Rate-limit key for one account: the phone number as typed, normalised when possible."""
    raw = (request.form.get("phone") or "")[:20]
    try:
        return "login-account:" + accounts.normalize_phone(raw)
    except DomainError:
        return "login-account:" + raw


def _failed(response) -> bool:
    return response.status_code in (400, 401)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"], methods=["POST"], key_func=_account_key,
               deduct_when=_failed)
def login():
    """Sign in with mobile number and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        return render("auth/login.html", form=form)
    errors = form_errors(form) if not form.validate_on_submit() else []
    target = safe_next(form.next.data) or url_for("home.index")  # checked before anything is written
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
            login_user(principal, remember=form.remember.data)
            return redirect(target)
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
