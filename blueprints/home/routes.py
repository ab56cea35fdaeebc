"""The home page: what matters to the member today."""
from flask import Blueprint
from flask_login import current_user, login_required

from blueprints.web import db, render
from services import checkin, stations, study
from services.accounts import orgs

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """Today at a glance, and the branch entry for a secretary."""
    branch, group = orgs.my_units(db(), current_user)
    led = orgs.led_summaries(db(), current_user) if current_user.is_secretary else []
    return render("home/index.html", branch=branch, group=group, led=led,
                  checkin_card=checkin.today_card(db(), current_user),
                  study_card=study.home_card(db(), current_user),
                  stations_card=stations.home_card(db(), current_user))
