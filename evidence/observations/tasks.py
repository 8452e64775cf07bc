import logging
from datetime import date

from celery import shared_task
from django.db import DatabaseError

from quality import built_files

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(DatabaseError,),
    max_retries=built_files.MAX_RETRIES,
    default_retry_delay=built_files.RETRY_DELAY_SECONDS,
)
def send_practice_week_reminders(today: str | None = None) -> int:
    """Daily from beat: reminders to practice managers before a practice week (reminders.py). `today`
    (YYYY-MM-DD) is for a catch-up by hand or a test. Idempotent: each reminder sent is recorded."""
    from .reminders import practice_week_reminders_send

    told = practice_week_reminders_send(today=date.fromisoformat(today) if today else None)
    logger.info("practice week reminders: %s managers told", told)
    return told
