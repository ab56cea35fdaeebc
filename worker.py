"""The background worker (huey): periodic jobs that call the same services as the web app.

Run it with `huey_consumer worker.huey` (the Procfile's worker). The queue lives in Redis when
REDIS_URL is set, else in an SQLite file in instance/. This module and the WSGI entry are the
only ones that build an app at import.
"""
import logging

import redis
from huey import RedisHuey, SqliteHuey, crontab

from app import create_app
from config import INSTANCE_DIR, Config
from ops import log_tasks

log = logging.getLogger(__name__)


def make_huey(config: Config):
    """The queue for this deployment."""
    if config.REDIS_URL:
        # short timeouts: with Redis gone, enqueueing fails fast and ops.queue.enqueue degrades
        pool = redis.ConnectionPool.from_url(config.REDIS_URL, socket_connect_timeout=2, socket_timeout=5,
                                             health_check_interval=30)
        return RedisHuey("servicecircle", connection_pool=pool, immediate=config.HUEY_IMMEDIATE)
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("servicecircle", filename=str(INSTANCE_DIR / "huey.db"), immediate=config.HUEY_IMMEDIATE)


config = Config()
app = create_app(config)
huey = make_huey(config)
log_tasks(huey)  # one JSON line per task: name, duration, outcome (ops/logs.py)


@huey.periodic_task(crontab(minute="*/5"))
def close_forgotten_checkouts() -> int:
    """Close check-ins whose member forgot to check out (activity end, closing time or 8 hours)."""
    from models.db import get_session, unscoped
    from services.checkin import close_stale

    with app.app_context():
        session = get_session()
        with unscoped(session):
            closed = close_stale(session)
    log.info("closed %s forgotten check-outs", closed)
    return closed


@huey.periodic_task(crontab(minute="*"))
def send_due_notifications() -> int:
    """Each minute: claim the deliveries that are due (push, SMS) and send them (services/notify/sweeper.py)."""
    from models.db import get_session
    from services import notify

    with app.app_context():
        result = notify.sweep(get_session(), budget_seconds=50)
    log.info("notifications: %s sent, %s retried, %s failed", result.sent, result.retried, result.failed,
             extra={"fields": {"event": "notify_sweep", "sent": result.sent, "retried": result.retried,
                               "failed": result.failed, "skipped": result.skipped, "released": result.released}})
    return result.sent


@huey.periodic_task(crontab(minute="0", hour="1"))  # 09:00 in Shanghai (huey's crontab runs in UTC)
def branch_reminders() -> dict:
    """The branch's own reminders: committee terms ending (6 and 1 months before), political birthdays."""
    from models.db import get_session
    from services.workspace import send_due

    with app.app_context():
        told = send_due(get_session())
    log.info("branch reminders: %s", told)
    return told


# -- privacy (issue 14): downloads waiting to be built, accounts due for anonymisation, retention ---------------

@huey.periodic_task(crontab(minute="*"))
def build_data_exports() -> int:
    """Each minute: build the members' downloads that wait (services/privacy/exports.py) and tell them."""
    from models.db import get_session, unscoped
    from services import privacy

    with app.test_request_context():  # the inbox message is written in the catalogue's language
        session = get_session()
        with unscoped(session):
            built = privacy.build_pending(session)
    if built:
        log.info("built %s data exports", built, extra={"fields": {"event": "exports_built", "count": built}})
    return built


@huey.periodic_task(crontab(minute="23"))
def privacy_hourly() -> dict:
    """Each hour: anonymise the accounts whose 7 days are over, then purge what is past its retention period."""
    from models.db import get_session, unscoped
    from services import privacy

    with app.test_request_context():
        session = get_session()
        with unscoped(session):
            anonymised = privacy.run_due(session)
            purged = privacy.purge(session)
    log.info("privacy: %s accounts anonymised", anonymised,
             extra={"fields": {"event": "privacy_hourly", "anonymised": anonymised}})
    return {"anonymised": anonymised, **purged}
