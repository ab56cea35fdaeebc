"""Structured logs: one JSON line per record, one line per request, one line per worker task.

Every line carries the time (UTC), the level, the logger and a message; a request line adds the
request id, method, route template (never the path: paths carry check-in codes), status, duration
and the member's id; a task line adds the task, its duration and outcome. Messages and exception
texts pass through `scrub`, which masks what looks like a phone number, a coordinate, a code, a
token or a name, so that a database error quoting a row cannot put a member's data in the logs.
"""
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import secrets
from datetime import datetime, timezone

REQUEST_ID_HEADER = "X-Request-ID"
ENV_REQUEST_ID = "sc.request_id"  # the WSGI environ keys the app fills for the request line
ENV_ROUTE = "sc.route"
ENV_USER = "sc.user_id"
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

request_log = logging.getLogger("sc.request")
task_log = logging.getLogger("sc.task")

# -- scrubbing -------------------------------------------------------------------------------

_SCRUBS = (
    (re.compile(r"\b[rpm]\.\d+\.\d+\.[A-Za-z0-9_-]{6,}"), "<code>"),  # QR codes (services.checkin.codes)
    (re.compile(r"[A-Za-z0-9_\-]{16,}"), None),  # session and CSRF tokens, secrets (see _token)
    (re.compile(r"-?\d{1,3}\.\d{3,}"), "<num>"),  # coordinates and other precise decimals
    (re.compile(r"\+?\d[\d -]{4,}\d"), "<digits>"),  # phone numbers, one-time codes, document numbers
    (re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+"), "<zh>"),  # names and other Chinese text
)


def _token(match: re.Match) -> str:
    """Mask a long run that mixes letters and digits (a token); keep long plain words."""
    text = match.group(0)
    has_digit = any(c.isdigit() for c in text)
    has_alpha = any(c.isalpha() for c in text)
    return "<token>" if has_digit and has_alpha else text


def scrub(text: str) -> str:
    """The text with personal data and secrets masked."""
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement if replacement is not None else _token, text)
    return text


# -- the JSON formatter ----------------------------------------------------------------------

_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id, and any `fields` given."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or _current_request_id()
        if request_id:
            data["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            kind, value, tb = record.exc_info
            data["error"] = kind.__name__
            data["error_msg"] = scrub(str(value))[:500]
            data["trace"] = scrub("".join(traceback.format_tb(tb)))[-4000:]
        return json.dumps(data, ensure_ascii=False, default=str)


def _current_request_id() -> str | None:
    """The id of the request being handled on this thread, if any."""
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover - flask is always there
        return None
    if has_request_context():
        return request.environ.get(ENV_REQUEST_ID)
    return None


_configured = threading.Lock()
_HANDLER_NAME = "sc-json"
_factory_installed = False


def _install_record_factory() -> None:
    """Stamp each record with the request id when it is made (a handler may format it later)."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id()
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def configure_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Send every log record to stderr as JSON (LOG_FORMAT=text for plain lines); idempotent.

    Werkzeug's development-server lines (full paths, with codes in them) are left out: the
    request line below replaces them.
    """
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    fmt = (fmt or os.environ.get("LOG_FORMAT") or "json").lower()
    root = logging.getLogger()
    with _configured:
        if not any(getattr(h, "name", None) == _HANDLER_NAME or isinstance(h.formatter, JsonFormatter)
                   for h in root.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.name = _HANDLER_NAME
            handler.setFormatter(JsonFormatter() if fmt == "json" else
                                 logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            root.addHandler(handler)
        root.setLevel(level)
        _install_record_factory()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


# -- one line per request --------------------------------------------------------------------

def new_request_id(incoming: str | None) -> str:
    """The proxy's request id when it looks like one, else a fresh one."""
    if incoming and _INCOMING_ID.match(incoming):
        return incoming
    return secrets.token_hex(8)


class RequestLog:
    """WSGI middleware (outermost): gives each request an id, echoes it in a header, and logs one
    JSON line when the response is done, static files included."""

    def __init__(self, app, static_prefix: str = "/static/"):
        self.app = app
        self.static_prefix = static_prefix

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = new_request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENV_REQUEST_ID] = request_id
        seen: dict = {}

        def _start(status, headers, exc_info=None):
            seen["status"] = status
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, _start)
        except Exception:
            self._log(environ, started, "500 INTERNAL SERVER ERROR")
            raise
        return _Closing(body, lambda: self._log(environ, started, seen.get("status", "500")))

    def _log(self, environ, started: float, status_line: str) -> None:
        path = environ.get("PATH_INFO", "")
        route = environ.get(ENV_ROUTE)
        if route is None:
            route = "static" if path.startswith(self.static_prefix) else "<unmatched>"
        try:
            status = int(str(status_line).split(" ", 1)[0])
        except ValueError:
            status = 0
        fields = {
            "request_id": environ.get(ENV_REQUEST_ID),
            "event": "request",
            "method": environ.get("REQUEST_METHOD", ""),
            "route": route,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "user_id": environ.get(ENV_USER),
        }
        level = logging.WARNING if status == 503 else logging.ERROR if status >= 500 else logging.INFO
        request_log.log(level, "request", extra={"fields": fields})


class _Closing:
    """The response body, calling `done` once when the server closes it."""

    def __init__(self, body, done):
        self.body = body
        self.done = done
        if hasattr(body, "fileno"):  # let the server send a static file with sendfile
            self.fileno = body.fileno

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done()


def init_request_fields(app) -> None:
    """Tell the request line which route answered and who asked (the member's id, nothing else)."""
    from flask import g, request

    @app.after_request
    def _note_route(response):
        rule = request.url_rule
        environ = request.environ
        environ[ENV_ROUTE] = rule.rule if rule is not None else "<unmatched>"
        user = g.get("_login_user")  # Flask-Login's user of this request, if it was loaded (never load it here)
        if user is not None and getattr(user, "is_authenticated", False):
            environ[ENV_USER] = getattr(user, "id", None)
        return response

    @app.context_processor
    def _request_id():
        return {"request_id": request.environ.get(ENV_REQUEST_ID)}


# -- the worker ------------------------------------------------------------------------------

def log_tasks(huey) -> None:
    """One JSON line per task run by the worker: task, id, duration, outcome (huey's signals)."""
    from huey import signals as S

    started: dict = {}
    lock = threading.Lock()
    final = {S.SIGNAL_COMPLETE: "complete", S.SIGNAL_ERROR: "error", S.SIGNAL_RETRYING: "retrying",
             S.SIGNAL_CANCELED: "canceled", S.SIGNAL_EXPIRED: "expired", S.SIGNAL_REVOKED: "revoked",
             S.SIGNAL_LOCKED: "locked", S.SIGNAL_TIMEOUT: "timeout", S.SIGNAL_INTERRUPTED: "interrupted",
             S.SIGNAL_RATE_LIMITED: "rate-limited"}

    @huey.signal()
    def _on_signal(signal, task, *args, **kwargs):
        if signal == S.SIGNAL_EXECUTING:
            with lock:
                started[task.id] = time.perf_counter()
            return
        if signal not in final:
            return
        with lock:
            began = started.pop(task.id, None)
        fields = {"event": "task", "task": task.name, "task_id": task.id, "outcome": final[signal],
                  "duration_ms": round((time.perf_counter() - began) * 1000, 2) if began else None}
        exc = args[0] if args else kwargs.get("exc")
        if signal == S.SIGNAL_ERROR and isinstance(exc, BaseException):
            task_log.error("task", extra={"fields": fields}, exc_info=(type(exc), exc, exc.__traceback__))
        else:
            task_log.log(logging.WARNING if signal in (S.SIGNAL_TIMEOUT, S.SIGNAL_INTERRUPTED) else logging.INFO,
                         "task", extra={"fields": fields})
