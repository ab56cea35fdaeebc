"""我的 → 个人信息与隐私: download everything, correct, consents, deletion; and the public privacy page."""
from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.privacy.forms import ButtonForm, CorrectionForm, DeleteForm, PhoneForm
from blueprints.privacy.routes import ID, bp, private
from blueprints.web import db, render
from services import privacy
from services.errors import DomainError


@bp.get("/privacy")
def policy():
    """The privacy page in plain Chinese: what, why, how long, who sees it, how to use each right."""
    return render("privacy/policy.html", periods=current_app.config["RETENTION"], active_tab="me")


def _hub(*, status: int = 200, errors: dict | None = None, phone_form=None, correction_form=None, delete_form=None):
    session = db()
    member_id = current_user.id
    correction_form = correction_form or CorrectionForm()
    correction_form.subject.choices = [(k, str(v)) for k, v in privacy.SUBJECTS.items()]
    delete_form = delete_form or DeleteForm()
    delete_form.member_id.data = str(member_id)
    return private(render(
        "privacy/me.html", status=status, errors=errors or {}, active_tab="me",
        exports=privacy.latest(session, member_id=member_id),
        consents=privacy.consents.consents(session, member_id=member_id),
        requests=privacy.mine(session, member_id=member_id), subjects=privacy.SUBJECTS,
        deletion=privacy.pending(session, member_id=member_id), phone=current_user.phone,
        phone_form=phone_form or PhoneForm(), correction_form=correction_form, delete_form=delete_form,
        button=ButtonForm(), cooling_days=current_app.config["RETENTION"]["deletion_cooling_days"]))


@bp.get("/me/privacy")
@login_required
def me():
    """The member's data rights, each with its button."""
    return _hub()


def _unshown(form) -> str:
    """The messages no field shows itself (the CSRF token's): the fields show their own next to them."""
    return " ".join(str(m) for name, msgs in form.errors.items() if name in ("csrf_token", "member_id") for m in msgs)


def _checked(form=None) -> bool:
    return (form or ButtonForm()).validate_on_submit()


@bp.post("/me/privacy/export")
@login_required
def export():
    """Ask for a download of everything held; small ones are ready at once, large ones come by message."""
    if not _checked():
        abort(400)
    session = db()
    try:
        row = privacy.request_export(session, member_id=current_user.id)
    except DomainError as e:
        return _hub(status=e.status, errors={"export": str(e.message)})
    if privacy.build_now_if_small(session, export=row):
        flash(_("Your download is ready."), "success")
    else:
        flash(_("Your download is being prepared: you will find a message in your inbox when it is ready."), "info")
    return redirect(url_for("privacy.me") + "#download")


@bp.get(f"/me/privacy/exports/<{ID}:export_id>")
@login_required
def download(export_id: int):
    """The ZIP of one of the member's own downloads, until its link expires."""
    try:
        path, filename = privacy.file_for(db(), member_id=current_user.id, export_id=export_id)
    except DomainError as e:
        return _hub(status=e.status, errors={"export": str(e.message)})
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=filename,
                         max_age=0, conditional=False)
    return private(response)


@bp.post("/me/privacy/phone")
@login_required
def phone():
    """Change one's own mobile number (the sign-in name) with the password."""
    form = PhoneForm()
    if not form.validate_on_submit():
        return _hub(status=400, errors={"phone": _unshown(form)}, phone_form=form)
    try:
        privacy.change_phone(db(), member_id=current_user.id, new_phone=form.phone.data, password=form.password.data)
    except DomainError as e:
        return _hub(status=e.status, errors={"phone": str(e.message)}, phone_form=form)
    flash(_("Your mobile number is changed: sign in with the new one from now on."), "success")
    return redirect(url_for("privacy.me") + "#correct")


@bp.post("/me/privacy/requests")
@login_required
def ask():
    """Ask the branch to correct something."""
    form = CorrectionForm()
    form.subject.choices = [(k, str(v)) for k, v in privacy.SUBJECTS.items()]
    if not form.validate_on_submit():
        return _hub(status=400, errors={"request": _unshown(form)}, correction_form=form)
    try:
        privacy.ask(db(), member_id=current_user.id, subject=form.subject.data, text=form.text.data)
    except DomainError as e:
        return _hub(status=e.status, errors={"request": str(e.message)}, correction_form=form)
    flash(_("Your request is sent to your branch secretary; the answer will come to your inbox."), "success")
    return redirect(url_for("privacy.me") + "#correct")


@bp.post("/me/privacy/consents/<kind>/withdraw")
@login_required
def withdraw(kind: str):
    """Withdraw one consent; the rest of the app works on without it."""
    if not _checked():
        abort(400)
    if kind not in privacy.CONSENT_KINDS:
        abort(404)
    changed = privacy.withdraw(db(), member_id=current_user.id, kind=kind)
    messages = {"location": _("Location use is turned off. You can still choose a district or search."),
                "push": _("Push messages are off and your devices are forgotten. Messages still reach your inbox."),
                "sms": _("Text messages are off. Messages still reach your inbox.")}
    flash(messages[kind] if changed else _("That consent was already withdrawn."), "success" if changed else "info")
    return redirect(url_for("privacy.me") + "#consents")


@bp.post("/me/privacy/consents/sms/allow")
@login_required
def allow_sms():
    """Give the consent to text messages back."""
    if not _checked():
        abort(400)
    privacy.allow(db(), member_id=current_user.id, kind="sms")
    flash(_("Text messages are allowed again."), "success")
    return redirect(url_for("privacy.me") + "#consents")


@bp.post("/me/privacy/delete")
@login_required
def delete():
    """Ask for one's own account to be deleted after 7 days (cancellable until then)."""
    form = DeleteForm()
    if not form.validate_on_submit():
        return _hub(status=400, errors={"delete": _unshown(form)}, delete_form=form)
    raw = (form.member_id.data or "").strip()
    target = int(raw) if raw.isdigit() and len(raw) < 12 else (current_user.id if not raw else -1)
    try:
        row = privacy.request_deletion(db(), current_user, member_id=target)
    except DomainError as e:
        return _hub(status=e.status, errors={"delete": str(e.message)}, delete_form=form)
    flash(_("Your account will be deleted on %(day)s. Until then you can cancel here.",
            day=format_date(row.due_at, "long")), "success")
    return redirect(url_for("privacy.me") + "#delete")


@bp.post("/me/privacy/delete/cancel")
@login_required
def cancel_delete():
    """Take the deletion request back."""
    if not _checked():
        abort(400)
    try:
        privacy.cancel_deletion(db(), current_user, member_id=current_user.id)
    except DomainError as e:
        return _hub(status=e.status, errors={"delete": str(e.message)})
    flash(_("Your deletion request is cancelled. Your account stays as it is."), "success")
    return redirect(url_for("privacy.me") + "#delete")
