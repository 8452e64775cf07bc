"""The month's allocation: which practice manager audits which case (services and selectors).

On the 3rd (audits.cycle.dates.ALLOCATION_DAY) the portal proposes, for each active practice manager,
one open case of their service area: a case fitting the month's theme where there is one, never
a case audited in the last 12 months, never one the manager holds, and one they manage only when
their area has no other (an area with one practice manager, who manages all its cases), spread
across the area's teams and workers. The QA unit reviews the proposal (remove, add, swap, each with a
reason) and distributes it: each item becomes a monthly audit on the area's published case audit
tool, due on the cycle's dates, and each auditor gets one message listing their cases.

Proposing is idempotent: Allocation.month is unique and the row is created first, inside the
transaction that fills it, so a second run (or a concurrent one) finds it and adds nothing. Every
change to a proposal or its distribution locks the Allocation row first.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone

from quality.months import add_months, month_start, start_of_day
from quality.org.messages import REASON_REQUIRED
from quality.org.models import Membership, Person, Role
from quality.org.notify import notify
from quality.org.selectors import users_holding
from quality.org.services import change_record

from .. import services
from ..models import Allocation, AllocationItem, Audit, AuditTool, Case, LegalStatus, ScheduleEntry, ToolVersion
from .dates import cycle_dates
from .schedule import theme_for_month

RECENT_MONTHS = 12  # a case audited this recently is not allocated again

# Messages people see; tests assert on them.
NOT_PROPOSED = "This allocation has been distributed: it can no longer be changed."
ALREADY_DISTRIBUTED = "This allocation has already been distributed: its audits exist and the auditors were told."
ITEM_REMOVED = "This case has already been taken out of the allocation."
CASE_UNKNOWN = "No case on the case list has this reference."
CASE_CLOSED = "This case is closed on the case list: choose an open case."
CASE_OUTSIDE_AREA = "This case is not in the auditor's service area: choose a case from their area."
CASE_ALREADY_ALLOCATED = "This case is already in this month's allocation."
CASE_RECENTLY_AUDITED = "This case was audited in the last 12 months: choose another case."
CASE_OWN = "The auditor manages or holds this case: choose a case they are not responsible for."
AUDITOR_NOT_MANAGER = "Choose an active practice manager: only they audit monthly cases."
NO_PUBLISHED_TOOL = "No published case audit tool for {areas}: publish one before distributing."
AUDITOR_LEFT = "{name} is no longer an active practice manager of {area}: swap or remove case {case} first."
CASE_CLOSED_SINCE = "Case {case} has been closed since it was proposed: swap or remove it first."
NOTHING_TO_DISTRIBUTE = "The allocation has no cases: add at least one before distributing."

REASON_THEME = "fits the theme: {what}"
REASON_THEME_IN_PART = "fits the theme in part: {what}"
REASON_NO_FIT = "no case fits the theme; oldest unaudited case"
REASON_THEME_OPEN = "the theme names no case criteria; oldest unaudited case"
REASON_NO_THEME = "no theme this month; oldest unaudited case"
REASON_MANAGED = "the auditor manages every eligible case of the area"


# ---------------------------------------------------------------------------------------
# Selectors


def allocations_listed() -> QuerySet[Allocation]:
    """Every month's allocation, newest first, with its counts computed in the database."""
    live = Q(items__removed_at__isnull=True)
    return (
        Allocation.objects.select_related("theme")
        .annotate(
            case_count=Count("items", filter=live),
            auditor_count=Count("items__auditor", filter=live, distinct=True),
            removed_count=Count("items", filter=Q(items__removed_at__isnull=False)),
            audit_count=Count("items__audit"),
            submitted_count=Count("items__audit", filter=~Q(items__audit__state=Audit.State.DRAFT)),
        )
        .order_by("-month")
    )  # said again: Meta.ordering is left out of a query that groups


def items_for_review(allocation: Allocation) -> list[AllocationItem]:
    """Every item of the allocation (live and removed), grouped by service area then auditor."""
    return list(
        allocation.items.select_related(
            "case__service_area", "case__team", "case__worker", "auditor__user", "audit", "removed_by__person"
        ).order_by("case__service_area__code", "auditor__full_name", "auditor_id", "case__child_ref")
    )


def active_manager_memberships() -> QuerySet[Membership]:
    """Practice managers who audit: current role in an active service area, with an active account."""
    return (
        Membership.objects.current()
        .filter(
            role=Role.PRACTICE_MANAGER,
            service_area__isnull=False,
            service_area__is_active=True,
            person__user__is_active=True,
        )
        .select_related("person__user", "service_area")
        .order_by("service_area__code", "person__full_name", "person_id", "pk")
    )


def managers_without_case(allocation: Allocation) -> list[Membership]:
    """Active practice managers with no live case for their area in this allocation (one query)."""
    has_case = AllocationItem.objects.filter(
        allocation=allocation,
        removed_at__isnull=True,
        auditor_id=OuterRef("person_id"),
        case__service_area_id=OuterRef("service_area_id"),
    )
    return list(active_manager_memberships().filter(~Exists(has_case)))


def _recent_audits(month: date) -> QuerySet[Audit]:
    """Audits done in the 12 months before `month` (or since): dated by completion where the record
    has one (imported history), else by when the audit was started in the portal."""
    cutoff = add_months(month_start(month), -RECENT_MONTHS)
    since = start_of_day(cutoff)
    return Audit.objects.filter(Q(completed_on__gte=cutoff) | Q(completed_on__isnull=True, created_at__gte=since))


def recently_audited(month: date) -> Exists:
    """For a Case queryset: was the case audited (by case-list link or by its reference) recently?"""
    return Exists(
        _recent_audits(month).filter(Q(case_id=OuterRef("pk")) | Q(case_reference=Upper(OuterRef("child_ref"))))
    )


def theme_for(month: date) -> ScheduleEntry | None:
    """The month's theme from the schedule for monthly case audits (a theme for other audits is not theirs)."""
    return theme_for_month(month, audit_kinds=("", Audit.Kind.MONTHLY))


# ---------------------------------------------------------------------------------------
# The proposal


@dataclass(frozen=True)
class Pick:
    case: Case
    auditor: Person
    area_code: str
    reason: str


@dataclass
class Proposal:
    month: date
    theme: ScheduleEntry | None
    picks: list[Pick] = field(default_factory=list)
    uncovered: list[Membership] = field(default_factory=list)  # active managers with no eligible case


@dataclass(frozen=True)
class _Theme:
    statuses: frozenset[str]
    disability: bool
    area_ids: frozenset[int]  # empty: every area

    def applies_to(self, area_id: int) -> bool:
        return not self.area_ids or area_id in self.area_ids

    def fit(self, case: Case) -> tuple[int, list[str]]:
        """How many of the theme's criteria the case meets, and those met, in words."""
        met = []
        if self.statuses and case.legal_status in self.statuses:
            met.append(LegalStatus(case.legal_status).label.lower())
        if self.disability and case.has_disability:
            met.append("a child with a disability")
        return len(met), met

    @property
    def criteria(self) -> int:
        return bool(self.statuses) + self.disability


def _reason(theme: _Theme | None, area_id: int, case: Case) -> str:
    if theme is None or not theme.applies_to(area_id):
        return REASON_NO_THEME
    if not theme.criteria:
        return REASON_THEME_OPEN
    score, met = theme.fit(case)
    if not score:
        return REASON_NO_FIT
    template = REASON_THEME if score == theme.criteria else REASON_THEME_IN_PART
    return template.format(what=", ".join(met))


CANDIDATE_FIELDS = (
    "child_ref",
    "service_area",
    "team",
    "worker",
    "manager",
    "legal_status",
    "disability",
    "open_since",
)


def _candidates(month: date, area_ids, allocation: Allocation | None) -> list[Case]:
    cases = (
        Case.objects.filter(is_open=True, service_area_id__in=area_ids)
        .exclude(recently_audited(month))
        .only(*CANDIDATE_FIELDS)
        .order_by("pk")
    )
    if allocation is not None:
        cases = cases.exclude(allocation_items__allocation=allocation, allocation_items__removed_at__isnull=True)
    return list(cases)


def proposal_compute(*, month: date, allocation: Allocation | None = None) -> Proposal:
    """What the portal would propose for `month`, without saving anything.

    A handful of queries whatever the number of cases: the theme, the managers, the candidate
    cases (open, in their areas, not audited in 12 months), then the choice in memory. Each
    manager in turn (by area code, then name) takes the best case left in their area: one that
    meets more of the theme's criteria first, then one whose team, then worker, has fewer cases
    this month, then the longest open, then an order shuffled with the month as seed (so the same
    data always gives the same proposal, and ties do not always fall the same way).
    """
    month = month_start(month)
    entry = theme_for(month)
    theme = None
    if entry is not None:
        theme = _Theme(
            statuses=frozenset(entry.legal_statuses or []),
            disability=entry.prefers_disability,
            area_ids=frozenset(entry.service_areas.values_list("pk", flat=True)),
        )
    memberships = list(active_manager_memberships())
    proposal = Proposal(month=month, theme=entry)
    if not memberships:
        return proposal

    by_area: dict[int, list[Case]] = defaultdict(list)
    cases = _candidates(month, {m.service_area_id for m in memberships}, allocation)
    tiebreak = list(range(len(cases)))
    random.Random(f"allocation-{month:%Y-%m}").shuffle(tiebreak)
    rank = {case.pk: tiebreak[index] for index, case in enumerate(cases)}
    for case in cases:
        by_area[case.service_area_id].append(case)

    taken: set[int] = set()
    teams_used: dict[int, Counter] = defaultdict(Counter)
    workers_used: dict[int, Counter] = defaultdict(Counter)
    seen: set[tuple[int, int]] = set()
    for membership in memberships:
        person, area_id = membership.person, membership.service_area_id
        if (person.pk, area_id) in seen:  # the same role twice in one area (a team each): one case
            continue
        seen.add((person.pk, area_id))
        applies = theme is not None and theme.applies_to(area_id)
        eligible = [case for case in by_area[area_id] if case.pk not in taken and case.worker_id != person.pk]
        # A case they manage only when the area has no other for them (one manager managing every case).
        independent = [case for case in eligible if case.manager_id != person.pk]
        managed_only = bool(eligible) and not independent
        eligible = independent or eligible
        if not eligible:
            proposal.uncovered.append(membership)
            continue
        best = min(
            eligible,
            key=lambda case: (
                -theme.fit(case)[0] if applies else 0,
                teams_used[area_id][case.team_id],
                workers_used[area_id][case.worker_id],
                case.open_since,
                rank[case.pk],
            ),
        )
        taken.add(best.pk)
        teams_used[area_id][best.team_id] += 1
        workers_used[area_id][best.worker_id] += 1
        proposal.picks.append(
            Pick(
                case=best,
                auditor=person,
                area_code=membership.service_area.code,
                reason=_reason(theme, area_id, best) + (f"; {REASON_MANAGED}" if managed_only else ""),
            )
        )
    return proposal


def allocation_propose(*, month: date, actor=None) -> Allocation:
    """Propose `month`'s allocation, or return the one that exists: never two for a month.

    The Allocation row is inserted first: a concurrent run's insert waits on the unique month
    until this transaction ends, then finds this row and adds nothing."""
    month = month_start(month)
    with transaction.atomic():
        allocation, created = Allocation.objects.get_or_create(month=month, defaults={"proposed_by": actor})
        if not created:
            return allocation
        proposal = proposal_compute(month=month)
        allocation.theme = proposal.theme
        allocation.save(update_fields=["theme"])
        AllocationItem.objects.bulk_create(
            AllocationItem(allocation=allocation, case=pick.case, auditor=pick.auditor, reason=pick.reason)
            for pick in proposal.picks
        )
        uncovered = ", ".join(f"person {m.person_id} ({m.service_area.code})" for m in proposal.uncovered)
        change_record(
            actor=actor,
            target=allocation,
            action="allocation.propose",
            summary=f"Proposed {len(proposal.picks)} case(s) for {month:%B %Y}"
            + (f"; no eligible case for {uncovered}" if uncovered else ""),
        )
        notify(
            users=users_holding(Role.QA_LEAD, Role.QA_OFFICER),
            subject=f"Allocation for {month:%B %Y} proposed: please review it",
            body=f"{len(proposal.picks)} case(s) are proposed"
            + (f"; {len(proposal.uncovered)} practice manager(s) have no eligible case" if proposal.uncovered else "")
            + ". Review the proposal, then distribute it.",
            url=allocation_url(month),
        )
    return allocation


def allocation_url(month: date) -> str:
    return reverse("allocation:allocation_detail", kwargs={"month": f"{month:%Y-%m}"})


# ---------------------------------------------------------------------------------------
# QA's review: remove, add, swap


def _lock_proposed(allocation: Allocation) -> Allocation:
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.state != Allocation.State.PROPOSED:
        raise ValidationError(NOT_PROPOSED)
    return allocation


def _is_manager_in(person: Person, area_id: int | None = None) -> bool:
    memberships = active_manager_memberships().filter(person=person)
    if area_id is not None:
        memberships = memberships.filter(service_area_id=area_id)
    return memberships.exists()


def case_problems(*, allocation: Allocation, case: Case, auditor: Person) -> dict[str, str]:
    """Why `case` cannot be added for `auditor`, keyed by form field (empty when it can)."""
    if not _is_manager_in(auditor):
        return {"auditor": AUDITOR_NOT_MANAGER}
    if not case.is_open:
        return {"case": CASE_CLOSED}
    if not _is_manager_in(auditor, case.service_area_id):
        return {"case": CASE_OUTSIDE_AREA}
    if allocation.items.filter(case=case, removed_at__isnull=True).exists():
        return {"case": CASE_ALREADY_ALLOCATED}
    if Case.objects.filter(pk=case.pk).filter(recently_audited(allocation.month)).exists():
        return {"case": CASE_RECENTLY_AUDITED}
    if auditor.pk == case.worker_id or (
        auditor.pk == case.manager_id and _has_case_not_managed_by(auditor, allocation, case.service_area_id)
    ):
        return {"case": CASE_OWN}
    return {}


def _has_case_not_managed_by(auditor: Person, allocation: Allocation, area_id: int) -> bool:
    """Could the auditor be given another case of the area, one they neither manage nor hold?"""
    live = allocation.items.filter(removed_at__isnull=True).values("case_id")
    return (
        Case.objects.filter(is_open=True, service_area_id=area_id)
        .exclude(manager=auditor)
        .exclude(worker=auditor)
        .exclude(pk__in=live)
        .exclude(recently_audited(allocation.month))
        .exists()
    )


@transaction.atomic
def allocation_item_remove(*, actor, item: AllocationItem, reason: str) -> AllocationItem:
    """Take a case out of a proposal, saying why. The item is kept, marked removed."""
    _lock_proposed(item.allocation)
    item = AllocationItem.objects.select_for_update().get(pk=item.pk)
    if item.removed_at is not None:
        raise ValidationError(ITEM_REMOVED)
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    item.removed_by, item.removed_at, item.removed_reason = actor, timezone.now(), reason.strip()
    item.save(update_fields=["removed_by", "removed_at", "removed_reason"])
    return item


@transaction.atomic
def allocation_item_add(*, actor, allocation: Allocation, case: Case, auditor: Person, reason: str) -> AllocationItem:
    """Add a case to a proposal for a practice manager of its area, saying why."""
    allocation = _lock_proposed(allocation)
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    problems = case_problems(allocation=allocation, case=case, auditor=auditor)
    if problems:
        raise ValidationError(problems)
    return AllocationItem.objects.create(
        allocation=allocation, case=case, auditor=auditor, reason=reason.strip()[:300], added_by=actor
    )


@transaction.atomic
def allocation_item_swap(*, actor, item: AllocationItem, case: Case, reason: str) -> AllocationItem:
    """Replace an item's case with another for the same auditor: a removal and an addition, both or neither."""
    allocation = _lock_proposed(item.allocation)
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    item = AllocationItem.objects.select_for_update().select_related("auditor").get(pk=item.pk)
    if item.removed_at is not None:
        raise ValidationError(ITEM_REMOVED)
    problems = case_problems(allocation=allocation, case=case, auditor=item.auditor)
    if problems:
        raise ValidationError(problems)
    allocation_item_remove(actor=actor, item=item, reason=reason)
    return allocation_item_add(actor=actor, allocation=allocation, case=case, auditor=item.auditor, reason=reason)


# ---------------------------------------------------------------------------------------
# Distribution


def _tool_versions(area_ids) -> dict[int, ToolVersion]:
    """Each area's published case audit tool version (the newest published, if an area has two tools)."""
    versions = (
        ToolVersion.objects.filter(
            state=ToolVersion.State.PUBLISHED,
            tool__purpose=AuditTool.Purpose.CASE_AUDIT,
            tool__service_area_id__in=area_ids,
        )
        .select_related("tool")
        .order_by("published_at", "pk")
    )
    return {version.tool.service_area_id: version for version in versions}


def _practitioners(area_ids) -> set[tuple[int, int]]:
    """(person, area) pairs of current practitioners with an active account."""
    return set(
        Membership.objects.current()
        .filter(role=Role.PRACTITIONER, service_area_id__in=area_ids, person__user__is_active=True)
        .values_list("person_id", "service_area_id")
    )


def _distribution_problems(items: list[AllocationItem]) -> list[str]:
    area_ids = {item.case.service_area_id for item in items}
    problems = []
    tools = _tool_versions(area_ids)
    missing = sorted({item.case.service_area.code for item in items if item.case.service_area_id not in tools})
    if missing:
        problems.append(NO_PUBLISHED_TOOL.format(areas=", ".join(missing)))
    managers = set(
        active_manager_memberships().filter(service_area_id__in=area_ids).values_list("person_id", "service_area_id")
    )
    for item in items:
        if (item.auditor_id, item.case.service_area_id) not in managers:
            problems.append(
                AUDITOR_LEFT.format(
                    name=item.auditor.full_name, area=item.case.service_area.code, case=item.case.child_ref
                )
            )
        if not item.case.is_open:
            problems.append(CASE_CLOSED_SINCE.format(case=item.case.child_ref))
    return problems


def allocation_distribute(*, actor, allocation: Allocation) -> Allocation:
    """Make each live item a monthly audit, ready on the area's tool and due on the cycle's dates, and
    tell each auditor once, listing their cases. All or nothing; never twice."""
    with transaction.atomic():
        allocation = Allocation.objects.select_for_update(of=("self",)).select_related("theme").get(pk=allocation.pk)
        if allocation.state == Allocation.State.DISTRIBUTED:
            raise ValidationError(ALREADY_DISTRIBUTED)
        items = list(
            allocation.items.filter(removed_at__isnull=True)
            .select_related("case__service_area", "case__team", "case__worker", "auditor__user")
            .order_by("auditor__full_name", "auditor_id", "case__child_ref")
        )
        if not items:
            raise ValidationError(NOTHING_TO_DISTRIBUTE)
        problems = _distribution_problems(items)
        if problems:
            raise ValidationError(problems)
        area_ids = {item.case.service_area_id for item in items}
        tools, practitioners = _tool_versions(area_ids), _practitioners(area_ids)
        dates = cycle_dates(allocation.month)
        theme = allocation.theme.title if allocation.theme else ""
        by_auditor: dict[int, list[Audit]] = defaultdict(list)
        for item in items:
            case = item.case
            holds = case.worker_id is not None and (case.worker_id, case.service_area_id) in practitioners
            audit = services.audit_create(
                actor=actor,
                case_reference=case.child_ref,
                service_area=case.service_area,
                auditor=item.auditor,
                tool_version=tools[case.service_area_id],
                kind=Audit.Kind.MONTHLY,
                team=case.team,
                case_holder=case.worker if holds else None,
                theme=theme[:120],
                due_on=dates.audit_due,
                notify_auditor=False,
            )
            audit.case = case
            audit.oversight_due_on, audit.record_due_on = dates.oversight_due, dates.record_due
            audit.save(update_fields=["case", "oversight_due_on", "record_due_on", "updated_at"])
            item.audit = audit
            by_auditor[item.auditor_id].append(audit)
        AllocationItem.objects.bulk_update(items, ["audit"])
        allocation.state = Allocation.State.DISTRIBUTED
        allocation.distributed_by, allocation.distributed_at = actor, timezone.now()
        allocation.save(update_fields=["state", "distributed_by", "distributed_at"])
        change_record(
            actor=actor,
            target=allocation,
            action="allocation.distribute",
            summary=f"Distributed {len(items)} case(s) of {allocation.month:%B %Y} to {len(by_auditor)} auditor(s)",
        )
        auditors = {item.auditor_id: item.auditor for item in items}
        for auditor_id, audits in by_auditor.items():
            _tell_auditor(auditors[auditor_id], allocation.month, audits, theme)
    return allocation


def _tell_auditor(auditor: Person, month: date, audits: list[Audit], theme: str) -> None:
    count = len(audits)
    lines = "\n".join(f"- case {a.case_reference} ({a.service_area.code})" for a in audits)
    about = f" on the theme '{theme}'" if theme else ""
    notify(
        users=[auditor.user],
        subject=f"Your audits for {month:%B %Y}: {count} case{'s' if count != 1 else ''}",
        body=f"You have {count} monthly case audit{'s' if count != 1 else ''}{about} to complete "
        f"with the case holder, by {audits[0].due_on:%-d %B %Y}:\n{lines}",
        url=audits[0].get_absolute_url() if count == 1 else reverse("audits:audit_list_mine"),
    )
