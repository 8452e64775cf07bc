"""Tell people something: an in-portal notification for each, and one e-mail each when asked.

The notification is saved in the caller's transaction and shows in the portal at once. Its e-mail
is sent by a worker (`quality.org.tasks.send_notification_emails`), queued after the commit: a
rolled-back change tells nobody, and a slow or broken mail server never holds a web request.
Each e-mail goes once: the sender claims the row by setting `emailed_at` with a conditional update,
so a task delivered twice, or the sweep at the same moment, sends nothing more. An e-mail whose
task never reached a worker (Redis was down) or failed every try is sent by the sweep
(`send_stranded_notification_emails`, every 10 minutes).
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from quality.queue import enqueue_on_commit

from .models import Notification

logger = logging.getLogger(__name__)

EMAIL_BATCH = 50  # e-mails per task: a report published to many subscribers is several tasks
EMAIL_STRANDED_AFTER = timedelta(minutes=1)  # longer than a queued task takes to be sent
# A notification not e-mailed within a day is stale news by e-mail (a bad address, a long mail
# outage): the sweep stops trying; it is still in the person's list in the portal.
EMAIL_GIVE_UP_AFTER = timedelta(days=1)
SWEEP_MAX_FAILURES = 3  # in a row: the mail server is down, the next sweep tries again


def notify(
    *,
    users: Iterable,
    subject: str,
    body: str = "",
    url: str = "",
    urgent: bool = False,
    email: bool = True,
    invitation_link: bool = False,
):
    """`invitation_link`: the e-mail carries a set-password link, made as it is sent (quality/org/invitations.py)."""
    from .tasks import send_notification_emails  # the task module imports this one

    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            subject=subject,
            body=body,
            url=url,
            urgent=urgent,
            by_email=email and bool(user.email),
            invitation_link=invitation_link,
        )
        for user in recipients.values()
    )
    to_email = [notification.pk for notification in notifications if notification.by_email]
    for start in range(0, len(to_email), EMAIL_BATCH):
        enqueue_on_commit(send_notification_emails, to_email[start : start + EMAIL_BATCH])
    return len(recipients)


def _email(notification: Notification) -> EmailMessage:
    from .invitations import set_password_url  # the invitations module imports this one

    link = f"\n\n{settings.PORTAL_URL}{notification.url}" if notification.url else ""
    if notification.invitation_link:
        link = f"\n\n{set_password_url(notification.recipient)}"
    return EmailMessage(
        subject=notification.subject,
        body=f"{notification.body}{link}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
    )


def notification_emails_send(*, notification_ids: Iterable[int]) -> int:
    """E-mail those of `notification_ids` not e-mailed yet, over one connection; how many were sent.

    A failure to send releases that row's claim (it is unsent again, for a retry or the sweep) and
    is raised; the rows sent before it stay sent."""
    rows = list(
        Notification.objects.filter(
            pk__in=list(notification_ids),
            by_email=True,
            emailed_at__isnull=True,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("pk")
    )
    if not rows:
        return 0
    sent = 0
    with get_connection(fail_silently=False) as connection:
        for row in rows:
            claimed_at = timezone.now()
            if not Notification.objects.filter(pk=row.pk, emailed_at__isnull=True).update(emailed_at=claimed_at):
                continue  # another delivery of the task, or the sweep, has sent it
            try:
                connection.send_messages([_email(row)])
            except Exception:  # the mail server's error, or the task's soft time limit
                Notification.objects.filter(pk=row.pk, emailed_at=claimed_at).update(emailed_at=None)
                raise
            sent += 1
    logger.info("notification e-mails sent: %s of %s", sent, len(rows))
    return sent


def notification_emails_stranded() -> list[int]:
    """The notifications still to e-mail a while after they were made (their task never ran, or
    gave up), oldest first, up to one task's batch."""
    now = timezone.now()
    unsent = Notification.objects.filter(
        by_email=True,
        emailed_at__isnull=True,
        created_at__lt=now - EMAIL_STRANDED_AFTER,
        created_at__gte=now - EMAIL_GIVE_UP_AFTER,
    )
    return list(unsent.order_by("created_at", "pk").values_list("pk", flat=True)[:EMAIL_BATCH])


def notification_emails_sweep() -> int:
    """Send the stranded e-mails one by one, so that one refused address holds up no other; stop
    after SWEEP_MAX_FAILURES failures in a row. How many were sent."""
    sent = failures = 0
    for pk in notification_emails_stranded():
        try:
            sent += notification_emails_send(notification_ids=[pk])
        except OSError:  # smtplib's errors are OSErrors too
            # Ids only in the log, never addresses.
            logger.warning("notification %s: e-mail failed in the sweep", pk, exc_info=True)
            failures += 1
            if failures >= SWEEP_MAX_FAILURES:
                break
        else:
            failures = 0
    return sent
