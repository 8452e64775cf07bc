"""Production: refuses to start without its secrets, passes `check --deploy`."""

from django.core.exceptions import ImproperlyConfigured

from quality.ops.storage import default_storage_setting

from .base import *  # noqa: F403
from .base import EMAIL_CONFIG, LOGGING, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# The portal's e-mails carry password-reset links: in production they go to a mail server, never
# to the console, a file or memory (base.py's default when EMAIL_URL is missing).
EMAIL_BACKENDS_REFUSED = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
if not env("EMAIL_URL", default=""):
    raise ImproperlyConfigured("EMAIL_URL must be set to the mail server, e.g. smtp+tls://user:pass@smtp.example:587.")
if EMAIL_CONFIG["EMAIL_BACKEND"] in EMAIL_BACKENDS_REFUSED:
    raise ImproperlyConfigured(
        "EMAIL_URL must name a mail server (smtp://, smtp+tls://, smtps:// or smtp+ssl://), not a console, "
        "file, memory or dummy back end: the portal's e-mails carry password-reset links."
    )

# Django's admin stays out of production URLs unless asked for (it signs in through the portal's page).
ADMIN_ENABLED = env.bool("ADMIN_ENABLED", default=False)

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe each web server over plain http, with no X-Forwarded-Proto: /healthz answers them
# instead of redirecting to https (docs/deploy.md, "Health"). A regular expression on the path.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Built files as FILE_STORAGE says (base.py, quality/ops/storage.py); static files from WhiteNoise.
STORAGES = {
    "default": default_storage_setting(env),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# JSON log lines unless LOG_FORMAT says otherwise (base.py checked a value it was given).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
