"""The privacy blueprint: the public privacy page; the member's and the secretary's screens register here too."""
from flask import Blueprint

bp = Blueprint("privacy", __name__)
ID = "int(max=2147483647)"  # ids are INTEGER columns: a longer one is simply not found


def private(response):
    """Personal pages are never cached, by the browser's back button or the service worker."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


from blueprints.privacy import member, requests, trail  # noqa: E402,F401
