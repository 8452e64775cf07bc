"""The evaluation's pages: who may see which area, the rule's form, and the period's errors."""

import pytest
from django.urls import reverse

from quality.evaluation import rules
from quality.evaluation.models import TriangulationRule
from quality.org.models import ChangeRecord

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def test_a_service_lead_sees_their_own_areas_page(client, service_lead, own_area):
    client.force_login(service_lead.user)
    response = client.get(reverse("evaluation:area", args=[own_area.pk]), {"kind": "monthly", "period": "2026-10"})
    assert response.status_code == 200
    assert "Where the sources disagree" in response.content.decode()


def test_a_service_lead_of_another_area_gets_not_found(client, other_lead, own_area):
    client.force_login(other_lead.user)
    assert client.get(reverse("evaluation:area", args=[own_area.pk])).status_code == 404


def test_a_practice_manager_may_not_use_the_pages(client, practice_manager, own_area):
    client.force_login(practice_manager.user)
    assert client.get(reverse("evaluation:area", args=[own_area.pk])).status_code == 403
    assert client.get(reverse("evaluation:index")).status_code == 403


def test_the_index_offers_a_service_lead_only_their_areas_and_sends_them_to_the_page(
    client, service_lead, own_area, other_area
):
    client.force_login(service_lead.user)
    page = client.get(reverse("evaluation:index")).content.decode()
    assert own_area.name in page and other_area.name not in page

    chosen = {"area-service_area": own_area.pk, "area-kind": "quarterly", "area-period": "2026-q3"}
    response = client.get(reverse("evaluation:index"), chosen)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('evaluation:area', args=[own_area.pk])}?kind=quarterly&period=2026-Q3"

    refused = client.get(reverse("evaluation:index"), chosen | {"area-service_area": other_area.pk})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()


def test_a_period_written_wrongly_is_refused_next_to_the_field(client, qa_lead, own_area):
    client.force_login(qa_lead.user)
    response = client.get(reverse("evaluation:area", args=[own_area.pk]), {"kind": "monthly", "period": "Nov"})
    assert response.status_code == 200
    assert response.context["figures"] is None
    assert response.context["form"].errors["period"]


def test_the_qa_lead_changes_a_rule_with_a_reason(client, qa_lead):
    rules.ensure_default_rules()
    rule = TriangulationRule.objects.get(kind=TriangulationRule.Kind.OBSERVATIONS_OVERDUE)
    client.force_login(qa_lead.user)
    url = reverse("evaluation:rule_edit", args=[rule.pk])

    refused = client.post(url, {"threshold_pct": "30", "is_active": "on", "reason": ""})
    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"]

    response = client.post(url, {"threshold_pct": "30", "is_active": "on", "reason": "Agreed at the QA meeting"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold_pct, rule.is_active) == (30, True)
    assert ChangeRecord.objects.get(action="triangulation_rule_update").reason == "Agreed at the QA meeting"


def test_the_rule_form_only_takes_get_and_post(client, qa_lead):
    rules.ensure_default_rules()
    client.force_login(qa_lead.user)
    rule = TriangulationRule.objects.first()
    assert client.put(reverse("evaluation:rule_edit", args=[rule.pk])).status_code == 405


def test_a_percentage_over_100_is_refused_next_to_its_field(client, qa_lead):
    rules.ensure_default_rules()
    rule = TriangulationRule.objects.get(kind=TriangulationRule.Kind.MODERATION_LOWERED)
    client.force_login(qa_lead.user)

    response = client.post(
        reverse("evaluation:rule_edit", args=[rule.pk]), {"threshold_pct": "120", "is_active": "on", "reason": "Try"}
    )

    assert response.context["form"].errors["threshold_pct"] == [rules.PCT_REQUIRED]
    rule.refresh_from_db()
    assert rule.threshold_pct == 25
