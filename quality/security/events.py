"""Security events: `record_event(Kind.X, ...)` writes one append-only row and one log line.

The row says who (user, or the keyed hash of a name typed), when, from which address, who did it
(`actor`, for changes an administrator makes) and a small `detail` of ids and codes. Neither the
row's detail nor the log line ever carries a name, an e-mail address or a case detail.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quality import append_only

from .models import AccessRecord, Kind, SecurityEvent

__all__ = ["Kind", "client_address", "events_purge", "record_event", "username_key"]

logger = logging.getLogger("quality.security")

DETAIL_TEXT_MAX = 64  # codes and ids fit; a sentence someone wrote does not


def username_key(username: str) -> str:
    """A keyed hash of a typed name or e-mail address: the same name gives the same key, and the key
    gives nothing away without SECRET_KEY."""
    return hmac.new(settings.SECRET_KEY.encode(), username.strip().lower().encode(), hashlib.sha256).hexdigest()


def _valid_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's IP address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the address
    the outermost of them saw (X-Forwarded-For is read from the right: only our proxies' entries are
    trusted, anything further left the client could have written)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(forwarded) >= proxies:
            return _valid_address(forwarded[-proxies])
    return _valid_address(request.META.get("REMOTE_ADDR", ""))


def _checked_detail(detail: dict | None) -> dict:
    """Ids, codes, dates and flags only: a programming error otherwise, caught by the tests."""
    detail = detail or {}
    for key, value in detail.items():
        if not isinstance(value, bool | int | None | str) or (isinstance(value, str) and len(value) > DETAIL_TEXT_MAX):
            raise ValueError(f"security event detail {key!r} must be an id, a code or a flag")
    return detail


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def record_event(
    kind: str, *, request=None, user=None, username: str = "", actor=None, detail: dict | None = None
) -> SecurityEvent:
    """Write the event (in the caller's transaction) and log it as one key=value line."""
    event = SecurityEvent.objects.create(
        kind=Kind(kind),
        user=_user_or_none(user),
        username_key=username_key(username) if username else "",
        address=client_address(request) if request is not None else None,
        actor=_user_or_none(actor),
        detail=_checked_detail(detail),
    )
    logger.info(
        "security_event kind=%s user=%s actor=%s address=%s detail=%s",
        event.kind,
        event.user_id,
        event.actor_id,
        event.address,
        json.dumps(event.detail, sort_keys=True, separators=(",", ":")),
    )
    return event


@transaction.atomic
def events_purge() -> int:
    """Remove events and access records older than SECURITY_EVENT_RETENTION, and record how many of each.

    The one delete the append-only rule allows for these tables: the retention the council agreed."""
    cut_off = timezone.now() - settings.SECURITY_EVENT_RETENTION
    with append_only.rewriting_history(SecurityEvent, AccessRecord):
        removed, _ = SecurityEvent.objects.filter(at__lt=cut_off).delete()
        records_removed, _ = AccessRecord.objects.filter(at__lt=cut_off).delete()
    detail = {"removed": removed, "access_records_removed": records_removed}
    record_event(Kind.EVENTS_PURGED, detail=detail | {"before": cut_off.isoformat(timespec="seconds")})
    return removed
