"""Request ids: in the answer, on the request's log lines, and on the log lines of the task it queued,
run by a real worker on Redis. And the JSON log line operators read."""

import contextvars
import json
import logging
import re
from datetime import date
from logging.config import DictConfigurator

import pytest
from django.conf import settings
from django.urls import reverse

from audits.models import Allocation
from quality.ops.request_id import HEADER, IdsLogFilter, current_request_id, current_task_id, current_task_name
from quality.org.models import Role
from tests.audits.test_allocation_tasks import managers  # noqa: F401 (a fixture)
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)

NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def ids_caplog(caplog):
    """caplog, its records given the ids as the console handler's filter gives them (settings LOGGING)."""
    id_filter = IdsLogFilter()
    caplog.handler.addFilter(id_filter)
    caplog.set_level(logging.INFO)
    try:
        yield caplog
    finally:
        caplog.handler.removeFilter(id_filter)


def test_every_answer_carries_a_new_request_id(client, db):
    first = client.get(reverse("login"))
    second = client.get(reverse("login"))

    assert NEW_ID.fullmatch(first[HEADER]) and NEW_ID.fullmatch(second[HEADER])
    assert first[HEADER] != second[HEADER]


def test_a_safe_id_from_the_load_balancer_is_kept(client, db):
    response = client.get(reverse("login"), headers={HEADER: "lb-5f2c9a7e-0001"})

    assert response[HEADER] == "lb-5f2c9a7e-0001"


@pytest.mark.parametrize(
    "unsafe",
    ["short", "a" * 65, "has space-123456", "quote'd-123456", "new\nline-123456", "semi;colon-123456", "ü" * 10],
)
def test_an_unsafe_id_from_outside_is_replaced(client, db, unsafe):
    response = client.get(reverse("login"), headers={HEADER: unsafe})

    assert NEW_ID.fullmatch(response[HEADER])


def test_a_refused_upload_still_carries_a_request_id(client, db):
    too_large = settings.MAX_ANONYMOUS_REQUEST_BYTES + 1
    response = client.generic("POST", reverse("login"), b"x" * too_large, content_type="text/plain")

    assert response.status_code == 413
    assert NEW_ID.fullmatch(response[HEADER])


def test_the_requests_log_lines_carry_its_id_and_later_lines_do_not(client, db, ids_caplog):
    response = client.get("/no-such-page/", headers={HEADER: "trace-0000-aaaa"})
    # Off in the tests: a 404 that Django logs after the last middleware has returned.
    metrics = client.get(reverse("metrics"))

    assert response.status_code == 404 and metrics.status_code == 404
    lines = {record.getMessage(): record.request_id for record in ids_caplog.records if record.name == "django.request"}
    assert lines["Not Found: /no-such-page/"] == "trace-0000-aaaa"
    assert lines["Not Found: /metrics"] == metrics[HEADER]
    logging.getLogger("tests.ops").info("after the requests")
    assert ids_caplog.records[-1].request_id is None


def test_the_console_handler_gives_every_record_the_ids():
    filters = [f for handler in logging.getLogger().handlers for f in handler.filters]

    assert any(isinstance(f, IdsLogFilter) for f in filters), "settings LOGGING lost the ids filter"


def test_a_task_queued_by_a_request_logs_under_that_requests_id_in_a_real_worker(
    transactional_db,
    client,
    make_person,
    managers,  # noqa: F811
    celery_worker,  # noqa: F811
    ids_caplog,
):
    qa = make_person(Role.QA_LEAD, full_name="Quinn Lead")
    client.force_login(qa.user)

    response = client.post(
        reverse("allocation:allocation_propose", kwargs={"month": "2026-12"}), headers={HEADER: "propose-4242-abcd"}
    )

    assert response.status_code == 302
    assert wait_for(lambda: Allocation.objects.filter(month=date(2026, 12, 1)).exists(), timeout=60)
    assert wait_for(lambda: task_records(ids_caplog)), "the worker's task logged nothing"
    [record] = task_records(ids_caplog)
    assert record.request_id == "propose-4242-abcd"
    assert record.task_name == "audits.tasks.propose_monthly_allocation"
    assert record.task_id and record.task_id != record.request_id


def task_records(caplog):
    return [r for r in caplog.records if r.name == "audits.tasks" and r.getMessage().startswith("allocation ")]


def test_a_json_log_line_parses_and_names_its_fields():
    formatter = DictConfigurator({}).configure_formatter(dict(settings.LOGGING["formatters"]["json"]))
    record = logging.LogRecord("audits.tasks", logging.INFO, __file__, 1, "allocation %s proposed", (7,), None)

    def in_a_task():  # as task_prerun leaves them, in a context of its own
        current_request_id.set("req-0000-1111")
        current_task_id.set("9c1b6f0e-task")
        current_task_name.set("audits.tasks.propose_monthly_allocation")
        IdsLogFilter().filter(record)

    contextvars.copy_context().run(in_a_task)
    line = json.loads(formatter.format(record))

    assert line["level"] == "INFO" and line["logger"] == "audits.tasks"
    assert line["message"] == "allocation 7 proposed"
    assert (line["request_id"], line["task_id"], line["task_name"]) == (
        "req-0000-1111",
        "9c1b6f0e-task",
        "audits.tasks.propose_monthly_allocation",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["time"])


def test_production_writes_json_log_lines_by_default_and_plain_when_asked():
    from tests.test_security_settings import production_env, run_python

    speak = "import django; django.setup(); import logging; logging.getLogger('quality.ops').warning('up %s', 2)"
    database_url = "postgres://nobody@127.0.0.1:1/none"  # setting up Django connects to nothing

    json_lines = run_python(["-c", speak], production_env(database_url)).stderr.strip().splitlines()
    plain_lines = (
        run_python(["-c", speak], production_env(database_url, LOG_FORMAT="plain")).stderr.strip().splitlines()
    )
    refused = run_python(["-c", speak], production_env(database_url, LOG_FORMAT="yaml"))

    line = json.loads(json_lines[-1])
    assert (line["level"], line["logger"], line["message"], line["request_id"]) == (
        "WARNING",
        "quality.ops",
        "up 2",
        None,
    )
    assert plain_lines[-1].endswith("WARNING quality.ops up 2")
    assert refused.returncode != 0 and "LOG_FORMAT must be one of plain, json" in refused.stderr
