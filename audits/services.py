"""Audit tools: drafting, publishing, retiring and copying versions.

A published version never changes. Every change of a version's state leaves a ChangeRecord.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from quality.org.messages import REASON_REQUIRED, RETIRED_AREA, TEAM_OUTSIDE_AREA
from quality.org.models import Membership, Person, Role, ServiceArea, Team
from quality.org.notify import notify
from quality.org.selectors import users_holding
from quality.org.services import change_record

from .cycle.dates import audit_period_start, cycle_for_due_date
from .messages import (
    ACTION_CLOSE_STATUS,
    ACTION_NOT_OPEN,
    ANSWER_REQUIRED,
    AUDIT_CONFLICT,
    AUDIT_NOT_DRAFT,
    AUDITOR_NOT_ELIGIBLE,
    CASE_HOLDER_NOT_PRACTITIONER,
    CASE_REFERENCE_INVALID,
    CHOICES_NEEDED,
    CONCERN_ALREADY_RAISED,
    CONCERN_DETAILS_REQUIRED,
    DISCUSSION_DATE_REQUIRED,
    DISCUSSION_REQUIRED,
    DRAFT_EXISTS,
    GRADE_REQUIRED_TO_CHANGE,
    KEY_REPEATED,
    NO_OPEN_DISPUTE,
    NOT_AWAITING_OVERSIGHT,
    NOTHING_TO_COPY,
    OUTCOME_REQUIRED,
    OVERALL_GRADE_REQUIRED,
    PARTICIPANT_ALREADY,
    PARTICIPANT_NOT_ELIGIBLE,
    PARTICIPANTS_PARTNERSHIP_ONLY,
    PROPOSED_GRADE_UNCHANGED,
    PUBLISH_EMPTY,
    TOOL_FOR_IMPORTS,
    TOOL_NAME_TAKEN,
    TOOL_NOT_FOR_AUDITS,
    TOOL_NOT_PUBLISHED,
    TOOL_WRONG_AREA,
    VERSION_NOT_DRAFT,
)
from .models import (
    AnalysisArea,
    Answer,
    AreaGrade,
    Audit,
    AuditEvent,
    AuditParticipant,
    AuditTool,
    Dispute,
    Grade,
    LearningAction,
    Question,
    Section,
    ToolVersion,
)

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


def seven_area_answers(grade: str, evidence: str) -> dict[str, str]:
    """Answers to every question of a default_sections() tool: the same grade and evidence for each area."""
    answers = {f"{area}-grade": grade for area in AnalysisArea.values}
    return answers | {f"{area}-evidence": evidence for area in AnalysisArea.values}


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
        for index, q in enumerate(s.get("questions") or [], start=1)
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


# ---------------------------------------------------------------------------------------
# Audits: drafting, submitting, oversight, disputes, closing. Every change of state or of
# a grade leaves an AuditEvent (who, when, old, new, why).

CASE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$")
GRADE_PREFIX = "grade:"  # AuditEvent.what for an area's grade: "grade:planning"


class AuditConflict(Exception):
    """A save based on an older revision: `changes` names what differs from the saved audit."""

    def __init__(self, audit: Audit, changes: list[str]):
        super().__init__(AUDIT_CONFLICT)
        self.audit, self.changes = audit, changes


def audit_event(audit: Audit, actor, what: str, old: str, new: str, reason: str = "") -> AuditEvent:
    """One entry of the audit's history, unsaved: the one definition of an event, for writers that
    save it at once (audit_event_record) and for imports that save theirs in bulk."""
    return AuditEvent(audit=audit, actor=actor, what=what, old_value=old, new_value=new, reason=reason)


def audit_event_record(audit: Audit, actor, what: str, old: str, new: str, reason: str = "") -> AuditEvent:
    """Write one entry of the audit's history (its changes of state and grade, who, when and why)."""
    event = audit_event(audit, actor, what, old, new, reason)
    event.save()
    return event


def _set_state(audit: Audit, actor, state: str, reason: str = "") -> None:
    audit_event_record(audit, actor, "state", audit.state, state, reason)
    audit.state = state


@transaction.atomic
def audit_create(
    *,
    actor,
    case_reference: str,
    service_area: ServiceArea,
    auditor: Person,
    tool_version: ToolVersion,
    kind: str = Audit.Kind.MONTHLY,
    team: Team | None = None,
    case_holder: Person | None = None,
    theme: str = "",
    period_end: date | None = None,
    due_on: date | None = None,
    notify_auditor: bool = True,
) -> Audit:
    """Start an audit and tell its auditor (unless the caller tells them itself, as distribution does:
    one message per auditor listing every case)."""
    case_reference = case_reference.strip().upper()
    errors = {}
    if not CASE_REFERENCE.match(case_reference):
        errors["case_reference"] = CASE_REFERENCE_INVALID
    if tool_version.state != ToolVersion.State.PUBLISHED:
        errors["tool_version"] = TOOL_NOT_PUBLISHED
    elif tool_version.tool.purpose == AuditTool.Purpose.IMPORTED:
        errors["tool_version"] = TOOL_FOR_IMPORTS
    elif tool_version.tool.purpose in AuditTool.NOT_FOR_AUDITS:
        errors["tool_version"] = TOOL_NOT_FOR_AUDITS
    elif tool_version.tool.service_area_id not in (None, service_area.pk):
        errors["tool_version"] = TOOL_WRONG_AREA
    if not service_area.is_active:
        errors["service_area"] = RETIRED_AREA
    if team is not None and team.service_area_id != service_area.pk:
        errors["team"] = TEAM_OUTSIDE_AREA
    if case_holder is not None and not _holds_role(case_holder, {Role.PRACTITIONER}, service_area):
        errors["case_holder"] = CASE_HOLDER_NOT_PRACTITIONER
    if not _may_audit(auditor, kind, service_area):
        errors["auditor"] = AUDITOR_NOT_ELIGIBLE
    if errors:
        raise ValidationError(errors)
    period_end = period_end or timezone.localdate()
    audit = Audit.objects.create(
        case_reference=case_reference,
        service_area=service_area,
        team=team,
        case_holder=case_holder,
        auditor=auditor,
        kind=kind,
        theme=theme,
        period_start=audit_period_start(period_end),
        period_end=period_end,
        tool_version=tool_version,
        due_on=due_on,
        # The rest of the cycle follows from the day the audit is due (audits/cycle/dates.py).
        oversight_due_on=cycle_for_due_date(due_on).oversight_due if due_on else None,
        record_due_on=cycle_for_due_date(due_on).record_due if due_on else None,
    )
    audit_event_record(audit, actor, "state", "", Audit.State.DRAFT)
    if notify_auditor:  # distributing a month's allocation tells each auditor once, listing their cases
        due = f" It is due by {due_on:%-d %B %Y}." if due_on else ""
        notify(
            users=[auditor.user],
            subject=f"Audit allocated: case {case_reference}",
            body=f"You have a {audit.get_kind_display().lower()} of case {case_reference} "
            f"({service_area.code}) to complete.{due}",
            url=audit.get_absolute_url(),
        )
    return audit


def _holds_role(person: Person, roles, service_area: ServiceArea | None = None) -> bool:
    """Does the person (with an active account) hold one of `roles` now, in `service_area` if given?"""
    memberships = Membership.objects.current().filter(person=person, role__in=roles, person__user__is_active=True)
    if service_area is not None:
        memberships = memberships.filter(service_area=service_area)
    return memberships.exists()


def _may_audit(person: Person, kind: str, service_area: ServiceArea) -> bool:
    """A practice manager of the area audits; so may the QA unit a QA thematic audit (and a re-audit
    when the area has no practice manager left), and a partner agency's auditor a partnership audit."""
    if _holds_role(person, {Role.PRACTICE_MANAGER}, service_area):
        return True
    if kind in (Audit.Kind.QA_THEMATIC, Audit.Kind.RE_AUDIT):
        return _holds_role(person, {Role.QA_OFFICER, Role.QA_LEAD})
    if kind == Audit.Kind.PARTNERSHIP:
        return _holds_role(person, {Role.PARTNER_AUDITOR})
    return False


PARTICIPANT = "participant"  # AuditEvent.what for an invitation (new value) or a removal (old value)


@transaction.atomic
def participant_add(*, actor, audit: Audit, person: Person) -> AuditParticipant:
    """Invite someone to work on a partnership audit beside its auditor; tell them."""
    from quality.access import Action, roles_granting

    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.kind != Audit.Kind.PARTNERSHIP:
        raise ValidationError({"person": PARTICIPANTS_PARTNERSHIP_ONLY})
    if audit.state != Audit.State.DRAFT:
        raise ValidationError({"person": AUDIT_NOT_DRAFT})
    if person.pk == audit.auditor_id or audit.participants.filter(person=person).exists():
        raise ValidationError({"person": PARTICIPANT_ALREADY})
    if not _holds_role(person, roles_granting(Action.EDIT_AUDIT)):
        raise ValidationError({"person": PARTICIPANT_NOT_ELIGIBLE})
    participant = AuditParticipant.objects.create(audit=audit, person=person, invited_by=actor)
    audit_event_record(audit, actor, PARTICIPANT, "", person.full_name[:64])
    notify(
        users=[person.user],
        subject=f"Audit shared with you: case {audit.case_reference}",
        body=f"You are invited to work on the partnership audit of case {audit.case_reference} "
        f"with {audit.auditor.full_name}, who submits it.",
        url=audit.get_absolute_url(),
    )
    return participant


@transaction.atomic
def participant_remove(*, actor, participant: AuditParticipant, reason: str) -> Audit:
    """Take someone off an audit they were invited to, saying why; they no longer see it."""
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    audit, person = participant.audit, participant.person
    participant.delete()
    audit_event_record(audit, actor, PARTICIPANT, person.full_name[:64], "", reason.strip())
    notify(
        users=[person.user],
        subject=f"Audit no longer shared with you: case {audit.case_reference}",
        body=f"The QA unit took you off the audit of case {audit.case_reference}: you no longer see it.",
    )
    return audit


def _grade_answers(audit: Audit, answers: dict[str, object]) -> dict[str, str]:
    """The area grades the answers give: each graded question in a section with an area of analysis."""
    questions = Question.objects.filter(
        section__version=audit.tool_version, type=Question.Type.GRADE, section__analysis_area__gt=""
    ).select_related("section")
    grades = {}
    for question in questions:
        value = answers.get(question.key)
        if value in Grade.values:
            grades[question.section.analysis_area] = value
    return grades


AUDIT_FIELDS = (
    "overall_grade",
    "discussion_held",
    "discussion_on",
    "child_contacted",
    "family_contacted",
    "child_family_views",
    "strengths",
    "areas_for_improvement",
)


@transaction.atomic
def audit_save_draft(*, actor, audit: Audit, revision: int, answers: dict[str, object], fields: dict) -> Audit:
    """Save what has been typed so far. Nothing is required yet; a stale revision is a conflict.

    `answers` maps question keys to values (lists for multiple choice, ISO strings for dates).
    """
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.state != Audit.State.DRAFT:
        raise ValidationError(AUDIT_NOT_DRAFT)
    if revision != audit.revision:
        raise AuditConflict(audit, _differences(audit, answers, fields))
    questions = {q.key: q for q in Question.objects.filter(section__version=audit.tool_version)}
    Answer.objects.bulk_create(
        [
            Answer(audit=audit, question=questions[key], value=value)
            for key, value in answers.items()
            if key in questions
        ],
        update_conflicts=True,
        unique_fields=["audit", "question"],
        update_fields=["value"],
    )
    all_answers = dict(audit.answers.values_list("question__key", "value"))
    _record_grades(audit, actor, _grade_answers(audit, all_answers), fields.get("overall_grade", audit.overall_grade))
    for name in AUDIT_FIELDS:
        if name in fields and name != "overall_grade":
            setattr(audit, name, fields[name])
    audit.revision += 1
    audit.save()
    return audit


def _record_grades(audit: Audit, actor, area_grades: dict[str, str], overall: str, reason: str = "") -> None:
    current = dict(audit.area_grades.values_list("area", "grade"))
    for area in set(current) | set(area_grades):
        old, new = current.get(area, ""), area_grades.get(area, "")
        if old != new:
            audit_event_record(audit, actor, f"{GRADE_PREFIX}{area}", old, new, reason)
    audit.area_grades.all().delete()
    AreaGrade.objects.bulk_create(AreaGrade(audit=audit, area=a, grade=g) for a, g in area_grades.items())
    if (overall or "") != audit.overall_grade:
        audit_event_record(audit, actor, "overall_grade", audit.overall_grade, overall or "", reason)
        audit.overall_grade = overall or ""


def _differences(audit: Audit, answers: dict[str, object], fields: dict) -> list[str]:
    """The answers and fields where the saved audit differs from what this person sent."""
    stored = dict(audit.answers.values_list("question__key", "value"))
    texts = dict(Question.objects.filter(section__version=audit.tool_version).values_list("key", "text"))
    differ = [texts[key] for key, value in answers.items() if key in texts and stored.get(key) != value]
    differ += [
        Audit._meta.get_field(name).verbose_name.capitalize()
        for name, value in fields.items()
        if name in AUDIT_FIELDS and getattr(audit, name) != value
    ]
    return differ


@transaction.atomic
def audit_raise_concern(*, actor, audit: Audit, details: str) -> Audit:
    """An immediate safeguarding concern: tell the practice manager, service lead, heads of service
    and senior leaders at once, whatever state the audit is in."""
    if not details.strip():
        raise ValidationError({"safeguarding_details": CONCERN_DETAILS_REQUIRED})
    # Locked, so of two posts at once the second waits and then finds the concern raised: a concern is
    # raised once, its details never overwritten and its urgent notices sent one time.
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.safeguarding_concern:
        raise ValidationError(CONCERN_ALREADY_RAISED)
    audit.safeguarding_concern, audit.safeguarding_details = True, details.strip()
    audit.safeguarding_raised_at = timezone.now()
    audit.revision += 1
    audit.save()
    audit_event_record(audit, actor, "safeguarding_concern", "", "raised", details.strip())
    notify(
        users=[audit.auditor.user]
        + users_holding(Role.SERVICE_LEAD, area=audit.service_area)
        + users_holding(Role.HEAD_OF_SERVICE)
        + users_holding(Role.SENIOR_LEADER),
        subject=f"Immediate safeguarding concern: case {audit.case_reference}",
        body=f"An auditor raised an immediate safeguarding concern on case {audit.case_reference} "
        f"({audit.service_area.code}). Open the audit to read it and act today.",
        url=audit.get_absolute_url(),
        urgent=True,
    )
    return audit


def submission_problems(audit: Audit) -> dict[str, str]:
    """Everything missing before an audit can be submitted, keyed by form field name."""
    problems = {}
    answered = {
        key for key, value in audit.answers.values_list("question__key", "value") if value not in (None, "", [])
    }
    for key in Question.objects.filter(section__version=audit.tool_version, required=True).values_list(
        "key", flat=True
    ):
        if key not in answered:
            problems[f"q-{key}"] = ANSWER_REQUIRED
    if audit.is_graded and not audit.overall_grade:
        problems["overall_grade"] = OVERALL_GRADE_REQUIRED
    if audit.discussion_held is None:
        problems["discussion_held"] = DISCUSSION_REQUIRED
    elif audit.discussion_held and audit.discussion_on is None:
        problems["discussion_on"] = DISCUSSION_DATE_REQUIRED
    return problems


@transaction.atomic
def audit_submit(*, actor, audit: Audit) -> Audit:
    """Submit a complete draft; tell the case holder, their team's practice managers and the service lead."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.state != Audit.State.DRAFT:
        raise ValidationError(AUDIT_NOT_DRAFT)
    problems = submission_problems(audit)
    if problems:
        raise ValidationError(problems)
    _set_state(audit, actor, Audit.State.SUBMITTED)
    audit.submitted_at = timezone.now()
    audit.revision += 1
    audit.save()
    from .cycle.escalations import (
        escalation_on_submit,  # an Inadequate grade opens its chain (audits/cycle/escalations.py)
    )

    escalation_on_submit(actor=actor, audit=audit)
    team_managers = (
        [m.person.user for m in audit.team.memberships.current().filter(role=Role.PRACTICE_MANAGER)]
        if audit.team_id
        else []
    )
    notify(
        users=[audit.case_holder.user if audit.case_holder_id else None]
        + team_managers
        + users_holding(Role.SERVICE_LEAD, area=audit.service_area),
        subject=f"Audit submitted: case {audit.case_reference}",
        body=f"The audit of case {audit.case_reference} is complete. Service lead: please record your oversight.",
        url=audit.get_absolute_url(),
    )
    return audit


@transaction.atomic
def audit_confirm_oversight(*, actor, audit: Audit, comment: str) -> Audit:
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.state != Audit.State.SUBMITTED:
        raise ValidationError(NOT_AWAITING_OVERSIGHT)
    _set_state(audit, actor, Audit.State.OVERSEEN, comment)
    audit.oversight_by, audit.oversight_at, audit.oversight_comment = actor.person, timezone.now(), comment
    audit.revision += 1
    audit.save()
    from .cycle.escalations import escalation_on_oversight  # Requires Improvement: the remedial deadline starts

    escalation_on_oversight(actor=actor, audit=audit)
    return audit


@transaction.atomic
def audit_dispute(*, actor, audit: Audit, reason: str, proposed_grade: str = "") -> Dispute:
    """The service lead challenges the grade; the auditor and the QA unit are told."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.state != Audit.State.SUBMITTED:
        raise ValidationError(NOT_AWAITING_OVERSIGHT)
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    if proposed_grade and proposed_grade == audit.final_grade:
        # A dispute asks for a different grade; proposing the one standing would change nothing.
        unchanged = PROPOSED_GRADE_UNCHANGED.format(grade=Grade(proposed_grade).label)
        raise ValidationError({"proposed_grade": unchanged})
    dispute = Dispute.objects.create(
        audit=audit, raised_by=actor.person, reason=reason.strip(), proposed_grade=proposed_grade
    )
    _set_state(audit, actor, Audit.State.DISPUTED, reason.strip())
    audit.revision += 1
    audit.save()
    notify(
        users=[audit.auditor.user] + users_holding(Role.QA_LEAD, Role.QA_OFFICER),
        subject=f"Grade disputed: case {audit.case_reference}",
        body=f"The service lead disputes the grade of the audit of case {audit.case_reference}.",
        url=audit.get_absolute_url(),
    )
    return dispute


@transaction.atomic
def dispute_resolve(*, actor, dispute: Dispute, outcome: str, resolution: str, grade: str = "") -> Dispute:
    """QA keeps or changes the grade. The original grade stays on the dispute and in the history;
    the audit goes back to the service lead to record oversight."""
    dispute = Dispute.objects.select_for_update().select_related("audit").get(pk=dispute.pk)
    if dispute.resolved_at is not None:
        raise ValidationError(NO_OPEN_DISPUTE)
    if not resolution.strip():
        raise ValidationError({"resolution": REASON_REQUIRED})
    if outcome == Dispute.Outcome.CHANGED and grade not in Grade.values:
        raise ValidationError({"grade": GRADE_REQUIRED_TO_CHANGE})
    audit = Audit.objects.select_for_update().get(pk=dispute.audit_id)
    dispute.original_grade = audit.overall_grade
    dispute.resolved_grade = grade if outcome == Dispute.Outcome.CHANGED else audit.overall_grade
    dispute.outcome, dispute.resolution = outcome, resolution.strip()
    dispute.resolved_by, dispute.resolved_at = actor.person, timezone.now()
    dispute.save()
    if outcome == Dispute.Outcome.CHANGED and grade != audit.overall_grade:
        audit_event_record(audit, actor, "overall_grade", audit.overall_grade, grade, resolution.strip())
        audit.overall_grade = grade
    _set_state(audit, actor, Audit.State.SUBMITTED, f"Dispute resolved: {dispute.get_outcome_display()}")
    audit.revision += 1
    audit.save()
    from .cycle.escalations import escalation_after_dispute  # a grade moved to or from Inadequate

    escalation_after_dispute(actor=actor, audit=audit, dispute=dispute)
    notify(
        users=[audit.auditor.user, dispute.raised_by.user],
        subject=f"Dispute resolved: case {audit.case_reference}",
        body=f"{dispute.get_outcome_display()}. {dispute.resolution}",
        url=audit.get_absolute_url(),
    )
    return dispute


@transaction.atomic
def audit_mark_on_record(*, actor, audit: Audit) -> Audit:
    """After oversight: the audit is on the child's record in the case-management system, and closed."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.state != Audit.State.OVERSEEN:
        raise ValidationError("Record oversight before marking the audit as on the child's record.")
    _set_state(audit, actor, Audit.State.CLOSED)
    audit.on_record_by, audit.on_record_at = actor.person, timezone.now()
    audit.revision += 1
    audit.save()
    return audit


@transaction.atomic
def action_add(*, audit: Audit, description: str, owner: Person, due_on: date) -> LearningAction:
    if audit.state != Audit.State.DRAFT:
        raise ValidationError(AUDIT_NOT_DRAFT)
    return LearningAction.objects.create(audit=audit, description=description.strip(), owner=owner, due_on=due_on)


@transaction.atomic
def action_close(*, actor, action: LearningAction, status: str, outcome: str) -> LearningAction:
    """Close an action as done (with evidence) or no longer needed (with the reason)."""
    action = LearningAction.objects.select_for_update().get(pk=action.pk)
    if action.status != LearningAction.Status.OPEN:
        raise ValidationError(ACTION_NOT_OPEN)
    if status not in (LearningAction.Status.DONE, LearningAction.Status.NOT_NEEDED):
        raise ValidationError({"status": ACTION_CLOSE_STATUS})
    if not outcome.strip():
        raise ValidationError({"outcome": OUTCOME_REQUIRED})
    action.status, action.outcome, action.closed_at = status, outcome.strip(), timezone.now()
    action.closed_by = Person.objects.filter(user_id=getattr(actor, "pk", None)).first()
    action.save()
    change_record(
        actor=actor,
        target=action,
        action=f"action.{status}",
        summary=action.description[:200],
        reason=action.outcome,
    )
    return action
