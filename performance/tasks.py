import logging

from celery import shared_task

from . import pack

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
RETRY_DELAY_SECONDS = 20


@shared_task(bind=True, max_retries=MAX_RETRIES, default_retry_delay=RETRY_DELAY_SECONDS)
def performance_pack_build(self, pack_id: int) -> None:
    """Make the PDF of one queued PerformancePack; try again up to MAX_RETRIES times, then mark it failed."""
    try:
        pack.pack_generate(pack_id=pack_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            logger.exception("performance pack %s: giving up after %s tries", pack_id, self.request.retries + 1)
            pack.pack_fail(pack_id=pack_id)
            return
        logger.warning("performance pack %s: try %s failed, trying again", pack_id, self.request.retries + 1)
        raise self.retry(exc=error) from error


@shared_task
def build_stranded_packs() -> int:
    """Build the packs whose own task never ran (queued while Redis was down); each is locked while
    built, so a pack its own task is building at the same moment is built once."""
    built = 0
    for pack_id in pack.packs_stranded():
        try:
            built += pack.pack_generate(pack_id=pack_id) is not None
        except Exception:
            logger.exception("performance pack %s: the sweep could not build it", pack_id)
            pack.pack_fail(pack_id=pack_id)
    return built
