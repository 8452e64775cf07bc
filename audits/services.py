"""Audit tools: drafting, publishing, retiring and copying versions.

A published version never changes. Every change of a version's state leaves a ChangeRecord.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from quality.org.models import ServiceArea
from quality.org.services import change_record

from .messages import (
    CHOICES_NEEDED,
    DRAFT_EXISTS,
    KEY_REPEATED,
    NOTHING_TO_COPY,
    PUBLISH_EMPTY,
    RETIRED_AREA,
    TOOL_NAME_TAKEN,
    VERSION_NOT_DRAFT,
)
from .models import AnalysisArea, AuditTool, Question, Section, ToolVersion

# The default shape of a new tool: one section per area of analysis, each graded with evidence.
SEVEN_AREA_PROMPTS = {
    AnalysisArea.NARRATIVE: "Do workers know the family? Is the chronology up to date and good?",
    AnalysisArea.ASSESSMENT: "Are risks, parental capacity and strengths assessed and analysed?",
    AnalysisArea.PLANNING: "Is the plan clear and SMART, understood by the family and agencies?",
    AnalysisArea.RELATIONSHIP: "Is there rapport and trust between the worker and the family?",
    AnalysisArea.OUTCOMES: "Is significant change happening, and can the difference be shown?",
    AnalysisArea.SUPERVISION: "Does supervision give direction and reflection, often enough?",
    AnalysisArea.MANAGEMENT_OVERSIGHT: "Is practice leadership evident at every level?",
}


def default_sections() -> list[dict]:
    """The seven areas of analysis as tool-file sections (see audits/tool_files.py)."""
    return [
        {
            "title": area.label,
            "analysis_area": area.value,
            "help_text": prompt,
            "questions": [
                {
                    "key": f"{area.value}-grade",
                    "text": f"Grade for {area.label.lower()}",
                    "type": Question.Type.GRADE,
                    "required": True,
                },
                {
                    "key": f"{area.value}-evidence",
                    "text": "What did you find? Give the evidence for the grade.",
                    "type": Question.Type.NARRATIVE,
                    "required": True,
                },
            ],
        }
        for area, prompt in SEVEN_AREA_PROMPTS.items()
    ]


def _check_draft(version: ToolVersion) -> None:
    if not version.is_editable:
        raise ValidationError(VERSION_NOT_DRAFT)


def version_fill(*, version: ToolVersion, sections: list[dict]) -> None:
    """Replace a draft's sections and questions with `sections` (tool-file shape), in bulk."""
    _check_draft(version)
    version.sections.all().delete()
    created = Section.objects.bulk_create(
        Section(
            version=version,
            title=s["title"],
            analysis_area=s.get("analysis_area") or "",
            help_text=s.get("help_text") or "",
            order=index,
        )
        for index, s in enumerate(sections, start=1)
    )
    Question.objects.bulk_create(
        Question(
            section=section,
            key=q["key"],
            text=q["text"],
            type=q["type"],
            required=bool(q.get("required", False)),
            allow_not_applicable=bool(q.get("allow_not_applicable", False)),
            choices=list(q.get("choices") or []),
            help_text=q.get("help_text") or "",
            order=index,
        )
        for section, s in zip(created, sections, strict=True)
        for index, q in enumerate(s.get("questions", []), start=1)
    )


@transaction.atomic
def tool_create(
    *,
    actor,
    name: str,
    service_area: ServiceArea | None,
    purpose: str,
    description: str = "",
    sections: list[dict] | None = None,
) -> AuditTool:
    """A new tool with a first draft version: the seven areas of analysis unless `sections` is given."""
    name = name.strip()
    if AuditTool.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": TOOL_NAME_TAKEN})
    if service_area is not None and not service_area.is_active:
        raise ValidationError({"service_area": RETIRED_AREA})
    tool = AuditTool.objects.create(name=name, service_area=service_area, purpose=purpose, description=description)
    version = ToolVersion.objects.create(tool=tool, number=1, created_by=actor)
    version_fill(version=version, sections=default_sections() if sections is None else sections)
    change_record(actor=actor, target=tool, action="tool.create", summary=f"Created tool {tool} with draft version 1")
    return tool


@transaction.atomic
def version_start_draft(*, actor, tool: AuditTool, notes: str = "") -> ToolVersion:
    """A new draft copied from the newest version; the published one stays in use until the draft is published."""
    tool = AuditTool.objects.select_for_update().get(pk=tool.pk)
    if tool.versions.filter(state=ToolVersion.State.DRAFT).exists():
        raise ValidationError(DRAFT_EXISTS)
    source = tool.versions.order_by("-number").first()
    if source is None:
        raise ValidationError(NOTHING_TO_COPY)
    from .tool_files import version_sections

    draft = ToolVersion.objects.create(tool=tool, number=source.number + 1, created_by=actor, notes=notes)
    version_fill(version=draft, sections=version_sections(source))
    change_record(
        actor=actor, target=tool, action="tool.draft", summary=f"Draft version {draft.number} from {source.number}"
    )
    return draft


def version_problems(version: ToolVersion) -> list[str]:
    """Why a draft cannot be published yet (empty when it can)."""
    questions = list(Question.objects.filter(section__version=version))
    problems = []
    if not questions:
        problems.append(PUBLISH_EMPTY)
    keys = [q.key for q in questions]
    if len(keys) != len(set(keys)):
        problems.append(KEY_REPEATED)
    problems += [
        f"{q.text[:60]}: {CHOICES_NEEDED}" for q in questions if q.type in Question.CHOICE_TYPES and len(q.choices) < 2
    ]
    return problems


@transaction.atomic
def version_publish(*, actor, version: ToolVersion) -> ToolVersion:
    """Publish a draft. The version published before it is retired: audits on it stay readable."""
    version = ToolVersion.objects.select_for_update().get(pk=version.pk)
    _check_draft(version)
    problems = version_problems(version)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    previous = version.tool.versions.filter(state=ToolVersion.State.PUBLISHED)
    for old in previous:
        change_record(actor=actor, target=version.tool, action="tool.retire", summary=f"Version {old.number} retired")
    previous.update(state=ToolVersion.State.RETIRED, retired_at=now)
    version.state, version.published_at, version.published_by = ToolVersion.State.PUBLISHED, now, actor
    version.save(update_fields=["state", "published_at", "published_by"])
    change_record(
        actor=actor, target=version.tool, action="tool.publish", summary=f"Version {version.number} published"
    )
    return version


@transaction.atomic
def version_retire(*, actor, version: ToolVersion, reason: str) -> ToolVersion:
    """Take a published version out of use (no new audits on it); its audits stay as they are."""
    version = ToolVersion.objects.select_for_update().get(pk=version.pk)
    if version.state != ToolVersion.State.PUBLISHED:
        raise ValidationError("Only the published version can be retired.")
    version.state, version.retired_at = ToolVersion.State.RETIRED, timezone.now()
    version.save(update_fields=["state", "retired_at"])
    change_record(
        actor=actor,
        target=version.tool,
        action="tool.retire",
        summary=f"Version {version.number} retired",
        reason=reason,
    )
    return version


def next_version_number(tool: AuditTool) -> int:
    return (tool.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def _next_order(queryset) -> int:
    return (queryset.aggregate(n=Max("order"))["n"] or 0) + 1


@transaction.atomic
def section_save(*, version: ToolVersion, section: Section | None = None, **fields) -> Section:
    """Add a section to a draft (section None) or change one."""
    _check_draft(version)
    if section is None:
        section = Section(version=version, order=_next_order(version.sections))
    for name, value in fields.items():
        setattr(section, name, value)
    section.save()
    return section


@transaction.atomic
def question_save(*, section: Section, question: Question | None = None, **fields) -> Question:
    """Add a question to a draft's section (question None) or change one; keys stay unique in the version."""
    _check_draft(section.version)
    clash = Question.objects.filter(section__version=section.version, key=fields["key"])
    if question is not None:
        clash = clash.exclude(pk=question.pk)
    if clash.exists():
        raise ValidationError({"key": KEY_REPEATED})
    if fields["type"] in Question.CHOICE_TYPES and len(fields.get("choices") or []) < 2:
        raise ValidationError({"choices": CHOICES_NEEDED})
    if question is None:
        question = Question(section=section, order=_next_order(section.questions))
    for name, value in fields.items():
        setattr(question, name, value)
    question.save()
    return question


@transaction.atomic
def part_delete(*, part: Section | Question) -> None:
    """Remove a section (with its questions) or a question from a draft."""
    version = part.version if isinstance(part, Section) else part.section.version
    _check_draft(version)
    part.delete()


@transaction.atomic
def part_move(*, part: Section | Question, up: bool) -> None:
    """Swap a section or question with its neighbour, keeping `order` unique."""
    siblings = part.version.sections if isinstance(part, Section) else part.section.questions
    _check_draft(part.version if isinstance(part, Section) else part.section.version)
    neighbour = (
        siblings.filter(order__lt=part.order).order_by("-order").first()
        if up
        else siblings.filter(order__gt=part.order).order_by("order").first()
    )
    if neighbour is None:
        return
    mine, theirs = part.order, neighbour.order
    # Park one row outside the range first: the unique (parent, order) constraint is checked per row.
    part.order = _next_order(siblings) + 1
    part.save(update_fields=["order"])
    neighbour.order = mine
    neighbour.save(update_fields=["order"])
    part.order = theirs
    part.save(update_fields=["order"])
