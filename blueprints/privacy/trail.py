"""留痕记录: the audit trail of the units a secretary runs (everything for an administrator), filterable."""
from flask import request
from flask_login import current_user

from blueprints.privacy.routes import bp, private
from blueprints.web import db, leader_required, render
from services import audit
from services.errors import DomainError

MAX_ID = 2**31 - 1


@bp.get("/audit/")
@leader_required
def trail():
    """The trail, newest first: filter by member, action and dates; a filter that makes no sense says so."""
    session = db()
    args = request.args
    error, rows, filters = None, [], audit.Filters()
    try:
        filters = audit.parse_filters(member=args.get("member"), action=args.get("action"),
                                      since=args.get("since"), until=args.get("until"))
        before = args.get("before", "").strip()
        before_id = None
        if before:
            if not before.isdigit() or not 0 < int(before) <= MAX_ID:
                raise DomainError("bad_filter", "")
            before_id = int(before)
        rows = audit.entries(session, current_user, filters=filters, before_id=before_id, limit=audit.PAGE + 1)
    except DomainError as e:
        if e.code != "bad_filter":
            raise
        from flask_babel import gettext as _

        error = str(e.message) if e.message and e.message != "bad_filter" else _("That page of the trail does not exist.")
    more = len(rows) > audit.PAGE
    rows = rows[:audit.PAGE]
    response = render("privacy/trail.html", rows=rows, more=more, filters=filters, raw=args, error=error,
                      members=audit.members_for_filter(session, current_user), actions=audit.ACTIONS,
                      active_tab="me", status=400 if error else 200)
    return private(response)
