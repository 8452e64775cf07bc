import logging

from celery import shared_task

from . import checked_uploads, events

logger = logging.getLogger(__name__)


@shared_task
def purge_old_security_events() -> int:
    """Nightly: remove the events and access records older than SECURITY_EVENT_RETENTION, recording what went."""
    removed = events.events_purge()
    logger.info("purged old security events: %s rows", removed)
    return removed


@shared_task
def purge_expired_checked_uploads() -> int:
    """Hourly: remove the files kept after "Check only" that nobody loaded before they expired."""
    removed = checked_uploads.uploads_purge()
    logger.info("purged expired checked uploads: %s", removed)
    return removed
