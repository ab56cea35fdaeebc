"""我的: the member's own profile and settings."""
from flask import Blueprint, request
from flask_login import current_user, login_required

from blueprints.auth.forms import LanguageForm
from blueprints.web import db, render
from models import Member
from models.db import unscoped
from services import stations
from services.accounts import members, orgs

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.get("/")
@login_required
def index():
    """Profile, language, password, sign out."""
    session = db()
    with unscoped(session):
        member = session.get(Member, current_user.id)
    branch, group = orgs.my_units(session, current_user)
    history = members.membership_history(session, member_id=current_user.id)
    return render("me/index.html", member=member, branch=branch, group=group, history=history,
                  language_form=LanguageForm(), next_url=request.path,
                  location_consent=stations.consent_of(session, member_id=current_user.id))
