"""Reads about audit tools shared by views, through the access rules."""

from datetime import date
from enum import StrEnum

from django.db.models import Case, CharField, Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import dateformat

from quality.access import grades_hidden_from, visible
from quality.org.models import ServiceAreaName

from .models import (
    Audit,
    AuditParticipant,
    AuditTool,
    Grade,
    LearningAction,
    Question,
    Section,
    ToolVersion,
)


def tools_for(user) -> QuerySet[AuditTool]:
    return (
        visible(user, AuditTool.objects.select_related("service_area"))
        .annotate(
            published_number=Max("versions__number", filter=Q(versions__state=ToolVersion.State.PUBLISHED)),
            draft_count=Count("versions", filter=Q(versions__state=ToolVersion.State.DRAFT)),
        )
        .order_by("service_area__name", "name")
    )


def version_sections_with_questions(version: ToolVersion) -> QuerySet[Section]:
    return version.sections.prefetch_related(Prefetch("questions"))


def audit_for_page(user, action, pk: int):
    """One audit with everything its page shows, checked against the access rules."""
    from quality.access import get_for

    queryset = Audit.objects.select_related(
        "service_area",
        "team",
        "case_holder",
        "auditor__user",
        "tool_version__tool",
        "oversight_by",
        "on_record_by",
    )
    return get_for(user, action, queryset, pk=pk)


def stored_answers(audit: Audit) -> dict[str, object]:
    return dict(audit.answers.values_list("question__key", "value"))


def _display(question: Question, value) -> str:
    if value in (None, "", []):
        return ""
    if question.type == Question.Type.GRADE:
        return dict(Grade.choices).get(value, "N/A")
    if question.type == Question.Type.YES_NO:
        return {"yes": "Yes", "no": "No", "partly": "Partly"}.get(value, "N/A")
    if isinstance(value, list):
        return "; ".join(value)
    if question.type == Question.Type.DATE:
        return _day_in_words(value)
    return str(value)


def _day_in_words(value: str) -> str:
    """A date answer (stored ISO) the English way, 27 March 2026; anything else as it was stored."""
    try:
        return dateformat.format(date.fromisoformat(value), "j F Y")
    except (TypeError, ValueError):
        return str(value)


def answered_sections(audit: Audit) -> list[tuple[Section, list[tuple[Question, str]]]]:
    """The tool version's sections and questions with this audit's answers, as text to show."""
    return version_answered(audit.tool_version, stored_answers(audit))


def version_answered(version: ToolVersion, answers: dict[str, object]) -> list[tuple[Section, list]]:
    """A version's sections and questions with `answers` (by question key) as text to show: any form
    answered on a tool (an audit, an observation)."""
    return [
        (section, [(q, _display(q, answers.get(q.key))) for q in section.questions.all()])
        for section in version_sections_with_questions(version)
    ]


def audit_history(audit: Audit):
    return audit.events.select_related("actor__person")


def _working_on(person_id) -> Q:
    """Audits the person answers: as their auditor, or invited to one (a subquery: no repeated rows)."""
    return Q(auditor_id=person_id) | Q(pk__in=AuditParticipant.objects.filter(person_id=person_id).values("audit_id"))


def _drafts_working_on(person_id) -> Q:
    """The person's drafts (as _working_on): their ids from two index scans, the auditor's drafts (a
    partial index) and their invitations, joined. An OR of the two conditions reads every draft."""
    as_auditor = Audit.objects.filter(auditor_id=person_id, state=Audit.State.DRAFT).order_by().values("pk")
    invited = AuditParticipant.objects.filter(person_id=person_id).order_by().values("audit_id")
    return Q(pk__in=as_auditor.union(invited, all=True), state=Audit.State.DRAFT)


HOME_ROWS = 10  # the most rows a list of the home page's panel shows; a "see all" link leads to the rest


def due_for(user) -> dict:
    """What is waiting for this person: audits to complete, to oversee and to put on the child's record
    (each with `due_date` and `days_left`, soonest first), escalation updates owed, disputes to resolve,
    actions, and for the QA unit the overdue counts. A fixed number of queries whatever the rows.

    Each list is its first HOME_ROWS rows (a LIMIT over an index); `due["totals"]` counts each list
    whole (a count an index serves) and `due["see_all"]` links each to a list page holding it all."""
    from django.urls import reverse
    from django.utils import timezone

    from quality.access import Action, can, grant_for
    from quality.org.models import Role

    from .cycle import deadlines
    from .cycle.deadlines import Deadline

    grant = grant_for(user)
    today = timezone.localdate()
    seen = visible(user, Audit.objects.select_related("service_area"))
    lists = {}
    see_all = {}
    mine = seen.filter(_drafts_working_on(grant.person_id))
    lists["to_complete"] = deadlines.with_days_left(mine, Deadline.COMPLETION, today=today)
    see_all["to_complete"] = f"{reverse('audits:audit_list_mine')}?state={Audit.State.DRAFT}"
    lead_areas = grant.area_ids_for(frozenset({Role.SERVICE_LEAD}))
    escalation_steps = None
    if lead_areas:
        in_areas = seen.filter(service_area_id__in=lead_areas)
        lists["to_oversee"] = deadlines.with_days_left(
            in_areas.filter(state=Audit.State.SUBMITTED), Deadline.OVERSIGHT, today=today
        )
        lists["to_close"] = deadlines.with_days_left(
            in_areas.filter(state=Audit.State.OVERSEEN), Deadline.RECORD, today=today
        )
        in_lead_area = f"&service_area={next(iter(lead_areas))}" if len(lead_areas) == 1 else ""
        for key, state in (("to_oversee", Audit.State.SUBMITTED), ("to_close", Audit.State.OVERSEEN)):
            see_all[key] = f"{reverse('audits:audit_list_area')}?state={state}{in_lead_area}"
        escalation_steps = deadlines.escalation_steps_due(user, lead_areas, today=today)
    due = {}
    if can(user, Action.VIEW_OVERDUE):
        # The QA unit chases the whole cycle: its panel counts what is overdue. Others who may read
        # the overdue lists (service leads, cross-area roles) get a link to them.
        if grant.roles & {Role.QA_OFFICER, Role.QA_LEAD}:
            due["overdue"] = deadlines.overdue_totals(user, today=today)
        else:
            due["overdue_link"] = True
    if can(user, Action.RESOLVE_DISPUTE):
        lists["disputes"] = seen.filter(state=Audit.State.DISPUTED).order_by("-created_at", "-pk")
        scope = "all" if can(user, Action.VIEW_ALL_AUDITS) else "area"
        see_all["disputes"] = f"{reverse(f'audits:audit_list_{scope}')}?state={Audit.State.DISPUTED}"
    lists["actions"] = (
        _actions_shown(visible(user, LearningAction.objects.all()))
        .filter(owner_id=grant.person_id, status=LearningAction.Status.OPEN)
        .order_by("due_on", "pk")
    )
    see_all["actions"] = reverse("audits:action_list_mine")
    due["totals"] = {key: rows.count() for key, rows in lists.items()}
    due.update({key: rows[:HOME_ROWS] for key, rows in lists.items()})
    if escalation_steps is not None:
        due["totals"]["escalation_steps"] = len(escalation_steps)
        due["escalation_steps"] = escalation_steps[:HOME_ROWS]
        see_all["escalation_steps"] = reverse("escalations:board")
    due["see_all"] = see_all
    return due


# ---------------------------------------------------------------------------------------
# Lists of audits (audits/lists.py): the three scopes, and the voices of children and families.


class AuditScope(StrEnum):
    MINE = "mine"  # audits naming me, as their auditor or as the case holder, or that I was invited to
    AREA = "area"  # every audit the access rules let me see (the areas my roles cover)
    ALL = "all"  # every audit: the view lets only roles that see every area in


def _area_name_then() -> Coalesce:
    """ServiceArea.name_on(audit.created_at) in SQL: a list keeps the name the audit was made under."""
    names = ServiceAreaName.objects.filter(
        service_area=OuterRef("service_area"), valid_from__lte=OuterRef("created_at")
    ).order_by("-valid_from", "-pk")
    return Coalesce(Subquery(names.values("name")[:1]), F("service_area__name"))


def with_area_names(audits: QuerySet[Audit]) -> QuerySet[Audit]:
    """Each audit with `area_name`, its area's name as it was when the audit was made: a lookup per row,
    so a list page adds it to the rows it shows (quality.pagination's `rows_for_page`) and an export
    to the rows it writes, never to the whole table a page is cut from."""
    return audits.annotate(area_name=_area_name_then())


def _listed(audits: QuerySet[Audit]) -> QuerySet[Audit]:
    # `dated`: the stored `listed_at`, when the audit was submitted or (a draft) started, shown and sorted
    # by. `counted_on` (stored too) is the month filters' day, the reports' completion day
    # (audits.models.completion_day: an imported audit's completed_on) so a month lists the audits its
    # report counts; a draft counts on the day it was started. Both are indexed (Audit.Meta.indexes).
    return audits.select_related("team", "auditor").annotate(dated=F("listed_at"))


def audits_listed(user, scope: AuditScope) -> QuerySet[Audit]:
    """The scope's audits, each with `shown_grade`: its overall grade, or HIDDEN_GRADE where blind
    moderation hides it from this person. Lists show, sort, filter and export by `shown_grade`, so a
    hidden grade is given away by none of them."""
    from quality.access import grant_for

    audits = visible(user, Audit.objects.all())
    if scope == AuditScope.MINE:
        person_id = grant_for(user).person_id
        mine = _working_on(person_id) | Q(case_holder_id=person_id)
        audits = audits.filter(mine) if person_id is not None else audits.none()
    return _listed(audits).annotate(shown_grade=shown_grade(user, F("overall_grade")))


# ---------------------------------------------------------------------------------------
# Blind moderation: grades hidden from a panel's members (quality.access.grades_hidden_from).

HIDDEN_GRADE = "hidden"  # what `shown_grade` holds for a hidden grade; no grade is stored as it


def shown_grade(user, grade):
    """`grade` (an expression on an audit) in SQL, or HIDDEN_GRADE for the audits whose grades are hidden
    from this person. The hidden ids are read once per request, so a list costs no query per row."""
    hidden = grades_hidden_from(user)
    if not hidden:
        return grade
    return Case(When(pk__in=sorted(hidden), then=Value(HIDDEN_GRADE)), default=grade, output_field=CharField())


def sections_with_grades_hidden(sections, shown: str):
    """answered_sections() with the answers to grade questions replaced by `shown`."""
    return [
        (section, [(q, shown if q.type == Question.Type.GRADE and answer else answer) for q, answer in rows])
        for section, rows in sections
    ]


def voices_for(user) -> QuerySet[Audit]:
    """Audits recording what the child and family said. Drafts are left out: their words may still change."""
    audits = visible(user, Audit.objects.exclude(child_family_views="").exclude(state=Audit.State.DRAFT))
    return _listed(audits).order_by("-listed_at", "-pk")


# ---------------------------------------------------------------------------------------
# Lists of learning actions (audits/action_views.py): mine, and my areas'.


class ActionScope(StrEnum):
    MINE = "mine"  # actions I own, in any area
    AREA = "area"  # the actions of the areas my roles cover (all areas for cross-area roles)


def _actions_shown(actions: QuerySet[LearningAction]) -> QuerySet[LearningAction]:
    """With what lists and pages show, each marked `is_overdue`: open, and due before today (local date)."""
    from django.db.models import BooleanField, Case, Value, When
    from django.utils import timezone

    overdue = Q(status=LearningAction.Status.OPEN, due_on__lt=timezone.localdate())
    return actions.select_related("audit__service_area", "owner", "closed_by").annotate(
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def actions_listed(user, scope: ActionScope) -> QuerySet[LearningAction]:
    """Learning actions through the access rules, soonest due first."""
    from quality.access import grant_for

    grant = grant_for(user)
    actions = visible(user, LearningAction.objects.all())
    if scope == ActionScope.MINE:
        actions = actions.filter(owner_id=grant.person_id) if grant.person_id is not None else actions.none()
    elif not grant.all_areas:
        # visible() also lets people see the actions they own elsewhere; an area's list leaves those out.
        actions = actions.filter(audit__service_area_id__in=grant.area_ids_for(LearningAction.ACCESS_AREA_ROLES))
    return _actions_shown(actions).order_by("due_on", "pk")


def action_for_page(user, action, pk: int) -> LearningAction:
    """One learning action with what its page shows, checked against the access rules."""
    from quality.access import get_for

    return get_for(user, action, _actions_shown(LearningAction.objects.all()), pk=pk)
