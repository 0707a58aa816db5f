"""Escalation Desk settings: one module, every knob from the environment.

Defaults work on a laptop with nothing installed (SQLite, kombu's filesystem broker).
Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS and leaves
DEBUG off. Bad values fail loudly at start-up (django-environ raises).
"""

import sys
import tempfile
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

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
    "accounts",
    "notifications",
    "clocks",
    "tickets",
    "approvals",
    "escalations",
    "mail",
    "desk",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Issue 10 point 8: a NUL (or lone surrogate) in a query string or form answers 400.
    "escalation_desk.input_guard.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "notifications.context_processors.unread_notifications",
                "desk.context_processors.pending_approvals",
            ],
        },
    },
]

# Database: SQLite file by default; DATABASE_URL=postgres://... in production and CI.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the Celery worker share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    # Tests open connections from threads (live server, concurrency): never keep them.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 0 if TESTING else env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "desk:my_work"
LOGOUT_REDIRECT_URL = "desk:login"

LANGUAGE_CODE = "en-gb"
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
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
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
        "txt", "log", "csv", "json", "xml", "yaml", "yml", "pdf", "png", "jpg", "jpeg", "gif",
        "webp", "har", "zip", "gz", "docx", "xlsx", "pptx", "eml", "msg",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

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
CELERY_BROKER_DIR = Path(env.str(
    "CELERY_BROKER_DIR",
    default=tempfile.mkdtemp(prefix="escalation-desk-broker-") if TESTING else str(BASE_DIR / "var" / "broker"),
))
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
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# The deadline sweep (SPEC §4): deadlines are rows; beat only says "look now".
CLOCKS_SWEEP_SECONDS = env.int("CLOCKS_SWEEP_SECONDS", default=30)
CELERY_BEAT_SCHEDULE: dict = {
    "clocks.sweep_deadlines": {
        "task": "clocks.sweep_deadlines",
        "schedule": float(CLOCKS_SWEEP_SECONDS),
        # A sweep that waited longer than one interval is superseded by the next one.
        "options": {"expires": float(CLOCKS_SWEEP_SECONDS)},
    },
}

# Notifications (SPEC §8): the outbox re-drive sends what the broker lost or a failure postponed.
NOTIFICATIONS_REDRIVE_SECONDS = env.int("NOTIFICATIONS_REDRIVE_SECONDS", default=60)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_BACKOFF_SECONDS = env.int("NOTIFICATIONS_BACKOFF_SECONDS", default=60)
NOTIFICATIONS_BACKOFF_CAP_SECONDS = env.int("NOTIFICATIONS_BACKOFF_CAP_SECONDS", default=3600)
NOTIFICATIONS_LEASE_SECONDS = env.int("NOTIFICATIONS_LEASE_SECONDS", default=600)
NOTIFICATIONS_GRACE_SECONDS = env.int("NOTIFICATIONS_GRACE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["notifications-redrive"] = {"task": "notifications.redrive", "schedule": float(NOTIFICATIONS_REDRIVE_SECONDS), "options": {"expires": float(NOTIFICATIONS_REDRIVE_SECONDS)}}

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
        "theme": {"typography": {
            "fontFamily": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
            "headings": {"fontFamily": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'},
            "code": {"fontFamily": 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace'},
        }},
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Customer escalations (SPEC §6, seed 002): how soon an escalation manager must take a new
# case (business minutes), the default time between updates, and the daily report: its hour
# (local time) on the business days of the named calendar (empty: Monday to Friday).
CASE_ACK_MINUTES = env.int("CASE_ACK_MINUTES", default=60)
CASE_UPDATE_MINUTES = env.int("CASE_UPDATE_MINUTES", default=4 * 60)
DAILY_REPORT_HOUR = env.int("DAILY_REPORT_HOUR", default=8)
DAILY_REPORT_CALENDAR = env.str("DAILY_REPORT_CALENDAR", default="")
# The daily escalation report: beat looks every 10 minutes; the report itself is sent once a
# business day, at DAILY_REPORT_HOUR or at the first look after it (escalations.cases).
CELERY_BEAT_SCHEDULE["escalations-daily-report"] = {
    "task": "escalations.daily_report", "schedule": 600.0, "options": {"expires": 600.0},
}
# Inbound mail (docs/email.md): beat polls the IMAP mailboxes only when there are some; a poll
# that waited longer than one interval is superseded by the next one.
if INBOUND_MAIL_URLS:
    CELERY_BEAT_SCHEDULE["mail-fetch"] = {
        "task": "mail.fetch", "schedule": float(INBOUND_MAIL_SECONDS),
        "options": {"expires": float(INBOUND_MAIL_SECONDS)},
    }
