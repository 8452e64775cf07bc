"""The panel pages: who may open and use them, what each form writes or refuses (next to the field),
blind moderation in the HTML, the audit page's moderation panel, and what the pages cost in queries."""

from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.templatetags.grade_tags import grade_tag_html
from moderation import panel_views, panels
from moderation.models import BLIND_REASON, ModerationDecision, Panel, PanelItem
from quality.org.models import Role

from .panel_world import (
    all_areas,
    bulk_submitted,
    drawn_by_hand,
    graded_audit,
    panel_in_session,
    planned_panel,
    schedule_panel,
)

pytestmark = pytest.mark.django_db

OUTSTANDING_CELL = f"<td>{grade_tag_html('outstanding')}</td>"  # the auditor's grade, as a grade tag


def url(name, obj=None):
    return reverse(f"moderation:{name}", args=[obj.pk] if obj is not None else None)


def page(client, who, path, **kwargs):
    client.force_login(who.user)
    return client.get(path, **kwargs)


def html(response) -> str:
    """The page's HTML with entities decoded, so messages compare as written."""
    return unescape(response.content.decode())


@pytest.fixture
def audit(people, versions, own_area):
    """Graded Outstanding overall and in every area: a grade the page shows nowhere else."""
    return graded_audit(versions[own_area.pk], people["auditor"], "outstanding", case_holder=people["worker"])


# --- pages by role ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("qa_lead", 200), ("qa_officer", 200), ("moderator", 200), ("lead", 403), ("head", 403), ("auditor", 403)],
)
def test_the_panel_list_is_for_moderators_and_the_qa_unit(client, people, who, status):
    planned_panel(people)
    assert page(client, people[who], url("panel_list")).status_code == status


def test_a_stranger_is_sent_to_sign_in(client, people):
    panel = planned_panel(people)
    response = client.get(url("panel_detail", panel))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_only_the_qa_unit_plans_panels_and_draws_samples(client, people):
    panel = planned_panel(people)
    for name, obj in [("panel_create", None), ("panel_edit", panel), ("panel_draw", panel)]:
        assert page(client, people["moderator"], url(name, obj)).status_code == 403
        assert page(client, people["qa_officer"], url(name, obj)).status_code == 200
    client.force_login(people["moderator"].user)
    assert client.post(url("panel_draw", panel), {"size": 2}).status_code == 403
    assert Panel.objects.get(pk=panel.pk).state == Panel.State.PLANNED


@pytest.mark.parametrize("name", ["panel_open", "panel_conclude", "panel_sample_add"])
def test_the_session_steps_take_only_post(client, people, name):
    panel = planned_panel(people)
    assert page(client, people["qa_lead"], url(name, panel)).status_code == 405


# --- planning and drawing through the pages ---------------------------------------------------------


def test_qa_plans_a_panel_on_a_schedule_date(client, people):
    entry = schedule_panel(timezone.localdate() + timedelta(days=10))
    client.force_login(people["qa_lead"].user)
    form = client.get(url("panel_create"))
    assert entry.title in html(form)
    response = client.post(
        url("panel_create"),
        {"schedule_entry": entry.pk, "kind": "monthly", "members": [people["moderator"].pk, people["qa_lead"].pk]},
    )
    panel = Panel.objects.get()
    assert response.status_code == 302 and response.url == panel.get_absolute_url()
    assert (panel.held_on, panel.starts_at, panel.schedule_entry) == (entry.starts_on, entry.starts_at, entry)
    assert set(panel.members.all()) == {people["moderator"], people["qa_lead"]}
    assert panel.created_by == people["qa_lead"].user


def test_a_panel_without_members_or_date_is_refused_next_to_the_fields(client, people):
    client.force_login(people["qa_lead"].user)
    response = client.post(url("panel_create"), {"kind": "monthly"})
    assert response.status_code == 422
    body = html(response)
    assert panels.DATE_REQUIRED in body and panels.MEMBERS_REQUIRED in body
    assert 'id="error_1_id_held_on"' in body  # crispy puts the message under the field
    response = client.post(
        url("panel_create"), {"kind": "monthly", "held_on": "2026-12-17", "members": [people["lead"].pk]}
    )
    assert response.status_code == 422  # a service lead is not offered as a member
    assert not Panel.objects.exists()


def test_qa_draws_the_sample_and_the_check_page_shows_it_reproduces(client, people, versions, own_area):
    bulk_submitted(versions[own_area.pk], people["auditor"], {"good": 5, "inadequate": 1})
    panel = planned_panel(people)
    client.force_login(people["qa_lead"].user)
    sample_from = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert (
        client.post(url("panel_draw", panel), {"size": 2, "share": 10, "sample_from": sample_from}).status_code == 422
    )
    response = client.post(url("panel_draw", panel), {"size": 2, "seed": 4242, "sample_from": sample_from})
    assert response.status_code == 302
    panel.refresh_from_db()
    assert panel.state == Panel.State.SAMPLE_DRAWN and panel.seed == 4242 and panel.items.count() == 3
    check = client.get(url("panel_draw_check", panel))
    assert "The draw reproduces." in html(check) and "4242" in html(check)
    assert client.get(url("panel_draw", panel)).status_code == 302  # drawn once only


def test_qa_adds_and_takes_out_audits_by_hand_and_a_missing_reason_shows_next_to_the_field(
    client, people, versions, own_area, audit
):
    panel = drawn_by_hand(people, planned_panel(people), [])
    client.force_login(people["qa_lead"].user)
    refused = client.post(url("panel_sample_add", panel), {"add-audit": audit.pk, "add-reason": ""})
    assert refused.status_code == 422 and panels.REASON_REQUIRED in html(refused)
    assert (
        client.post(url("panel_sample_add", panel), {"add-audit": audit.pk, "add-reason": "Complaint"}).status_code
        == 302
    )
    item = panel.items.get()
    assert (item.reason, item.note) == (PanelItem.Reason.ADDED, "Complaint")

    prefix = f"remove-{item.pk}"
    refused = client.post(url("panel_item_remove", item), {f"{prefix}-reason": ""})
    assert refused.status_code == 422 and panels.REASON_REQUIRED in html(refused)
    item.refresh_from_db()
    assert item.removed_at is None
    assert client.post(url("panel_item_remove", item), {f"{prefix}-reason": "Duplicate"}).status_code == 302
    item.refresh_from_db()
    assert (item.removed_reason, item.removed_by) == ("Duplicate", people["qa_lead"].user)
    assert "Duplicate" in html(client.get(url("panel_detail", panel)))  # kept, shown with why


# --- re-grading -------------------------------------------------------------------------------------


def grade_post(grade="requires_improvement", **extra):
    return {"moderated_grade": grade, **{f"area_{a}": grade for a in all_areas(grade)}, "rationale": "Agreed", **extra}


def test_a_blind_audit_shows_no_auditors_grade_until_the_panel_records_its_own(client, people, audit):
    panel = panel_in_session(people, [audit], blind=True)
    item = panel.items.get()
    before = html(page(client, people["moderator"], url("panel_item", item)))
    assert "Blind moderation: the auditor's grades are hidden" in before
    assert OUTSTANDING_CELL not in before and "<dd>Outstanding</dd>" not in before
    assert panel_views.HIDDEN in before
    assert "Seen in the chronology and the plan." in before  # the evidence is shown
    assert "Hidden: blind" in html(client.get(url("panel_detail", panel)))

    response = client.post(url("panel_item", item), grade_post("good"))
    assert response.status_code == 302
    after = html(client.get(url("panel_item", item)))
    assert OUTSTANDING_CELL in after and f"<td>{grade_tag_html('good')}</td>" in after
    assert "Hidden: blind" not in html(client.get(url("panel_detail", panel)))


def test_a_blind_inadequate_audit_is_not_given_away_by_why_it_is_in_the_sample(client, people, versions, own_area):
    graded_audit(versions[own_area.pk], people["auditor"], "inadequate", case_holder=people["worker"])
    panel = planned_panel(people, blind=True)
    since = timezone.localdate() - timedelta(days=30)
    panel = panels.sample_draw(actor=people["qa_lead"].user, panel=panel, size=1, sample_from=since)
    panel = panels.panel_open(actor=people["qa_lead"].user, panel=panel)
    item = panel.items.get()
    assert item.reason == PanelItem.Reason.INADEQUATE
    said = PanelItem.Reason.INADEQUATE.label
    for path in (url("panel_detail", panel), url("panel_item", item)):
        body = html(page(client, people["moderator"], path)).lower()
        assert said.lower() not in body and BLIND_REASON.lower() in body

    assert client.post(url("panel_item", item), grade_post("inadequate")).status_code == 302
    assert said.lower() in html(client.get(url("panel_item", item))).lower()


def test_the_panel_page_links_to_the_outcomes_of_its_decisions_once_it_has_some(client, people, audit):
    panel = panel_in_session(people, [audit])
    link = f'href="{reverse("moderation:outcomes")}?panel={panel.pk}"'
    assert link not in html(page(client, people["moderator"], url("panel_detail", panel)))
    client.post(url("panel_item", panel.items.get()), grade_post("good"))
    assert link in html(client.get(url("panel_detail", panel)))


def test_an_audit_that_is_not_blind_shows_the_auditors_grades(client, people, audit):
    panel = panel_in_session(people, [audit])
    body = html(page(client, people["moderator"], url("panel_item", panel.items.get())))
    assert OUTSTANDING_CELL in body and "The auditor's grades: the original grades" in body


def test_a_member_records_the_panels_grades_and_the_original_stays(client, people, audit):
    panel = panel_in_session(people, [audit])
    item = panel.items.get()
    client.force_login(people["moderator"].user)
    refused = client.post(url("panel_item", item), grade_post(rationale=""))
    assert refused.status_code == 422 and panels.RATIONALE_REQUIRED in html(refused)
    assert client.post(url("panel_item", item), grade_post(feedback="Evidence impact")).status_code == 302
    decision = ModerationDecision.objects.get(audit=audit)
    assert (decision.original_grade, decision.moderated_grade, decision.decided_by) == (
        "outstanding",
        "requires_improvement",
        people["moderator"],
    )
    audit.refresh_from_db()
    assert (audit.overall_grade, audit.moderated_grade) == ("outstanding", "requires_improvement")


def test_a_moderator_who_is_not_a_member_reads_but_cannot_record(client, people, make_person, own_area, audit):
    outsider = make_person(Role.MODERATOR, own_area)
    panel = panel_in_session(people, [audit])
    item = panel.items.get()
    body = html(page(client, outsider, url("panel_item", item)))
    assert "Record the panel's grades" not in body
    assert client.post(url("panel_item", item), grade_post()).status_code == 302
    assert not ModerationDecision.objects.exists()


def test_a_moderator_of_another_area_does_not_see_the_audit_unless_a_member(client, people, audit):
    panel = panel_in_session(people, [audit])
    item = panel.items.get()
    assert page(client, people["other_moderator"], url("panel_item", item)).status_code == 404
    member_panel = panel_in_session(
        people, [graded_audit(audit.tool_version, people["auditor"], "good")], members=("other_moderator",)
    )
    assert page(client, people["other_moderator"], url("panel_item", member_panel.items.get())).status_code == 200


def test_qa_opens_and_concludes_the_panel_and_the_audit_page_shows_both_grades(client, people, audit):
    panel = drawn_by_hand(people, planned_panel(people), [audit])
    client.force_login(people["qa_lead"].user)
    assert client.post(url("panel_conclude", panel)).status_code == 302  # not in session: refused
    assert Panel.objects.get(pk=panel.pk).state == Panel.State.SAMPLE_DRAWN
    client.post(url("panel_open", panel))
    client.post(url("panel_item", panel.items.get()), grade_post(feedback="Show the difference made."))
    assert client.post(url("panel_conclude", panel)).status_code == 302
    assert Panel.objects.get(pk=panel.pk).state == Panel.State.CONCLUDED

    body = html(page(client, people["auditor"], audit.get_absolute_url()))
    assert "Each moderation of this audit" in body
    assert OUTSTANDING_CELL in body and grade_tag_html("requires_improvement") in body
    assert "Show the difference made." in body
    assert url("panel_detail", panel) not in body  # the auditor may not open the panel's pages


# --- what the pages cost ----------------------------------------------------------------------------


def queries(client, path):
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_panel_list_runs_the_same_queries_for_a_few_panels_as_for_many(client, people, versions, own_area):
    client.force_login(people["qa_lead"].user)
    for _ in range(2):
        drawn_by_hand(
            people, planned_panel(people), bulk_submitted(versions[own_area.pk], people["auditor"], {"good": 2})
        )
    few = queries(client, url("panel_list"))
    for _ in range(10):
        drawn_by_hand(
            people,
            planned_panel(people, members=("moderator", "qa_lead", "qa_officer")),
            bulk_submitted(versions[own_area.pk], people["auditor"], {"good": 3}),
        )
    assert Panel.objects.count() == 12
    assert queries(client, url("panel_list")) == few


@pytest.mark.parametrize("who", ["qa_lead", "moderator"])
def test_the_panel_page_runs_the_same_queries_for_a_small_sample_as_for_a_large_one(
    client, people, versions, own_area, other_area, who
):
    client.force_login(people[who].user)
    small = drawn_by_hand(
        people, planned_panel(people), bulk_submitted(versions[own_area.pk], people["auditor"], {"good": 2})
    )
    large_audits = bulk_submitted(versions[own_area.pk], people["auditor"], {"good": 8, "inadequate": 4})
    large_audits += bulk_submitted(versions[other_area.pk], people["other_auditor"], {"good": 3})
    large = drawn_by_hand(people, planned_panel(people, held_on=small.held_on + timedelta(days=1)), large_audits)
    panels.item_set_blind(actor=people["qa_lead"].user, item=large.items.first(), blind=True)
    panels.sample_remove(actor=people["qa_lead"].user, item=large.items.last(), reason="Not this time")
    assert (small.items.count(), large.items.count()) == (2, 15)
    assert queries(client, url("panel_detail", small)) == queries(client, url("panel_detail", large))
