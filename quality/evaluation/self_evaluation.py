"""The self-evaluation: its sections, what changes it, and the document it is (docs/evaluation.md).

A year's self-evaluation is drafted by the QA unit (statements in sections, each citing evidence frozen
as a Citation), sent to the heads of service, who comment, and signed off by a senior leader, which
publishes it: its whole content is then kept in `frozen`, and the page, the PDF and the Word file show
that, whatever happens to the data or the rows later. Every change of state is recorded with who, when
and why (quality.org.ChangeRecord). Next year's draft starts from the last published one: its statements
carried over, their evidence taken again a year on, last year's value beside each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from performance.models import Indicator
from quality.org.models import ServiceArea
from quality.org.services import change_record
from quality.queue import enqueue_on_commit

from . import citations
from .models import Citation, EvaluationDocument, Question, ReviewComment, SelfEvaluation, Statement

State = SelfEvaluation.State

YEAR_TAKEN = "There is already a self-evaluation for {year}."
FROZEN = "The self-evaluation for {year} is published: nothing in it can change."
NOT_IN_REVIEW = "Comments are taken while the draft is with the heads of service for review."
NOT_DRAFTING = "Only a draft being written can be sent for review."
NOT_WITH_REVIEWERS = "Only a draft with the heads of service can be {what}."
NOTHING_WRITTEN = "Write at least one statement before sending the draft for review."
TEXT_REQUIRED = "Write the statement."
COMMENT_REQUIRED = "Write your comment."
REASON_REQUIRED = "Say why: it is kept with the change."
NO_LONGER_THERE = "No longer in the portal"
AREA_KIND, PRIORITY_KIND = "Service area", "Priority area"


def title_of(evaluation: SelfEvaluation) -> str:
    return f"Self-evaluation of social work practice, {evaluation.year}"


# ---------------------------------------------------------------------------------------
# Sections: a chapter per question, a section per service area and per priority area


@dataclass
class Section:
    question: int
    heading: str
    kind_label: str
    service_area: ServiceArea | None = None
    priority_area: str = ""
    statements: list[Statement] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        return (self.question, self.service_area.pk if self.service_area else None, self.priority_area)


def section_headings(statements: list[Statement]) -> list[tuple[ServiceArea | None, str]]:
    """The sections of every chapter, in order: the active service areas by code (and any other area a
    statement is about, so a restructured area keeps its history), then the scorecard's priority areas
    in the catalogue's order (and any a statement names)."""
    areas = {area.pk: area for area in ServiceArea.objects.filter(is_active=True)}
    areas.update({s.service_area.pk: s.service_area for s in statements if s.service_area is not None})
    priorities = list(
        Indicator.objects.filter(is_active=True)
        .values("priority_area")
        .annotate(first=Min("display_order"))
        .order_by("first", "priority_area")
        .values_list("priority_area", flat=True)
    )
    priorities += sorted({s.priority_area for s in statements if s.priority_area} - set(priorities))
    return [(area, "") for area in sorted(areas.values(), key=lambda a: a.code)] + [
        (None, name) for name in priorities if name
    ]


def chapters_of(evaluation: SelfEvaluation) -> list[tuple[Question, list[Section]]]:
    """Every chapter with every section and its statements (citations and comments prefetched)."""
    statements = list(
        evaluation.statements.select_related("service_area", "carried_from", "written_by").prefetch_related(
            "citations", "comments__author__person"
        )
    )
    headings = section_headings(statements)
    chapters = []
    for question in Question:
        sections = {
            (question.value, area.pk if area else None, priority): Section(
                question.value,
                area.name if area else priority,
                AREA_KIND if area else PRIORITY_KIND,
                area,
                priority,
            )
            for area, priority in headings
        }
        for statement in statements:
            statement.evidence = [evidence_entry(citation) for citation in statement.citations.all()]
            if statement.question == question.value:
                sections[(question.value, statement.service_area_id, statement.priority_area)].statements.append(
                    statement
                )
        chapters.append((question, list(sections.values())))
    return chapters


# ---------------------------------------------------------------------------------------
# The document: one content for the page, the PDF and the Word file


def content_of(evaluation: SelfEvaluation) -> dict:
    """The self-evaluation as a document (quality/evaluation/outputs.py's contract): the frozen content
    once published, else built from its rows now. Sections without a statement are left out."""
    return evaluation.frozen if evaluation.is_frozen else _content_now(evaluation)


def _content_now(evaluation: SelfEvaluation) -> dict:
    evidence: list[dict] = []
    chapters = []
    for question, sections in chapters_of(evaluation):
        written = [section for section in sections if section.statements]
        chapters.append(
            {
                "number": question.value,
                "question": question.label,
                "sections": [
                    _section_content(question.value, index, section, evidence)
                    for index, section in enumerate(written, 1)
                ],
            }
        )
    signed_off = timezone.localdate(evaluation.signed_off_at).isoformat() if evaluation.signed_off_at else None
    return {
        "title": title_of(evaluation),
        "year": evaluation.year,
        "state": evaluation.state,
        "state_label": evaluation.get_state_display(),
        "signed_off_by": evaluation.signed_off_by.person.full_name if evaluation.signed_off_by else None,
        "signed_off_on": signed_off,
        "published_on": signed_off,
        "chapters": chapters,
        "evidence": evidence,
    }


def _section_content(chapter: int, number: int, section: Section, evidence: list[dict]) -> dict:
    statements = []
    for index, statement in enumerate(section.statements, 1):
        refs = []
        for citation in statement.citations.all():
            ref = f"E{len(evidence) + 1}"
            evidence.append({"ref": ref, **evidence_entry(citation)})
            refs.append(ref)
        statements.append({"number": f"{chapter}.{number}.{index}", "text": statement.text, "refs": refs})
    return {"heading": section.heading, "kind_label": section.kind_label, "statements": statements}


def evidence_entry(citation: Citation) -> dict:
    """A citation as the document shows it (its appendix adds the reference, E1, E2...)."""
    previous = (
        {"value": citation.previous_value, "period": citation.previous_period} if citation.previous_value else None
    )
    return {
        "kind_label": citation.get_kind_display(),
        "label": citation.label,
        "value": citation.value,
        "period": citation.period,
        "source": citation.source_label,
        "link": f"{settings.PORTAL_URL.rstrip('/')}{citation.link}",
        "path": citation.link if citation.link.startswith("/") else "",  # only ever the portal's own pages
        "taken_on": timezone.localdate(citation.taken_at).isoformat(),
        "rows": citation.rows,
        "previous": previous,
    }


# ---------------------------------------------------------------------------------------
# Writing: statements and their evidence


def _locked(evaluation: SelfEvaluation) -> SelfEvaluation:
    """The evaluation locked for the change, refused once published."""
    evaluation = SelfEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.is_frozen:
        raise ValidationError(FROZEN.format(year=evaluation.year))
    return evaluation


@transaction.atomic
def statement_save(
    *,
    actor,
    evaluation: SelfEvaluation,
    text: str,
    statement: Statement | None = None,
    question: int | None = None,
    service_area: ServiceArea | None = None,
    priority_area: str = "",
) -> Statement:
    """A new statement in a section (question and area or priority area), or `statement`'s text changed."""
    _locked(evaluation)
    if not text.strip():
        raise ValidationError({"text": [TEXT_REQUIRED]})
    if statement is None:
        statement = Statement(
            evaluation=evaluation, question=question, service_area=service_area, priority_area=priority_area
        )
    statement.text, statement.written_by = text.strip(), actor
    statement.full_clean(exclude=["evaluation", "written_by", "carried_from"])
    statement.save()
    return statement


@transaction.atomic
def statement_delete(*, actor, statement: Statement) -> None:
    _locked(statement.evaluation)
    statement.delete()


@transaction.atomic
def citation_add(*, actor, statement: Statement, kind: str, source: dict) -> Citation:
    """Cite evidence in the statement: computed now and kept as it is (citations.snapshot)."""
    _locked(statement.evaluation)
    return Citation.objects.create(
        statement=statement, kind=kind, source=source, taken_at=timezone.now(), **_fields(kind, source)
    )


def _fields(kind: str, source: dict) -> dict:
    taken = citations.snapshot(kind, source)
    return {
        "label": taken.label,
        "value": taken.value,
        "period": taken.period,
        "source_label": taken.source_label,
        "link": taken.link,
        "rows": taken.rows,
    }


@transaction.atomic
def citation_remove(*, actor, citation: Citation) -> None:
    _locked(citation.statement.evaluation)
    citation.delete()


# ---------------------------------------------------------------------------------------
# The year's draft, review, sign-off


def _record(actor, evaluation: SelfEvaluation, action: str, summary: str, reason: str = "") -> None:
    change_record(actor=actor, target=evaluation, action=action, summary=summary, reason=reason)


@transaction.atomic
def self_evaluation_start(*, actor, year: int) -> SelfEvaluation:
    """The year's draft: empty, or (when an earlier year's is published) its statements carried over with
    their evidence taken again a year on, last year's value kept beside each."""
    if SelfEvaluation.objects.filter(year=year).exists():
        raise ValidationError({"year": [YEAR_TAKEN.format(year=year)]})
    previous = SelfEvaluation.objects.filter(state=State.PUBLISHED, year__lt=year, next_year__isnull=True).first()
    evaluation = SelfEvaluation.objects.create(year=year, previous=previous, created_by=actor)
    carried = 0
    if previous is not None:
        carried = _carry_over(actor, previous, evaluation)
    summary = f"Started the self-evaluation for {year}"
    carried_over = f"{carried} statement{'' if carried == 1 else 's'} carried over"
    summary += f" from {previous.year}'s, {carried_over}." if previous else "."
    _record(actor, evaluation, "self_evaluation_start", summary)
    return evaluation


def _carry_over(actor, previous: SelfEvaluation, evaluation: SelfEvaluation) -> int:
    old_statements = list(previous.statements.prefetch_related("citations"))
    for old in old_statements:
        statement = Statement.objects.create(
            evaluation=evaluation,
            question=old.question,
            service_area_id=old.service_area_id,
            priority_area=old.priority_area,
            text=old.text,
            carried_from=old,
            written_by=actor,
        )
        Citation.objects.bulk_create(_refreshed(statement, citation) for citation in old.citations.all())
    return len(old_statements)


def _refreshed(statement: Statement, old: Citation) -> Citation:
    """`old` taken again a year on; kept as it was, and said so, when its source is no longer there."""
    source = citations.a_year_on(old.kind, old.source)
    try:
        fields = _fields(old.kind, source)
    except (ObjectDoesNotExist, ValueError):
        fields = {
            "label": old.label,
            "value": NO_LONGER_THERE,
            "period": old.period,
            "source_label": old.source_label,
            "link": old.link,
            "rows": [],
        }
    return Citation(
        statement=statement,
        kind=old.kind,
        source=source,
        taken_at=timezone.now(),
        previous_value=old.value,
        previous_period=old.period,
        **fields,
    )


@transaction.atomic
def review_send(*, actor, evaluation: SelfEvaluation) -> SelfEvaluation:
    evaluation = _locked(evaluation)
    if evaluation.state != State.DRAFT:
        raise ValidationError(NOT_DRAFTING)
    if not evaluation.statements.exists():
        raise ValidationError(NOTHING_WRITTEN)
    evaluation.state = State.IN_REVIEW
    evaluation.save(update_fields=["state"])
    _record(actor, evaluation, "self_evaluation_review", "Sent the draft to the heads of service for review.")
    return evaluation


@transaction.atomic
def comment_add(*, actor, evaluation: SelfEvaluation, text: str, statement: Statement | None = None) -> ReviewComment:
    evaluation = _locked(evaluation)
    if evaluation.state != State.IN_REVIEW:
        raise ValidationError(NOT_IN_REVIEW)
    if not text.strip():
        raise ValidationError({"text": [COMMENT_REQUIRED]})
    return ReviewComment.objects.create(evaluation=evaluation, statement=statement, author=actor, text=text.strip())


@transaction.atomic
def review_return(*, actor, evaluation: SelfEvaluation, reason: str) -> SelfEvaluation:
    """Back to drafting with the reviewers' comments, for the QA unit to work on."""
    evaluation = _locked(evaluation)
    if evaluation.state != State.IN_REVIEW:
        raise ValidationError(NOT_WITH_REVIEWERS.format(what="returned for more work"))
    if not reason.strip():
        raise ValidationError({"reason": [REASON_REQUIRED]})
    evaluation.state = State.DRAFT
    evaluation.save(update_fields=["state"])
    _record(actor, evaluation, "self_evaluation_return", "Returned the draft for more work.", reason.strip())
    return evaluation


@transaction.atomic
def sign_off(*, actor, evaluation: SelfEvaluation, note: str = "") -> SelfEvaluation:
    """The senior leader's sign-off, which publishes: the content frozen as it stands, and its PDF and
    Word file queued for a worker."""
    from .tasks import build_evaluation_document  # the tasks module imports this one

    evaluation = _locked(evaluation)
    if evaluation.state != State.IN_REVIEW:
        raise ValidationError(NOT_WITH_REVIEWERS.format(what="signed off"))
    evaluation.state, evaluation.signed_off_by, evaluation.signed_off_at = State.PUBLISHED, actor, timezone.now()
    evaluation.frozen = _content_now(evaluation)
    evaluation.save(update_fields=["state", "signed_off_by", "signed_off_at", "frozen"])
    _record(actor, evaluation, "self_evaluation_sign_off", "Signed off and published.", note.strip())
    for file_format in EvaluationDocument.Format.values:
        document = EvaluationDocument.objects.create(evaluation=evaluation, format=file_format)
        enqueue_on_commit(build_evaluation_document, document.pk)
    return evaluation
