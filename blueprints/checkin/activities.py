"""签到 → 志愿活动 and 社区报到: activities (list, sign up, cancel, post) and the home community."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.bounds import arg_int
from blueprints.checkin.forms import ActivityForm, NonceForm
from blueprints.checkin.routes import bp, local_tz, this_year
from blueprints.web import db, form_errors, render
from services import checkin as svc
from services.checkin import CheckInError
from services.errors import DomainError

# -- the member: activities and home community ------------------------------------------------------------------

@bp.get("/checkin/activities")
@login_required
def activities():
    """Volunteer activities to sign up for."""
    session = db()
    can_post = current_user.is_station_staff or current_user.is_secretary
    return render("checkin/activities.html", rows=svc.list_activities(session, member_id=current_user.id),
                  can_post=can_post)


@bp.get("/checkin/activities/<int:activity_id>")
@login_required
def activity(activity_id: int):
    """One activity: time, place, places left, what to bring; sign up or cancel."""
    row = svc.get_activity(db(), activity_id=activity_id, member_id=current_user.id)
    return render("checkin/activity.html", "activity_signup", row=row, button=NonceForm())


@bp.post("/checkin/activities/<int:activity_id>/signup")
@login_required
def signup(activity_id: int):
    """Take a place (never over-filled)."""
    if not NonceForm().validate_on_submit():
        return redirect(url_for("checkin.activity", activity_id=activity_id), 303)
    errors = []
    try:
        svc.sign_up(db(), member_id=current_user.id, activity_id=activity_id)
    except CheckInError as e:
        db().rollback()
        errors = [str(e.message)]
    row = svc.get_activity(db(), activity_id=activity_id, member_id=current_user.id)
    if not errors and row.signed_up:
        flash(_("You signed up. See you there!"), "success")
    if request.headers.get("HX-Request") == "true":
        return render("checkin/activity.html", "activity_signup", row=row, button=NonceForm(), errors=errors,
                      status=409 if errors else 200)
    if errors:
        flash(errors[0], "error")
    return redirect(url_for("checkin.activity", activity_id=activity_id), 303)


@bp.post("/checkin/activities/<int:activity_id>/cancel")
@login_required
def cancel(activity_id: int):
    """Give the place back."""
    if NonceForm().validate_on_submit():
        svc.cancel_signup(db(), member_id=current_user.id, activity_id=activity_id)
        flash(_("Your place was given back."), "info")
    return redirect(url_for("checkin.activity", activity_id=activity_id), 303)


def _activity_stations(session):
    stations = svc.staff_stations(session, current_user)
    community = svc.community_status(session, member_id=current_user.id, year=this_year()).station
    if community is not None and community.id not in {s.id for s in stations}:
        stations.append(community)
    return stations


@bp.route("/checkin/activities/new", methods=["GET", "POST"])
@login_required
def new_activity():
    """Post an activity (station staff, secretaries)."""
    if not (current_user.is_station_staff or current_user.is_secretary):
        abort(403)
    session = db()
    form = ActivityForm()
    form.station_id.choices = [(s.id, s.name) for s in _activity_stations(session)]
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            tz = local_tz()
            try:
                act = svc.create_activity(session, current_user, station_id=form.station_id.data,
                                          title=form.title.data, starts_at=form.starts_at.data.replace(tzinfo=tz),
                                          ends_at=form.ends_at.data.replace(tzinfo=tz), slots=form.slots.data,
                                          place=form.place.data or "", bring=form.bring.data or "",
                                          description=form.description.data or "")
            except DomainError as e:
                session.rollback()
                errors, status = [str(e.message)], e.status
            else:
                flash(_("The activity is posted."), "success")
                return redirect(url_for("checkin.activity", activity_id=act.id), 303)
        else:
            errors, status = form_errors(form), 400
    return render("checkin/activity_new.html", form=form, errors=errors, status=status)


@bp.get("/checkin/community")
@login_required
def community():
    """在职党员到社区报到: the home community station and the hours served there this year."""
    session = db()
    q = request.args.get("q", "")[:40]
    return render("checkin/community.html", "community_results",
                  status_=svc.community_status(session, member_id=current_user.id, year=this_year()),
                  results=svc.search_stations(session, q=q), q=q, button=NonceForm())


@bp.post("/checkin/community")
@login_required
def register_community():
    """Register with (or change) the home community."""
    if NonceForm().validate_on_submit():
        station_id = arg_int(request.form, "station_id") or 0
        svc.register_community(db(), member_id=current_user.id, station_id=station_id)
        flash(_("You are registered with this community."), "success")
    return redirect(url_for("checkin.community"), 303)
