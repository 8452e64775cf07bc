import logging

from celery import shared_task
from django.core.management import call_command

from . import lockout

logger = logging.getLogger(__name__)


@shared_task
def purge_expired_sign_in_data() -> int:
    call_command("clearsessions")
    removed = lockout.purge_expired()
    logger.info("purged expired sign-in data: %s rows", removed)
    return removed
