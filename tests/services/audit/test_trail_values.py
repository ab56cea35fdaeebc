"""How the trail shows stored values to people."""
from services.audit.trail import items


def test_times_are_shown_in_the_citys_time(app):
    """Is a stored UTC moment shown as Shanghai's date and time, and a plain text left alone?"""
    with app.test_request_context():
        shown = dict(items('{"due_at": "2026-12-10T07:40:58+00:00", "text": "2026-12-10T07:40 note"}'))
    assert "2026/12/10 15:40" in shown.values()
    assert "2026-12-10T07:40 note" in shown.values()
