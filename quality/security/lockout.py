"""The lock-out: every way into the portal counts its attempts here, before checking anything.

One row per (scope, key) in SignInThrottle holds the attempts in the current window. An attempt is
counted and judged in one statement (an upsert that returns the new count), before the password is
checked, so parallel attempts cannot all slip in under the limit: the 11th of 25 simultaneous
attempts is refused whatever its password.

Two counters for a sign-in, both counted and both must allow it:
- the name typed (its keyed hash, whether or not such a person exists): LOGIN_FAILURE_LIMIT attempts
  without a success in LOGIN_FAILURE_WINDOW lock the name for LOGIN_LOCKOUT_DURATION. A success
  starts the count again; the failures stay on record as security events.
- the client's address, across all names (password spraying): LOGIN_ADDRESS_FAILURE_LIMIT failures
  in the window lock the address. Successes are taken off again, so a council office signing in
  through one address is never locked by its own staff.

The way in calls `attempt_allowed` first; if allowed it checks the credentials and then calls
`attempt_failed` or `attempt_succeeded`. A refusal reads exactly like a wrong password. Password
reset is throttled the same way (`reset_allowed`), per target e-mail address and per address, and the
public survey pages per address (`survey_request_allowed`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .events import Kind, client_address, record_event, username_key
from .models import SignInThrottle

Scope = SignInThrottle.Scope


def _address_key(request) -> str:
    return client_address(request) or "unknown"


def _count(scope: str, key: str, window: timedelta, now: datetime) -> tuple[int, datetime | None]:
    """Add one attempt to the key's window (a fresh window if the last has passed): the new count and
    any lock, read and written in one statement."""
    table = connection.ops.quote_name(SignInThrottle._meta.db_table)
    # The only name put into the SQL is the model's own table; everything else is a parameter.
    sql = f"""
        INSERT INTO {table} (scope, key, window_started_at, attempts, locked_until)
        VALUES (%(scope)s, %(key)s, %(now)s, 1, NULL)
        ON CONFLICT (scope, key) DO UPDATE SET
            attempts = CASE WHEN {table}.window_started_at <= %(window_start)s THEN 1
                            ELSE {table}.attempts + 1 END,
            window_started_at = CASE WHEN {table}.window_started_at <= %(window_start)s THEN %(now)s
                                     ELSE {table}.window_started_at END
        RETURNING attempts, locked_until
    """  # noqa: S608
    params = {"scope": scope, "key": key, "now": now, "window_start": now - window}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        attempts, locked_until = cursor.fetchone()
    if isinstance(locked_until, str):  # SQLite hands raw SQL's datetimes back as text, in UTC
        locked_until = parse_datetime(locked_until).replace(tzinfo=UTC)
    return attempts, locked_until


def _within(scope: str, key: str, limit: int, now: datetime) -> bool:
    attempts, locked_until = _count(scope, key, settings.LOGIN_FAILURE_WINDOW, now)
    return attempts <= limit and (locked_until is None or locked_until <= now)


def attempt_allowed(request, username: str) -> bool:
    """Count a sign-in attempt for `username` from this request's address; may it go on to check the
    credentials? A refusal is recorded as a failed sign-in. For every way in: the sign-in form, single
    sign-on (call it with the e-mail address the provider vouched for) and anything added later."""
    now = timezone.now()
    name_ok = _within(Scope.NAME, username_key(username), settings.LOGIN_FAILURE_LIMIT, now)
    address_ok = _within(Scope.ADDRESS, _address_key(request), settings.LOGIN_ADDRESS_FAILURE_LIMIT, now)
    if not (name_ok and address_ok):
        record_event(Kind.SIGN_IN_FAILED, request=request, username=username, detail={"reason": "locked"})
    return name_ok and address_ok


def _lock_if_reached(request, scope: str, key: str, limit: int, username: str) -> None:
    """Lock the key once its window holds `limit` attempts; record the lock once, when it starts."""
    now = timezone.now()
    locked = (
        SignInThrottle.objects.filter(scope=scope, key=key, attempts__gte=limit)
        .filter(window_started_at__gt=now - settings.LOGIN_FAILURE_WINDOW)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(locked_until=now + settings.LOGIN_LOCKOUT_DURATION)
    )
    if locked:
        record_event(Kind.LOCKED_OUT, request=request, username=username, detail={"scope": scope})


def attempt_failed(request, username: str) -> None:
    """After `attempt_allowed`, the credentials were wrong: lock the name or address if that was one
    too many. (The failure itself is recorded by the user_login_failed receiver, or by the caller.)"""
    _lock_if_reached(request, Scope.NAME, username_key(username), settings.LOGIN_FAILURE_LIMIT, username)
    _lock_if_reached(request, Scope.ADDRESS, _address_key(request), settings.LOGIN_ADDRESS_FAILURE_LIMIT, username)


def attempt_succeeded(request, username: str) -> None:
    """After `attempt_allowed`, the person signed in: the name's count starts again and the address's
    count gives back this attempt. Nothing recorded is removed."""
    SignInThrottle.objects.filter(scope=Scope.NAME, key=username_key(username)).update(attempts=0)
    SignInThrottle.objects.filter(scope=Scope.ADDRESS, key=_address_key(request)).update(
        attempts=Greatest(F("attempts") - 1, 0)
    )


def reset_allowed(request, email: str) -> bool:
    """Count a password reset asked for `email` from this request's address; may an e-mail be sent?"""
    now, window = timezone.now(), settings.PASSWORD_RESET_THROTTLE_WINDOW
    for_email, _ = _count(Scope.RESET_EMAIL, username_key(email), window, now)
    from_address, _ = _count(Scope.RESET_ADDRESS, _address_key(request), window, now)
    return for_email <= settings.PASSWORD_RESET_EMAIL_LIMIT and from_address <= settings.PASSWORD_RESET_ADDRESS_LIMIT


def survey_request_allowed(request) -> bool:
    """Count a request to the public survey pages from this request's address; may it be answered?"""
    attempts, _ = _count(Scope.SURVEY_ADDRESS, _address_key(request), settings.SURVEY_THROTTLE_WINDOW, timezone.now())
    return attempts <= settings.SURVEY_ADDRESS_LIMIT


def is_locked(username: str) -> bool:
    """Is the name locked now (for tests and support: the ways in use attempt_allowed)?"""
    return SignInThrottle.objects.filter(
        scope=Scope.NAME, key=username_key(username), locked_until__gt=timezone.now()
    ).exists()


def purge_expired() -> int:
    """Drop the counters whose window and lock have both passed: they would start again from nothing."""
    now = timezone.now()
    longest = max(
        settings.LOGIN_FAILURE_WINDOW, settings.PASSWORD_RESET_THROTTLE_WINDOW, settings.SURVEY_THROTTLE_WINDOW
    )
    removed, _ = (
        SignInThrottle.objects.filter(window_started_at__lte=now - longest)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .delete()
    )
    return removed
