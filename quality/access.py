"""The access rules: the one place that says who may do what, and who may see which rows.

Two questions, asked by every view, template and selector:
- `can(user, action, obj=None)`: may this person do `action` (to `obj`)?
- `visible(user, queryset)`: which rows of this queryset may this person see?

Rights come from the roles a person holds (`Membership`). Roles in CROSS_AREA_ROLES see
every service area; the others see only the areas they hold a role in. A model takes part
in area scoping by naming the field that leads to its service area in `ACCESS_AREA_FIELD`
(ServiceArea itself is the area); a model of shared reference material that holds nothing
about children (an audit tool) says so with `ACCESS_SHARED = True` and is seen by anyone
whose roles grant the action. People named on a row see it whatever its area: its fields
pointing at a Person are listed in `ACCESS_PERSON_FIELDS`, and a relation leading to the people
linked to a row (the contributors invited to an audit) is named in `ACCESS_PARTICIPANTS`, for
example "participants__person": everyone that relation reaches sees the row too. A row of a team
(an observation) may also be seen by those holding one of `ACCESS_TEAM_ROLES` in its team (a practice
manager's membership names the team managed), through `ACCESS_TEAM_FIELD`. Workbench apps
add their own actions to ROLE_ACTIONS by listing them here, so the whole policy stays readable
in one file.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce, wraps
from operator import or_

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpResponseForbidden, HttpResponseNotFound, JsonResponse

from quality.org.models import Membership, Person, Role, ServiceArea


class Action(StrEnum):
    VIEW_ORGANISATION = "view_organisation"  # service areas and teams in scope
    VIEW_PEOPLE = "view_people"  # the staff directory in scope
    MANAGE_ORGANISATION = "manage_organisation"  # create and change areas, teams, people, roles
    VIEW_AUDITS = "view_audits"  # read audits (scoped: see Audit.ACCESS_* and OBJECT_RULES)
    EDIT_AUDIT = "edit_audit"  # answer a draft: the audit's auditor, or someone invited to it
    SUBMIT_AUDIT = "submit_audit"  # submit a draft: only the audit's own auditor
    START_AUDIT = "start_audit"  # start (allocate) an audit, invite and remove its contributors: the QA unit
    RAISE_CONCERN = "raise_concern"  # an immediate safeguarding concern: the auditor or the area's service lead
    OVERSEE_AUDIT = "oversee_audit"  # record oversight, dispute, mark on record: the area's service lead
    RESOLVE_DISPUTE = "resolve_dispute"  # the QA lead decides a disputed grade
    VIEW_NOTIFICATIONS = "view_notifications"  # one's own notifications (never anyone else's)
    VIEW_TOOLS = "view_tools"  # read audit tools and preview their versions: internal roles but the read-only reader
    MANAGE_TOOLS = "manage_tools"  # draft, publish, retire, import and export audit tools
    # Lists: everyone who reads audits has "My audits" and "My area's audits" (both through visible()).
    VIEW_ALL_AUDITS = "view_all_audits"  # the "All audits" list: only roles that see every area
    VIEW_VOICES = "view_voices"  # what children and families said, across the audits in the person's areas
    # Learning actions: everyone who reads audits has "My actions"; "Area actions" lists an area's.
    VIEW_AREA_ACTIONS = "view_area_actions"  # service leads and practice managers (their areas), cross-area roles
    CLOSE_ACTION = "close_action"  # done or no longer needed: the action's owner or the area's service lead
    # The monthly cycle (issue 4).
    VIEW_CASES = "view_cases"  # the case list (references only), scoped to the person's areas
    IMPORT_CASES = "import_cases"  # load the council's case list: the QA unit and administrators
    VIEW_SCHEDULE = "view_schedule"  # the year's audit schedule and its calendar feed: as VIEW_TOOLS
    MANAGE_SCHEDULE = "manage_schedule"  # add, change and remove schedule entries: the QA unit and administrators
    MANAGE_ALLOCATION = "manage_allocation"  # propose, review and distribute a month's allocation: the QA unit
    VIEW_OVERDUE = "view_overdue"  # overdue audits, oversight and records: QA, cross-area roles, service leads
    VIEW_ESCALATIONS = "view_escalations"  # the escalations board: as VIEW_OVERDUE
    CONFIRM_ESCALATION = "confirm_escalation"  # QA moderates an Inadequate grade: confirm or change it
    UPDATE_ESCALATION = "update_escalation"  # record the 3-day / one-week / remedial updates: the area's service lead
    MARK_EXEMPLAR = "mark_exemplar"  # a Good or Outstanding audit as an exemplar: the area's service lead, QA
    # Moderation (issue 5): moderators and the QA unit only.
    MANAGE_PANELS = "manage_panels"  # plan panels, draw and adjust dip samples, conclude: the QA unit
    MODERATE = "moderate"  # take part in a panel and record moderated grades: moderators and the QA unit
    VIEW_MODERATION = "view_moderation"  # panels, outcomes, agreement and kappa: moderators and the QA unit
    VIEW_CALIBRATION = "view_calibration"  # per-auditor moderation record: QA, and the auditor's service leads
    # The KPI scorecard (issue 6).
    VIEW_SCORECARD = "view_scorecard"  # the scorecard, indicator pages, exports and packs: managers and leaders
    MANAGE_INDICATORS = "manage_indicators"  # the indicator catalogue and its yearly targets: performance officers
    LOAD_KPI_VALUES = "load_kpi_values"  # upload a month's values: performance officers
    WRITE_COMMENTARY = "write_commentary"  # a month's commentary: the indicator's lead or a performance officer
    LOCK_MONTH = "lock_month"  # lock a month when its pack is final: performance officers
    # Audit analysis reports (issue 7).
    VIEW_REPORTS = "view_reports"  # published reports and their downloads; service leads see their areas' sections
    MANAGE_REPORTS = "manage_reports"  # generate, edit, publish and correct reports: the QA lead
    MANAGE_PRACTICE_THEMES = "manage_practice_themes"  # the practice themes counted in narratives: QA lead, admin
    # Sign-in and security events (issue 12).
    VIEW_SECURITY_EVENTS = "view_security_events"  # sign-ins, failures, refusals...: administrators
    REVIEW_ACCESS = "review_access"  # the quarterly access review: keep or deactivate each account: administrators
    VIEW_ACCESS_RECORDS = "view_access_records"  # who saw which audit, case or export: QA lead, administrators
    # Supporting Families benchmarking (issue 18): the auditors whose audit time went to it record it.
    RECORD_BENCHMARKING = "record_benchmarking"  # add and change forms: practice managers (their areas), QA unit
    VIEW_BENCHMARKING = "view_benchmarking"  # the forms (case references): recorders, service leads, HoS, senior
    VIEW_BENCHMARKING_SUMMARY = "view_benchmarking_summary"  # its figures (no references): also the reader
    # Complaints and compliments (issue 18): the log, its export and the complaints system's file.
    VIEW_COMPLAINTS = "view_complaints"  # the log: QA, cross-area readers of case work; managers and leads their areas
    MANAGE_COMPLAINTS = "manage_complaints"  # type in, change and load the complaints system's export: the QA unit
    # Observations of practice (issue 18): rows seen as Observation.ACCESS_* say.
    VIEW_OBSERVATIONS = "view_observations"  # observations one may see: practitioners their own, managers...
    RECORD_OBSERVATIONS = "record_observations"  # plan and record: managers, leads, senior managers, QA unit
    VIEW_OBSERVATION_COVERAGE = "view_observation_coverage"  # who is observed, due, overdue: managers and up
    MANAGE_PRACTICE_WEEKS = "manage_practice_weeks"  # the practice weeks' calendar: the QA unit
    # Surveys of children and families (issue 18): the QA unit runs them; managers read the figures.
    MANAGE_SURVEYS = "manage_surveys"  # create surveys and make their one-time links: the QA unit
    VIEW_SURVEYS = "view_surveys"  # the surveys and their suppressed counts: QA unit, heads of service, senior leaders
    VIEW_SURVEY_FREE_TEXT = "view_survey_free_text"  # what respondents wrote in their own words: the QA unit only
    # The evaluation (issue 19): every source side by side, per service area and per practice theme.
    VIEW_TRIANGULATION = "view_triangulation"  # QA unit, heads of service, senior leaders; service leads their areas
    EDIT_TRIANGULATION_RULES = "edit_triangulation_rules"  # the rules that flag sources disagreeing: the QA lead
    # The annual self-evaluation: the QA unit writes it, heads of service review it, a senior leader signs it off.
    VIEW_SELF_EVALUATION = "view_self_evaluation"  # QA unit, heads of service, senior leaders
    WRITE_SELF_EVALUATION = "write_self_evaluation"  # statements, evidence, sending for review: the QA unit
    COMMENT_ON_SELF_EVALUATION = "comment_on_self_evaluation"  # while under review: heads of service, senior leaders
    SIGN_OFF_SELF_EVALUATION = "sign_off_self_evaluation"  # sign-off publishes it: senior leaders


CROSS_AREA_ROLES = frozenset(
    {
        Role.QA_OFFICER,
        Role.QA_LEAD,
        Role.HEAD_OF_SERVICE,
        Role.SENIOR_LEADER,
        Role.ADMINISTRATOR,
        Role.READ_ONLY,
    }
)

_INTERNAL_ROLES = frozenset(Role) - {Role.PARTNER_AUDITOR}
# Internal roles that do the QA work: everyone but the read-only reader, whose brief is to read
# published reports and the scorecard (not the schedule, nor the tools audits are answered on).
_INTERNAL_WORKERS = _INTERNAL_ROLES - {Role.READ_ONLY}
_QA_UNIT = frozenset({Role.QA_OFFICER, Role.QA_LEAD})
# The read-only reader (improvement board, scrutiny panel support) reads published reports and the
# scorecard, never the case work behind them: the cross-area roles that do read audits and cases.
_CASE_WORK_READERS = CROSS_AREA_ROLES - {Role.READ_ONLY}
_OVERSIGHT_ROLES = frozenset(
    {Role.SERVICE_LEAD, Role.HEAD_OF_SERVICE, Role.QA_OFFICER, Role.QA_LEAD, Role.SENIOR_LEADER, Role.ADMINISTRATOR}
)

# Supporting Families benchmarking took audit time: the auditors (practice managers, the QA unit) record it;
# the area's service lead and the cross-area managers read the forms.
_BENCHMARKING_RECORDERS = frozenset({Role.PRACTICE_MANAGER}) | _QA_UNIT
_BENCHMARKING_READERS = _BENCHMARKING_RECORDERS | {Role.SERVICE_LEAD, Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER}

# Observations: managers observe their supervisees, service leads and the QA unit observe too, and
# heads of service and senior leaders make walk-the-floor visits (services check the kind).
_OBSERVERS = _QA_UNIT | {Role.PRACTICE_MANAGER, Role.SERVICE_LEAD, Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    role: frozenset(
        action
        for action, roles in {
            Action.VIEW_ORGANISATION: _INTERNAL_ROLES,
            Action.VIEW_PEOPLE: _OVERSIGHT_ROLES,
            Action.MANAGE_ORGANISATION: {Role.ADMINISTRATOR},
            Action.VIEW_AUDITS: frozenset(Role) - {Role.READ_ONLY},
            Action.EDIT_AUDIT: {Role.PRACTICE_MANAGER, Role.PARTNER_AUDITOR, Role.QA_OFFICER, Role.QA_LEAD},
            Action.SUBMIT_AUDIT: {Role.PRACTICE_MANAGER, Role.PARTNER_AUDITOR, Role.QA_OFFICER, Role.QA_LEAD},
            Action.START_AUDIT: {Role.QA_OFFICER, Role.QA_LEAD},
            Action.RAISE_CONCERN: {
                Role.PRACTICE_MANAGER,
                Role.PARTNER_AUDITOR,
                Role.QA_OFFICER,
                Role.QA_LEAD,
                Role.SERVICE_LEAD,
            },
            Action.OVERSEE_AUDIT: {Role.SERVICE_LEAD},
            Action.RESOLVE_DISPUTE: {Role.QA_LEAD},
            Action.VIEW_NOTIFICATIONS: frozenset(Role),
            Action.VIEW_TOOLS: _INTERNAL_WORKERS,
            Action.MANAGE_TOOLS: {Role.QA_LEAD, Role.ADMINISTRATOR},
            Action.VIEW_ALL_AUDITS: _CASE_WORK_READERS,
            # The principal social worker's view: cross-area roles, and service leads for their areas.
            Action.VIEW_VOICES: _CASE_WORK_READERS | {Role.SERVICE_LEAD},
            Action.VIEW_AREA_ACTIONS: _CASE_WORK_READERS | {Role.SERVICE_LEAD, Role.PRACTICE_MANAGER},
            # Anyone may own an action; OBJECT_RULES narrows it to the owner and the area's service lead.
            Action.CLOSE_ACTION: frozenset(Role) - {Role.READ_ONLY},
            Action.VIEW_CASES: _CASE_WORK_READERS | {Role.PRACTICE_MANAGER, Role.SERVICE_LEAD},
            Action.IMPORT_CASES: _QA_UNIT | {Role.ADMINISTRATOR},
            Action.VIEW_SCHEDULE: _INTERNAL_WORKERS,
            Action.MANAGE_SCHEDULE: _QA_UNIT | {Role.ADMINISTRATOR},
            Action.MANAGE_ALLOCATION: _QA_UNIT,
            Action.VIEW_OVERDUE: _CASE_WORK_READERS | {Role.SERVICE_LEAD},
            Action.VIEW_ESCALATIONS: _CASE_WORK_READERS | {Role.SERVICE_LEAD},
            Action.CONFIRM_ESCALATION: _QA_UNIT,
            Action.UPDATE_ESCALATION: {Role.SERVICE_LEAD},
            Action.MARK_EXEMPLAR: _QA_UNIT | {Role.SERVICE_LEAD},
            Action.MANAGE_PANELS: _QA_UNIT,
            Action.MODERATE: _QA_UNIT | {Role.MODERATOR},
            Action.VIEW_MODERATION: _QA_UNIT | {Role.MODERATOR},
            # An auditor's line managers are the service leads of the areas they audit in (OBJECT_RULES).
            Action.VIEW_CALIBRATION: _QA_UNIT | {Role.SERVICE_LEAD},
            Action.VIEW_SCORECARD: _INTERNAL_ROLES - {Role.PRACTITIONER},
            Action.MANAGE_INDICATORS: {Role.PERFORMANCE_OFFICER, Role.ADMINISTRATOR},
            Action.LOAD_KPI_VALUES: {Role.PERFORMANCE_OFFICER},
            # Anyone may lead an indicator; OBJECT_RULES narrows it to the lead and performance officers.
            Action.WRITE_COMMENTARY: _INTERNAL_WORKERS,
            Action.LOCK_MONTH: {Role.PERFORMANCE_OFFICER},
            Action.VIEW_REPORTS: _QA_UNIT
            | {Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER, Role.READ_ONLY, Role.SERVICE_LEAD, Role.ADMINISTRATOR},
            Action.MANAGE_REPORTS: {Role.QA_LEAD},
            Action.MANAGE_PRACTICE_THEMES: {Role.QA_LEAD, Role.ADMINISTRATOR},
            Action.VIEW_SECURITY_EVENTS: {Role.ADMINISTRATOR},
            Action.REVIEW_ACCESS: {Role.ADMINISTRATOR},
            Action.VIEW_ACCESS_RECORDS: {Role.QA_LEAD, Role.ADMINISTRATOR},
            Action.RECORD_BENCHMARKING: _BENCHMARKING_RECORDERS,
            Action.VIEW_BENCHMARKING: _BENCHMARKING_READERS,
            # Figures only, like a published report's: the read-only reader reads them too.
            Action.VIEW_BENCHMARKING_SUMMARY: _BENCHMARKING_READERS | {Role.READ_ONLY},
            # Not the read-only reader: the log is case work behind the reports, which summarise it.
            Action.VIEW_COMPLAINTS: _CASE_WORK_READERS | {Role.SERVICE_LEAD, Role.PRACTICE_MANAGER},
            Action.MANAGE_COMPLAINTS: _QA_UNIT,
            # Practitioners see the observations they are named on (Observation.ACCESS_PERSON_FIELDS).
            Action.VIEW_OBSERVATIONS: _OBSERVERS | {Role.PRACTITIONER},
            Action.RECORD_OBSERVATIONS: _OBSERVERS,
            Action.VIEW_OBSERVATION_COVERAGE: _OBSERVERS,
            Action.MANAGE_PRACTICE_WEEKS: _QA_UNIT,
            Action.MANAGE_SURVEYS: _QA_UNIT,
            Action.VIEW_SURVEYS: _QA_UNIT | {Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER},
            # Free text can identify a child or a family even without a name: only the QA unit reads it.
            Action.VIEW_SURVEY_FREE_TEXT: _QA_UNIT,
            # Figures, not case work, but per area: service leads are kept to their own (the area page's get_for).
            Action.VIEW_TRIANGULATION: _QA_UNIT | {Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER, Role.SERVICE_LEAD},
            Action.EDIT_TRIANGULATION_RULES: {Role.QA_LEAD},
            Action.VIEW_SELF_EVALUATION: _QA_UNIT | {Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER},
            Action.WRITE_SELF_EVALUATION: _QA_UNIT,
            Action.COMMENT_ON_SELF_EVALUATION: {Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER},
            Action.SIGN_OFF_SELF_EVALUATION: {Role.SENIOR_LEADER},
        }.items()
        if role in roles
    )
    for role in Role
}


@dataclass(frozen=True)
class Grant:
    """What one person holds: their roles and the service areas each role covers."""

    person_id: int | None
    roles: frozenset[Role]
    all_areas: bool
    area_ids: frozenset[int]
    area_ids_by_role: dict[Role, frozenset[int]]

    def actions(self) -> frozenset[Action]:
        return frozenset().union(*(ROLE_ACTIONS[role] for role in self.roles)) if self.roles else frozenset()

    def area_ids_for(self, roles: frozenset[Role] | None) -> frozenset[int]:
        """The areas in which the person holds one of `roles` (any role when None)."""
        if roles is None:
            return self.area_ids
        return frozenset().union(*(ids for role, ids in self.area_ids_by_role.items() if role in roles))


_NO_GRANT = Grant(None, frozenset(), False, frozenset(), {})


def grant_for(user) -> Grant:
    """The person's current roles, read once per request and cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NO_GRANT
    cached = getattr(user, "_quality_grant", None)
    if cached is not None:
        return cached
    rows = list(
        Membership.objects.current().filter(person__user=user).values_list("person_id", "role", "service_area_id")
    )
    person_id = rows[0][0] if rows else None
    by_role: dict[Role, set[int]] = {}
    for _, role, area_id in rows:
        by_role.setdefault(Role(role), set())
        if area_id is not None:
            by_role[Role(role)].add(area_id)
    roles = frozenset(by_role)
    grant = Grant(
        person_id=person_id,
        roles=roles,
        all_areas=bool(roles & CROSS_AREA_ROLES),
        area_ids=frozenset().union(*by_role.values()) if by_role else frozenset(),
        area_ids_by_role={role: frozenset(ids) for role, ids in by_role.items()},
    )
    user._quality_grant = grant
    return grant


def area_id_of(obj: Model) -> int | None:
    if isinstance(obj, ServiceArea):
        return obj.pk
    field = getattr(obj, "ACCESS_AREA_FIELD", None)
    if field is None:
        return None
    *path, last = field.split("__")
    for step in path:
        obj = getattr(obj, step)
    return getattr(obj, f"{last}_id")


def covers(user, obj: Model) -> bool:
    """Is `obj` inside the service areas this person's roles cover?"""
    grant = grant_for(user)
    if grant.all_areas or getattr(obj, "ACCESS_SHARED", False):
        return True
    if isinstance(obj, Person):
        return obj.memberships.current().filter(service_area_id__in=grant.area_ids).exists()
    if _is_named_on(grant, obj) or _is_participant(grant, obj) or _in_team_held(grant, obj):
        return True
    area_id = area_id_of(obj)
    return area_id is not None and area_id in grant.area_ids_for(getattr(obj, "ACCESS_AREA_ROLES", None))


def _is_named_on(grant: Grant, obj: Model) -> bool:
    """Is the person named on the row (its auditor, case holder, owner...)? They always see it."""
    return grant.person_id is not None and any(
        getattr(obj, f"{field}_id") == grant.person_id for field in getattr(obj, "ACCESS_PERSON_FIELDS", ())
    )


def _is_participant(grant: Grant, obj: Model) -> bool:
    """Does the row's ACCESS_PARTICIPANTS relation reach the person (invited to the audit...)?"""
    relation = getattr(obj, "ACCESS_PARTICIPANTS", None)
    if relation is None or grant.person_id is None or obj.pk is None:
        return False
    return type(obj)._default_manager.filter(pk=obj.pk, **{relation: grant.person_id}).exists()


def _teams_held(grant: Grant, roles) -> QuerySet:
    return Membership.objects.current().filter(person_id=grant.person_id, role__in=roles).values("team_id")


def _in_team_held(grant: Grant, obj: Model) -> bool:
    """Is the row in a team where the person holds one of its ACCESS_TEAM_ROLES (the team's practice manager)?"""
    roles = getattr(obj, "ACCESS_TEAM_ROLES", None)
    if not roles or grant.person_id is None:
        return False
    lookup = {f"{obj.ACCESS_TEAM_FIELD}__in": _teams_held(grant, roles)}
    return type(obj)._default_manager.filter(pk=obj.pk, **lookup).exists()


def roles_granting(action: Action) -> frozenset[Role]:
    """The roles whose holders may do `action` (before any rule about one object)."""
    return frozenset(role for role, actions in ROLE_ACTIONS.items() if action in actions)


# Rules about one object beyond "is it in the person's areas", per action.
OBJECT_RULES = {
    Action.EDIT_AUDIT: lambda grant, audit: audit.auditor_id == grant.person_id or _is_participant(grant, audit),
    Action.SUBMIT_AUDIT: lambda grant, audit: audit.auditor_id == grant.person_id,
    Action.RAISE_CONCERN: lambda grant, audit: (
        audit.auditor_id == grant.person_id
        or _is_participant(grant, audit)
        or audit.service_area_id in grant.area_ids_for(frozenset({Role.SERVICE_LEAD}))
    ),
    Action.OVERSEE_AUDIT: lambda grant, audit: (
        audit.service_area_id in grant.area_ids_for(frozenset({Role.SERVICE_LEAD}))
    ),
    Action.UPDATE_ESCALATION: lambda grant, escalation: (
        escalation.audit.service_area_id in grant.area_ids_for(frozenset({Role.SERVICE_LEAD}))
    ),
    Action.MARK_EXEMPLAR: lambda grant, audit: (
        bool(grant.roles & _QA_UNIT) or audit.service_area_id in grant.area_ids_for(frozenset({Role.SERVICE_LEAD}))
    ),
    Action.VIEW_CALIBRATION: lambda grant, auditor: (
        bool(grant.roles & _QA_UNIT)
        or auditor.memberships.current()
        .filter(service_area_id__in=grant.area_ids_for(frozenset({Role.SERVICE_LEAD})))
        .exists()
    ),
    Action.WRITE_COMMENTARY: lambda grant, indicator: (
        Role.PERFORMANCE_OFFICER in grant.roles
        or (grant.person_id is not None and indicator.lead_id == grant.person_id)
    ),
    Action.CLOSE_ACTION: lambda grant, action: (
        action.owner_id == grant.person_id
        or action.audit.service_area_id in grant.area_ids_for(frozenset({Role.SERVICE_LEAD}))
    ),
    # An observation is recorded, and its action plan reviewed, by its observer (or the QA unit).
    Action.RECORD_OBSERVATIONS: lambda grant, observation: (
        observation.observer_id == grant.person_id or bool(grant.roles & _QA_UNIT)
    ),
}


def can(user, action: Action | str, obj: Model | None = None) -> bool:
    grant = grant_for(user)
    action = Action(action)
    if action not in grant.actions():
        return False
    if obj is None:
        return True
    rule = OBJECT_RULES.get(action)
    return rule(grant, obj) if rule else covers(user, obj)


def visible(user, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` this person may see (by service area)."""
    model = queryset.model
    shared = getattr(model, "ACCESS_SHARED", False)
    field = getattr(model, "ACCESS_AREA_FIELD", None)
    # Checked before looking at the person, so an unscoped model fails for an administrator too.
    if field is None and not shared and model not in (ServiceArea, Person):
        raise TypeError(f"{model.__name__} has no ACCESS_AREA_FIELD: the access rules cannot scope it.")
    grant = grant_for(user)
    if not grant.roles:
        return queryset.none()
    if grant.all_areas or shared:
        return queryset
    if model is ServiceArea:
        return queryset.filter(pk__in=grant.area_ids)
    if model is Person:
        return queryset.filter(
            memberships__ended_at__isnull=True, memberships__service_area_id__in=grant.area_ids
        ).distinct()
    area_ids = grant.area_ids_for(getattr(model, "ACCESS_AREA_ROLES", None))
    condition = Q(**{f"{field}__in": area_ids})
    named = _named_or_taking_part(model, grant)
    return queryset.filter(condition | named if named is not None else condition)


def _named_or_taking_part(model, grant: Grant) -> Q | None:
    """The rows of `model` the person sees whatever their areas: named on them (auditor, case holder...)
    or taking part (invited to the audit); None when the model has no such rows."""
    fields = getattr(model, "ACCESS_PERSON_FIELDS", ())
    conditions = [Q(**{f"{person_field}_id": grant.person_id}) for person_field in fields]
    relation = getattr(model, "ACCESS_PARTICIPANTS", None)
    if relation is not None:
        # A subquery, not a join: a row with many participants must still come back once.
        conditions.append(Q(pk__in=model._default_manager.filter(**{relation: grant.person_id}).values("pk")))
    team_roles = getattr(model, "ACCESS_TEAM_ROLES", None)
    if team_roles and grant.person_id is not None:
        conditions.append(Q(**{f"{model.ACCESS_TEAM_FIELD}__in": _teams_held(grant, team_roles)}))
    return reduce(or_, conditions) if conditions else None


def visible_beyond_areas(user, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` this person sees only as named on them or taking part, outside the areas
    their roles cover: what visible() adds to a count kept per area (visible(user, <the counts>)), so the
    two together are exactly the rows visible() gives. None for someone who sees every area."""
    model = queryset.model
    grant = grant_for(user)
    named = _named_or_taking_part(model, grant) if grant.roles and not grant.all_areas else None
    if named is None or getattr(model, "ACCESS_SHARED", False):
        return queryset.none()
    area_ids = grant.area_ids_for(getattr(model, "ACCESS_AREA_ROLES", None))
    return queryset.filter(named).exclude(**{f"{model.ACCESS_AREA_FIELD}__in": area_ids})


# Blind moderation (issue 13): what a page shows instead of an audit's grades while they are hidden.
GRADES_HIDDEN = "Hidden while you moderate it blind"


def grades_hidden_from(user) -> frozenset[int]:
    """The ids of the audits whose grades this person may not see now, on any page or file.

    A blind panel hides the auditor's grades from its members so they do not anchor their judgement.
    That holds wherever else the member may read the audit (as a practice manager or service lead of
    its area, say): every grade of an audit in a blind panel's sample they sit on is hidden from them
    until the panel has recorded its own grade for it. The overall and area grades, the final
    (moderated) grade and anything that gives them away. Nobody else is affected, and once the item is
    decided (or taken out, or the panel concluded) the grades show again.

    One query per request (none for people who cannot moderate), cached on the user object like the
    grant, so a list asks once however many rows it shows. Read through the app registry: the
    organisation's access rules import no workbench.
    """
    cached = getattr(user, "_quality_grades_hidden", None)
    if cached is not None:
        return cached
    grant = grant_for(user)
    hidden: frozenset[int] = frozenset()
    if grant.person_id is not None and Action.MODERATE in grant.actions():
        from django.apps import apps

        panel_item = apps.get_model("moderation", "PanelItem")
        hidden = frozenset(
            panel_item.objects.filter(
                blind=True, decision__isnull=True, removed_at__isnull=True, panel__members=grant.person_id
            )
            .exclude(panel__state="concluded")
            .values_list("audit_id", flat=True)
        )
    if getattr(user, "is_authenticated", False):
        user._quality_grades_hidden = hidden
    return hidden


def grades_hidden(user, audit: Model) -> bool:
    """Are this audit's grades hidden from this person (grades_hidden_from)?"""
    return audit.pk in grades_hidden_from(user)


def require(action: Action, *, json: bool = False):
    """View decorator: log-in required, then the action, else 403.

    A `json` view (one a script calls, such as the audit autosave) answers someone signed out with
    401 JSON instead of the redirect to the log-in page: a script following that redirect gets the
    log-in page with a 200, which reads as success.
    """

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not can(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        if json:

            @wraps(view)
            def wrapped(request, *args, **kwargs):
                if not request.user.is_authenticated:
                    return JsonResponse({"signed_out": True}, status=401)
                return checked(request, *args, **kwargs)

        else:
            wrapped = login_required(checked)
        wrapped.required_action = action
        return wrapped

    return decorator


PLAIN_TEXT = "text/plain; charset=utf-8"


def machine_token_required(setting: str):
    """View decorator for an endpoint a machine calls, not a person (the Prometheus scraper): no sign-in
    and no session. Switched off (404) while the setting named `setting` is empty; then 403 unless the
    request says `Authorization: Bearer <that setting's value>`, compared in constant time. The answers
    are plain text and record no security event: a scraper with a stale token asks every few seconds."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            expected = getattr(settings, setting, "")
            if not expected:
                return HttpResponseNotFound("Not found.", content_type=PLAIN_TEXT)
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
                return HttpResponseForbidden("A valid bearer token is required.", content_type=PLAIN_TEXT)
            return view(request, *args, **kwargs)

        checked.machine_token_setting = setting
        return checked

    return decorator


def public(reason: str):
    """View decorator: this view answers anyone, signed in or not, and that is on purpose.

    Every other view of the portal asks `require(...)` or `machine_token_required(...)` (Django's own
    sign-in pages aside). A public view must show nothing about people or cases, whoever asks.
    `reason` says who needs it without signing in; it stays on the view as `public_reason`, so each
    public view says why where it is declared and a reader or a test can list them all.
    """
    if not reason.strip():
        raise ValueError("Say why the view is public.")

    def decorator(view):
        view.public_reason = reason
        return view

    return decorator


def get_for(user, action: Action, queryset: QuerySet, **lookup) -> Model:
    """One row the person may see and act on: 404 if outside their areas, 403 if not allowed."""
    try:
        obj = visible(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist as missing:
        raise Http404 from missing
    if not can(user, action, obj):
        raise PermissionDenied
    return obj
