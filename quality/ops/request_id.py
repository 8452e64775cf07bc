"""One id per request, on every log line it causes: its own, and those of the Celery tasks it queued.

- `RequestIdMiddleware` (first of all middleware, so even a refused upload's 413 carries one) keeps
  the id the load balancer sent in X-Request-ID when it is a short safe token, or makes one, holds
  it for the request in a context variable (until Django's request_finished) and answers it in the
  response's X-Request-ID header.
- `IdsLogFilter` (on the console handler, settings LOGGING) writes `request_id`, and inside a task
  `task_id` and `task_name`, on every record, for the JSON formatter (docs/deploy.md, "Logs").
- Celery: the id queuing a task travels in the task message's headers (`before_task_publish`); the
  worker takes it back for the task's run (`task_prerun`) and lets it go after (`task_postrun`).

Nothing here reads the request's body, user or path: an id says which lines go together, nothing else.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token

from celery import signals
from django.core.signals import request_finished

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"  # the key in a task message's headers
# What the portal accepts from the load balancer: anything else (too long, spaces, quotes, newlines
# that would split a log line) is replaced by an id of our own.
SAFE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
current_task_id: ContextVar[str | None] = ContextVar("task_id", default=None)
current_task_name: ContextVar[str | None] = ContextVar("task_name", default=None)

# The context variables a running task set, to put back as they were once it ends: a task run
# eagerly (`apply`) inside a request gets the request's id back afterwards, not nothing.
_task_tokens: dict[str, list[Token]] = {}


def new_id() -> str:
    return uuid.uuid4().hex


def accepted_id(incoming: str | None) -> str:
    """The id for a request: the load balancer's, if it is a safe short token; else a new one."""
    if incoming and SAFE_ID.fullmatch(incoming):
        return incoming
    return new_id()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Kept until the request is finished (`forget_request_id`), not reset on the way out: Django
        # logs a 4xx or 5xx answer ("Not Found: ...") after the last middleware has returned.
        current_request_id.set(accepted_id(request.headers.get(HEADER)))
        response = self.get_response(request)
        response[HEADER] = current_request_id.get()
        return response


def forget_request_id(**_):
    """request_finished: the id goes with its request, so nothing after it is logged under it."""
    current_request_id.set(None)


class IdsLogFilter(logging.Filter):
    """Adds request_id, task_id and task_name (None outside a request or a task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        record.task_id = current_task_id.get()
        record.task_name = current_task_name.get()
        return True


def put_request_id_in_task_headers(headers=None, **_):
    """before_task_publish: the message of a task queued during a request carries the request's id."""
    current = current_request_id.get()
    if headers is not None and current and TASK_HEADER not in headers:
        headers[TASK_HEADER] = current


def take_ids_for_task(task_id=None, task=None, **_):
    """task_prerun: the task's log lines carry its id, its name and the id of the request that queued it."""
    # A custom message header is an attribute of the task's request in the worker; a task run eagerly
    # has none and keeps the id of the request it runs in.
    incoming = getattr(task.request, TASK_HEADER, None) if task is not None else None
    tokens = [current_task_id.set(task_id), current_task_name.set(task.name if task is not None else None)]
    if incoming and SAFE_ID.fullmatch(str(incoming)):
        tokens.append(current_request_id.set(str(incoming)))
    _task_tokens[task_id] = tokens


def release_ids_of_task(task_id=None, **_):
    """task_postrun: the next task this process runs starts without them."""
    for token in reversed(_task_tokens.pop(task_id, [])):
        token.var.reset(token)


def connect_signals() -> None:
    """Called once from OpsConfig.ready: in web processes (publishing) and workers (running)."""
    request_finished.connect(forget_request_id, dispatch_uid="quality.ops.request_id.forget")
    signals.before_task_publish.connect(put_request_id_in_task_headers, weak=False)
    signals.task_prerun.connect(take_ids_for_task, weak=False)
    signals.task_postrun.connect(release_ids_of_task, weak=False)
