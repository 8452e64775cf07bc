"""What the survey pages read: the surveys with their counts, and a survey's results.

Small-number suppression is one rule, `shown`, used for every figure the results show: a group of one
to four people is never shown as a number ("fewer than 5"), and a survey with fewer than five responses
shows no breakdown at all, only that it has fewer than five.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q

from audits.forms import NOT_APPLICABLE, YES_NO_CHOICES
from audits.models import Grade, Question, Section
from evidence.tagging import themes_in
from quality.access import Action, can, visible

from .models import ResponseAnswer, Survey

SMALLEST_GROUP = 5
FEWER_THAN = f"fewer than {SMALLEST_GROUP}"


def shown(count: int) -> str:
    """The small-number rule: how a count of people may be shown. Nought and five or more as they are,
    one to four as 'fewer than 5', so that nobody in a small group can be picked out."""
    return FEWER_THAN if 0 < count < SMALLEST_GROUP else str(count)


def breakdown_allowed(responses: int) -> bool:
    """Answers per question only once the survey (or the group looked at) has five responses or more."""
    return responses >= SMALLEST_GROUP


def surveys_listed(user):
    return (
        visible(user, Survey.objects.all())
        .select_related("tool_version__tool", "service_area")
        .annotate(
            links_sent=Count("links", distinct=True),
            links_used=Count("links", filter=Q(links__used_at__isnull=False), distinct=True),
            response_count=Count("responses", distinct=True),
        )
    )


def _options(question: Question) -> list[tuple[str, str]]:
    match question.type:
        case Question.Type.GRADE:
            return list(Grade.choices) + ([NOT_APPLICABLE] if question.allow_not_applicable else [])
        case Question.Type.YES_NO:
            return list(YES_NO_CHOICES)
        case Question.Type.SINGLE_CHOICE | Question.Type.MULTIPLE_CHOICE:
            return [(choice, choice) for choice in question.choices]
    return []


@dataclass
class QuestionResult:
    question: Question
    answered: str
    counts: list[tuple[str, str]] = field(default_factory=list)  # (option, shown count) for choice questions
    texts: list[str] | None = None  # the answers in people's own words, for the QA unit only
    text_themes: list[list[str]] = field(default_factory=list)  # per text, the practice themes it mentions

    @property
    def tagged_texts(self) -> list[tuple[str, list[str]]]:
        return list(zip(self.texts or [], self.text_themes, strict=False))


@dataclass
class SurveyResults:
    links_sent: int
    responses: int
    breakdown: bool
    sections: list[tuple[Section, list[QuestionResult]]]

    @property
    def responses_shown(self) -> str:
        return shown(self.responses)

    @property
    def rate(self) -> str | None:
        """Responses as a share of the links sent, when the count itself may be shown."""
        if not self.links_sent or not self.breakdown:
            return None
        return f"{round(100 * self.responses / self.links_sent)}%"


def _question_result(question: Question, values: list, free_text: bool) -> QuestionResult:
    result = QuestionResult(question=question, answered=shown(len(values)))
    options = _options(question)
    if options:
        tally = Counter(item for value in values for item in (value if isinstance(value, list) else [value]))
        result.counts = [(label, shown(tally[option])) for option, label in options]
    elif free_text:
        result.texts = [str(value) for value in values]
    return result


def survey_results(user, survey: Survey) -> SurveyResults:
    responses = survey.responses.count()
    breakdown = breakdown_allowed(responses)
    sections = []
    if breakdown:
        values: dict[int, list] = {}
        for question_id, value in (
            ResponseAnswer.objects.filter(response__survey=survey).order_by("pk").values_list("question_id", "value")
        ):
            values.setdefault(question_id, []).append(value)
        free_text = can(user, Action.VIEW_SURVEY_FREE_TEXT)
        for section in survey.tool_version.sections.prefetch_related("questions"):
            sections.append(
                (
                    section,
                    [_question_result(q, values.get(q.pk, []), free_text) for q in section.questions.all()],
                )
            )
    _tag_texts([result for _, results in sections for result in results])
    return SurveyResults(links_sent=survey.links.count(), responses=responses, breakdown=breakdown, sections=sections)


def _tag_texts(results: list[QuestionResult]) -> None:
    """Tag every free-text answer with the practice themes it mentions, all in one go (evidence.tagging)."""
    texts = [text for result in results for text in result.texts or []]
    themes = iter(themes_in(texts))
    for result in results:
        result.text_themes = [next(themes) for _ in result.texts or []]
