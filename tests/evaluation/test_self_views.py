"""The self-evaluation's pages: errors next to their fields, text people wrote shown as text, a page whose
queries do not grow with its statements, and files only of a published self-evaluation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quality.built_files import store
from quality.evaluation import self_evaluation
from quality.evaluation.models import Citation, EvaluationDocument, Question, SelfEvaluation
from tests.factories import AuditFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

FIGURE = {"area": None, "figure": "good_after", "kind": "monthly", "period": "2026-11"}


@pytest.fixture
def draft(qa_lead, own_area):
    evaluation = self_evaluation.self_evaluation_start(actor=qa_lead.user, year=2026)
    self_evaluation.statement_save(
        actor=qa_lead.user,
        evaluation=evaluation,
        text="Audits are good.",
        question=Question.KNOW,
        service_area=own_area,
    )
    return evaluation


def write(evaluation, actor, area, text):
    return self_evaluation.statement_save(
        actor=actor.user, evaluation=evaluation, text=text, question=Question.HOW, service_area=area
    )


def test_starting_a_year_already_started_says_so_next_to_the_year(client, qa_lead, draft):
    client.force_login(qa_lead.user)
    response = client.post(reverse("evaluation:self_evaluations"), {"year": 2026})
    assert response.status_code == 200
    assert "There is already a self-evaluation for 2026." in response.content.decode()
    assert SelfEvaluation.objects.count() == 1


def test_evidence_missing_what_its_kind_needs_is_refused_next_to_the_fields(client, qa_lead, draft, own_area):
    client.force_login(qa_lead.user)
    statement = draft.statements.get()
    url = reverse("evaluation:citation_add", args=[statement.pk])

    missing = client.post(url, {"kind": "figure", "service_area": own_area.pk, "period_kind": "monthly"})
    bad_period = client.post(
        url, {"kind": "chart", "service_area": own_area.pk, "period_kind": "monthly", "period": "2026-13"}
    )
    no_audit = client.post(url, {"kind": "audit", "audit": 999999})

    assert missing.status_code == bad_period.status_code == no_audit.status_code == 400
    assert "Figure: needed for this kind of evidence." in missing.content.decode()
    assert "Period: needed for this kind of evidence." in missing.content.decode()
    assert list(bad_period.context["citation_form"].errors) == ["period"]
    assert "There is no audit with this number that you may see." in no_audit.content.decode()
    assert not Citation.objects.exists()


def test_a_cited_figure_shows_on_the_statement_and_the_draft(client, qa_lead, draft, own_area, tool_version):
    AuditFactory(tool_version=tool_version, service_area=own_area, overall_grade="good")
    client.force_login(qa_lead.user)
    statement = draft.statements.get()
    form = {"kind": "figure", "service_area": own_area.pk, "figure": "good_after", "period_kind": "annual"}

    response = client.post(
        reverse("evaluation:citation_add", args=[statement.pk]), form | {"period": "2026"}, follow=True
    )

    page = response.content.decode()
    assert f"Cited: Audits graded good or outstanding after moderation, {own_area.name}." in page
    assert "100% (1 of 1)" in page
    detail = client.get(draft.get_absolute_url()).content.decode()
    assert "100% (1 of 1)" in detail and f"/evaluation/areas/{own_area.pk}/?kind=annual&amp;period=2026" in detail


def test_what_people_wrote_is_shown_as_text(client, qa_lead, head_of_service, draft, own_area):
    write(draft, qa_lead, own_area, "<script>alert(1)</script> and <b hx-get='/x'>bold</b>")
    self_evaluation.review_send(actor=qa_lead.user, evaluation=draft)
    self_evaluation.comment_add(actor=head_of_service.user, evaluation=draft, text="<img src=x onerror=alert(2)>")
    client.force_login(head_of_service.user)

    page = client.get(draft.get_absolute_url()).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;b hx-get=&#x27;/x&#x27;&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_an_empty_comment_is_refused_next_to_its_field(client, qa_lead, head_of_service, draft):
    self_evaluation.review_send(actor=qa_lead.user, evaluation=draft)
    client.force_login(head_of_service.user)
    response = client.post(reverse("evaluation:comment_add", args=[draft.pk]), {"text": " "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not draft.comments.exists()


def test_the_drafts_page_runs_the_same_queries_whatever_its_statements_and_evidence(
    client, qa_lead, draft, own_area, other_area
):
    client.force_login(qa_lead.user)
    url = draft.get_absolute_url()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = count()
    for area in (own_area, other_area, own_area):
        statement = write(draft, qa_lead, area, "More.")
        for _ in range(2):
            self_evaluation.citation_add(
                actor=qa_lead.user, statement=statement, kind="figure", source=FIGURE | {"area": area.pk}
            )
    assert count() == small


def test_files_are_those_of_a_published_self_evaluation_only(client, qa_lead, senior_leader, draft, media_root):
    client.force_login(qa_lead.user)
    assert client.get(reverse("evaluation:self_evaluation_file", args=[draft.pk, "pdf"])).status_code == 404
    self_evaluation.review_send(actor=qa_lead.user, evaluation=draft)
    self_evaluation.sign_off(actor=senior_leader.user, evaluation=draft)
    document = EvaluationDocument.objects.get(evaluation=draft, format="docx")
    store(document, "self-evaluation-2026.docx", b"PK word", made_at=document.requested_at)

    response = client.get(reverse("evaluation:self_evaluation_file", args=[draft.pk, "docx"]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="self-evaluation-2026.docx"'
    assert b"".join(response.streaming_content) == b"PK word"  # read to the end: the client closes the file
    assert client.get(reverse("evaluation:self_evaluation_file", args=[draft.pk, "xlsx"])).status_code == 404


def test_a_published_self_evaluation_shows_its_frozen_text_as_text(client, qa_lead, senior_leader, draft, own_area):
    write(draft, qa_lead, own_area, "<b data-probe>bold</b>\n\nA second paragraph.")
    self_evaluation.review_send(actor=qa_lead.user, evaluation=draft)
    self_evaluation.sign_off(actor=senior_leader.user, evaluation=draft)
    client.force_login(senior_leader.user)

    page = client.get(draft.get_absolute_url()).content.decode()

    assert "&lt;b data-probe&gt;bold&lt;/b&gt;" in page and "<b data-probe>" not in page
    assert "<p>A second paragraph.</p>" in page
    assert "Signed off by Sol Senior" in page
