import logging
from datetime import date

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from quality import built_files

from . import documents
from .models import AuditDocument

logger = logging.getLogger(__name__)

MAX_RETRIES = built_files.MAX_RETRIES
RETRY_DELAY_SECONDS = built_files.RETRY_DELAY_SECONDS


@shared_task(**built_files.BUILD_TASK_OPTIONS)
def audit_document_build(self, document_id: int) -> None:
    """Make the PDF of one queued AuditDocument; try again up to MAX_RETRIES times, then mark it failed."""
    built_files.run_build(self, AuditDocument, document_id, lambda pk: documents.document_generate(document_id=pk))


built_files.sweep_with(AuditDocument, lambda pk: documents.document_generate(document_id=pk, skip_locked=True))


@shared_task
def purge_old_audit_documents() -> int:
    removed = documents.documents_purge()
    logger.info("purged %s old audit documents", removed)
    return removed


# -- allocation tasks --


@shared_task(autoretry_for=(DatabaseError,), max_retries=MAX_RETRIES, default_retry_delay=RETRY_DELAY_SECONDS)
def propose_monthly_allocation(month: str | None = None, actor_id: int | None = None) -> int | None:
    """Daily from beat (no arguments): on or after the 3rd, propose this month's allocation unless it
    exists, so a day missed while Redis or the worker was down is caught up. "Propose now" passes the
    month (YYYY-MM-DD) and who asked. Idempotent: returns the allocation's id, or None if nothing to do."""
    from django.contrib.auth import get_user_model

    from quality.months import month_start

    from .cycle import allocation
    from .cycle.dates import ALLOCATION_DAY
    from .models import Allocation

    if month is None:
        today = timezone.localdate()
        if today.day < ALLOCATION_DAY:
            return None
        target = month_start(today)
    else:
        target = month_start(date.fromisoformat(month))
    if Allocation.objects.filter(month=target).exists():
        return None
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    proposed = allocation.allocation_propose(month=target, actor=actor)
    logger.info("allocation %s proposed for %s", proposed.pk, f"{target:%Y-%m}")
    return proposed.pk


# -- deadline, reminder and escalation tasks --


@shared_task(autoretry_for=(DatabaseError,), max_retries=MAX_RETRIES, default_retry_delay=RETRY_DELAY_SECONDS)
def run_escalation_deadlines(today: str | None = None) -> dict:
    """Daily from beat (06:30): allocate the re-audits that have fallen due and send the escalation
    reminders and late notices (audits.cycle.escalations). `today` (YYYY-MM-DD) is for a catch-up by hand or
    a test. Idempotent: each re-audit is taken under a row lock and each notice under a unique key."""
    from .cycle import escalations

    run = escalations.escalation_deadlines_run(today=date.fromisoformat(today) if today else None)
    logger.info("escalation deadlines: %s re-audits allocated, %s notices sent", run.reaudits, run.notices)
    return {"reaudits": run.reaudits, "notices": run.notices}


@shared_task(autoretry_for=(DatabaseError,), max_retries=MAX_RETRIES, default_retry_delay=RETRY_DELAY_SECONDS)
def send_cycle_reminders(today: str | None = None) -> int:
    """Daily from beat: reminders before, on and after each audit deadline (audits.cycle.deadlines). `today`
    (YYYY-MM-DD) is for a catch-up by hand or a test; by default the portal's local date. Idempotent:
    each reminder sent is recorded, in the same transaction, so a retry after an error sends nothing twice."""
    from .cycle import deadlines

    sent = deadlines.cycle_reminders_send(today=date.fromisoformat(today) if today else None)
    logger.info("cycle reminders: %s sent", sent)
    return sent
