"""The self-evaluation (quality/evaluation/self_evaluation.py, citations.py): citations frozen when taken
and kept as they were once published, the review and sign-off, and next year's draft with its evidence
taken again a year on. On hand-built data at the suite's today (16 November 2026)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from audits.models import Grade
from performance.models import IndicatorYear
from quality.evaluation import documents, self_evaluation
from quality.evaluation.citations import a_year_on
from quality.evaluation.models import Citation, EvaluationDocument, Question, SelfEvaluation
from quality.org.models import ChangeRecord
from quality.reports.models import PracticeTheme
from tests.evaluation.test_triangulation import audits, on, red_kpi
from tests.factories import AuditFactory, moderated

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

NOVEMBER = {"kind": "monthly", "period": "2026-11"}


def good_after(area, **period) -> dict:
    return {"area": area.pk, "figure": "good_after", **(period or NOVEMBER)}


def draft(qa_lead, year=2026) -> SelfEvaluation:
    return self_evaluation.self_evaluation_start(actor=qa_lead.user, year=year)


def statement_in(evaluation, actor, area, text="Most audits are good, and moderation agrees.") -> object:
    return self_evaluation.statement_save(
        actor=actor.user, evaluation=evaluation, text=text, question=Question.KNOW, service_area=area
    )


def publish(evaluation, qa_lead, senior_leader) -> SelfEvaluation:
    self_evaluation.review_send(actor=qa_lead.user, evaluation=evaluation)
    return self_evaluation.sign_off(actor=senior_leader.user, evaluation=evaluation, note="Agreed.")


def test_a_figure_is_cited_with_its_value_period_source_and_link(tool_version, own_area, qa_lead):
    audits(tool_version, own_area, ["good", "good", "good", "outstanding", "requires_improvement"])
    statement = statement_in(draft(qa_lead), qa_lead, own_area)

    cited = self_evaluation.citation_add(
        actor=qa_lead.user, statement=statement, kind=Citation.Kind.FIGURE, source=good_after(own_area)
    )

    assert cited.label == f"Audits graded good or outstanding after moderation, {own_area.name}"
    assert (cited.value, cited.period) == ("80% (4 of 5)", "November 2026")
    assert cited.source_label == f"Triangulation of {own_area.name}"
    assert cited.link == f"/evaluation/areas/{own_area.pk}/?kind=monthly&period=2026-11"


def test_each_kind_of_evidence_is_taken_from_its_own_source(tool_version, own_area, qa_lead):
    from tests.evidence.survey_helpers import open_survey

    good, *_ = audits(tool_version, own_area, ["good", "inadequate"], strengths="The chronology is clear.")
    moderated(good, Grade.REQUIRES_IMPROVEMENT, on=date(2026, 11, 12))
    theme = PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"])
    indicator = red_kpi(own_area)
    survey = open_survey(qa_lead.user, area=own_area)
    statement = statement_in(draft(qa_lead), qa_lead, own_area)

    def cite(kind, source):
        return self_evaluation.citation_add(actor=qa_lead.user, statement=statement, kind=kind, source=source)

    chart = cite(Citation.Kind.CHART, {"area": own_area.pk, **NOVEMBER})
    audit = cite(Citation.Kind.AUDIT, {"audit": good.pk})
    mentioned = cite(Citation.Kind.THEME, {"theme": theme.pk, **NOVEMBER})
    kpi = cite(Citation.Kind.KPI, {"indicator": indicator.pk, "area": own_area.pk, "month": "2026-11"})
    answered = cite(Citation.Kind.SURVEY, {"survey": survey.pk})

    assert chart.rows[0] == ["Period", "Audits graded", "Good or outstanding before moderation", "After moderation"]
    assert chart.rows[-1] == ["November 2026", "2", "50%", "0%"]
    assert audit.value == "Requires Improvement (moderated from Good)"
    assert audit.label == f"Audit of case {good.case_reference}, {own_area.name}"
    assert mentioned.value.startswith("100% (2 of 2) audits; 0 observations")
    assert (kpi.period, kpi.value.endswith("(Red)")) == ("November 2026", True)
    assert answered.value == "0 responses"


def test_a_published_citation_keeps_its_value_when_the_data_behind_it_change(
    tool_version, own_area, qa_lead, senior_leader
):
    audits(tool_version, own_area, ["good", "good", "good", "outstanding", "requires_improvement"])
    indicator = red_kpi(own_area)
    evaluation = draft(qa_lead)
    statement = statement_in(evaluation, qa_lead, own_area)
    for kind, source in [
        (Citation.Kind.FIGURE, good_after(own_area)),
        (Citation.Kind.KPI, {"indicator": indicator.pk, "area": own_area.pk, "month": "2026-11"}),
    ]:
        self_evaluation.citation_add(actor=qa_lead.user, statement=statement, kind=kind, source=source)
    published = publish(evaluation, qa_lead, senior_leader)
    frozen = published.frozen

    audits(tool_version, own_area, ["inadequate", "inadequate", "inadequate"])  # the data change after
    IndicatorYear.objects.filter(indicator=indicator).update(target=40)  # 50% is no longer red

    published.refresh_from_db()
    assert self_evaluation.content_of(published) == frozen
    assert [entry["value"] for entry in frozen["evidence"]][0] == "80% (4 of 5)"
    assert list(statement.citations.values_list("value", flat=True))[0] == "80% (4 of 5)"
    assert frozen["evidence"][1]["value"].endswith("(Red)")
    # ... while the same figure taken now has moved
    assert self_evaluation._fields(Citation.Kind.FIGURE, good_after(own_area))["value"] == "50% (4 of 8)"
    with pytest.raises(ValidationError, match="published"):
        self_evaluation.statement_save(actor=qa_lead.user, evaluation=published, statement=statement, text="Changed")
    with pytest.raises(ValidationError, match="published"):
        self_evaluation.citation_add(
            actor=qa_lead.user, statement=statement, kind=Citation.Kind.FIGURE, source=good_after(own_area)
        )


def test_the_published_content_is_the_document_with_numbered_statements_and_an_evidence_appendix(
    tool_version, own_area, other_area, qa_lead, senior_leader
):
    audits(tool_version, own_area, ["good"])
    evaluation = draft(qa_lead)
    first = statement_in(evaluation, qa_lead, own_area, "First.")
    statement_in(evaluation, qa_lead, other_area, "Second, <b>not bold</b>.")
    self_evaluation.citation_add(
        actor=qa_lead.user, statement=first, kind=Citation.Kind.FIGURE, source=good_after(own_area)
    )

    content = publish(evaluation, qa_lead, senior_leader).frozen

    assert [chapter["question"] for chapter in content["chapters"]] == [question.label for question in Question]
    sections = content["chapters"][0]["sections"]
    in_order = sorted([own_area, other_area], key=lambda area: area.code)  # the sections: areas by code
    assert [(section["heading"], section["statements"][0]["number"]) for section in sections] == [
        (in_order[0].name, "1.1.1"),
        (in_order[1].name, "1.2.1"),
    ]
    assert content["evidence"][0]["ref"] == "E1"
    assert content["evidence"][0]["link"].endswith(f"/evaluation/areas/{own_area.pk}/?kind=monthly&period=2026-11")
    assert (content["state"], content["signed_off_by"]) == ("published", senior_leader.full_name)
    assert content["signed_off_on"] == "2026-11-16"


def test_review_comments_return_and_sign_off_follow_the_states_and_are_recorded(
    own_area, qa_lead, head_of_service, senior_leader
):
    evaluation = draft(qa_lead)
    with pytest.raises(ValidationError, match="at least one statement"):
        self_evaluation.review_send(actor=qa_lead.user, evaluation=evaluation)
    statement_in(evaluation, qa_lead, own_area)
    with pytest.raises(ValidationError, match="review"):
        self_evaluation.comment_add(actor=head_of_service.user, evaluation=evaluation, text="Early")
    with pytest.raises(ValidationError, match="signed off"):
        self_evaluation.sign_off(actor=senior_leader.user, evaluation=evaluation)

    self_evaluation.review_send(actor=qa_lead.user, evaluation=evaluation)
    comment = self_evaluation.comment_add(actor=head_of_service.user, evaluation=evaluation, text="Say more.")
    with pytest.raises(ValidationError):
        self_evaluation.review_return(actor=senior_leader.user, evaluation=evaluation, reason=" ")
    self_evaluation.review_return(actor=senior_leader.user, evaluation=evaluation, reason="Add the KPIs.")
    self_evaluation.review_send(actor=qa_lead.user, evaluation=evaluation)
    self_evaluation.sign_off(actor=senior_leader.user, evaluation=evaluation)

    assert comment.evaluation_id == evaluation.pk
    records = ChangeRecord.objects.filter(target_id=evaluation.pk).order_by("pk")
    assert [(r.action, r.actor_id, r.reason) for r in records] == [
        ("self_evaluation_start", qa_lead.user.pk, ""),
        ("self_evaluation_review", qa_lead.user.pk, ""),
        ("self_evaluation_return", senior_leader.user.pk, "Add the KPIs."),
        ("self_evaluation_review", qa_lead.user.pk, ""),
        ("self_evaluation_sign_off", senior_leader.user.pk, ""),
    ]
    with pytest.raises(ValidationError, match="published"):
        self_evaluation.comment_add(actor=head_of_service.user, evaluation=evaluation, text="Late")


def test_signing_off_queues_the_pdf_and_the_word_file_which_a_worker_builds_once(
    own_area, qa_lead, senior_leader, media_root, django_capture_on_commit_callbacks
):
    evaluation = draft(qa_lead)
    statement_in(evaluation, qa_lead, own_area)
    with django_capture_on_commit_callbacks() as queued:
        publish(evaluation, qa_lead, senior_leader)

    rows = list(EvaluationDocument.objects.filter(evaluation=evaluation).order_by("format"))
    assert [(row.format, row.state) for row in rows] == [("docx", "queued"), ("pdf", "queued")]
    assert len(queued) == 2
    for row in rows:
        assert documents.document_generate(document_id=row.pk) is not None
        assert documents.document_generate(document_id=row.pk) is None  # delivered twice: built once
        row.refresh_from_db()
        assert row.state == "ready" and row.file.name.endswith(f"self-evaluation-2026.{row.format}")


def test_next_years_draft_carries_the_statements_over_with_their_evidence_a_year_on(
    tool_version, own_area, qa_lead, senior_leader
):
    AuditFactory(tool_version=tool_version, service_area=own_area, overall_grade="good", submitted_at=on(10))
    last_year = draft(qa_lead, year=2025)
    statement = statement_in(last_year, qa_lead, own_area, "Audits were good.")
    source = good_after(own_area, kind="monthly", period="2025-11")
    self_evaluation.citation_add(actor=qa_lead.user, statement=statement, kind=Citation.Kind.FIGURE, source=source)
    publish(last_year, qa_lead, senior_leader)

    this_year = draft(qa_lead, year=2026)

    carried = this_year.statements.get()
    assert (carried.carried_from, carried.text, carried.unchanged_since_last_year) == (
        statement,
        "Audits were good.",
        True,
    )
    citation = carried.citations.get()
    assert citation.source == {**source, "period": "2026-11"}
    assert (citation.value, citation.period) == ("100% (1 of 1)", "November 2026")
    assert (citation.previous_value, citation.previous_period) == ("nothing to count", "November 2025")
    assert this_year.previous == last_year
    started = ChangeRecord.objects.get(target_id=this_year.pk, action="self_evaluation_start")
    assert started.summary == "Started the self-evaluation for 2026 from 2025's, 1 statement carried over."
    with pytest.raises(ValidationError, match="already"):
        draft(qa_lead, year=2026)


def test_a_source_moves_on_a_year_by_its_kind_of_period():
    assert a_year_on("figure", {"area": 1, "kind": "quarterly", "period": "2025-Q3"})["period"] == "2026-Q3"
    assert a_year_on("figure", {"area": 1, "kind": "annual", "period": "2025"})["period"] == "2026"
    assert a_year_on("kpi", {"indicator": 1, "area": 1, "month": "2025-12"})["month"] == "2026-12"
    assert a_year_on("audit", {"audit": 7}) == {"audit": 7}
