import logging
import smtplib

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from quality.security import lockout

from . import notify
from .models import SubmittedForm

logger = logging.getLogger(__name__)

# A mail server that refuses or drops us is tried again after about 30 s, 1, 2 and 4 minutes
# (jittered); then the task gives up and the row waits, unsent, for the sweep.
EMAIL_MAX_RETRIES = 4
EMAIL_RETRY_BACKOFF_SECONDS = 30


@shared_task
def purge_expired_sign_in_data() -> int:
    call_command("clearsessions")
    removed = lockout.purge_expired()
    logger.info("purged expired sign-in data: %s rows", removed)
    return removed


@shared_task
def purge_old_form_tokens() -> int:
    """Forget the tokens of forms saved more than SubmittedForm.RETENTION ago (quality/idempotency.py)."""
    removed, _ = SubmittedForm.objects.filter(created_at__lt=timezone.now() - SubmittedForm.RETENTION).delete()
    logger.info("purged old form tokens: %s rows", removed)
    return removed


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),  # OSError: refused, reset, timed out (EMAIL_TIMEOUT)
    max_retries=EMAIL_MAX_RETRIES,
    retry_backoff=EMAIL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    # A batch of notify.EMAIL_BATCH messages takes seconds; these limits are for a server that
    # answers each command just inside EMAIL_TIMEOUT. The rows left unsent go with the sweep.
    soft_time_limit=2 * 60,
    time_limit=3 * 60,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail the notifications `notification_ids` (queued by notify.notify after its commit).
    Idempotent: a row already e-mailed is skipped, so a repeated delivery sends nothing."""
    return notify.notification_emails_send(notification_ids=notification_ids)


@shared_task(soft_time_limit=5 * 60, time_limit=6 * 60)
def send_stranded_notification_emails() -> int:
    """Every 10 minutes: e-mail the notifications whose task never ran (Redis was down) or gave up."""
    sent = notify.notification_emails_sweep()
    if sent:
        logger.info("sweep: %s stranded notification e-mails sent", sent)
    return sent
