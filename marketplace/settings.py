"""Settings of the marketplace operations portal, read from the environment.

Development defaults need no set-up (SQLite file, console e-mail). `DJANGO_ENV=production`
switches on the hardened profile that passes `manage.py check --deploy` without warnings.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_fsm",
    "simple_history",
    "import_export",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "marketplace",
    "vendors",
    "catalog",
    "orders",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Issue 9 §4: NUL / lone surrogates in any parameter are a 400 before a query sees them.
    "marketplace.request_values.UnstorableCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "marketplace.two_factor.TwoFactorMiddleware",  # issue 8 §3: staff verify a second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    # Issue 9 §4: a create form's one-time token refuses its second submission.
    "marketplace.form_tokens.SingleSubmissionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # MS-8.4.3: a vendor whose exit began reads its pages but writes nothing.
    "vendors.middleware.ExitedVendorReadOnlyMiddleware",
    "marketplace.security.IdleSessionMiddleware",
    # Last: turns a sign-in refused by AxesStandaloneBackend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.calendar_warning",
            ],
        },
    },
]

# DATABASE_URL selects the database; the default is a SQLite file next to manage.py.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once; SQLite serialises writes anyway.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in lockout (issue 8 §3, django-axes): AxesStandaloneBackend refuses every sign-in of a
# locked-out account or address before ModelBackend checks the password, also the right one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures count per account (any address) and per address (any account); either reaching
# the limit locks out until the cool-off has passed or a reviewer unlocks it in the admin.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed attempt is kept (admin: access failures)
AXES_LOCKOUT_CALLABLE = "marketplace.security.lockout_response"  # translated page, 429
# Behind the production proxy the client address is the left-most X-Forwarded-For entry that
# the proxy set; DJANGO_AXES_PROXY_COUNT says how many proxies stand in front.
AXES_IPWARE_PROXY_COUNT = int(os.environ["DJANGO_AXES_PROXY_COUNT"]) if os.environ.get(
    "DJANGO_AXES_PROXY_COUNT"
) else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
# Idle sessions end (sliding): staff after a working day, vendor users likewise.
STAFF_SESSION_IDLE_SECONDS = int(os.environ.get("STAFF_SESSION_IDLE_SECONDS", str(8 * 3600)))
VENDOR_SESSION_IDLE_SECONDS = int(os.environ.get("VENDOR_SESSION_IDLE_SECONDS", str(8 * 3600)))
# Two-factor sign-in for staff (issue 8 §3, django-otp): staff who enrolled an authenticator
# verify it after the password; with TWO_FACTOR_REQUIRED (on in production) staff holding any
# of these permissions must enrol and verify before any back-office page (the acts that evict,
# ban, deduct deposits or pay money out). Superusers hold every permission, so they are in.
TWO_FACTOR_REQUIRED = env_bool("DJANGO_TWO_FACTOR_REQUIRED", PRODUCTION)
TWO_FACTOR_REQUIRED_PERMISSIONS = env_list(
    "DJANGO_TWO_FACTOR_REQUIRED_PERMISSIONS",
    "compliance.approve_penaltycase,vendors.evict_vendor,vendors.record_depositentry,"
    "vendors.reverse_depositentry,vendors.process_depositrefund,orders.pay_refund,"
    "orders.settle_order",
)
TWO_FACTOR_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = os.environ.get("DJANGO_OTP_ISSUER", "Cloud marketplace operations")
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/vendor/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Chinese first, English available; the user switches in the admin and on vendor pages.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "marketplace" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
WHITENOISE_AUTOREFRESH = DEBUG  # dev: serve app static files without collectstatic
# Uploads are private (issue 8 §4): /media/ is served by nothing; every file goes through
# marketplace.files (authenticated). PRIVATE_FILES_DELIVERY: "django" (stream),
# "x-accel-redirect" (nginx internal location at PRIVATE_FILES_ACCEL_PREFIX) or "storage-url"
# (redirect to a signed, short-lived storage URL; S3-style storages only).
MEDIA_URL = "/media/"
PRIVATE_FILES_DELIVERY = os.environ.get("DJANGO_PRIVATE_FILES_DELIVERY", "django")
PRIVATE_FILES_ACCEL_PREFIX = os.environ.get(
    "DJANGO_PRIVATE_FILES_ACCEL_PREFIX", "/protected-media/"
)
PRIVATE_FILES_URL_EXPIRY = int(os.environ.get("DJANGO_PRIVATE_FILES_URL_EXPIRY", "300"))
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "marketplace@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work: Django's tasks API. The database backend needs a worker
# (`manage.py db_worker`); development runs tasks inline unless told otherwise.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "DJANGO_TASKS_BACKEND",
            "django_tasks_db.DatabaseBackend"
            if PRODUCTION
            else "django_tasks.backends.immediate.ImmediateBackend",
        )
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "marketplace.api.exception_handler",
    # Issue 9 §4: bounded size and nesting (10,000 nested arrays were a 500).
    "DEFAULT_PARSER_CLASSES": [
        "marketplace.json_parser.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Per service account (issue 8 §3); a 429 carries Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["marketplace.throttling.ServiceAccountRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "service_account": os.environ.get("API_THROTTLE_RATE", "600/minute"),
    },
}
# Issue 9 §4: a sweep run still `running` after this long was killed; the next run aborts it.
COMPLIANCE_SWEEP_STALE_AFTER = timedelta(
    minutes=int(os.environ.get("COMPLIANCE_SWEEP_STALE_AFTER_MINUTES", "180"))
)
# `--as-of` of the sweep may lie at most this far in the future (clock skew, issue 9 §1).
COMPLIANCE_SWEEP_AS_OF_MAX_SKEW = timedelta(minutes=5)
API_JSON_MAX_DEPTH = 32  # nesting levels an API body may have (issue 9 §4)
API_JSON_MAX_BYTES = 2 * 1024 * 1024  # a larger API body is a 413 (issue 9 §4)
SPECTACULAR_SETTINGS = {
    "TITLE": "Marketplace operations portal API",
    "DESCRIPTION": "Integration API for the storefront and billing systems.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Serve Swagger UI from our own static files: reviewers' networks may block CDNs.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The refund's status is in two components since issue 14 (refund, refund payment):
    # keep the enum's earlier name for generated clients.
    "ENUM_NAME_OVERRIDES": {
        "RefundOutStatusEnum": "orders.models.refunds.Refund.Status",
        # Two "kind" fields in the API: name each set so clients get stable types.
        "ComplaintKindEnum": "compliance.models.complaints.ComplaintKind",
        "EventKindEnum": "marketplace.outbox.EventKind",
    },
    # Schema and docs: open in development; staff session or API token in production.
    "SERVE_PERMISSIONS": ["marketplace.security.ApiDocsAccess"],
    "SERVE_AUTHENTICATION": [
        "rest_framework.authentication.SessionAuthentication",
        "orders.authentication.ServiceTokenAuthentication",
    ],
}

# Content-Security-Policy on every page (issue 8 §3, django-csp). No inline script anywhere:
# templates load their scripts from static files. Inline style attributes stay allowed
# because Django's admin and Swagger UI set them in their own markup.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

# Times callers send (issue 9 §1, MS-2.8/MS-4.2/MS-5.1): how far ahead of our clock a
# caller's clock may run, and how long before its receipt a refund request may be dated.
API_CLOCK_SKEW_SECONDS = int(os.environ.get("API_CLOCK_SKEW_SECONDS", "300"))
REFUND_REQUEST_MAX_BACKDATE_SECONDS = int(
    os.environ.get("REFUND_REQUEST_MAX_BACKDATE_SECONDS", "900")
)
# Free text from the API (TextFields have no length of their own): characters at most.
API_TEXT_MAX_LENGTH = int(os.environ.get("API_TEXT_MAX_LENGTH", "2000"))

# django-import-export: only users holding this permission may import (DESIGN pitfalls).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# Penalty-case import (issue 9 §3): hard caps on what a file may hold; a file over any cap is
# refused with one message. Files larger than the threshold are checked in the background.
PENALTY_IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("PENALTY_IMPORT_MAX_UPLOAD_BYTES", 50 << 20))
PENALTY_IMPORT_MAX_ROWS = int(os.environ.get("PENALTY_IMPORT_MAX_ROWS", "100000"))
PENALTY_IMPORT_MAX_COLUMNS = int(os.environ.get("PENALTY_IMPORT_MAX_COLUMNS", "50"))
PENALTY_IMPORT_MAX_CELL_CHARS = int(os.environ.get("PENALTY_IMPORT_MAX_CELL_CHARS", "10000"))
PENALTY_IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("PENALTY_IMPORT_MAX_UNCOMPRESSED_BYTES", 100 << 20)
)
PENALTY_IMPORT_BACKGROUND_BYTES = int(os.environ.get("PENALTY_IMPORT_BACKGROUND_BYTES", 1 << 20))
PENALTY_IMPORT_STALE_MINUTES = int(os.environ.get("PENALTY_IMPORT_STALE_MINUTES", "30"))

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
