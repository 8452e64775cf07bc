"""The test suite: PostgreSQL from DATABASE_URL (set by scripts/with-services.sh)."""

from quality.ops.storage import default_storage_setting

from .base import *  # noqa: F403
from .base import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The files' storage as FILE_STORAGE says (a worker the tests start may be told s3).
STORAGES = {
    "default": default_storage_setting(env),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the finders as in development; no collectstatic run needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
