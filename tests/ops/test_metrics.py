"""GET /metrics: off without a token, refused with a wrong one; with the right one, the request and task
counts, queue lengths and built-file waits, labelled by route, task, queue and kind, never by path or name."""

from datetime import date, timedelta
from unittest.mock import patch

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from performance.models import PerformancePack
from performance.tasks import performance_pack_build
from quality import built_files
from quality.months import add_months, month_start
from quality.org.models import Role
from quality.org.tasks import purge_old_form_tokens
from tests.factories import person_with_role

TOKEN = "scrape-token-for-the-tests-7f3a9c"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    """The samples of one scrape: {(sample name, sorted labels): value}."""
    response = client.get(reverse("metrics"), headers=AUTHORIZED)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_endpoint_is_off_without_a_token(client, db, settings):
    settings.METRICS_TOKEN = ""

    response = client.get(reverse("metrics"), headers=AUTHORIZED)

    assert response.status_code == 404
    assert b"quality_" not in response.content


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer"],
)
def test_a_missing_or_wrong_token_is_refused(client, db, metrics_on, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get(reverse("metrics"), headers=headers)

    assert response.status_code == 403
    assert b"quality_" not in response.content
    assert "no-store" in response["Cache-Control"]


def test_the_right_token_gets_fresh_metrics_and_no_session(client, db, metrics_on):
    response = client.get(reverse("metrics"), headers=AUTHORIZED)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "sessionid" not in response.cookies
    assert b"quality_http_requests_total" in response.content


def test_requests_are_counted_by_route_name_method_and_status(client, db, metrics_on):
    before = scrape(client)
    for _ in range(3):
        client.get(reverse("login"))
    client.get("/no-such-page/")

    after = scrape(client)

    counted = dict(method="GET", route="login", status="200")
    assert (
        value(after, "quality_http_requests_total", **counted) - value(before, "quality_http_requests_total", **counted)
        == 3
    )
    unresolved = dict(method="GET", route="unresolved", status="404")
    assert (
        value(after, "quality_http_requests_total", **unresolved)
        - value(before, "quality_http_requests_total", **unresolved)
        == 1
    )
    timed = value(after, "quality_http_request_duration_seconds_count", route="login")
    assert timed - value(before, "quality_http_request_duration_seconds_count", route="login") == 3


def test_no_label_holds_a_path_an_id_or_a_name(client, db, metrics_on, own_area):
    person = person_with_role(Role.PRACTITIONER, own_area, full_name="Zebedee Quartermaine")
    admin = person_with_role(Role.ADMINISTRATOR, None, full_name="Ada Admin")
    client.force_login(admin.user)
    client.get(reverse("org:person_detail", kwargs={"pk": person.pk}))
    client.get(reverse("org:person_detail", kwargs={"pk": 987654321}))
    client.logout()

    samples = scrape(client)

    labels = {label_value for _, pairs in samples for _, label_value in pairs}
    assert value(samples, "quality_http_requests_total", method="GET", route="org:person_detail", status="200") >= 1
    assert value(samples, "quality_http_requests_total", method="GET", route="org:person_detail", status="404") >= 1
    assert not [label for label in labels if "/" in label or "987654321" in label or "Zebedee" in label]


def test_task_runs_and_failures_are_counted_by_task_name(client, db, metrics_on):
    name = "quality.org.tasks.purge_old_form_tokens"
    before = scrape(client)

    purge_old_form_tokens.apply()
    purge_old_form_tokens.apply(args=("no such argument",))  # raises TypeError: a failed run

    after = scrape(client)
    assert (
        value(after, "quality_celery_task_runs_total", task=name)
        - value(before, "quality_celery_task_runs_total", task=name)
        == 2
    )
    assert (
        value(after, "quality_celery_task_failures_total", task=name)
        - value(before, "quality_celery_task_failures_total", task=name)
        == 1
    )
    assert (
        value(after, "quality_celery_task_duration_seconds_count", task=name)
        - value(before, "quality_celery_task_duration_seconds_count", task=name)
        == 2
    )


def test_queue_lengths_are_read_from_redis_at_scrape_time(client, db, metrics_on, redis_client):
    from audits.tasks import audit_document_build, send_cycle_reminders

    for document_id in (1, 2):
        audit_document_build.delay(document_id)
    send_cycle_reminders.delay()

    samples = scrape(client)

    assert value(samples, "quality_celery_queue_length", queue="builds") == 2 == redis_client.llen("builds")
    assert value(samples, "quality_celery_queue_length", queue="celery") == 1 == redis_client.llen("celery")


def test_with_redis_unreachable_the_queue_lengths_are_left_out_quickly(client, db, metrics_on, settings):
    settings.CELERY_BROKER_URL = "redis://10.255.255.1:6379/0"  # not routable: a connect that never answers
    started = timezone.now()

    samples = scrape(client)

    assert timezone.now() - started < timedelta(seconds=3)
    assert not [key for key in samples if key[0] == "quality_celery_queue_length"]
    assert ("quality_built_files_queued", (("kind", "performance.performancepack"),)) in samples


def test_built_file_waits_count_the_queued_files_and_the_oldest_age(client, db, metrics_on, own_area):
    officer = person_with_role(Role.PERFORMANCE_OFFICER, own_area, full_name="Pat Officer").user
    waiting = [PerformancePack.objects.create(period=date(2026, 10, 1), requested_by=officer) for _ in range(2)]
    PerformancePack.objects.create(period=date(2026, 9, 1), requested_by=officer, state=PerformancePack.State.FAILED)
    PerformancePack.objects.filter(pk=waiting[0].pk).update(requested_at=timezone.now() - timedelta(minutes=10))

    samples = scrape(client)

    kind = "performance.performancepack"
    assert value(samples, "quality_built_files_queued", kind=kind) == 2
    assert 600 <= value(samples, "quality_built_files_oldest_queued_age_seconds", kind=kind) < 660
    assert value(samples, "quality_built_files_queued", kind="audits.auditdocument") == 0
    assert ("quality_built_files_queued", (("kind", "reports.reportdocument"),)) in samples


def test_a_build_given_up_is_counted_by_kind_though_its_task_does_not_fail(client, db, metrics_on, own_area):
    officer = person_with_role(Role.PERFORMANCE_OFFICER, own_area, full_name="Pat Officer").user
    last_month = add_months(month_start(timezone.localdate()), -1)  # from the clock: no fixed date to age
    pack = PerformancePack.objects.create(period=last_month, requested_by=officer)
    kind, task = "performance.performancepack", "performance.tasks.performance_pack_build"
    before = scrape(client)

    with patch("performance.pack.render_pdf", side_effect=OSError("out of memory")):
        performance_pack_build.apply(args=[pack.pk])  # tried 1 + MAX_RETRIES times, then given up
    built_files.fail(PerformancePack, pack.pk)  # no longer queued: nothing more to give up

    after = scrape(client)
    pack.refresh_from_db()
    assert pack.state == PerformancePack.State.FAILED

    def more(name, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert more("quality_built_files_given_up_total", kind=kind) == 1
    assert more("quality_celery_task_failures_total", task=task) == 0
