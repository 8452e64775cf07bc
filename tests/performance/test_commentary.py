"""The commentary workflow: an indicator's lead (or a performance officer) writes the month's commentary,
the performance officer sees what is missing and locks the month, and a locked month never changes."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from performance import commentary as services
from performance.models import Commentary, MonthLock
from performance.scorecard_views import MONTH_LOCKED_NOTE
from quality.org.models import ChangeRecord

from .test_scorecard import make_indicator, put

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)


@pytest.fixture
def indicators(service_lead, head_of_service):
    return {
        "M1": make_indicator("M1", lead=service_lead),
        "M2": make_indicator("M2", lead=head_of_service),
        "M3": make_indicator("M3"),
    }


def write(person, indicator, text="The figure rose: fewer late visits.", steps="Keep the weekly check.", period=OCT):
    return services.commentary_write(
        actor=person.user, indicator=indicator, period=period, commentary=text, next_steps=steps
    )


def test_the_lead_writes_and_changes_the_months_commentary_and_each_save_is_recorded(service_lead, indicators):
    first = write(service_lead, indicators["M1"])
    second = write(service_lead, indicators["M1"], text="Changed after the clinic.", steps="")

    assert first.pk == second.pk
    saved = Commentary.objects.get(indicator=indicators["M1"], period=OCT)
    assert (saved.commentary, saved.next_steps, saved.written_by) == ("Changed after the clinic.", "", service_lead)
    records = ChangeRecord.objects.filter(target_type=ContentType.objects.get_for_model(Commentary), target_id=saved.pk)
    assert sorted(records.values_list("action", flat=True)) == ["commentary_changed", "commentary_written"]


def test_saving_the_same_words_again_changes_nothing(service_lead, indicators):
    write(service_lead, indicators["M1"])
    write(service_lead, indicators["M1"])

    assert ChangeRecord.objects.filter(action__startswith="commentary").count() == 1


def test_a_performance_officer_may_write_any_indicators_commentary(performance_officer, indicators):
    assert write(performance_officer, indicators["M3"]).written_by == performance_officer


@pytest.mark.parametrize("who", ["head_of_service", "qa_lead"])
def test_someone_who_does_not_lead_the_indicator_is_refused(request, indicators, who):
    with pytest.raises(PermissionDenied):
        write(request.getfixturevalue(who), indicators["M1"])
    assert not Commentary.objects.exists()


def test_commentary_must_say_something(service_lead, indicators):
    with pytest.raises(ValidationError) as refused:
        write(service_lead, indicators["M1"], text="   ")
    assert refused.value.message_dict == {"commentary": [services.COMMENTARY_REQUIRED]}


def test_a_locked_month_refuses_commentary_but_other_months_stay_open(service_lead, performance_officer, indicators):
    write(service_lead, indicators["M1"])
    services.month_lock(actor=performance_officer.user, period=OCT)

    with pytest.raises(ValidationError) as refused:
        write(service_lead, indicators["M1"], text="A late change")

    assert refused.value.messages == [services.MONTH_LOCKED.format(month="October 2026")]
    assert Commentary.objects.get().commentary == "The figure rose: fewer late visits."
    assert write(service_lead, indicators["M1"], period=date(2026, 11, 1)).period == date(2026, 11, 1)


def test_only_a_performance_officer_locks_a_month_and_only_once(performance_officer, qa_lead):
    with pytest.raises(PermissionDenied):
        services.month_lock(actor=qa_lead.user, period=OCT)

    lock = services.month_lock(actor=performance_officer.user, period=OCT)
    assert lock.locked_by == performance_officer
    assert ChangeRecord.objects.filter(action="month_locked", target_id=lock.pk).exists()
    with pytest.raises(ValidationError) as refused:
        services.month_lock(actor=performance_officer.user, period=OCT)
    assert refused.value.messages == [services.ALREADY_LOCKED.format(month="October 2026")]
    assert MonthLock.objects.count() == 1


def test_the_missing_list_names_the_active_indicators_without_commentary(service_lead, performance_officer, indicators):
    write(service_lead, indicators["M1"])
    Commentary.objects.create(indicator=indicators["M2"], period=OCT, commentary="")  # saved empty: still missing
    write(performance_officer, indicators["M3"], period=date(2026, 9, 1))  # another month's
    make_indicator("OLD", is_active=False)

    assert [i.code for i in services.commentary_missing(OCT)] == ["M2", "M3"]


# -- pages --


def test_a_lead_sees_only_their_indicators_on_the_commentary_page(client, service_lead, indicators):
    client.force_login(service_lead.user)

    response = client.get(reverse("performance:commentary"), {"month": "2026-10"})

    assert [indicator.code for indicator, _ in response.context["rows"]] == ["M1"]
    assert response.context["missing"] is None
    assert "Lock October 2026" not in response.content.decode()


def test_the_performance_officer_sees_what_is_missing_and_the_lock_button(
    client, service_lead, performance_officer, indicators
):
    write(service_lead, indicators["M1"])
    client.force_login(performance_officer.user)

    response = client.get(reverse("performance:commentary"), {"month": "2026-10"})

    page = response.content.decode()
    assert [indicator.code for indicator, _ in response.context["rows"]] == ["M1", "M2", "M3"]
    assert [indicator.code for indicator in response.context["missing"]] == ["M2", "M3"]
    assert "2 indicators have no commentary" in page and "lead: Hana Head" in page
    assert "Lock October 2026" in page


def test_the_lead_saves_commentary_through_the_form(client, service_lead, indicators):
    put(indicators["M1"], "2026-10", numerator=264, denominator=333)
    client.force_login(service_lead.user)
    url = reverse("performance:commentary_edit", args=["2026-10", indicators["M1"].pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"commentary": "Up on September.", "next_steps": "Audit the late ones."})

    assert "79% (264/333)" in page
    assert response.status_code == 302
    assert response.url == f"{reverse('performance:commentary')}?month=2026-10"
    assert Commentary.objects.get().next_steps == "Audit the late ones."


def test_an_empty_commentary_is_refused_next_to_the_field(client, service_lead, indicators):
    client.force_login(service_lead.user)
    url = reverse("performance:commentary_edit", args=["2026-10", indicators["M1"].pk])

    response = client.post(url, {"commentary": "", "next_steps": "Something"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"commentary": ["This field is required."]}
    assert not Commentary.objects.exists()


def test_someone_else_is_refused_the_form(client, head_of_service, indicators):
    client.force_login(head_of_service.user)
    url = reverse("performance:commentary_edit", args=["2026-10", indicators["M1"].pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"commentary": "Not mine"}).status_code == 403
    assert not Commentary.objects.exists()


def test_a_locked_months_form_shows_the_commentary_and_refuses_a_post(
    client, service_lead, performance_officer, indicators
):
    write(service_lead, indicators["M1"])
    services.month_lock(actor=performance_officer.user, period=OCT)
    client.force_login(service_lead.user)
    url = reverse("performance:commentary_edit", args=["2026-10", indicators["M1"].pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"commentary": "Too late"})

    assert MONTH_LOCKED_NOTE in page and '<form method="post" novalidate>' not in page
    assert response.status_code == 200
    assert services.MONTH_LOCKED.format(month="October 2026") in response.content.decode()
    assert Commentary.objects.get().commentary == "The figure rose: fewer late visits."


def test_the_performance_officer_locks_the_month_by_post(client, performance_officer):
    client.force_login(performance_officer.user)
    url = reverse("performance:month_lock", args=["2026-10"])

    assert client.get(url).status_code == 405
    response = client.post(url)
    again = client.post(url, follow=True)

    assert response.status_code == 302
    assert MonthLock.objects.get().period == OCT
    assert services.ALREADY_LOCKED.format(month="October 2026") in again.content.decode()


def test_a_lead_may_not_lock_the_month(client, service_lead):
    client.force_login(service_lead.user)

    assert client.post(reverse("performance:month_lock", args=["2026-10"])).status_code == 403
    assert not MonthLock.objects.exists()


def test_the_commentary_page_runs_the_same_queries_for_few_and_many_indicators(
    client, performance_officer, head_of_service, service_lead, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(performance_officer.user)
    url = f"{reverse('performance:commentary')}?month=2026-10"
    for number in range(3):
        write(performance_officer, make_indicator(f"A{number}", lead=service_lead))
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(30):
        indicator = make_indicator(f"B{number}", lead=head_of_service)
        if number % 2:
            write(performance_officer, indicator)

    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["rows"]) == 33
