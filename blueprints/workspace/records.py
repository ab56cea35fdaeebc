"""The workspace's other screens: import, the rating and the members' evaluation, the committee term, exports
and printable pages."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.web import attachment, db, form_errors, leader_required, render
from blueprints.workspace.forms import EmptyForm, ImportForm, TermForm
from blueprints.workspace.routes import ID, bp, year_quarter_args
from services import workspace
from services.errors import DomainError


@bp.route(f"/units/<{ID}:unit_id>/import", methods=["GET", "POST"])
@leader_required
def import_members(unit_id: int):
    """Import members from CSV or XLSX: every row valid or nothing changes; re-importing updates."""
    unit = workspace.get_branch(db(), current_user, unit_id)
    form = ImportForm()
    context = {"unit": unit, "form": form, "errors": [], "problems": [], "result": None,
               "columns": workspace.template_rows()[0]}
    if request.method == "GET":
        return render("workspace/import.html", **context)
    if not form.validate_on_submit():
        return render("workspace/import.html", status=400, **{**context, "errors": form_errors(form)})
    upload = form.file.data
    try:
        result = workspace.import_members(db(), current_user, unit_id=unit.id, data=upload.read(),
                                          filename=upload.filename or "")
    except workspace.ImportRejected as e:
        return render("workspace/import.html", status=400,
                      **{**context, "errors": [str(e.message)], "problems": e.problems})
    except DomainError as e:
        return render("workspace/import.html", status=e.status if e.status != 404 else 400,
                      **{**context, "errors": [str(e.message)]})
    return render("workspace/import.html", **{**context, "result": result})


@bp.get(f"/units/<{ID}:unit_id>/import/template.<fmt>")
@leader_required
def import_template(unit_id: int, fmt: str):
    """A blank file with the columns the import takes (CSV or XLSX)."""
    workspace.get_branch(db(), current_user, unit_id)
    header, rows = workspace.template_rows()
    from services.workspace.sheets import XLSX_MIME, to_csv, to_xlsx

    if fmt == "csv":
        return attachment(to_csv(header, rows), "members-template.csv")
    if fmt == "xlsx":
        return attachment(to_xlsx(header, rows, title="members"), "members-template.xlsx", XLSX_MIME)
    abort(404)


@bp.get(f"/units/<{ID}:unit_id>/rating")
@leader_required
def rating(unit_id: int):
    """The branch rating (党建质量评定): indicators 60 %, the members' evaluation 40 %, the grade; 差 flagged."""
    year, _q = year_quarter_args()
    page = workspace.rating_page(db(), current_user, unit_id=unit_id, year=year)
    return render("workspace/rating.html", page=page, unit=page.unit)


@bp.route(f"/units/<{ID}:unit_id>/term", methods=["GET", "POST"])
@leader_required
def term(unit_id: int):
    """The committee's term (支部换届): when it was elected; reminders go 6 and 1 months before it ends."""
    unit = workspace.get_branch(db(), current_user, unit_id)
    current = workspace.term_of(db(), unit_id=unit.id)
    form = TermForm(obj=current) if request.method == "GET" else TermForm()
    errors = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                workspace.set_term(db(), current_user, unit_id=unit.id, elected_on=form.elected_on.data,
                                   years=form.years.data)
                flash(_("The committee's term was saved."), "success")
                return redirect(url_for("workspace.term", unit_id=unit.id))
            except DomainError as e:
                errors = [str(e.message)]
        else:
            errors = form_errors(form)
    return render("workspace/term.html", unit=unit, term=current, form=form, errors=errors,
                  status=400 if errors else 200)


@bp.route("/evaluation", methods=["GET", "POST"])
@login_required
def evaluation():
    """The yearly evaluation of one's own branch: a short form, one answer a year, anonymous."""
    answered = workspace.has_answered(db(), current_user)
    errors = []
    if request.method == "POST" and not answered:
        if not EmptyForm().validate_on_submit():
            errors = [_("The form expired; please try again.")]
        else:
            try:
                workspace.submit_evaluation(db(), current_user, scores=request.form)
                flash(_("Thank you: your answer was recorded anonymously."), "success")
                return redirect(url_for("workspace.evaluation"))
            except DomainError as e:
                errors = [str(e.message)]
    elif request.method == "POST":
        errors = [_("You have already answered this year's evaluation.")]
    return render("workspace/evaluation.html", answered=answered, questions=workspace.QUESTIONS,
                  choices=workspace.CHOICES, errors=errors, picked=request.form if errors else {},
                  button=EmptyForm(), status=(409 if answered else 400) if errors else 200)


@bp.get(f"/units/<{ID}:unit_id>/exports")
@leader_required
def exports(unit_id: int):
    """Exports of the unit's records (CSV, XLSX) and their printable pages."""
    unit = workspace.get_unit(db(), current_user, unit_id)
    year, _q = year_quarter_args()
    from services.workspace.common import local_now

    return render("workspace/exports.html", unit=unit, kinds=workspace.KINDS, year=year or local_now().year)


@bp.get(f"/units/<{ID}:unit_id>/export/<kind>.<fmt>")
@leader_required
def export(unit_id: int, kind: str, fmt: str):
    """One export as CSV (UTF-8 with BOM) or XLSX; every text cell defused."""
    year, _q = year_quarter_args()
    name, body, mimetype = workspace.export(db(), current_user, unit_id=unit_id, kind=kind, fmt=fmt, year=year)
    return attachment(body, name, mimetype)


@bp.get(f"/units/<{ID}:unit_id>/print/<kind>")
@leader_required
def print_page(unit_id: int, kind: str):
    """One export as a printable page (a print stylesheet hides the app's chrome)."""
    year, _q = year_quarter_args()
    t = workspace.table(db(), current_user, unit_id=unit_id, kind=kind, year=year)
    return render("workspace/print.html", t=t, unit_id=unit_id)

