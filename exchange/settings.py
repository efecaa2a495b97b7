"""Settings, read from the environment (12-factor). Bad values fail loudly at start-up.

The embedded default needs no services: SQLite in the project folder, Celery tasks run eagerly
in-process, e-mail printed to the console. A deployment sets DJANGO_ENV=production and points
DATABASE_URL / CELERY_BROKER_URL at PostgreSQL and Redis (see docker-compose.yml).
Every secret may also come from a file: SECRET_KEY_FILE, DATABASE_URL_FILE, ...
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real deployments use the environment


def _secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return env.str(name, default=default)


DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "build"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development', 'production' or 'build'")
PRODUCTION = DJANGO_ENV == "production"
# The image's build step (collectstatic) only: production's static files storage with no
# secret and no database, so no secret is ever baked into an image. It serves nothing: no
# host is allowed and the database is an empty in-memory SQLite.
BUILD = DJANGO_ENV == "build"

DEBUG = env.bool("DEBUG", default=not (PRODUCTION or BUILD))
if (PRODUCTION or BUILD) and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")
# With DEBUG on, errors still show the site's own pages (exchange/error_pages.py); a developer
# who wants Django's technical 404 and traceback pages asks for them with this.
DEBUG_TECHNICAL_PAGES = env.bool("DEBUG_TECHNICAL_PAGES", default=False)
if not (DEBUG and DEBUG_TECHNICAL_PAGES):
    CSRF_FAILURE_VIEW = "exchange.views.csrf_failure"

SECRET_KEY = (
    secrets.token_urlsafe(60)  # thrown away with the build step
    if BUILD
    else _secret("SECRET_KEY", default=None if PRODUCTION else "dev-only-insecure-key")
)
if not SECRET_KEY or (PRODUCTION and len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be set (50+ characters) in production")

ALLOWED_HOSTS = (
    []
    if BUILD
    else env.list(
        "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
    )
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address used in e-mailed links (invitations, notifications).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_countries",
    "csp",
    "django_htmx",
    "embassies",
    "sharing",
    "indicators",
    "victims",
    "cases",
    "exchange",
]

MIDDLEWARE = [
    # First: every response, redirects and errors included, carries its X-Request-ID, and every
    # log line written while serving it names the request (exchange.logs).
    "exchange.middleware.RequestIdMiddleware",
    # Requests per view, status and latency for /metrics (exchange.metrics).
    "exchange.metrics.RequestMetricsMiddleware",
    # /healthz, /readyz and /metrics for probes on internal host names, before host validation
    # and the HTTPS redirect (exchange.health).
    "exchange.middleware.ProbeMiddleware",
    # Bodies over the limits below answer 413 before anything reads them (JSON under /api/).
    "exchange.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response, error pages included (policy below).
    "csp.middleware.CSPMiddleware",
    # Outside everything that reads the database: a database outage answers 503, retry.
    "exchange.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # request.htmx: a view answers a fragment to htmx and the whole page to everyone else.
    "django_htmx.middleware.HtmxMiddleware",
    "embassies.middleware.SessionLifetimeMiddleware",
    "embassies.middleware.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The site's error pages in DEBUG too (unless DEBUG_TECHNICAL_PAGES); inside the session,
    # sign-in and common middleware, so the 404 page has its header and APPEND_SLASH works.
    "exchange.error_pages.FriendlyErrorPagesMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "exchange.urls"
# Forms render through the project's templates, so templates/django/forms/ lays out every form
# (a checkbox beside its label, choices in a fieldset) in one place.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "exchange.wsgi.application"

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
                "embassies.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default=(
            "sqlite://:memory:"
            if BUILD
            else _secret("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
        ),
    )
}
if BUILD:  # never a configured database while building
    DATABASES["default"] = env.db_url_config("sqlite://:memory:")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    # Short OLTP queries: PostgreSQL's JIT spent ~0.5 s compiling the audience filter's plan on
    # large lists (benchmarks/lists.py), far more than the query itself.
    _pg_options["options"] = "-c jit=off"
    # A database that does not answer fails the request in seconds (a 503, see
    # exchange.middleware), never hangs a worker until gunicorn kills it.
    _pg_options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "embassies.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out accounts
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-guardian: no anonymous user object; object permissions only on Workspace.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# Lock an account after 5 failed sign-ins, for 15 minutes (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Lock the account, not the address: a whole embassy signs in from one NAT address, and five
# typos by different staff must not lock them all out. Guessing is stopped per account, and a
# password alone opens nothing without the second factor (axes.W006 silenced for that reason).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions: 30 minutes idle (refreshed on every request), 12 hours at most in all
# (SessionLifetimeMiddleware). Sign-out on browser close.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Scam-Compound Exchange")
INVITATION_TTL = timedelta(hours=env.int("INVITATION_TTL_HOURS", default=72))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("th", _("Thai"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION or BUILD
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploaded files (CSV, JSON, geofeed) over this size are refused while they arrive: the
# first handler stops passing them on, so they never fill memory or the disk (exchange/uploads).
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "exchange.uploads.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Request bodies. The API promises 10,000 IP reports in one batch with notes at their maximum
# (2,000 characters): in UTF-8, Thai notes take 3 bytes a character, so a full batch is ~62 MB
# (ASCII notes ~22 MB). Pages (sign-in, forms, the 5 MB CSV upload) need far less, and the
# sign-in form is open to anyone, so they get a small limit. Over a limit: 413, JSON under /api/.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024 * 1024)
WEB_MAX_BODY_BYTES = env.int("WEB_MAX_BODY_BYTES", default=UPLOAD_MAX_BYTES + 2 * 1024 * 1024)
# Django's own cap on a body read into memory: the larger of the two (the middleware above
# applies the smaller one to pages).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(API_MAX_BODY_BYTES, WEB_MAX_BODY_BYTES)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="exchange@localhost")
# A mail server that accepts the connection and then hangs must not hold a worker (and the
# notice it is sending, locked) forever; the send is retried.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Celery: with no broker configured, tasks run eagerly in-process (embedded default).
CELERY_BROKER_URL = _secret("CELERY_BROKER_URL", default="") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"  # never used while eager; keeps kombu from guessing a host
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish to a dead broker must fail fast, not hang a request: the periodic sweep
# catches whatever was not enqueued.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    # A broker host that vanished without closing the connection must not hang a publish
    # (and with it a request) forever.
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    # Redis: a task a worker took but never acknowledged (the worker was SIGKILLed, its host
    # died) goes back to the queue after this many seconds. Longer than any task runs, or a
    # running task is handed out twice (harmless, the tasks are idempotent, but wasted work).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # The e-mail outbox: every notice whose e-mail is still owed (its task was never
    # published, or was lost with the broker) is sent within a minute.
    "sharing-send-due-emails": {"task": "sharing.tasks.send_due_emails_task", "schedule": 60.0},
    "embassies-send-unsent-invitations": {
        "task": "embassies.tasks.send_unsent_invitations_task",
        "schedule": 60.0,
    },
}

# --- indicators (IP exchange) settings ---
# Match every IP report left pending (broker down at submit time, a lost task) once a minute.
CELERY_BEAT_SCHEDULE["indicators-sweep-unmatched"] = {
    "task": "indicators.tasks.sweep_unmatched_task",
    "schedule": 60.0,
}
# Offline enrichment from MaxMind-format .mmdb files instead of the bundled geoip2fast data:
# one path, or several separated by commas (e.g. GeoLite2-ASN + GeoLite2-Country); for each
# address the first file that knows a field wins. A configured file that is missing,
# unreadable or not an .mmdb stops start-up (IndicatorsConfig.ready) with ImproperlyConfigured.
GEOIP_MMDB_PATH = env.list("GEOIP_MMDB_PATH", default=[])
# CSV uploads with more rows than this are stored as an upload job and processed by a worker
# in chunks, with a progress page; smaller ones are processed in the request.
INDICATORS_UPLOAD_ASYNC_ROWS = env.int("INDICATORS_UPLOAD_ASYNC_ROWS", default=2000)
CELERY_BEAT_SCHEDULE["indicators-resume-uploads"] = {
    "task": "indicators.tasks.resume_upload_jobs_task",
    "schedule": 60.0,
}
# --- end indicators ---

# --- cases (leads, freezes, cases) settings ---
# A freeze request not frozen this many minutes after the account was reported is overdue.
FREEZE_OVERDUE_MINUTES = env.int("FREEZE_OVERDUE_MINUTES", default=30)
# A bank's temporary hold lasts this long unless the bank gives the expiry (Thai banks may hold
# a suspect account for a few days pending a police order; the bank's own figure wins).
FREEZE_HOLD_DAYS = env.int("FREEZE_HOLD_DAYS", default=7)
# Remind the lead's owner and police this many hours before a hold lapses.
FREEZE_REMINDER_HOURS = env.int("FREEZE_REMINDER_HOURS", default=24)
if min(FREEZE_OVERDUE_MINUTES, FREEZE_HOLD_DAYS, FREEZE_REMINDER_HOURS) < 1:
    raise ImproperlyConfigured("FREEZE_* settings must be positive whole numbers.")
CELERY_BEAT_SCHEDULE["cases-freeze-expiry"] = {
    "task": "cases.tasks.freeze_expiry_sweep_task",
    "schedule": 15 * 60,
}
# --- end cases ---

# --- victims settings ---
# django-pgtrigger: the database trigger that keeps the victims access log append-only.
INSTALLED_APPS = [*INSTALLED_APPS, "pgtrigger"]
# Identity fields of victim records are encrypted with Fernet (AES-128-CBC + HMAC-SHA256).
# VICTIMS_ENCRYPTION_KEYS: comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
# VICTIMS_LOOKUP_KEY: a separate secret for the keyed hash (HMAC-SHA256) of passport numbers.
# Development uses fixed, public keys; production refuses to start without real ones.
_VICTIMS_DEV_KEY = "ZGV2LW9ubHktdmljdGltcy1rZXktbm90LWZvci11c2U="
VICTIMS_ENCRYPTION_KEYS = [
    k.strip()
    for k in (
        _secret("VICTIMS_ENCRYPTION_KEYS", default=None if PRODUCTION else _VICTIMS_DEV_KEY) or ""
    ).split(",")
    if k.strip()
]
VICTIMS_LOOKUP_KEY = _secret(
    "VICTIMS_LOOKUP_KEY", default=None if PRODUCTION else "dev-only-victims-lookup-key"
)
if BUILD:
    VICTIMS_ENCRYPTION_KEYS, VICTIMS_LOOKUP_KEY = [], None  # nothing is read or written
if PRODUCTION and (not VICTIMS_ENCRYPTION_KEYS or not VICTIMS_LOOKUP_KEY):
    raise ImproperlyConfigured(
        "VICTIMS_ENCRYPTION_KEYS and VICTIMS_LOOKUP_KEY must be set in production"
    )
if PRODUCTION and _VICTIMS_DEV_KEY in VICTIMS_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("VICTIMS_ENCRYPTION_KEYS must not use the development key")
# Identity data of a record closed (home or closed) longer than this is purged.
VICTIMS_RETENTION_DAYS = env.int("VICTIMS_RETENTION_DAYS", default=365)
if VICTIMS_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("VICTIMS_RETENTION_DAYS must be at least 1")
# How many proxies in front of the app append to X-Forwarded-For (0: use REMOTE_ADDR only).
VICTIMS_TRUSTED_PROXY_COUNT = env.int("VICTIMS_TRUSTED_PROXY_COUNT", default=0)
CELERY_BEAT_SCHEDULE["victims-purge-expired-identity"] = {
    "task": "victims.tasks.victims_purge_expired_task",
    "schedule": timedelta(hours=6),
}
# --- end victims ---

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its `WWW-Authenticate: Token` makes refusals 401s.
        "embassies.authentication.ApiTokenAuthentication",
        "embassies.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "embassies.permissions.TokenScopePermission",  # read-scoped tokens only read
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "sharing.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Counted in the cache (CACHES below): per account, and per address for the few endpoints
    # open without one (the schema and its documentation page). Over the rate: 429 with
    # Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "embassies.throttling.AnonThrottle",
        "embassies.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="6000/hour"),
        # Creating API tokens on the account page (embassies.throttling).
        "api_token_issue": env.str("API_TOKEN_ISSUE_THROTTLE", default="10/hour"),
    },
    "EXCEPTION_HANDLER": "exchange.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Scam-Compound Intelligence Exchange API",
    "DESCRIPTION": "Share IP reports, leads and victim records within their audience.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The cache counts API throttling (and nothing else yet). Each process has its own memory
# cache, so a deployment with several web workers sets CACHE_URL to a shared Redis
# (e.g. redis://redis:6379/1) for the limits to hold across workers.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if "redis" in CACHES["default"]["BACKEND"].lower():
    # An unreachable cache must cost a request a second at most (throttling then lets it
    # through: embassies.throttling), never hang it.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("socket_connect_timeout", 1)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 1)

# Content-Security-Policy (django-csp): scripts, styles and everything else only from this
# site, and nothing inline: no <script> blocks, no on*= handlers, no javascript: URLs and no
# style attributes anywhere in the templates (tests/security/test_csp.py walks every page).
# img-src allows data: for Swagger UI's icons; the TOTP QR code is inline SVG markup.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "frame-ancestors": [CSP_NONE],
        "form-action": [CSP_SELF],
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

# --- operations: probes, metrics, logs ---
# Host names the probes (/healthz, /readyz, /metrics) answer on besides ALLOWED_HOSTS: the
# container's loopback for its health check, the compose service name for the proxy and a
# Prometheus scraper. Nothing else answers on these names.
HEALTH_CHECK_HOSTS = env.list(
    "HEALTH_CHECK_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "web"]
)
# /readyz fails when any of these is older (seconds): the worker heartbeat (written every
# 15 s), beat's last sweep (every 60 s), the oldest e-mail owed and the oldest report waiting
# for a match (both drained every minute).
READYZ_WORKER_MAX_AGE = env.float("READYZ_WORKER_MAX_AGE", default=60)
READYZ_BEAT_MAX_AGE = env.float("READYZ_BEAT_MAX_AGE", default=180)
READYZ_OUTBOX_MAX_AGE = env.float("READYZ_OUTBOX_MAX_AGE", default=900)
READYZ_PENDING_MATCH_MAX_AGE = env.float("READYZ_PENDING_MATCH_MAX_AGE", default=900)
# /metrics: with a token, only `Authorization: Bearer <token>` reads it; without one, only
# requests from the loopback address (the proxy refuses /metrics from outside in any case).
METRICS_TOKEN = _secret("METRICS_TOKEN", default="") or ""

# Logs: one JSON object per line on standard error (LOG_FORMAT=text for a terminal), each
# with the request id, user id and workspace id of the request or task that wrote it; never a
# record's content (tests/scan checks the logs for identities).
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'text'")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "exchange.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "exchange.logs.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
# The worker and beat log through the handler above (JSON, with the task's request id)
# rather than Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# --- end operations ---
