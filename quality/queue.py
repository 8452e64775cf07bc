"""Putting work on the Celery queue from a web request, safely.

Work is queued only after the transaction commits (the worker must see the rows it is about),
and a broker that is down never turns a page into a 500: the work's state is in the database,
and the periodic job that owns it picks it up when Redis and the worker are back.
"""

from __future__ import annotations

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """Queue `task.delay(*args)` once the current transaction commits (at once outside one)."""

    def send():
        try:
            task.delay(*args)
        except OperationalError:
            # Logged without the arguments' meaning: ids only, never names or case details.
            logger.warning("broker unavailable: %s%r not queued now; its periodic job will catch up", task.name, args)

    transaction.on_commit(send)
