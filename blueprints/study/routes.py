"""学习: a member's tasks, reading, quizzes and reports, the yearly 学时 record; the secretary's study tools."""
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup

from blueprints.study.forms import (AttendanceForm, EmptyForm, QuestionForm, ReportForm, ReviewForm, TaskForm,
                                    hour_choices, option_fields, question_options)
from blueprints.bounds import arg_int, safe_next
from blueprints.web import attachment, db, form_errors, leader_required, render
from services import bounds, study
from services.errors import DomainError

bp = Blueprint("study", __name__, url_prefix="/study")


@bp.app_template_filter("study_hours")
def study_hours(half) -> str:
    """Half hours shown as 学时: 3 -> 1.5."""
    return study.hours_text(half)


@bp.app_template_global("study_ring")
def study_ring(total_half: int, target_half: int) -> dict:
    """The SVG ring's figures (circumference and filled length)."""
    return study.ring(total_half, target_half)


# The matrix's cell marks; each cell is one short fixed string (a 200 × 50 matrix has 10,000 of them).
MATRIX_MARKS = {"completed": "✓", "submitted": "审", "returned": "退", "in_progress": "…", "not_started": "○", "na": ""}
_CELL_HTML = {status: f'<td class="m-{status}">{mark}</td>' for status, mark in MATRIX_MARKS.items()}


@bp.app_template_filter("matrix_cells")
def matrix_cells(cells) -> Markup:
    """A matrix row's cells as HTML in one join (ten times faster than a Jinja loop over 10,000 cells)."""
    return Markup("".join(_CELL_HTML[c] for c in cells))


def _year_arg() -> int | None:
    """?year=2025, within sensible bounds (else this year)."""
    year = arg_int(request.args, "year")
    return year if year and 2000 <= year <= 2100 else None


# -- member screens --------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    """The 学习 tab: this year's ring, then overdue, due soon, later and done tasks."""
    session = db()
    return render("study/index.html", board=study.board(session, current_user),
                  record=study.record(session, current_user))


@bp.get("/record")
@login_required
def record():
    """The yearly record: 学时 by task for a year, and every past year."""
    return render("study/record.html", record=study.record(db(), current_user, year=_year_arg()))


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    """A task to read, watch, answer or write; the reading time counts while the page is visible."""
    session = db()
    item = study.get_member_task(session, current_user, task_id)
    attempts = study.attempts_of(session, current_user, task_id=task_id) if item.task.completion == "quiz" else []
    return render("study/task.html", item=item, file=study.task_file(session, item.task), attempts=attempts,
                  beat_seconds=study.heartbeat_seconds(), button=EmptyForm(),
                  media_hosts=current_app.config.get("CSP_MEDIA_HOSTS", []))


@bp.post("/tasks/<int:task_id>/beat")
@login_required
def beat(task_id: int):
    """A heartbeat from a visible reading page: returns the reading status fragment."""
    item = study.beat(db(), current_user, task_id=task_id)
    return render("study/task.html", "reading_status", item=item)


@bp.post("/tasks/<int:task_id>/quiz")
@login_required
def start_quiz(task_id: int):
    """Start (or resume) a quiz attempt."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        attempt = study.start_attempt(db(), current_user, task_id=task_id)
    except DomainError as e:
        if e.code != "already_completed":
            raise
        flash(str(e.message), "info")
        return redirect(url_for("study.task", task_id=task_id))
    return redirect(url_for("study.attempt", attempt_id=attempt.id))


def _parse_answers() -> dict[int, list[int]]:
    """Answers posted as q<question id> = option index (several for multiple choice)."""
    answers: dict[int, list[int]] = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        question_id = bounds.int_or_none(key[1:], low=1) if key.startswith("q") else None
        values = [bounds.int_or_none(v, high=99) for v in request.form.getlist(key)]
        if question_id is None or None in values or len(values) > 20 or len(answers) >= 200:
            raise DomainError("bad_answer", _("The answers could not be read. Please reload the quiz."))
        answers[question_id] = values
    return answers


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    """A quiz attempt: the questions, or after submitting, the result with the right answers."""
    session = db()
    errors, status, chosen = [], 200, {}
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        try:
            chosen = _parse_answers()
            study.submit_attempt(session, current_user, attempt_id=attempt_id, answers=chosen)
        except DomainError as e:
            if e.status == 404:
                raise
            errors, status = [str(e.message)], e.status
        else:
            return redirect(url_for("study.attempt", attempt_id=attempt_id))
    view = study.get_attempt(session, current_user, attempt_id=attempt_id)
    if view.attempt.answers:
        chosen = {int(k): v for k, v in view.attempt.answers.items()}
    return render("study/attempt.html", view=view, chosen=chosen, correct=study.correct_of(view), errors=errors,
                  button=EmptyForm(), status=status)


@bp.route("/tasks/<int:task_id>/report", methods=["GET", "POST"])
@login_required
def report(task_id: int):
    """Write and submit the report (心得体会); after a return, revise and submit again."""
    session = db()
    item = study.get_member_task(session, current_user, task_id)
    if item.task.completion != "report":
        abort(404)
    form = ReportForm()
    errors, status = [], 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                study.save_report(session, current_user, task_id=task_id, text=form.text.data)
            except DomainError as e:
                errors, status = [str(e.message)], e.status
            else:
                flash(_("Your report was submitted. Your secretary will review it."), "success")
                return redirect(url_for("study.task", task_id=task_id))
        else:
            errors, status = form_errors(form), 400
        item = study.get_member_task(session, current_user, task_id)
    elif item.progress:
        form.text.data = item.progress.report_text
    return render("study/report.html", item=item, form=form, errors=errors, status=status,
                  max_chars=current_app.config.get("STUDY_REPORT_MAX_CHARS", 20000))


@bp.get("/files/<token>")
@login_required
def file(token: str):
    """An uploaded file, only for members who may see a task using it (range requests for video)."""
    row, path = study.file_for(db(), current_user, token=token)
    response = send_file(path, mimetype=row.mime, conditional=True, download_name=row.original_name,
                         max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; " \
                                                  "object-src 'self'; frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"  # personal data: no cache keeps a copy
    return response


# -- the secretary's tools -------------------------------------------------------------------------

@bp.get("/manage/units/<int:unit_id>")
@leader_required
def manage_unit(unit_id: int):
    """A unit's study tasks, with links to the matrix, reviews and the CSV export."""
    session = db()
    unit, tasks = study.unit_tasks(session, current_user, unit_id=unit_id)
    waiting = study.pending_reports(session, current_user, unit_id=unit_id)
    return render("study/manage_unit.html", unit=unit, tasks=tasks, waiting=len(waiting),
                  today=study.local_today())


@bp.get("/manage/units/<int:unit_id>/matrix")
@leader_required
def matrix(unit_id: int):
    """Members × tasks for a year: who completed, who is behind (no ranking, just status)."""
    mx = study.matrix(db(), current_user, unit_id=unit_id, year=_year_arg())
    return render("study/matrix.html", mx=mx, marks=MATRIX_MARKS)


@bp.get("/manage/units/<int:unit_id>/export.csv")
@leader_required
def export(unit_id: int):
    """学时 per member per year as CSV (UTF-8 with BOM)."""
    return attachment(study.export_csv(db(), current_user, unit_id=unit_id), f"study-hours-{unit_id}.csv")


@bp.get("/manage/units/<int:unit_id>/reviews")
@leader_required
def reviews(unit_id: int):
    """Reports waiting for review."""
    session = db()
    unit, _tasks = study.unit_tasks(session, current_user, unit_id=unit_id)
    return render("study/reviews.html", unit=unit, rows=study.pending_reports(session, current_user, unit_id=unit_id),
                  form=ReviewForm())


def _task_form(unit_id: int, form: TaskForm | None = None) -> TaskForm:
    form = form or TaskForm()
    form.hours_half.choices = hour_choices()
    form.member_ids.choices = [(m.id, m.name) for m in study.candidate_members(db(), current_user, unit_id=unit_id)]
    return form


def _task_data(form: TaskForm, file_id: int | None) -> study.TaskData:
    """The form's values as the service's TaskData (lecture time from Shanghai to UTC)."""
    lecture_at = form.lecture_at.data.replace(tzinfo=study.tz()) if form.lecture_at.data else None
    return study.TaskData(
        title=form.title.data or "", kind=form.kind.data, completion=form.completion.data,
        opens_on=form.opens_on.data, due_on=form.due_on.data, hours_half=form.hours_half.data or 0,
        required=form.required.data, audience=form.audience.data or "unit", body_md=form.body_md.data or "",
        link_url=(form.link_url.data or "").strip() or None, file_id=file_id,
        min_seconds=(form.min_minutes.data or 0) * 60, pass_mark=form.pass_mark.data or 80,
        quiz_size=form.quiz_size.data or 0, report_min_chars=form.report_min_chars.data or 0,
        lecture_at=lecture_at, lecture_place=form.lecture_place.data or "",
        member_ids=form.member_ids.data or [])


def _upload(form: TaskForm, unit_id: int, current: int | None, stored: list[int]) -> int | None:
    """Store a newly chosen file (its id noted in `stored`, to undo on refusal), keep the current one, or drop it."""
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        file_id = study.store_upload(db(), current_user, unit_id=unit_id, stream=upload.stream,
                                     filename=upload.filename).id
        stored.append(file_id)
        return file_id
    return None if form.remove_file.data else current


def _undo_uploads(stored: list[int]) -> None:
    """A refused save keeps no upload: the stored file and its row are removed again."""
    for file_id in stored:
        study.discard_upload(db(), current_user, file_id=file_id)


@bp.route("/manage/units/<int:unit_id>/tasks/new", methods=["GET", "POST"])
@leader_required
def new_task(unit_id: int):
    """Create a task for the unit (or chosen members of it)."""
    session = db()
    unit, _tasks = study.unit_tasks(session, current_user, unit_id=unit_id)
    form = _task_form(unit_id)
    errors, status = [], 200
    if request.method == "GET":
        form.opens_on.data = study.local_today()
        form.due_on.data = form.opens_on.data + timedelta(days=30)
    elif form.validate_on_submit():
        stored: list[int] = []
        try:
            study.check_task_data(_task_data(form, None))  # refuse bad dates before storing any file
            file_id = _upload(form, unit.id, None, stored)
            task = study.create_task(session, current_user, unit_id=unit.id, data=_task_data(form, file_id))
        except DomainError as e:
            _undo_uploads(stored)
            if e.status == 404:
                raise
            errors, status = [str(e.message)], e.status
        else:
            flash(_("The task was created."), "success")
            if task.completion == "quiz":
                return redirect(url_for("study.questions", task_id=task.id))
            return redirect(url_for("study.manage_task", task_id=task.id))
    else:
        errors, status = form_errors(form), 400
    return render("study/task_form.html", form=form, unit=unit, task=None, errors=errors, status=status)


@bp.route("/manage/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@leader_required
def edit_task(task_id: int):
    """Edit a task; members' progress is kept."""
    session = db()
    task = study.get_task_led(session, current_user, task_id)
    unit, _tasks = study.unit_tasks(session, current_user, unit_id=task.org_unit_id)
    form = _task_form(unit.id, TaskForm(obj=task) if request.method == "GET" else None)
    errors, status = [], 200
    if request.method == "GET":
        form.min_minutes.data = max(1, task.min_seconds // 60) if task.min_seconds else 10
        form.member_ids.data = study.assignee_ids(session, task_id=task.id)
        if task.lecture_at:
            form.lecture_at.data = task.lecture_at.astimezone(study.tz()).replace(tzinfo=None)
    elif form.validate_on_submit():
        stored: list[int] = []
        try:
            study.check_task_data(_task_data(form, None))
            file_id = _upload(form, unit.id, task.file_id, stored)
            study.update_task(session, current_user, task_id=task.id, data=_task_data(form, file_id))
        except DomainError as e:
            _undo_uploads(stored)
            if e.status == 404:
                raise
            errors, status = [str(e.message)], e.status
        else:
            flash(_("The task was saved. Members keep their progress."), "success")
            return redirect(url_for("study.manage_task", task_id=task.id))
    else:
        errors, status = form_errors(form), 400
    return render("study/task_form.html", form=form, unit=unit, task=task, file=study.task_file(session, task),
                  errors=errors, status=status)


@bp.post("/manage/tasks/<int:task_id>/archive")
@leader_required
def archive_task(task_id: int):
    """Withdraw a task; credit already earned stays."""
    task = study.get_task_led(db(), current_user, task_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    study.archive_task(db(), current_user, task_id=task_id)
    flash(_("The task was withdrawn. Study hours already earned are kept."), "success")
    return redirect(url_for("study.manage_unit", unit_id=task.org_unit_id))


@bp.get("/manage/tasks/<int:task_id>")
@leader_required
def manage_task(task_id: int):
    """A task: who completed, who is behind, reports to review, attendance, reminders."""
    session = db()
    overview = study.task_overview(session, current_user, task_id=task_id)
    attendance = AttendanceForm()
    attendance.member_ids.choices = [(r.member.id, r.member.name) for r in overview.behind]
    return render("study/manage_task.html", ov=overview, task=overview.task, attendance=attendance,
                  review=ReviewForm(), button=EmptyForm(), file=study.task_file(session, overview.task))


@bp.post("/manage/tasks/<int:task_id>/remind")
@leader_required
def remind(task_id: int):
    """Send an in-app reminder to everyone behind (once a day)."""
    study.get_task_led(db(), current_user, task_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    sent = study.remind_behind(db(), current_user, task_id=task_id)
    if sent:
        flash(ngettext("%(num)d reminder sent.", "%(num)d reminders sent.", sent), "success")
    else:
        flash(_("Everyone behind was already reminded today."), "info")
    return redirect(url_for("study.manage_task", task_id=task_id))


@bp.post("/manage/tasks/<int:task_id>/attendance")
@leader_required
def attendance(task_id: int):
    """Record who attended the lecture: each is credited once."""
    study.get_task_led(db(), current_user, task_id)
    form = AttendanceForm()
    form.member_ids.choices = []
    if not form.validate_on_submit():
        abort(400)
    try:
        credited = study.record_attendance(db(), current_user, task_id=task_id, member_ids=form.member_ids.data or [])
    except DomainError as e:
        if e.status == 404:
            raise
        flash(str(e.message), "error")
    else:
        flash(_("Attendance recorded: %(n)s credited.", n=len(credited)), "success")
    return redirect(url_for("study.manage_task", task_id=task_id))


@bp.post("/manage/progress/<int:progress_id>/review")
@leader_required
def review(progress_id: int):
    """Approve a report or return it with a comment."""
    form = ReviewForm()
    decision = request.form.get("decision")
    back = request.form.get("back", "")
    if not form.validate_on_submit() or decision not in ("approve", "return"):
        flash(" ".join(form_errors(form)) or _("Choose approve or return."), "error")
    else:
        try:
            study.review_report(db(), current_user, progress_id=progress_id, approve=decision == "approve",
                                comment=form.comment.data or "")
        except DomainError as e:
            if e.status == 404:
                raise
            flash(str(e.message), "error")
        else:
            flash(_("Report approved.") if decision == "approve" else _("Report returned with your comment."),
                  "success")
    return redirect(safe_next(back, prefix="/study/manage/") or url_for("study.index"))


@bp.route("/manage/tasks/<int:task_id>/questions", methods=["GET", "POST"])
@leader_required
def questions(task_id: int):
    """A quiz's question bank: the questions, and a form to add one."""
    session = db()
    task, current = study.questions(session, current_user, task_id=task_id)
    form = QuestionForm()
    errors, status = [], 200
    if request.method == "POST":
        if form.validate_on_submit():
            options, correct = question_options(form)
            try:
                study.add_question(session, current_user, task_id=task_id, kind=form.kind.data, text=form.text.data,
                                   options=options, correct=correct)
            except DomainError as e:
                errors, status = [str(e.message)], e.status
            else:
                flash(_("Question added."), "success")
                return redirect(url_for("study.questions", task_id=task_id) + "#add")
        else:
            errors, status = form_errors(form), 400
    return render("study/questions.html", task=task, questions=current, form=form, options=option_fields(form),
                  errors=errors, status=status, button=EmptyForm())


@bp.route("/manage/questions/<int:question_id>/edit", methods=["GET", "POST"])
@leader_required
def edit_question(question_id: int):
    """Edit a question (a new version; past attempts keep the old one)."""
    session = db()
    question = study.get_question_led(session, current_user, question_id=question_id)
    form = QuestionForm()
    errors, status = [], 200
    if request.method == "GET":
        form.kind.data, form.text.data = question.kind, question.text
        for i, option in enumerate(question.options):
            getattr(form, f"option_{i}").data = option
            getattr(form, f"correct_{i}").data = i in question.correct
    elif form.validate_on_submit():
        options, correct = question_options(form)
        try:
            study.replace_question(session, current_user, question_id=question_id, kind=form.kind.data,
                                   text=form.text.data, options=options, correct=correct)
        except DomainError as e:
            if e.status == 404:
                raise
            errors, status = [str(e.message)], e.status
        else:
            flash(_("Question saved."), "success")
            return redirect(url_for("study.questions", task_id=question.task_id))
    else:
        errors, status = form_errors(form), 400
    return render("study/question_edit.html", question=question, form=form, options=option_fields(form),
                  errors=errors, status=status)


@bp.post("/manage/questions/<int:question_id>/retire")
@leader_required
def retire_question(question_id: int):
    """Remove a question from the bank (past attempts keep it)."""
    question = study.get_question_led(db(), current_user, question_id=question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    study.retire_question(db(), current_user, question_id=question_id)
    flash(_("Question removed."), "success")
    return redirect(url_for("study.questions", task_id=question.task_id))


@bp.get("/manage/members/<int:member_id>/card")
@leader_required
def member_card(member_id: int):
    """A member's 学时 this year, for the card on the workspace's member page (loaded by htmx)."""
    card = study.member_card(db(), current_user, member_id=member_id)
    return render("study/_member_card.html", card=card)

