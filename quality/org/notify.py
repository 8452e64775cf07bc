"""Tell people something: an in-portal notification for each, and one e-mail each when asked.

E-mail goes out after the transaction commits, so a rolled-back change tells nobody.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from .models import Notification

logger = logging.getLogger(__name__)


def notify(*, users: Iterable, subject: str, body: str = "", url: str = "", urgent: bool = False, email: bool = True):
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    Notification.objects.bulk_create(
        Notification(recipient=user, subject=subject, body=body, url=url, urgent=urgent) for user in recipients.values()
    )
    if email and recipients:
        link = f"\n\n{settings.PORTAL_URL}{url}" if url else ""
        messages = [
            (subject, f"{body}{link}", settings.DEFAULT_FROM_EMAIL, [user.email])
            for user in recipients.values()
            if user.email
        ]
        transaction.on_commit(lambda: _send(messages))
    return len(recipients)


def _send(messages):
    try:
        send_mass_mail(messages, fail_silently=False)
    except OSError:
        # The in-portal notification is already saved; log ids only, never addresses.
        logger.exception("notification e-mail failed for %s recipients", len(messages))
