import logging

from celery import shared_task

from . import events

logger = logging.getLogger(__name__)


@shared_task
def purge_old_security_events() -> int:
    """Nightly: remove the events and access records older than SECURITY_EVENT_RETENTION, recording what went."""
    removed = events.events_purge()
    logger.info("purged old security events: %s rows", removed)
    return removed
