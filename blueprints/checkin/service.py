"""签到 → 我的服务: the member's hours, hours added by hand, the certificate (page and PDF)."""
from datetime import date, datetime

from flask import flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.checkin.forms import CertificateForm, ManualHoursForm
from blueprints.checkin.routes import bp, local_tz, new_nonce, this_year, year_arg
from blueprints.web import db, form_errors, render
from services import checkin as svc
from services.errors import DomainError

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
    year = year_arg()
    summary = svc.service_summary(session, member_id=current_user.id, year=year)
    community = svc.community_status(session, member_id=current_user.id, year=year)
    form = form or ManualHoursForm(nonce=new_nonce())
    form.station_id.choices = _manual_choices(summary, community)
    today = datetime.now(local_tz()).date()
    cert = CertificateForm(start=date(year, 1, 1), end=min(date(year, 12, 31), today))
    return render("checkin/service.html", summary=summary, community=community, form=form, cert=cert,
                  errors=errors or [], year=year, this_year=this_year(), status=status,
                  status_label=svc.status_label, pdf_ok=svc.pdf_available())


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
    summary = svc.service_summary(session, member_id=current_user.id, year=this_year())
    form.station_id.choices = _manual_choices(summary, svc.community_status(session, member_id=current_user.id,
                                                                            year=this_year()))
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
    return render("checkin/certificate.html", cert=cert, pdf_ok=svc.pdf_available())


@bp.get("/checkin/certificate.pdf")
@login_required
def certificate_pdf_view():
    """The same certificate as a PDF with an embedded Chinese font."""
    start, end = _certificate_range()
    cert = svc.certificate(db(), member_id=current_user.id, start=start, end=end)
    body = svc.render_certificate(cert, title=_("Certificate of volunteer service"))
    response = make_response(body)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="service-{start}-{end}.pdf"'
    return response
