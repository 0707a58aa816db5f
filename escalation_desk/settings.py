"""Escalation Desk settings: one module, every knob from the environment.

Defaults work on a laptop with nothing installed (SQLite, kombu's filesystem broker).
Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS and leaves
DEBUG off. Bad values fail loudly at start-up: a boolean that is not one, a number that is
not one, and (DEBUG off) a development-only value (see the end of this module).
"""

import ipaddress
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


class StrictEnv(environ.Env):
    """django-environ, except that a boolean must be spelled as one (`DEBUG=ture` is an error)."""

    TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
    FALSE_WORDS = frozenset({"false", "no", "off", "0"})

    def bool(self, var: str, default: Any = environ.Env.NOTSET) -> bool:  # type: ignore[override]
        """The variable as a boolean; unset or empty gives the default, anything else unknown raises."""
        raw = self.get_value(var, cast=str, default="" if default is not self.NOTSET else self.NOTSET)
        word = raw.strip().lower()
        if not word:
            return bool(default)
        if word in self.TRUE_WORDS:
            return True
        if word in self.FALSE_WORDS:
            return False
        raise ImproperlyConfigured(
            f"{var}={raw!r} is not a boolean: use one of true/false, yes/no, on/off, 1/0."
        )

    def int(self, var: str, default: Any = environ.Env.NOTSET) -> int:  # type: ignore[override]
        """The variable as an integer; a value that is not one names the variable in the error."""
        try:
            return super().int(var, default=default)
        except ValueError:
            raise ImproperlyConfigured(f"{var}={self.ENVIRON.get(var)!r} is not an integer.") from None


env = StrictEnv()
StrictEnv.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The test suite (pytest) gets fast hashing, plain static storage and a throw-away media dir.
TESTING = env.bool("TESTING", default="pytest" in sys.modules)
# Management commands work on a bare checkout with the development key; serving the site
# (wsgi.py) and `check --deploy` refuse it unless DEBUG is on.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Every link in mail is absolute on SITE_URL (customers' to the portal, staff's to the console).
SITE_URL = env.str("SITE_URL", default=f"http://localhost:{env.int('PORT', default=8000)}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",  # before accounts: accounts/admin.py extends axes' admin (the Unlock action)
    # Database triggers declared in models' Meta.triggers (the append-only audit trail, SPEC §10).
    "pgtrigger",
    "django_prometheus",  # /metrics/ (escalation_desk.metrics)
    "accounts",
    "notifications",
    "clocks",
    "tickets",
    "approvals",
    "escalations",
    "cases",
    "mail",
    "desk",
    "portal",
    "demo",  # the demo stories and `manage.py seed_demo` (imports every app; none imports it)
]

MIDDLEWARE = [
    # Operating (issue 10, points 16 and 19): Prometheus timing first and last, then the request id
    # that every log line of the request carries.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "escalation_desk.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of the request (Accept-Language or the django_language cookie) among LANGUAGES;
    # with English alone every request gets English, as before. After sessions, before common.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Issue 10 point 11: bodies over UPLOAD_MAX_REQUEST_BYTES refused (413) before anything reads them.
    "escalation_desk.uploads.UploadLimitMiddleware",
    # Issue 10 point 8: a NUL (or lone surrogate) in a query string or form answers 400.
    "escalation_desk.input_guard.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the 429 page (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "escalation_desk.urls"
WSGI_APPLICATION = "escalation_desk.wsgi.application"

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
                # Answers both header counts, the unread notifications too (one query).
                "desk.context_processors.pending_approvals",
            ]
        },
    }
]

# Database: SQLite file by default; DATABASE_URL=postgres://... in production and CI.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the Celery worker share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    # Tests open connections from threads (live server, concurrency): never keep them.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 0 if TESTING else env.int("CONN_MAX_AGE", default=60))
    # No JIT compilation: on a page's short queries over 100,000 rows the planner's estimate passes
    # jit_above_cost and compiling takes longer than running (800 of the queue's 1,150 ms, issue 12).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
# django-prometheus's wrappers of the same backends count queries, errors and their durations.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Logins: brute-force lock-out, API throttling, password reset (issue 10, points 1 and 3) ---
# django-axes counts failed logins on every login path (console, portal, admin, API token) and
# locks out a username, or an IP address, after LOGIN_FAILURE_LIMIT failures within
# LOGIN_COOLOFF_MINUTES; either one trips it. The right password fails while locked out.
# Lock-outs are AccessAttempt rows (admin: Axes); deleting them or "Unlock" lets the user in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any check
    # ModelBackend, reading the signed-in user's permissions and teams with the user (one query).
    "accounts.backends.UserBackend",
]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
# How many reverse proxies in front of the web nodes append to X-Forwarded-For (0: none, use
# REMOTE_ADDR). Behind a proxy, 0 would lock everyone out together (one address for all).
LOGIN_TRUSTED_PROXY_COUNT = env.int("LOGIN_TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip_address"
# A success does not wipe the count: an attacker's own account must not reset an IP's failures.
AXES_RESET_ON_SUCCESS = False
# The cool-off runs from the failure that locked out: trying during it neither counts nor extends
# it, so "try again after N minutes" on the 429 page stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Lock-outs and failures are logged by axes itself; its start-up banner on every command is noise.
AXES_VERBOSE = False
# The cache DRF's throttling counts in. One per process (LocMem) on a laptop; in production
# every web node must share it: CACHE_URL=redis://host:6379/2 (django-environ's cache_url).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://escalation-desk")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A frozen cache server must not hold a request: bounded connect and read waits (seconds).
    _cache_wait = env.float("CACHE_SOCKET_TIMEOUT", default=1.0)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": _cache_wait, "socket_timeout": _cache_wait}
    )
# API throttling (REST_FRAMEWORK below): anonymous callers by IP, signed-in ones by user, and
# a tight scope of its own on POST /api/auth/token/. DRF rates: "<n>/<second|minute|hour|day>".
API_THROTTLE_ANON = env.str("API_THROTTLE_ANON", default="300/minute")
API_THROTTLE_USER = env.str("API_THROTTLE_USER", default="1200/minute")
API_THROTTLE_TOKEN = env.str("API_THROTTLE_TOKEN", default="10/minute")
# Password reset links (console for staff, portal for customers) work once, for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
# --- end of logins ---

LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "desk:my_work"
LOGOUT_REDIRECT_URL = "desk:login"

# Translation (docs/translation.md): English is the source language and the only one offered so
# far; user-facing strings are marked for translation and the catalogues live in locale/.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE", default="whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

if TESTING:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="escalation-desk-media-"))
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Attachments: size limit and type allow-list (extensions, lower case, without dot).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env.list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    default=[
        "txt",
        "log",
        "csv",
        "json",
        "xml",
        "yaml",
        "yml",
        "pdf",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "har",
        "zip",
        "gz",
        "docx",
        "xlsx",
        "pptx",
        "eml",
        "msg",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Issue 10 point 11: the largest request body (a form's files and fields together) read at all;
# a larger one is refused with 413 before it is read (escalation_desk.uploads). Default: three
# files at the per-file limit plus 1 MiB for the form's fields.
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=3 * ATTACHMENT_MAX_BYTES + 1024 * 1024)

# Quality control: a resolved ticket closes by itself when the customer has not answered
# within this many business days (SPEC §2).
CONFIRMATION_WINDOW_BUSINESS_DAYS = env.int("CONFIRMATION_WINDOW_BUSINESS_DAYS", default=5)
# How long a team leader has to decide an approval request, and another team to answer a
# consult, in business minutes of the ticket's calendar (SPEC §4, §5).
APPROVAL_DECISION_MINUTES = env.int("APPROVAL_DECISION_MINUTES", default=4 * 60)
CONSULT_REPLY_MINUTES = env.int("CONSULT_REPLY_MINUTES", default=4 * 60)

# E-mail
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Escalation Desk <support@localhost>")
# The support address customers write to and reply to (Reply-To of every ticket mail), and the
# escalations address: mail to it that names a ticket opens a customer escalation (docs/email.md).
SUPPORT_MAIL_ADDRESS = env.str("SUPPORT_MAIL_ADDRESS", default="support@localhost")
ESCALATION_MAIL_ADDRESS = env.str("ESCALATION_MAIL_ADDRESS", default="escalations@localhost")
# The right-hand side of our Message-IDs: replies naming them thread onto their ticket.
MAIL_MESSAGE_ID_DOMAIN = env.str(
    "MAIL_MESSAGE_ID_DOMAIN", default=SUPPORT_MAIL_ADDRESS.rpartition("@")[2] or "localhost"
)
# Inbound mail: IMAP mailboxes polled by `fetch_mail` (comma-separated imap:// or imaps:// URLs,
# imap://user:password@host:port/FOLDER), how often beat polls them, and what to do with mail
# from an address we do not know: "reject" (default) or "create" a customer in the
# organisation whose e-mail domain matches.
INBOUND_MAIL_URLS = env.list("INBOUND_MAIL_URLS", default=[])
INBOUND_MAIL_SECONDS = env.int("INBOUND_MAIL_SECONDS", default=60)
INBOUND_MAIL_UNKNOWN_SENDERS = env.str("INBOUND_MAIL_UNKNOWN_SENDERS", default="reject")
if INBOUND_MAIL_UNKNOWN_SENDERS not in ("reject", "create"):
    raise environ.ImproperlyConfigured(
        f'INBOUND_MAIL_UNKNOWN_SENDERS must be "reject" or "create", not {INBOUND_MAIL_UNKNOWN_SENDERS!r}'
    )

# Celery: Redis in production; kombu's filesystem transport when no broker is set so the
# embedded default needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# Tests get a folder of their own, so no test message ever reaches `make run`'s worker.
CELERY_BROKER_DIR = Path(
    env.str(
        "CELERY_BROKER_DIR",
        default=tempfile.mkdtemp(prefix="escalation-desk-broker-")
        if TESTING
        else str(BASE_DIR / "var" / "broker"),
    )
)
if CELERY_BROKER_URL == "filesystem://":
    for _sub in ("out", "processed", "control"):
        (CELERY_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
# The broker fails without hanging anything (issue 10, point 12). Every wait on the broker is
# bounded by BROKER_TIMEOUT_SECONDS: the TCP connect, each socket read or write (a frozen Redis
# accepts the connection and never answers), a free connection from the pool, and reconnecting
# (no retry loop: max_retries 0). A failed publish is not retried either: the outbox row stays
# pending and the re-drive sends it (docs/notifications.md). Beat just sends again next tick.
BROKER_TIMEOUT_SECONDS = env.float("BROKER_TIMEOUT_SECONDS", default=1.0)
if not 0 < BROKER_TIMEOUT_SECONDS <= 30:
    raise environ.ImproperlyConfigured(
        f"BROKER_TIMEOUT_SECONDS must be between 0 and 30, not {BROKER_TIMEOUT_SECONDS}"
    )
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_BROKER_POOL_LIMIT = env.int("CELERY_BROKER_POOL_LIMIT", default=10)
CELERY_BROKER_POOL_ACQUIRE_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY = False
BROKER_TIMEOUT_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    "retry_on_timeout": False,
    "max_retries": 0,
}
if CELERY_BROKER_URL != "filesystem://":  # the filesystem transport has no sockets to bound
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(BROKER_TIMEOUT_TRANSPORT_OPTIONS)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# The deadline sweep (SPEC §4): deadlines are rows; beat only says "look now".
CLOCKS_SWEEP_SECONDS = env.int("CLOCKS_SWEEP_SECONDS", default=30)
# How long a sweeper's claim on a batch of deadlines holds (issue 10, point 15): renewed while
# the sweeper works, so after a crash its rows are free again within one lease, and a due point
# fires at most CLOCKS_SWEEP_LEASE_SECONDS + CLOCKS_SWEEP_SECONDS late (docs/clocks.md).
CLOCKS_SWEEP_LEASE_SECONDS = env.int("CLOCKS_SWEEP_LEASE_SECONDS", default=30)
if CLOCKS_SWEEP_LEASE_SECONDS < 3:
    raise environ.ImproperlyConfigured("CLOCKS_SWEEP_LEASE_SECONDS must be at least 3 (seconds).")
CELERY_BEAT_SCHEDULE: dict = {
    "clocks.sweep_deadlines": {
        "task": "clocks.sweep_deadlines",
        "schedule": float(CLOCKS_SWEEP_SECONDS),
        # A sweep that waited longer than one interval is superseded by the next one.
        "options": {"expires": float(CLOCKS_SWEEP_SECONDS)},
    }
}

# Notifications (SPEC §8): the outbox re-drive sends what the broker lost or a failure postponed.
NOTIFICATIONS_REDRIVE_SECONDS = env.int("NOTIFICATIONS_REDRIVE_SECONDS", default=60)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_BACKOFF_SECONDS = env.int("NOTIFICATIONS_BACKOFF_SECONDS", default=60)
NOTIFICATIONS_BACKOFF_CAP_SECONDS = env.int("NOTIFICATIONS_BACKOFF_CAP_SECONDS", default=3600)
NOTIFICATIONS_LEASE_SECONDS = env.int("NOTIFICATIONS_LEASE_SECONDS", default=600)
NOTIFICATIONS_GRACE_SECONDS = env.int("NOTIFICATIONS_GRACE_SECONDS", default=60)
# After a failed publish this process leaves new rows to the re-drive for this long instead of
# waiting on the broker again (one timeout per pause, not one per recipient).
NOTIFICATIONS_PUBLISH_PAUSE_SECONDS = env.int("NOTIFICATIONS_PUBLISH_PAUSE_SECONDS", default=10)
CELERY_BEAT_SCHEDULE["notifications-redrive"] = {
    "task": "notifications.redrive",
    "schedule": float(NOTIFICATIONS_REDRIVE_SECONDS),
    "options": {"expires": float(NOTIFICATIONS_REDRIVE_SECONDS)},
}

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous caller gets 401 with a WWW-Authenticate challenge.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "escalation_desk.api.exception_handler",
    # Logins (issue 10, point 1): rates from the API_THROTTLE_* settings above.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": API_THROTTLE_ANON,
        "user": API_THROTTLE_USER,
        "token": API_THROTTLE_TOKEN,
    },
    # Issue 10 point 4: the browsable API for staff only; customers and anonymous callers get JSON.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "escalation_desk.negotiation.StaffBrowsableNegotiation",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Escalation Desk API",
    "DESCRIPTION": "Tickets, troubleshooting, comments, attachments and their transitions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Issue 10 point 10: the docs load nothing from outside (templates/drf_spectacular/ drop the
    # web fonts; no online validator; ReDoc on the system's fonts).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
                "headings": {"fontFamily": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'},
                "code": {"fontFamily": 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace'},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # The same choices appear under two field names (cancel_reason, reason): one enum.
    "ENUM_NAME_OVERRIDES": {"CancelReasonEnum": "tickets.models.CancelReason"},
    # Issue 10 point 9: every operation documents the shared error answers (400/401/403/404/429,
    # and 413/415 where it reads a body); schemathesis holds the API to it.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "escalation_desk.schema.add_common_error_responses",
    ],
}

# Security: secure cookies and HTTPS when not in DEBUG.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG and not TESTING)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if (DEBUG or TESTING) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG and not TESTING
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG and not TESTING)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Operating: logs, /health/, /metrics/ (issue 10, points 16 and 19) ------------------------
# Logs: one JSON object a line in production (LOG_FORMAT=json, the default with DEBUG off),
# carrying request_id, user_id/username, ticket (ED-000123) and, in Celery, task_name/task_id
# (escalation_desk.log_context); LOG_FORMAT=plain for people reading a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f'LOG_FORMAT must be "json" or "plain", not {LOG_FORMAT!r}')
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "escalation_desk.log_context.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Celery workers log through the same configuration (escalation_desk.celery), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# /health/ (escalation_desk.health): each check's time budget, and how old the last deadline
# sweep may be before beat counts as down (default: 10 sweep intervals).
HEALTH_CHECK_TIMEOUT_SECONDS = env.int("HEALTH_CHECK_TIMEOUT_SECONDS", default=3)
HEALTH_SWEEP_MAX_AGE_SECONDS = env.int("HEALTH_SWEEP_MAX_AGE_SECONDS", default=10 * CLOCKS_SWEEP_SECONDS)
# /metrics/ (escalation_desk.metrics) answers a bearer token equal to METRICS_TOKEN, or a peer
# address in METRICS_ALLOWED_NETWORKS (CIDRs); everyone else gets 404. Neither set: nobody.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS: {_network!r} is not a network (e.g. 10.0.0.0/8)."
        ) from None
# Load balancers and Prometheus often probe a node over plain HTTP: no redirect to HTTPS there.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics/$"]

# Customer escalations (SPEC §6, seed 002): how soon an escalation manager must take a new
# case (business minutes), the default time between updates, and the daily report: its hour
# (local time) on the business days of the named calendar (empty: Monday to Friday).
CASE_ACK_MINUTES = env.int("CASE_ACK_MINUTES", default=60)
CASE_UPDATE_MINUTES = env.int("CASE_UPDATE_MINUTES", default=4 * 60)
DAILY_REPORT_HOUR = env.int("DAILY_REPORT_HOUR", default=8)
DAILY_REPORT_CALENDAR = env.str("DAILY_REPORT_CALENDAR", default="")
# The daily escalation report: beat looks every 10 minutes; the report itself is sent once a
# business day, at DAILY_REPORT_HOUR or at the first look after it (cases.services).
CELERY_BEAT_SCHEDULE["escalations-daily-report"] = {
    "task": "escalations.daily_report",
    "schedule": 600.0,
    "options": {"expires": 600.0},
}
# Inbound mail (docs/email.md): beat polls the IMAP mailboxes only when there are some; a poll
# that waited longer than one interval is superseded by the next one.
if INBOUND_MAIL_URLS:
    CELERY_BEAT_SCHEDULE["mail-fetch"] = {
        "task": "mail.fetch",
        "schedule": float(INBOUND_MAIL_SECONDS),
        "options": {"expires": float(INBOUND_MAIL_SECONDS)},
    }

# --- Fail loudly (issue 10, point 17) -------------------------------------------------------
# With DEBUG off, the processes that run the product (web, worker, beat, and the commands cron and
# the MTA run) refuse a development-only default rather than run silently on it; the test suite
# (TESTING) excepted. Build and administration commands (migrate, makemigrations, check) still run.
# `make run` sets DEBUG=true; bench/ sets its own key and the in-process memory:// broker.
DEVELOPMENT_ONLY_BROKERS = ("filesystem://",)


def deployment_refusals(*, debug: bool, testing: bool, secret_key: str, broker_url: str) -> list[str]:
    """What stops a production process from starting, in words (empty: nothing)."""
    if debug or testing:
        return []
    refusals = []
    if secret_key == DEV_SECRET_KEY:
        refusals.append("SECRET_KEY is the development key: set SECRET_KEY to a long random string.")
    if broker_url.startswith(DEVELOPMENT_ONLY_BROKERS):
        refusals.append(
            f"CELERY_BROKER_URL is {broker_url!r}, the development broker (its messages never leave "
            "this machine): set CELERY_BROKER_URL=redis://host:6379/0."
        )
    return refusals


# The processes that run the product stop on these (escalation_desk/startup.py); `check --deploy`
# reports them as errors (accounts/checks.py).
DEPLOYMENT_REFUSALS = deployment_refusals(
    debug=DEBUG, testing=TESTING, secret_key=SECRET_KEY, broker_url=CELERY_BROKER_URL
)
