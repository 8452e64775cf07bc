"""Running a survey: open a round, make its one-time links, take a response once per link.

The QA unit's changes leave a ChangeRecord (quality.org: who, when, what), as every change of a record
that matters does. A response is not one of them: it comes from nobody the portal knows, and its only
record is its link's used_at, set in the same transaction.

A link's token is 32 random URL-safe characters (192 bits). Only its SHA-256 is stored: `links_make`
hands the tokens back once, for the QA unit to send; nobody can read them again afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audits.models import AuditTool, Question, ToolVersion
from audits.services import CASE_REFERENCE
from quality.org.models import ServiceArea
from quality.org.services import change_record

from .messages import (
    CASE_REFERENCE_INVALID,
    LINKS_NEEDED,
    TOO_MANY_LINKS,
    TOOL_NOT_A_PUBLISHED_SURVEY,
    WINDOW_BACKWARDS,
)
from .models import Response, ResponseAnswer, Survey, SurveyLink

MOST_LINKS_AT_ONCE = 500
TOKEN_BYTES = 24


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def survey_create(
    *,
    actor,
    title: str,
    tool_version: ToolVersion,
    audience: str,
    easy_read: bool,
    service_area: ServiceArea | None,
    opens_on: date,
    closes_on: date,
) -> Survey:
    errors = {}
    if tool_version.state != ToolVersion.State.PUBLISHED or tool_version.tool.purpose != AuditTool.Purpose.SURVEY:
        errors["tool_version"] = TOOL_NOT_A_PUBLISHED_SURVEY
    if closes_on < opens_on:
        errors["closes_on"] = WINDOW_BACKWARDS
    if errors:
        raise ValidationError(errors)
    survey = Survey.objects.create(
        title=title.strip(),
        tool_version=tool_version,
        audience=audience,
        easy_read=easy_read,
        service_area=service_area,
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=actor,
    )
    change_record(
        actor=actor,
        target=survey,
        action="survey.create",
        summary=f"Opened the survey {survey.title} ({survey.get_audience_display()}, "
        f"{opens_on:%-d %b %Y} to {closes_on:%-d %b %Y}) on {tool_version}",
    )
    return survey


def case_references_from(text: str) -> list[str]:
    """One case reference a line (blank lines skipped), upper-cased; a line that is not one is refused
    with its line number."""
    references, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        reference = line.strip().strip(",").strip().upper()
        if not reference:
            continue
        if not CASE_REFERENCE.match(reference):
            errors.append(CASE_REFERENCE_INVALID.format(line=number))
        references.append(reference)
    if errors:
        raise ValidationError({"case_references": errors})
    return references


@dataclass(frozen=True)
class MadeLink:
    token: str  # shown once, never stored
    case_reference: str


@transaction.atomic
def links_make(*, actor, survey: Survey, count: int = 0, case_references: list[str] = ()) -> list[MadeLink]:
    """`count` links about no case, and one link about each of `case_references`: the tokens, once."""
    wanted = count + len(case_references)
    if wanted < 1:
        raise ValidationError({"count": LINKS_NEEDED})
    if wanted > MOST_LINKS_AT_ONCE:
        raise ValidationError({"count": TOO_MANY_LINKS.format(limit=MOST_LINKS_AT_ONCE)})
    made = [
        MadeLink(secrets.token_urlsafe(TOKEN_BYTES), reference) for reference in [""] * count + list(case_references)
    ]
    SurveyLink.objects.bulk_create(
        SurveyLink(survey=survey, token_hash=token_hash(link.token), case_reference=link.case_reference)
        for link in made
    )
    about = f", {len(case_references)} of them about a case" if case_references else ""
    change_record(
        actor=actor,
        target=survey,
        action="survey.links",
        summary=f"Made {wanted} one-time link{'s' if wanted != 1 else ''}{about}",
    )
    return made


def link_for(token: str) -> SurveyLink | None:
    """The link a token opens, with its survey and tool version; None for a token that opens none."""
    return SurveyLink.objects.select_related("survey__tool_version").filter(token_hash=token_hash(token)).first()


class LinkUsed(Exception):
    """The link was used (by another request, a second press of the button) before this one got to it."""


@transaction.atomic
def response_submit(*, token: str, answers: dict[str, object]) -> Response:
    """Save one response through its link, once: the link is locked, checked unused and marked used in
    the same transaction as the answers are saved, so two requests racing with one link save one
    response. `answers` come by question key; empty answers are not stored."""
    link = SurveyLink.objects.select_for_update().select_related("survey").filter(token_hash=token_hash(token)).first()
    if link is None or link.used_at is not None:
        raise LinkUsed
    now = timezone.now()
    link.used_at = now
    link.save(update_fields=["used_at"])
    response = Response.objects.create(survey=link.survey, submitted_on=timezone.localdate(now))
    questions = Question.objects.filter(section__version_id=link.survey.tool_version_id, key__in=list(answers))
    ResponseAnswer.objects.bulk_create(
        ResponseAnswer(response=response, question=question, value=answers[question.key])
        for question in questions
        if answers[question.key] not in (None, "", [])
    )
    return response
