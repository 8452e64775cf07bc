"""Settings shared by every environment, read from the environment.

With nothing set the portal runs on SQLite with an in-memory Celery broker, so
`manage.py runserver` works on a bare checkout. `make run` and `make test` set
DATABASE_URL / CELERY_BROKER_URL to real services.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from quality.ops.storage import default_storage_setting

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-only-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "csp",
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "quality.org",
    "quality.mfa",
    "quality.security",
    "audits",
    "moderation",
    "performance",
    "evidence.complaints",
    "evidence.families",
    "evidence.observations",
    "evidence.voices",
    "quality.reports",
    "quality.evaluation",
    "quality.ops",
]

MIDDLEWARE = [
    # First of all: the request's id (X-Request-ID) on its log lines and its answer, even a 413 (quality/ops).
    "quality.ops.request_id.RequestIdMiddleware",
    # Counts and times every request, by route name (quality/ops/metrics.py).
    "quality.ops.metrics.RequestMetricsMiddleware",
    # Then, before anything can read the body: refuses a request larger than its cap (413).
    "quality.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise (static files need neither header), above the rest so that it sees every
    # response Django makes: no-store for signed-in people, a Permissions-Policy for all.
    "quality.middleware.PrivateResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has a second-factor device verified this session (quality/mfa)?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: it adds a message and reads request.htmx, so the two middlewares above must have run.
    "quality.org.middleware.SessionTimeoutMiddleware",
    # After the time-out (an ended session goes to the log-in page): every page but the sign-in ones
    # waits for the second factor (quality/mfa/middleware.py).
    "quality.mfa.middleware.SecondFactorMiddleware",
]

ROOT_URLCONF = "quality.urls"
WSGI_APPLICATION = "quality.wsgi.application"

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
                "quality.context_processors.navigation",
                "quality.context_processors.sign_in_options",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The zero-setup database is shared by the web server, a Celery worker and beat: write-ahead
    # logging lets them read while one writes, and a writer waits (up to 30 s) instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No just-in-time compilation: the portal's queries are short, and PostgreSQL's cost estimate
    # for a correlated subquery over a year of decisions set it compiling for longer (0.4 s at a
    # million audits) than the query then ran (bench/scale.py, docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite cannot hold Membership's "nulls not distinct" constraint; the service checks the rule
# too, and PostgreSQL (production, tests) enforces it.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with the council's identity provider over OpenID Connect (quality/sso.py,
# docs/security.md). On when the provider (its discovery URL, or its issuer) and the portal's client
# id and secret are set; the endpoints and keys are read from the provider's discovery document.
OIDC_ISSUER = env("OIDC_ISSUER", default="").rstrip("/")
OIDC_DISCOVERY_URL = env(
    "OIDC_DISCOVERY_URL", default=f"{OIDC_ISSUER}/.well-known/openid-configuration" if OIDC_ISSUER else ""
)
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
SSO_CONFIGURED = bool(OIDC_DISCOVERY_URL and OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET)
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True  # the code is worth nothing without the verifier kept in the browser's session
OIDC_CREATE_USER = False  # people are matched to the portal's own; nobody is created from a sign-in
OIDC_TIMEOUT = 10  # seconds the portal waits for the provider
# Microsoft Entra ID sends no `email_verified` claim: set this only when the tenant's addresses are
# managed by the council (docs/security.md). A claim that is present and false is always refused.
OIDC_TRUST_EMAIL_WITHOUT_VERIFIED_CLAIM = env.bool("OIDC_TRUST_EMAIL_WITHOUT_VERIFIED_CLAIM", default=False)
# "all", or "break_glass_only": with single sign-on on, only the administrators named in
# BREAK_GLASS_EMAILS may still sign in (and reset their password) with a password.
PASSWORD_SIGN_IN = env("PASSWORD_SIGN_IN", default="all")
BREAK_GLASS_EMAILS = [address.strip().lower() for address in env.list("BREAK_GLASS_EMAILS", default=[])]
if PASSWORD_SIGN_IN not in ("all", "break_glass_only") or (PASSWORD_SIGN_IN != "all" and not SSO_CONFIGURED):
    raise ImproperlyConfigured('PASSWORD_SIGN_IN must be "all", or "break_glass_only" with single sign-on set up.')
AUTHENTICATION_BACKENDS = ["quality.sso.PasswordBackend"]
if SSO_CONFIGURED:
    AUTHENTICATION_BACKENDS.append("quality.sso.CouncilAccountBackend")

# Lock-out (quality/security/lockout.py): LOGIN_FAILURE_LIMIT attempts at one user name within
# LOGIN_FAILURE_WINDOW without a success, or LOGIN_ADDRESS_FAILURE_LIMIT failures from one address
# across any names, lock that name or address for LOGIN_LOCKOUT_DURATION.
LOGIN_FAILURE_LIMIT = 10
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
LOGIN_FAILURE_WINDOW = timedelta(minutes=5)
LOGIN_LOCKOUT_DURATION = timedelta(minutes=15)
# Password reset links last an hour; each e-mail address may be sent PASSWORD_RESET_EMAIL_LIMIT and
# each client address may ask PASSWORD_RESET_ADDRESS_LIMIT times in PASSWORD_RESET_THROTTLE_WINDOW.
PASSWORD_RESET_TIMEOUT = 60 * 60
PASSWORD_RESET_THROTTLE_WINDOW = timedelta(hours=1)
PASSWORD_RESET_EMAIL_LIMIT = 3
PASSWORD_RESET_ADDRESS_LIMIT = 20
# The public survey pages (evidence/voices): each client address may ask SURVEY_ADDRESS_LIMIT times in
# SURVEY_THROTTLE_WINDOW (pages and submissions alike, so token guessing is slowed too); then 429.
SURVEY_THROTTLE_WINDOW = timedelta(hours=1)
SURVEY_ADDRESS_LIMIT = 60
# Joiners and leavers (quality/org/invitations.py, access_review.py): an invitation's set-password
# link lasts INVITATION_TIMEOUT seconds, and is sent at most INVITATION_RESEND_LIMIT times a person in
# INVITATION_RESEND_WINDOW. The quarterly access review flags accounts unused for this many days.
INVITATION_TIMEOUT = 72 * 60 * 60
INVITATION_RESEND_LIMIT = 3
INVITATION_RESEND_WINDOW = timedelta(hours=1)
ACCESS_REVIEW_UNUSED_DAYS = env.int("ACCESS_REVIEW_UNUSED_DAYS", default=90)
# How many reverse proxies (load balancer, ingress) stand in front of the portal and append to
# X-Forwarded-For. 0: the client's address is REMOTE_ADDR. Too high a number lets a client choose
# the address it is counted and recorded under.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Security events (quality/security) are kept this long, then removed by a nightly job.
SECURITY_EVENT_RETENTION = timedelta(days=env.int("SECURITY_EVENT_RETENTION_DAYS", default=730))
# Django's admin (/django-admin/, signing in through the portal's page). Production leaves it out
# unless ADMIN_ENABLED=true.
ADMIN_ENABLED = env.bool("ADMIN_ENABLED", default=True)

# Second factor (quality/mfa, docs/security.md): required for the roles in quality/mfa/rules.py,
# or for everyone with MFA_REQUIRED_FOR_ALL. MFA_FAILURE_LIMIT wrong codes within MFA_FAILURE_WINDOW
# sign the session out, and codes are refused until the window has passed.
MFA_REQUIRED_FOR_ALL = env.bool("MFA_REQUIRED_FOR_ALL", default=False)
MFA_FAILURE_LIMIT = 5
MFA_FAILURE_WINDOW = timedelta(minutes=15)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Case quality portal")
# django-otp's own back-off after a wrong code is off: the throttle above is the one rule.
OTP_TOTP_THROTTLE_FACTOR = 0

# Sessions end after 30 idle minutes and, whatever the activity, after 12 hours
# (see quality/org/middleware.py).
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files the portal makes (audit PDFs). Never served by URL: a view checks access, then streams
# the file. MEDIA_URL is set only because Django expects one. Where they are kept (MEDIA_ROOT,
# STORAGES): "Operations: files shared between machines" below.
MEDIA_URL = "/media/"

# Uploads: every cap on what people send, in one place (docs/security.md, "Uploads"). The largest
# legitimate upload is a case list (~20,000 rows, ~2 MB as CSV); the caps leave room above it and
# none far beyond.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # one CSV, XLSX or tool file
# A whole request, checked on its Content-Length before anything reads the body
# (quality.middleware.RequestSizeLimitMiddleware): the largest upload plus the rest of its form.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024
# Someone not signed in only ever sends a few fields (sign-in, password reset).
MAX_ANONYMOUS_REQUEST_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default: the fields other than files
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000  # Django's default: an audit form has a few hundred at most
DATA_UPLOAD_MAX_NUMBER_FILES = 1  # every upload form takes one file
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger files are spooled to a temporary file while they arrive
# Spreadsheet imports (quality/tabular.py), checked while reading: reading stops at the first
# row or cell past its cap.
IMPORT_MAX_ROWS = 50_000  # below the header, blank rows included
IMPORT_MAX_COLUMNS = 100
IMPORT_MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell
IMPORT_MAX_LINE_CHARS = 1_000_000  # one line of a CSV file
# An XLSX file is a zip: its parts are sized from the zip's directory before anything is unpacked.
XLSX_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
XLSX_MAX_COMPRESSION_RATIO = 100  # a part that shrinks more than this is a zip bomb...
XLSX_RATIO_CHECKED_FROM_BYTES = 1024 * 1024  # ...once it is big enough to matter
# Audit tool files (audits/tool_files.py), JSON or YAML: a real tool is tens of kilobytes and
# nests seven deep.
TOOL_FILE_MAX_BYTES = 1_000_000
TOOL_FILE_MAX_DEPTH = 20

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "tables/table.html"  # django-tables2 bootstrap5, with keyset pages (quality/pagination.py)

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")  # production requires EMAIL_URL
vars().update(EMAIL_CONFIG)
# Seconds SMTP may wait on each connect, read or write: a mail server that hangs never holds a
# worker or (password-reset e-mails are sent in the request) a web process for long.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
PORTAL_URL = env("PORTAL_URL", default="http://127.0.0.1:8000")  # for links in e-mails
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Case quality portal <quality@example.gov.uk>")

# Celery: an in-memory broker by default so nothing needs Redis to import the project.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default="memory://"))
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every task is time-limited: a soft limit it can catch to stop cleanly, then a hard one.
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 12 * 60
# With Redis down, queuing fails fast (quality.queue logs it; the periodic job catches up)
# instead of holding the web request while kombu retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}

# Content Security Policy: only our own scripts and styles, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Logs carry ids and actions, never names or case details.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools narrate every page they lay out at INFO: only their warnings matter.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# -- Operations (issue 17, docs/deploy.md) --
# -- Operations: files shared between machines --
# FILE_STORAGE=local (the default, one machine) keeps built files and held uploads under MEDIA_ROOT;
# FILE_STORAGE=s3 in a private S3-compatible bucket (AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL,
# AWS_S3_REGION_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), shared by every web server and
# worker (quality/ops/storage.py). test.py and production.py choose the same way.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": default_storage_setting(env),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# -- Operations: one beat, watched; the health endpoint --
# /healthz (quality/ops/health.py) reports beat late when the leading beat's heartbeat is older than
# HEALTH_BEAT_LATE_AFTER (it records one at least every 30 s), and answers after at most
# HEALTH_CHECK_DEADLINE seconds however long a dependency takes: within a load balancer's 2 s.
HEALTH_BEAT_LATE_AFTER = timedelta(minutes=env.int("HEALTH_BEAT_LATE_AFTER_MINUTES", default=10))
HEALTH_CHECK_DEADLINE = 1.5
# -- Operations: logs, metrics and queues --
# Logs (quality/ops/request_id.py): LOG_FORMAT=plain (the default here) or json (production's
# default): one JSON object a line with time, level, logger, message, request_id, task_id, task_name.
# Every record gets the ids from the filter on the console handler; the levels above stay as they are.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOG_FORMATS = ("plain", "json")
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}.")
LOGGING["filters"] = {
    "ids": {"()": "quality.ops.request_id.IdsLogFilter"},
    # A survey link's token is a key to the survey: Django's "Not Found: <path>" lines lose it.
    "survey_tokens": {"()": "evidence.voices.logs.SurveyTokenLogFilter"},
}
LOGGING["formatters"]["json"] = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": ["levelname", "name", "message", "request_id", "task_id", "task_name"],
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",  # ISO 8601, in UTC
}
LOGGING["handlers"]["console"].update(formatter=LOG_FORMAT, filters=["ids", "survey_tokens"])
# A worker logs through the handler above too (JSON in production), not through one of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Metrics (quality/ops/metrics.py, docs/deploy.md "Metrics"): GET /metrics answers 404 until
# METRICS_TOKEN is set, then only to `Authorization: Bearer <METRICS_TOKEN>`. A worker serves its
# own on WORKER_METRICS_PORT (unset: none) at WORKER_METRICS_BIND. PROMETHEUS_MULTIPROC_DIR (read by
# prometheus_client from the environment) adds up the counts of a machine's processes.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_BIND = env("WORKER_METRICS_BIND", default="127.0.0.1")
# Queues: building a file (a 100-page PDF can take minutes) never delays an e-mail or a reminder.
# "builds" takes every build task; the rest (e-mails, reminders, the cycle jobs, purges) stays on
# "celery". A worker started without -Q consumes both; production runs `-Q celery` and `-Q builds`
# workers apart (docs/deploy.md, "Queues"). tests/ops/test_queues.py checks every build task is here.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Each queue with its own exchange and routing key: bound to Celery's default ones, both queues
# would receive every message.
CELERY_TASK_QUEUES = tuple(Queue(name, Exchange(name), routing_key=name) for name in ("celery", "builds"))
BUILD_TASKS = (
    "audits.tasks.audit_document_build",
    "performance.tasks.performance_pack_build",
    "quality.reports.output_tasks.build_report_document",
    "quality.evaluation.tasks.build_evaluation_document",
    "quality.built_files.build_stranded_files",  # the sweep builds what it finds, in its own run
)
CELERY_TASK_ROUTES = {name: {"queue": "builds"} for name in BUILD_TASKS}
# -- Operations: backups --
# `manage.py backup_database` writes pg_dump files (with their manifests) to BACKUP_DIR and keeps the
# newest BACKUP_KEEP; `manage.py restore_drill` restores the newest into a scratch database and
# compares (quality/ops/backup.py, docs/deploy.md "Backups"). BACKUP_DIR holds children's records:
# an encrypted volume only the backup account can read. PG_BIN: the folder of pg_dump/pg_restore
# matching the server's major version (default: the newest under /usr/lib/postgresql, then PATH).
BACKUP_DIR = Path(env("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
BACKUP_PG_BIN = env("PG_BIN", default="")
# -- Operations: the rehearsal's knobs --
# A built file still queued BUILD_STRANDED_AFTER_SECONDS after it was asked for (its task never reached
# a worker, or went down with one) is built by the sweep beat runs every BUILD_SWEEP_EVERY_SECONDS
# (quality/built_files.py). The defaults suit production; scripts/rehearsal.py shortens both so that
# a worker killed half-way through a PDF is recovered in seconds, not ten minutes.
BUILD_STRANDED_AFTER_SECONDS = env.int("BUILD_STRANDED_AFTER_SECONDS", default=5 * 60)
BUILD_SWEEP_EVERY_SECONDS = env.int("BUILD_SWEEP_EVERY_SECONDS", default=10 * 60)
# Where collectstatic puts the static files: the rehearsal collects into its own work folder, never the
# checkout's; a deployment may put them on a volume of their own.
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(STATIC_ROOT)))
