"""Lock a user name out after too many failed log-ins in a short window.

Failures are counted per user name typed, whether or not such a user exists, so the
portal answers unknown names, wrong passwords and locked names with the same message.
User names are stored only as a keyed hash.
"""

import hashlib
import hmac

from django.conf import settings
from django.utils import timezone

from .models import SignInFailure, SignInLockout


def username_key(username: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), username.strip().lower().encode(), hashlib.sha256).hexdigest()


def is_locked(username: str) -> bool:
    return SignInLockout.objects.filter(username_key=username_key(username), until__gt=timezone.now()).exists()


def record_failure(username: str) -> None:
    key, now = username_key(username), timezone.now()
    SignInFailure.objects.create(username_key=key, at=now)
    recent = SignInFailure.objects.filter(username_key=key, at__gt=now - settings.LOGIN_FAILURE_WINDOW).count()
    if recent >= settings.LOGIN_FAILURE_LIMIT:
        SignInLockout.objects.create(username_key=key, until=now + settings.LOGIN_LOCKOUT_DURATION)


def clear_failures(username: str) -> None:
    SignInFailure.objects.filter(username_key=username_key(username)).delete()


def purge_expired() -> int:
    """Drop failures older than the window and lock-outs that have ended."""
    now = timezone.now()
    failures, _ = SignInFailure.objects.filter(at__lte=now - settings.LOGIN_FAILURE_WINDOW).delete()
    lockouts, _ = SignInLockout.objects.filter(until__lte=now).delete()
    return failures + lockouts
