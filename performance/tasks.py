from celery import shared_task

from quality import built_files

from . import pack
from .models import PerformancePack

MAX_RETRIES = built_files.MAX_RETRIES  # the pack's page says how many tries there are


@shared_task(**built_files.BUILD_TASK_OPTIONS)
def performance_pack_build(self, pack_id: int) -> None:
    """Make the PDF of one queued PerformancePack; try again up to MAX_RETRIES times, then mark it failed."""
    built_files.run_build(self, PerformancePack, pack_id, lambda pk: pack.pack_generate(pack_id=pk))


built_files.sweep_with(PerformancePack, lambda pk: pack.pack_generate(pack_id=pk, skip_locked=True))
