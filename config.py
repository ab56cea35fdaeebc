"""Configuration read from the environment, with secrets generated once into instance/."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no flag from the environment."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(name: str) -> str:
    """Return a secret kept in instance/, generating it on first use."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def default_database_url() -> str:
    """The embedded SQLite database in instance/."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'servicecircle.db'}"


# Tile hosts each map provider needs in the CSP's img-src.
TILE_HOSTS = {
    "local": [],
    "osm": ["https://tile.openstreetmap.org"],
    "tianditu": ["https://*.tianditu.gov.cn"],
    "amap": ["https://*.is.autonavi.com"],
}


def tile_hosts(provider: str) -> list[str]:
    """The image hosts of a tile provider (none for the local stand-in tiles)."""
    return list(TILE_HOSTS.get(provider, []))


# Meeting compliance (三会一课, 中国共产党支部工作条例（试行）): per kind, how many meetings a period needs,
# counted from meetings held with their minutes locked. `per_group`: each group (党小组) of the branch
# needs its own. A unit with other rules changes this table (or sets MEETING_RULES on the Config).
MEETING_RULES = (
    {"kind": "branch_assembly", "period": "quarter", "count": 1},  # 支部党员大会
    {"kind": "committee", "period": "month", "count": 1},  # 支委会
    {"kind": "group", "period": "month", "count": 1, "per_group": True},  # 党小组会
    {"kind": "lecture", "period": "quarter", "count": 1},  # 党课
    {"kind": "theme_day", "period": "month", "count": 1},  # 主题党日
    {"kind": "life_meeting", "period": "year", "count": 1},  # 组织生活会
    {"kind": "review", "period": "year", "count": 1},  # 民主评议党员
)


# Branch rating (党建质量评定, issue 13): indicator weights (meetings held, attendance, study completion,
# service hours), the split between the indicators and the members' evaluation, the grades' lower bounds,
# the service hours a member is expected to give a year, and the answers needed before the evaluation counts.
RATING_WEIGHTS = {"meetings": 30, "attendance": 25, "study": 25, "service": 20}
RATING_SPLIT = {"indicators": 60, "evaluation": 40}
RATING_GRADES = ((90, "good"), (80, "fairly_good"), (60, "average"), (0, "poor"))  # 好 / 较好 / 一般 / 差
RATING_SERVICE_HOURS = 12
RATING_MIN_ANSWERS = 5
# Privacy (issue 14): how long things are kept, in one place; the privacy page shows these figures.
# Each can be set from the environment as RETENTION_<NAME> (e.g. RETENTION_CHECKIN_GEOFENCE_DAYS=30).
RETENTION = {
    "checkin_geofence_days": 30,  # inside/outside, distance and accuracy of a check-in; the hours stay
    "push_unused_days": 90,  # a push device no message has reached for this long
    "signin_attempts_days": 30,  # records of sign-in attempts (when kept)
    "sessions_expired_days": 7,  # ended or expired sign-ins, after their end
    "notifications_read_days": 365,  # read messages in the inbox
    "export_link_hours": 72,  # a download of one's data; the file is deleted when the link expires
    "deletion_cooling_days": 7,  # between a deletion request and the anonymisation
}


def retention_from_env() -> dict:
    """The retention periods, each overridable by RETENTION_<NAME> (a whole positive number)."""
    periods = dict(RETENTION)
    for name in periods:
        raw = os.environ.get(f"RETENTION_{name.upper()}")
        if raw and raw.strip().isdigit() and int(raw) > 0:
            periods[name] = int(raw)
    return periods


class Config:
    """Production defaults; every value can come from the environment."""

    def __init__(self) -> None:
        self.DEBUG = _env_bool("FLASK_DEBUG")
        self.TESTING = False
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _instance_secret("secret_key")
        self.DATABASE_URL = os.environ.get("DATABASE_URL") or default_database_url()
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
        self.DEMO_MODE = _env_bool("DEMO_MODE", True)
        self.BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
        self.BABEL_DEFAULT_TIMEZONE = self.TIMEZONE
        self.LANGUAGES = {"zh_Hans_CN": "简体中文", "en": "English"}
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", not self.DEBUG)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_NAME = "sc_session"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_NAME = "sc_remember"
        self.SESSION_IDLE_HOURS = int(os.environ.get("SESSION_IDLE_HOURS", "12"))
        self.REMEMBER_DAYS = int(os.environ.get("REMEMBER_DAYS", "30"))
        # the remember-me cookie lives as long as the server session it names (Flask-Login's default is a year)
        self.REMEMBER_COOKIE_DURATION = timedelta(days=self.REMEMBER_DAYS)
        self.WTF_CSRF_TIME_LIMIT = None  # bound to the session instead; a stale token fails with the session
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Redis down: limits are counted in memory (per process) until it answers again, with a
        # logged warning, instead of failing every request; short timeouts so a lost Redis never stalls a page
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = bool(self.REDIS_URL)
        self.RATELIMIT_STORAGE_OPTIONS = ({"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
                                          if self.REDIS_URL else {})
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")  # apps sharing one Redis
        self.LOGIN_LIMIT_ACCOUNT = os.environ.get("LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes")
        self.LOGIN_LIMIT_ADDRESS = os.environ.get("LOGIN_LIMIT_ADDRESS", "20 per 15 minutes")
        # one account from addresses without its device cookie (services/accounts/throttle.py)
        self.LOGIN_LIMIT_ACCOUNT_ANY = os.environ.get("LOGIN_LIMIT_ACCOUNT_ANY", "30 per 1 hour")
        # OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
        self.ARGON2_TIME_COST = 2
        self.ARGON2_MEMORY_KIB = 19456
        self.ARGON2_PARALLELISM = 1
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_MB", "20")) * 1024 * 1024
        self.PREFERRED_URL_SCHEME = "https" if self.SESSION_COOKIE_SECURE else "http"
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or None
        self.HUEY_IMMEDIATE = _env_bool("HUEY_IMMEDIATE", False)
        self.BENCH_HELLO = _env_bool("BENCH_HELLO", False)
        # Study (学习): yearly targets in 学时, heartbeat interval, upload and report limits.
        self.STUDY_TARGET_MEMBER = int(os.environ.get("STUDY_TARGET_MEMBER", "32"))
        self.STUDY_TARGET_LEADER = int(os.environ.get("STUDY_TARGET_LEADER", "56"))
        self.STUDY_HEARTBEAT_SECONDS = int(os.environ.get("STUDY_HEARTBEAT_SECONDS", "15"))
        self.STUDY_UPLOAD_MAX_BYTES = int(os.environ.get("STUDY_UPLOAD_MAX_MB", "20")) * 1024 * 1024
        self.STUDY_REPORT_MAX_CHARS = int(os.environ.get("STUDY_REPORT_MAX_CHARS", "20000"))
        self.UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or str(INSTANCE_DIR / "uploads")
        self.CSP_MEDIA_HOSTS = os.environ.get("CSP_MEDIA_HOSTS", "").split()
        # check-in (issue 3): hours rounded down to this many minutes, at most this many hours a day,
        # forgotten check-outs closed after this many hours; the CJK font for the certificate PDF
        self.CHECKIN_ROUND_MINUTES = int(os.environ.get("CHECKIN_ROUND_MINUTES", "30"))
        self.CHECKIN_DAILY_CAP_HOURS = float(os.environ.get("CHECKIN_DAILY_CAP_HOURS", "8"))
        self.CHECKIN_MAX_OPEN_HOURS = float(os.environ.get("CHECKIN_MAX_OPEN_HOURS", "8"))
        self.CHECKIN_PDF_FONT = os.environ.get("CHECKIN_PDF_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
        # geo (issue 4): map tiles, and a routing engine for walking times (optional)
        self.TILE_PROVIDER = os.environ.get("TILE_PROVIDER") or ("local" if self.DEMO_MODE else "osm")
        self.TIANDITU_KEY = os.environ.get("TIANDITU_KEY", "")
        self.CSP_IMG_HOSTS = tile_hosts(self.TILE_PROVIDER)
        self.ROUTING_URL = os.environ.get("ROUTING_URL") or None
        self.ROUTING_ENGINE = os.environ.get("ROUTING_ENGINE", "osrm")  # osrm | valhalla
        self.ROUTING_TIMEOUT = float(os.environ.get("ROUTING_TIMEOUT", "1.5"))
        # meetings (issue 11): the compliance table, attachment size, how early the attendance code shows
        self.MEETING_RULES = MEETING_RULES
        self.MEETING_UPLOAD_MAX_BYTES = int(os.environ.get("MEETING_UPLOAD_MAX_MB", "10")) * 1024 * 1024
        self.MEETING_CODE_OPENS_MINUTES = int(os.environ.get("MEETING_CODE_OPENS_MINUTES", "30"))
        # operations (issue 15): proxies in front whose X-Forwarded-* headers are trusted (nginx: 1),
        # how long a SQLite writer waits for the lock before the request answers 503
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
        self.SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "10000"))
        self.COMPRESS_MIN_BYTES = int(os.environ.get("COMPRESS_MIN_BYTES", "500"))
        self.STATIC_COMPRESS_AT_START = _env_bool("STATIC_COMPRESS_AT_START", True)
        # notifications (issue 12): Web Push (VAPID key from the environment, else generated once into
        # instance/), the worker's claims and retries, text messages (off unless SMS_PROVIDER is set)
        self.VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None
        self.VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:admin@servicecircle.invalid")
        self.PUSH_EXTRA_HOSTS = os.environ.get("PUSH_EXTRA_HOSTS", "")  # push services on plain http (tests)
        self.PUSH_TIMEOUT = float(os.environ.get("PUSH_TIMEOUT", "10"))
        self.PUSH_CONCURRENCY = int(os.environ.get("PUSH_CONCURRENCY", "8"))  # messages in flight per worker
        self.NOTIFY_CLAIM_STALE_SECONDS = int(os.environ.get("NOTIFY_CLAIM_STALE_SECONDS", "300"))
        self.NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "6"))
        self.SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "")
        self.SMS_ACCESS_KEY_ID = os.environ.get("SMS_ACCESS_KEY_ID", "")
        self.SMS_ACCESS_KEY_SECRET = os.environ.get("SMS_ACCESS_KEY_SECRET", "")
        self.SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
        self.SMS_TEMPLATES = os.environ.get("SMS_TEMPLATES", "")
        self.SMS_ENDPOINT = os.environ.get("SMS_ENDPOINT", "")
        self.SMS_DAILY_LIMIT = int(os.environ.get("SMS_DAILY_LIMIT", "10"))
        # workspace (issue 13): the branch rating's weights, split, grades and thresholds (see RATING_* above)
        self.RATING_WEIGHTS = dict(RATING_WEIGHTS)
        self.RATING_SPLIT = dict(RATING_SPLIT)
        self.RATING_GRADES = RATING_GRADES
        self.RATING_SERVICE_HOURS = float(os.environ.get("RATING_SERVICE_HOURS", str(RATING_SERVICE_HOURS)))
        self.RATING_MIN_ANSWERS = int(os.environ.get("RATING_MIN_ANSWERS", str(RATING_MIN_ANSWERS)))
        # privacy (issue 14): retention periods (RETENTION above); exports up to this many rows are built
        # in the request, larger ones by the worker; where the ZIPs wait for their download
        self.RETENTION = retention_from_env()
        self.PRIVACY_EXPORT_INLINE_ROWS = int(os.environ.get("PRIVACY_EXPORT_INLINE_ROWS", "5000"))
        self.PRIVACY_EXPORT_DIR = os.environ.get("PRIVACY_EXPORT_DIR") or str(INSTANCE_DIR / "exports")


class TestConfig(Config):
    """A fresh in-process setup for tests: fast hashing, no secure cookies."""

    def __init__(self, database_url: str | None = None) -> None:
        super().__init__()
        self.TESTING = True
        self.DEBUG = False
        self.SECRET_KEY = "test-secret-key"
        self.DATABASE_URL = database_url or os.environ.get("TEST_DATABASE_URL") or "sqlite://"
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_SECURE = False
        self.PREFERRED_URL_SCHEME = "http"
        self.RATELIMIT_STORAGE_URI = "memory://"
        redis_url = os.environ.get("TEST_REDIS_URL")
        if redis_url:  # the PostgreSQL run of CI: limits in Redis (emptied for each test by the app fixture)
            self.REDIS_URL = self.RATELIMIT_STORAGE_URI = redis_url
            self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
            self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_KIB = 1024
        self.HUEY_IMMEDIATE = True
        self.DEMO_MODE = True
        self.TILE_PROVIDER = "local"  # tests never reach outside tile servers
        self.CSP_IMG_HOSTS = []
        self.ROUTING_URL = None
