"""gunicorn settings: workers from the CPU count, sane timeouts, bind from HOST/PORT."""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# The app writes one JSON line per request itself (ops/logs.py, with the route template instead of the
# path, which may hold a check-in code); gunicorn's own access log only when ACCESS_LOG names a file or "-".
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "ops.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            # (with a logging config gunicorn always logs access lines: kept only when ACCESS_LOG asks)
            "gunicorn.access": {"level": "INFO" if accesslog else "WARNING", "handlers": ["console"],
                                "propagate": False},
        },
    }
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
