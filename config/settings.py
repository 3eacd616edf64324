"""Settings: defaults run on one machine with SQLite; the environment switches to
PostgreSQL + Redis (DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS)."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BANSHI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DEBUG=0 needs a SECRET_KEY from the environment")
# Behind a TLS-terminating proxy (deploy/nginx.conf): trust its X-Forwarded-Proto.
if env_bool("BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "treebeard",
    "axes",
    "ninja",  # serves the API docs page (Swagger UI) from its own static files, no CDN
    # bounded contexts, each depending only on those above it
    "core",
    "orgs",
    "taxonomy",
    "tracking",
    "textintel",
    "cases",
    "commitments",
    "supervision",
    "participation",
    "figures",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.replica.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
                "supervision.context_processors.bell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
_sqlite_url = f"sqlite:///{VAR_DIR / 'banshi.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _sqlite_url),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue on a file lock rather than SQLite's sleeping busy handler.
    DATABASES["default"]["ENGINE"] = "config.sqlite_backend"
    # Connections persist (CONN_MAX_AGE above) as on PostgreSQL: opening one costs
    # ~1.5 ms a request, as SQLite re-reads the whole schema.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock
        # up front so two writers queue instead of failing on lock upgrade.
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=10000;PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 10,
    }
if os.environ.get("DATABASE_REPLICA_URL"):
    # A read replica (streaming replication) for the heavy read-only pages: see
    # config/replica.py. Tests run it as a mirror of the test database.
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
# GET/HEAD of these views (namespaced URL names) read from the replica when there is
# one: read-only lists, search, figures and public boards, where a second of
# replication lag is harmless. Action queues (triage, inbox) stay on the primary.
REPLICA_VIEWS: list[str] = [
    "cases:list",
    "figures:dashboard",
    "figures:ranking",
    "figures:cases",
    "figures:commitments",
    "commitments:items",
    "commitments:board",
    "supervision:board",
    "participation:board",
    "participation:units",
    "participation:case-results",
    "participation:wall",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, sessions ------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# 等保 2.0: idle staff sessions end after 30 minutes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# --- auth -----------------------------------------------------------------
AUTH_USER_MODEL = "orgs.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "public-home"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "orgs.passwords.CharacterClassValidator"},
]
# Lockout after repeated failures (等保 2.0), by django-axes.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Banshi ---------------------------------------------------------------
SITE_NAME = os.environ.get("BANSHI_SITE_NAME", "我为群众办实事")
# Each app adds a `demo` module here; `seed_demo` runs them in order.
DEMO_SEEDERS = [
    "orgs.demo",
    "taxonomy.demo",
    "cases.demo",
    "commitments.demo",
    # participation's wishes and orders exist before supervision puts items on the ladder
    "participation.demo",
    "supervision.demo",
    "figures.demo",
]
# Each entry is a callable run by `run_periodic` (idempotent).
PERIODIC_JOBS: list[str] = [
    # "app.jobs.function", in the order they run
    "cases.jobs.submissions_catch_up",
    "commitments.jobs.generate_report_slots",
    "supervision.jobs.status_recompute",
    "supervision.jobs.escalate",
    "supervision.jobs.notice_reminders",
    "participation.services.polls_close_expired",
    "cases.textsearch.sync",
    "textintel.jobs.refresh",
    "figures.jobs.rollup_refresh",
    "figures.jobs.snapshot_refresh",
]
# Outside notification channels (supervision/channels.py): log backends by default.
SUPERVISION_CHANNELS = [
    c
    for c in os.environ.get(
        "SUPERVISION_CHANNELS", "supervision.channels.LogSMS,supervision.channels.LogWeCom"
    ).split(",")
    if c
]
# Phone verification: see core/sms.py for plugging in a real gateway.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "core.sms.LogBackend")
# textintel: trained suggesters and the saved duplicate index (shared by app processes).
TEXTINTEL_DIR = Path(os.environ.get("BANSHI_TEXTINTEL_DIR", VAR_DIR / "models"))
# Figures: a dispatched case counts as answered in time (响应率) when signed within this
# many working days of the dispatch day; the briefing's issuer and number prefix.
FIGURES_SIGN_WITHIN_WORKDAYS = int(os.environ.get("FIGURES_SIGN_WITHIN_WORKDAYS", "1"))
FIGURES_BRIEFING_ISSUER = os.environ.get("FIGURES_BRIEFING_ISSUER", "")
FIGURES_BRIEFING_PREFIX = os.environ.get("FIGURES_BRIEFING_PREFIX", "")
PERIODIC_INTERVAL_SECONDS = int(os.environ.get("PERIODIC_INTERVAL_SECONDS", "300"))

# --- cases ------------------------------------------------------------------
# Require an SMS code before a public submission is accepted (needs a real SMS_BACKEND).
CASES_VERIFY_PHONE = env_bool("CASES_VERIFY_PHONE", False)
# A web submission is acknowledged by one queued row (cases.PendingSubmission); the
# case is made right after the answer in the same worker, or, with 0 (production
# mode), by the `drain_submissions` process beside the workers.
CASES_DRAIN_AFTER_RESPONSE = env_bool("CASES_DRAIN_AFTER_RESPONSE", True)
# The drain process answers residents first: it files while no submission arrived for
# QUIET seconds, or when the oldest waiting one is MAX_LAG seconds old.
CASES_DRAIN_QUIET_SECONDS = float(os.environ.get("CASES_DRAIN_QUIET_SECONDS", "0.5"))
CASES_DRAIN_MAX_LAG_SECONDS = float(os.environ.get("CASES_DRAIN_MAX_LAG_SECONDS", "30"))
CASES_DEFAULT_DAYS = int(os.environ.get("CASES_DEFAULT_DAYS", "10"))  # without a category
# Rate limits (django-ratelimit, on the default cache: locmem here, Redis with REDIS_URL).
# Behind a proxy, set RATELIMIT_IP_META_KEY (e.g. HTTP_X_REAL_IP) so limits see the client.
CASES_RATE_SUBMIT_IP = os.environ.get("CASES_RATE_SUBMIT_IP", "30/h")
CASES_RATE_SUBMIT_PHONE = os.environ.get("CASES_RATE_SUBMIT_PHONE", "10/h")
CASES_RATE_SMS_IP = os.environ.get("CASES_RATE_SMS_IP", "20/h")
CASES_RATE_SMS_PHONE = os.environ.get("CASES_RATE_SMS_PHONE", "5/h")
CASES_RATE_FOLLOW_IP = os.environ.get("CASES_RATE_FOLLOW_IP", "120/h")
CASES_RATE_FOLLOW_CODE = os.environ.get("CASES_RATE_FOLLOW_CODE", "20/h")
# API: per key (or staff user) on /api/; per address on Open311 reads; per key on Open311 posts.
API_RATE_PER_PRINCIPAL = os.environ.get("API_RATE_PER_PRINCIPAL", "6000/h")
API_RATE_PER_ADDRESS = os.environ.get("API_RATE_PER_ADDRESS", "3600/h")
API_RATE_OPEN311_POST = os.environ.get("API_RATE_OPEN311_POST", "600/h")
if os.environ.get("RATELIMIT_IP_META_KEY"):
    RATELIMIT_IP_META_KEY = os.environ["RATELIMIT_IP_META_KEY"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
# Lockout is per account (等保 locks the account, whatever address it is tried from).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
