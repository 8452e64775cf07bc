from celery import shared_task

from quality import built_files

from . import pack
from .models import PerformancePack

MAX_RETRIES = built_files.MAX_RETRIES
RETRY_DELAY_SECONDS = built_files.RETRY_DELAY_SECONDS


@shared_task(bind=True, max_retries=MAX_RETRIES, default_retry_delay=RETRY_DELAY_SECONDS)
def performance_pack_build(self, pack_id: int) -> None:
    """Make the PDF of one queued PerformancePack; try again up to MAX_RETRIES times, then mark it failed."""
    built_files.run_build(self, PerformancePack, pack_id, lambda pk: pack.pack_generate(pack_id=pk))


@shared_task
def build_stranded_packs() -> int:
    """Build the packs whose own task never ran (queued while Redis was down)."""
    return built_files.sweep(PerformancePack, lambda pk: pack.pack_generate(pack_id=pk))
