"""Putting work on the worker's queue, with a way through when the queue's store is down.

The queue lives in Redis when REDIS_URL is set (worker.make_huey). If Redis cannot be reached,
`enqueue` logs a warning and either runs the task here and now (`fallback="inline"`, the default:
right for work that must happen, such as a notice) or drops it (`fallback="skip"`: right for work
a periodic sweep will redo anyway). Either way the request that asked goes on.
"""
import logging
import sqlite3

log = logging.getLogger(__name__)


def _queue_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [sqlite3.OperationalError, ConnectionError, TimeoutError]
    try:
        import redis

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover - redis is pinned
        pass
    return tuple(errors)


def enqueue(task, *args, fallback: str = "inline", **kwargs):
    """Queue a huey task; when the queue is unreachable, run it in place or skip it (logged)."""
    if fallback not in ("inline", "skip"):
        raise ValueError("fallback must be 'inline' or 'skip'")
    try:
        return task(*args, **kwargs)
    except _queue_errors() as e:
        name = getattr(task, "name", None) or getattr(task, "__name__", "task")
        log.warning("task queue unreachable: %s", "ran the task in place" if fallback == "inline" else "task skipped",
                    extra={"fields": {"event": "queue_degraded", "task": name, "error": type(e).__name__,
                                      "fallback": fallback}})
        if fallback == "inline":
            return task.call_local(*args, **kwargs)
        return None
