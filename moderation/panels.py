"""Moderation panels: planning a session, drawing its dip sample, re-grading in session, concluding.

A panel moves only forward: planned -> sample drawn -> in session -> concluded, and each step
keeps who took it and when (on the Panel row, and a ChangeRecord). The auditor's grade is never
overwritten: a panel's decision records both grades (ModerationDecision, with one
ModerationAreaGrade per area of analysis) and the audit carries the moderated grade as its final
grade, with an AuditEvent saying who changed it and why.

Services (writes) first, keyword-only and atomic; then the reads the pages share.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from fractions import Fraction
from math import ceil, floor

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from audits.cycle import escalations
from audits.models import AnalysisArea, Audit, Dispute, Escalation, Grade, ScheduleEntry
from quality.access import Action, can, visible
from quality.months import month_start, start_of_day
from quality.org.models import Membership, Person, Role, ServiceArea
from quality.org.notify import notify
from quality.org.selectors import users_holding_by_area
from quality.org.services import change_record

from .decisions import moderation_decision_record
from .models import ModerationAreaGrade, ModerationDecision, Panel, PanelItem

# Messages people see when their input is refused. Tests assert on these.
DATE_REQUIRED = "Give the panel's date, or choose a panel date from the schedule."
NOT_A_PANEL_ENTRY = "Choose one of the schedule's moderation panel dates."
ENDS_BEFORE_START = "The panel must end after it starts."
MEMBER_NOT_ELIGIBLE = "Panel members must hold the moderator, QA officer or QA lead role."
MEMBERS_REQUIRED = "Choose the panel's members."
PANEL_NOT_EDITABLE = "The panel can be changed only before its session opens."
NOT_PLANNED = "The sample has already been drawn for this panel."
SIZE_OR_SHARE = "Give either a number of audits or a share of the pool, not both."
SIZE_OR_SHARE_REQUIRED = "Give how many audits to draw at random, or what share of the pool."
SHARE_RANGE = "The share is a percentage from 1 to 100."
SIZE_POSITIVE = "Draw at least one audit, or give a share instead."
FROM_DATE_REQUIRED = "Give the date audits are sampled from: there is no earlier panel to start from."
NOTHING_TO_SAMPLE = "No audits are awaiting moderation since that date: there is nothing to sample."
SAMPLE_CLOSED = "The sample can be changed only after it is drawn and before the panel concludes."
REASON_REQUIRED = "Say why: the reason is kept with the sample for anyone who checks it later."
ALREADY_IN_SAMPLE = "This audit is already in the sample."
IN_ANOTHER_SAMPLE = "This audit is already in the sample of another panel that has not concluded."
NOT_SAMPLEABLE = "Only a submitted, graded audit can be moderated."
ITEM_REMOVED = "This audit has been taken out of the sample."
ITEM_DECIDED = "The panel has already recorded its decision on this audit: it stays in the sample."
NOT_READY_TO_OPEN = "Draw the sample before opening the session."
EMPTY_SAMPLE = "The sample is empty: add audits before opening the session."
NOT_IN_SESSION = "Decisions are recorded while the panel is in session."
NOT_A_MEMBER = "Only the panel's members and the QA unit record its decisions."
GRADE_REQUIRED = "Choose the moderated grade."
AREA_GRADE_REQUIRED = "Choose the moderated grade for this area: the auditor graded it."
RATIONALE_REQUIRED = "Give the panel's rationale: the auditor and the service lead read it."
UNDECIDED_ITEMS = "{count} audit(s) in the sample have no decision yet: record them, or take them out with a reason."
BLIND_AFTER_DECISION = "The decision is recorded: the auditor's grades are no longer hidden."

MEMBER_ROLES = frozenset({Role.MODERATOR, Role.QA_OFFICER, Role.QA_LEAD})
QA_UNIT = frozenset({Role.QA_OFFICER, Role.QA_LEAD})
GRADE_ORDER = {grade: index for index, grade in enumerate(Grade.values)}  # Outstanding first
OPEN_STATES = (Panel.State.PLANNED, Panel.State.SAMPLE_DRAWN, Panel.State.IN_SESSION)
SAMPLE_STATES = (Panel.State.SAMPLE_DRAWN, Panel.State.IN_SESSION)


def _person(actor) -> Person | None:
    return getattr(actor, "person", None) if actor is not None else None


def _date(day: date) -> str:
    return f"{day:%-d %B %Y}"


# ---------------------------------------------------------------------------------------
# Planning a panel.


def eligible_members() -> QuerySet[Person]:
    """People who may sit on a panel: active moderators and the QA unit."""
    holders = Membership.objects.current().filter(role__in=MEMBER_ROLES).values("person_id")
    return Person.objects.filter(pk__in=holders, user__is_active=True).order_by("full_name", "pk")


def panel_entries(*, keep: ScheduleEntry | None = None) -> QuerySet[ScheduleEntry]:
    """The schedule's moderation panel dates from a month ago on, not yet taken by a panel."""
    since = month_start(timezone.localdate())
    free = Q(kind=ScheduleEntry.Kind.PANEL, starts_on__gte=since, moderation_panels__isnull=True)
    if keep is not None:
        free |= Q(pk=keep.pk)
    return ScheduleEntry.objects.filter(free).distinct().order_by("starts_on", "starts_at", "pk")


def _check_plan(
    *,
    held_on: date | None,
    starts_at: time | None,
    ends_at: time | None,
    schedule_entry: ScheduleEntry | None,
    members: Sequence[Person],
) -> tuple[date | None, time | None, time | None]:
    errors = {}
    if schedule_entry is not None:
        if schedule_entry.kind != ScheduleEntry.Kind.PANEL:
            errors["schedule_entry"] = NOT_A_PANEL_ENTRY
        else:
            # The schedule's date and times, unless the QA unit gave others.
            held_on = held_on or schedule_entry.starts_on
            starts_at = starts_at or schedule_entry.starts_at
            ends_at = ends_at or schedule_entry.ends_at
    if held_on is None:
        errors["held_on"] = DATE_REQUIRED
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = ENDS_BEFORE_START
    if not members:
        errors["members"] = MEMBERS_REQUIRED
    elif {m.pk for m in members} - set(
        eligible_members().filter(pk__in=[m.pk for m in members]).values_list("pk", flat=True)
    ):
        errors["members"] = MEMBER_NOT_ELIGIBLE
    if errors:
        raise ValidationError(errors)
    return held_on, starts_at, ends_at


@transaction.atomic
def panel_create(
    *,
    actor,
    kind: str,
    members: Sequence[Person],
    held_on: date | None = None,
    starts_at: time | None = None,
    ends_at: time | None = None,
    schedule_entry: ScheduleEntry | None = None,
    blind: bool = False,
) -> Panel:
    """Plan a panel, on one of the schedule's panel dates or on a date of its own."""
    held_on, starts_at, ends_at = _check_plan(
        held_on=held_on, starts_at=starts_at, ends_at=ends_at, schedule_entry=schedule_entry, members=members
    )
    panel = Panel.objects.create(
        kind=kind,
        held_on=held_on,
        starts_at=starts_at,
        ends_at=ends_at,
        schedule_entry=schedule_entry,
        blind=blind,
        created_by=actor,
    )
    panel.members.set(members)
    change_record(actor=actor, target=panel, action="panel.create", summary=f"Planned: {panel}")
    return panel


@transaction.atomic
def panel_update(
    *,
    actor,
    panel: Panel,
    kind: str,
    members: Sequence[Person],
    held_on: date | None = None,
    starts_at: time | None = None,
    ends_at: time | None = None,
    schedule_entry: ScheduleEntry | None = None,
    blind: bool = False,
) -> Panel:
    """Change a panel's date, members or blindness before its session opens (decisions carry its date)."""
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    if panel.state not in (Panel.State.PLANNED, Panel.State.SAMPLE_DRAWN):
        raise ValidationError(PANEL_NOT_EDITABLE)
    held_on, starts_at, ends_at = _check_plan(
        held_on=held_on, starts_at=starts_at, ends_at=ends_at, schedule_entry=schedule_entry, members=members
    )
    blindness_changed = panel.blind != blind
    panel.kind, panel.held_on, panel.starts_at, panel.ends_at = kind, held_on, starts_at, ends_at
    panel.schedule_entry, panel.blind = schedule_entry, blind
    panel.save()
    panel.members.set(members)
    if blindness_changed:
        # The sample took the panel's blindness when it was drawn: a change to the panel applies to it
        # all, or the page would call the panel blind while showing the auditors' grades.
        panel.items.filter(decision__isnull=True).update(blind=blind)
    change_record(actor=actor, target=panel, action="panel.update", summary=f"Changed: {panel}")
    return panel


# ---------------------------------------------------------------------------------------
# The dip sample.


def default_sample_from(panel: Panel) -> date | None:
    """Where the pool starts: the previous panel's date, or the day its sample was drawn if earlier.

    The previous panel's pool ended when its sample was drawn, usually a few days before it sat:
    starting from the draw leaves no gap in which an audit (an Inadequate one above all) could be
    submitted and never sampled. Starting earlier double-counts nothing, because audits already
    moderated by a panel or in another panel's sample are never in the pool.
    """
    previous = Panel.objects.exclude(pk=panel.pk).filter(held_on__lt=panel.held_on).order_by("-held_on", "-pk").first()
    if previous is None:
        return None
    if previous.sample_drawn_at is None:
        return previous.held_on
    return min(previous.held_on, timezone.localdate(previous.sample_drawn_at))


def awaiting_moderation() -> QuerySet[Audit]:
    """Graded audits, submitted with a grade, never moderated by a panel (or in the imported history's
    record of one), and in no panel's current sample."""
    return (
        Audit.objects.exclude(kind=Audit.Kind.REVIEW)
        .exclude(overall_grade="")
        .filter(submitted_at__isnull=False)
        .exclude(state=Audit.State.DRAFT)
        .exclude(
            pk__in=ModerationDecision.objects.filter(
                source__in=[ModerationDecision.Source.PANEL, ModerationDecision.Source.IMPORTED]
            ).values("audit_id")
        )
        .exclude(pk__in=PanelItem.objects.filter(removed_at__isnull=True).values("audit_id"))
    )


Stratum = tuple[int, str]  # (service area id, grade)
PoolEntry = tuple[int, int, str]  # (audit id, service area id, grade)


def allocate(sizes: dict[Stratum, int], n: int, rng: random.Random) -> dict[Stratum, int]:
    """How many to draw from each stratum: proportional allocation by largest remainder.

    Each stratum's quota is n x (its size / the pool's size). Every stratum first gets the whole
    part of its quota, and at least one when n allows one per stratum; the places left go to the
    largest fractional remainders (never more than a stratum holds); if the minimum of one
    overshot n, places come back from the strata most above their quota (never below one). Ties
    are broken in an order shuffled by `rng`, so no service area or grade is favoured.
    """
    total = sum(sizes.values())
    n = min(n, total)
    keys = sorted(key for key, size in sizes.items() if size > 0)
    counts = {key: 0 for key in sizes}
    if n <= 0 or not keys:
        return counts
    rng.shuffle(keys)
    quota = {key: Fraction(n * sizes[key], total) for key in keys}
    for key in keys:
        counts[key] = floor(quota[key])
        if n >= len(keys):
            counts[key] = max(counts[key], 1)
    while sum(counts.values()) < n:
        key = max((k for k in keys if counts[k] < sizes[k]), key=lambda k: quota[k] - counts[k])
        counts[key] += 1
    while sum(counts.values()) > n:
        key = max((k for k in keys if counts[k] > 1), key=lambda k: counts[k] - quota[k])
        counts[key] -= 1
    return counts


def stratified_draw(pool: Iterable[PoolEntry], n: int, seed: int) -> list[int]:
    """The audit ids drawn at random from `pool`: `n` of them (all when the pool is smaller), stratified
    across service areas and grades (see `allocate`). A pure function of its arguments: the pool is
    sorted by audit id first, strata are visited in a fixed order and one random.Random(seed) makes
    every choice, so the same seed and the same pool always give the same draw."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    strata: dict[Stratum, list[int]] = defaultdict(list)
    for audit_id, area_id, grade in sorted(pool):
        strata[(area_id, grade)].append(audit_id)
    counts = allocate({key: len(ids) for key, ids in strata.items()}, n, rng)
    drawn = []
    for key in sorted(strata, key=lambda k: (k[0], GRADE_ORDER.get(k[1], 99))):
        drawn += rng.sample(strata[key], counts[key])
    return sorted(drawn)


def random_count(pool_size: int, *, size: int | None, share: int | None) -> int:
    """How many audits the random part draws: `size` (at most the pool), or `share` per cent of the
    pool rounded up (so any share of a non-empty pool draws at least one)."""
    if size is not None:
        return min(size, pool_size)
    return min(ceil(Fraction(share * pool_size, 100)), pool_size)


def _check_draw(size: int | None, share: int | None) -> None:
    if size is not None and share is not None:
        raise ValidationError({"size": SIZE_OR_SHARE})
    if size is None and share is None:
        raise ValidationError({"size": SIZE_OR_SHARE_REQUIRED})
    if size is not None and size < 1:
        raise ValidationError({"size": SIZE_POSITIVE})
    if share is not None and not 1 <= share <= 100:
        raise ValidationError({"share": SHARE_RANGE})


@transaction.atomic
def sample_draw(
    *,
    actor,
    panel: Panel,
    size: int | None = None,
    share: int | None = None,
    sample_from: date | None = None,
    seed: int | None = None,
) -> Panel:
    """Draw the panel's dip sample.

    The pool is every audit awaiting moderation (`awaiting_moderation`) submitted from
    `sample_from` (by default `default_sample_from`) up to now. The sample is:

    1. every Inadequate audit in the pool;
    2. every audit whose grade a service lead disputed, whenever it was submitted, if no panel has
       moderated it yet (a disputed grade always goes to the next panel);
    3. a random sample of the rest of the pool: `size` audits, or `share` per cent of that rest
       rounded up, stratified across service areas and grades by proportional allocation (each
       (area, grade) stratum gets its share of the places, at least one per non-empty stratum when
       there are enough places: see `allocate`), drawn by `stratified_draw` with `seed`.

    The seed (a fresh random one unless given), the date the pool starts and the pool the random
    part came from (each audit with its area and grade at the draw) are stored on the panel, so
    `draw_check` can repeat the draw and show it gives the same audits.
    """
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    if panel.state != Panel.State.PLANNED:
        raise ValidationError(NOT_PLANNED)
    _check_draw(size, share)
    sample_from = sample_from or default_sample_from(panel)
    if sample_from is None:
        raise ValidationError({"sample_from": FROM_DATE_REQUIRED})
    seed = secrets.randbits(31) if seed is None else seed
    now = timezone.now()
    in_window = awaiting_moderation().filter(submitted_at__gte=start_of_day(sample_from), submitted_at__lte=now)
    window = list(in_window.order_by("pk").values_list("pk", "service_area_id", "overall_grade"))
    disputed = set(awaiting_moderation().filter(pk__in=Dispute.objects.values("audit_id")).values_list("pk", flat=True))
    inadequate = {pk for pk, _, grade in window if grade == Grade.INADEQUATE}
    disputed -= inadequate
    rest = [entry for entry in window if entry[0] not in inadequate and entry[0] not in disputed]
    n = random_count(len(rest), size=size, share=share)
    drawn = stratified_draw(rest, n, seed)
    reasons = {
        **{pk: PanelItem.Reason.RANDOM for pk in drawn},
        **{pk: PanelItem.Reason.DISPUTED for pk in disputed},
        **{pk: PanelItem.Reason.INADEQUATE for pk in inadequate},
    }
    if not reasons:
        raise ValidationError({"sample_from": NOTHING_TO_SAMPLE})
    PanelItem.objects.bulk_create(
        PanelItem(panel=panel, audit_id=pk, reason=reason, blind=panel.blind) for pk, reason in sorted(reasons.items())
    )
    panel.sample_from, panel.sample_size, panel.sample_share, panel.seed = sample_from, size, share, seed
    panel.sample_pool = [list(entry) for entry in rest]
    panel.sample_random_count = n
    panel.state, panel.sample_drawn_by, panel.sample_drawn_at = Panel.State.SAMPLE_DRAWN, actor, now
    panel.save()
    change_record(
        actor=actor,
        target=panel,
        action="panel.sample_draw",
        summary=f"Sample drawn with seed {seed}: {len(inadequate)} Inadequate, {len(disputed)} disputed, "
        f"{n} at random from a pool of {len(rest)} submitted from {_date(sample_from)}",
    )
    return panel


@dataclass(frozen=True)
class StratumRow:
    area: ServiceArea | None
    grade: str
    in_pool: int
    drawn: int

    @property
    def grade_label(self) -> str:
        return Grade(self.grade).label if self.grade in Grade.values else self.grade

    @property
    def share(self) -> float:
        return 100 * self.drawn / self.in_pool if self.in_pool else 0.0


@dataclass(frozen=True)
class DrawCheck:
    """The draw repeated from what the panel stored: does it give the same audits?"""

    seed: int
    pool_size: int
    random_count: int
    drawn: list[int]  # the audits the draw put in the sample (at random), removed by hand later or not
    redrawn: list[int]
    strata: list[StratumRow]
    references: dict[int, str]

    @property
    def reproduces(self) -> bool:
        return self.drawn == self.redrawn

    @property
    def drawn_cases(self) -> list[tuple[int, str]]:
        return [(pk, self.references.get(pk, "")) for pk in self.drawn]

    @property
    def redrawn_cases(self) -> list[tuple[int, str]]:
        return [(pk, self.references.get(pk, "")) for pk in self.redrawn]


def draw_check(panel: Panel) -> DrawCheck:
    """Repeat the random part of the draw from the stored seed and pool, and compare it with the sample."""
    pool = [tuple(entry) for entry in panel.sample_pool]
    redrawn = stratified_draw(pool, panel.sample_random_count or 0, panel.seed or 0)
    drawn = sorted(panel.items.filter(reason=PanelItem.Reason.RANDOM).values_list("audit_id", flat=True))
    sizes: dict[Stratum, int] = defaultdict(int)
    for _, area_id, grade in pool:
        sizes[(area_id, grade)] += 1
    by_audit = {audit_id: (area_id, grade) for audit_id, area_id, grade in pool}
    chosen: dict[Stratum, int] = defaultdict(int)
    for audit_id in drawn:
        if audit_id in by_audit:
            chosen[by_audit[audit_id]] += 1
    areas = ServiceArea.objects.in_bulk({area_id for area_id, _ in sizes})
    strata = [
        StratumRow(areas.get(area_id), grade, size, chosen[(area_id, grade)])
        for (area_id, grade), size in sorted(
            sizes.items(),
            key=lambda item: (getattr(areas.get(item[0][0]), "code", ""), GRADE_ORDER.get(item[0][1], 99)),
        )
    ]
    references = dict(Audit.objects.filter(pk__in=set(drawn) | set(redrawn)).values_list("pk", "case_reference"))
    return DrawCheck(
        seed=panel.seed or 0,
        pool_size=len(pool),
        random_count=panel.sample_random_count or 0,
        drawn=drawn,
        redrawn=redrawn,
        strata=strata,
        references=references,
    )


def _check_sampleable(audit: Audit) -> None:
    if not audit.is_graded or not audit.overall_grade or audit.submitted_at is None:
        raise ValidationError({"audit": NOT_SAMPLEABLE})


def _in_other_open_sample(audit: Audit, panel: Panel) -> bool:
    return (
        PanelItem.objects.filter(audit=audit, removed_at__isnull=True, panel__state__in=OPEN_STATES)
        .exclude(panel=panel)
        .exists()
    )


@transaction.atomic
def sample_add(*, actor, panel: Panel, audit: Audit, reason: str) -> PanelItem:
    """QA adds an audit to the sample by hand, saying why."""
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    if panel.state not in SAMPLE_STATES:
        raise ValidationError(SAMPLE_CLOSED)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    _check_sampleable(audit)
    if panel.items.filter(audit=audit, removed_at__isnull=True).exists():
        raise ValidationError({"audit": ALREADY_IN_SAMPLE})
    if _in_other_open_sample(audit, panel):
        raise ValidationError({"audit": IN_ANOTHER_SAMPLE})
    item = PanelItem.objects.create(
        panel=panel, audit=audit, reason=PanelItem.Reason.ADDED, note=reason, blind=panel.blind, added_by=actor
    )
    change_record(
        actor=actor, target=panel, action="panel.sample_add", summary=f"Audit {audit.pk} added", reason=reason
    )
    return item


@transaction.atomic
def sample_remove(*, actor, item: PanelItem, reason: str) -> PanelItem:
    """QA takes an audit out of the sample, saying why. The item is kept, marked removed."""
    item = PanelItem.objects.select_for_update().select_related("panel").get(pk=item.pk)
    if item.panel.state not in SAMPLE_STATES:
        raise ValidationError(SAMPLE_CLOSED)
    if item.removed_at is not None:
        raise ValidationError(ITEM_REMOVED)
    if item.decision_id is not None:
        raise ValidationError(ITEM_DECIDED)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    item.removed_by, item.removed_at, item.removed_reason = actor, timezone.now(), reason
    item.save(update_fields=["removed_by", "removed_at", "removed_reason"])
    change_record(
        actor=actor,
        target=item.panel,
        action="panel.sample_remove",
        summary=f"Audit {item.audit_id} taken out",
        reason=reason,
    )
    return item


@transaction.atomic
def item_set_blind(*, actor, item: PanelItem, blind: bool) -> PanelItem:
    """Hide (or show) one audit's grades from the panel until it records its own."""
    item = PanelItem.objects.select_for_update().select_related("panel").get(pk=item.pk)
    if item.panel.is_concluded or item.removed_at is not None:
        raise ValidationError(SAMPLE_CLOSED)
    if item.decision_id is not None:
        raise ValidationError(BLIND_AFTER_DECISION)
    if item.blind != blind:
        item.blind = blind
        item.save(update_fields=["blind"])
        change_record(
            actor=actor,
            target=item.panel,
            action="panel.item_blind",
            summary=f"Audit {item.audit_id}: {'blind' if blind else 'grades shown'}",
        )
    return item


@transaction.atomic
def disputed_audit_join(*, audit: Audit) -> PanelItem | None:
    """A service lead disputed the audit's grade: it joins the next panel whose session has not begun.

    A planned panel takes it when its sample is drawn (sample_draw includes every disputed audit
    awaiting moderation); a panel whose sample is already drawn gets it now. Nothing happens when
    the audit is already in a sample, was moderated by a panel, or no panel is coming.
    """
    if not awaiting_moderation().filter(pk=audit.pk).exists():
        return None
    panel = (
        Panel.objects.select_for_update()
        .filter(state__in=[Panel.State.PLANNED, Panel.State.SAMPLE_DRAWN], held_on__gte=timezone.localdate())
        .order_by("held_on", "pk")
        .first()
    )
    if panel is None or panel.state == Panel.State.PLANNED:
        return None
    item = PanelItem.objects.create(panel=panel, audit=audit, reason=PanelItem.Reason.DISPUTED, blind=panel.blind)
    change_record(actor=None, target=panel, action="panel.sample_add", summary=f"Audit {audit.pk} added: disputed")
    return item


# ---------------------------------------------------------------------------------------
# The session.


@transaction.atomic
def panel_open(*, actor, panel: Panel) -> Panel:
    """Open the session: members can now record decisions."""
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    if panel.state != Panel.State.SAMPLE_DRAWN:
        raise ValidationError(NOT_READY_TO_OPEN)
    if not panel.items.filter(removed_at__isnull=True).exists():
        raise ValidationError(EMPTY_SAMPLE)
    panel.state, panel.opened_by, panel.opened_at = Panel.State.IN_SESSION, actor, timezone.now()
    panel.save()
    change_record(actor=actor, target=panel, action="panel.open", summary="Session opened")
    return panel


def may_record(user, item: PanelItem) -> bool:
    """The panel's members and the QA unit record decisions, while the panel is in session."""
    if item.panel.state != Panel.State.IN_SESSION or item.removed_at is not None:
        return False
    if not can(user, Action.MODERATE, item):
        return False
    person = _person(user)
    return can(user, Action.MANAGE_PANELS) or (person is not None and item.panel.members.filter(pk=person.pk).exists())


def _says_the_same(decision: ModerationDecision, moderated_grade, area_grades, rationale, feedback) -> bool:
    given = {area: grade for area, grade in area_grades.items() if grade}
    recorded = dict(decision.area_grades.values_list("area", "moderated_grade"))
    return (decision.moderated_grade, decision.rationale, decision.feedback, recorded) == (
        moderated_grade,
        rationale,
        feedback,
        given,
    )


@transaction.atomic
def decision_record(
    *,
    actor,
    item: PanelItem,
    moderated_grade: str,
    area_grades: dict[str, str],
    rationale: str,
    feedback: str = "",
) -> ModerationDecision:
    """Record (or, in session, correct) the panel's decision on one sampled audit.

    The decision keeps the auditor's grades beside the panel's; the audit's own grades are never
    touched. The audit's moderated grade becomes the panel's, with an AuditEvent. A correction is a
    new decision superseding the one before (decisions are append-only), and the item points at it.
    """
    item = PanelItem.objects.select_for_update().select_related("panel").get(pk=item.pk)
    panel = item.panel
    if panel.state != Panel.State.IN_SESSION:
        raise ValidationError(NOT_IN_SESSION)
    if item.removed_at is not None:
        raise ValidationError(ITEM_REMOVED)
    if not may_record(actor, item):
        raise ValidationError(NOT_A_MEMBER)
    audit = Audit.objects.select_for_update().get(pk=item.audit_id)
    original_areas = dict(audit.area_grades.values_list("area", "grade"))
    rationale, feedback = rationale.strip(), feedback.strip()
    errors = {}
    if moderated_grade not in Grade.values:
        errors["moderated_grade"] = GRADE_REQUIRED
    for area in AnalysisArea.values:
        given = area_grades.get(area) or ""
        if given and given not in Grade.values:
            errors[f"area_{area}"] = GRADE_REQUIRED
        elif not given and area in original_areas:
            errors[f"area_{area}"] = AREA_GRADE_REQUIRED
    if not rationale:
        errors["rationale"] = RATIONALE_REQUIRED
    if errors:
        raise ValidationError(errors)

    first = item.decision is None
    if not first and _says_the_same(item.decision, moderated_grade, area_grades, rationale, feedback):
        return item.decision  # saved again unchanged (a second click): nothing to supersede
    decision = moderation_decision_record(
        actor=actor,
        audit=audit,
        source=ModerationDecision.Source.PANEL,
        panel=panel,
        supersedes=item.decision,
        moderated_grade=moderated_grade,
        decided_on=panel.held_on,
        rationale=rationale,
        feedback=feedback,
        even_if_unchanged=first,  # the panel's first decision is on the audit's history even if it agrees
    )
    ModerationAreaGrade.objects.bulk_create(
        ModerationAreaGrade(
            decision=decision, area=area, original_grade=original_areas.get(area, ""), moderated_grade=area_grades[area]
        )
        for area in AnalysisArea.values
        if area_grades.get(area)
    )
    item.decision = decision
    item.save(update_fields=["decision"])
    return decision


def feed_escalation(*, actor, decision: ModerationDecision) -> Escalation | None:
    """Feed the panel's decision into the audit's Inadequate escalation chain: the panel stands for
    QA's review of the grade (audits.cycle.escalations.escalation_after_moderation says what follows)."""
    return escalations.escalation_after_moderation(
        actor=actor,
        audit=decision.audit,
        moderated_grade=decision.moderated_grade,
        rationale=f"Moderation panel of {_date(decision.decided_on)}: {decision.rationale}",
        feedback=decision.feedback,
    )


def _grade_label(grade: str) -> str:
    return Grade(grade).label if grade in Grade.values else "not graded"


def _outcome_line(item: PanelItem) -> str:
    decision, audit = item.decision, item.audit
    return (
        f"Case {audit.case_reference} ({audit.service_area.code}): auditor's grade "
        f"{_grade_label(decision.original_grade)}, moderated grade {_grade_label(decision.moderated_grade)}."
    )


def _tell_outcomes(panel: Panel, items: list[PanelItem]) -> int:
    """One message per person: each auditor (with the panel's feedback) and each service lead of the
    areas moderated, listing every case of theirs the panel decided."""
    lines: dict[int, list[str]] = defaultdict(list)
    urls: dict[int, list[str]] = defaultdict(list)
    users, told = {}, set()
    leads = users_holding_by_area(Role.SERVICE_LEAD, {item.audit.service_area_id for item in items})
    for item in items:
        line = _outcome_line(item)
        auditor = item.audit.auditor.user
        feedback = f" Feedback to you: {item.decision.feedback}" if item.decision.feedback else ""
        for user, text in [(auditor, line + feedback)] + [
            (lead, line) for lead in leads.get(item.audit.service_area_id, [])
        ]:
            if (user.pk, item.pk) not in told:  # an auditor who also leads the area hears once
                told.add((user.pk, item.pk))
                users[user.pk] = user
                lines[user.pk].append(text)
                urls[user.pk].append(item.audit.get_absolute_url())
    for pk, user in users.items():
        notify(
            users=[user],
            subject=f"Moderation outcome: {panel}",
            body="The moderation panel has concluded. " + " ".join(lines[pk]),
            url=urls[pk][0] if len(urls[pk]) == 1 else "",
        )
    return len(users)


@transaction.atomic
def panel_conclude(*, actor, panel: Panel) -> Panel:
    """Close the session once every audit in the sample has a decision; tell the auditors and service
    leads the outcome, and feed Inadequate grades into the escalation chain."""
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    if panel.state != Panel.State.IN_SESSION:
        raise ValidationError(NOT_IN_SESSION)
    active = list(
        panel.items.filter(removed_at__isnull=True)
        .select_related("decision", "audit__service_area", "audit__auditor__user")
        .order_by("audit__case_reference", "pk")
    )
    undecided = sum(1 for item in active if item.decision_id is None)
    if undecided:
        raise ValidationError(UNDECIDED_ITEMS.format(count=undecided))
    panel.state, panel.concluded_by, panel.concluded_at = Panel.State.CONCLUDED, actor, timezone.now()
    panel.save()
    change_record(actor=actor, target=panel, action="panel.conclude", summary=f"Concluded with {len(active)} decisions")
    _tell_outcomes(panel, active)
    for item in active:
        feed_escalation(actor=actor, decision=item.decision)
    return panel


# ---------------------------------------------------------------------------------------
# Reads shared by the pages.


def panels_for(user) -> QuerySet[Panel]:
    """Panels, newest first, with their sample and decision counts and their members."""
    active = Q(items__removed_at__isnull=True)
    return (
        visible(user, Panel.objects.all())
        .annotate(
            item_count=Count("items", filter=active),
            decided_count=Count("items", filter=active & Q(items__decision__isnull=False)),
        )
        .prefetch_related(Prefetch("members", queryset=Person.objects.order_by("full_name")))
        .order_by("-held_on", "-pk")
    )


def panel_for_page(user, action, pk: int) -> Panel:
    from quality.access import get_for

    queryset = Panel.objects.select_related(
        "schedule_entry",
        "created_by__person",
        "sample_drawn_by__person",
        "opened_by__person",
        "concluded_by__person",
    ).prefetch_related(Prefetch("members", queryset=Person.objects.order_by("full_name")))
    return get_for(user, action, queryset, pk=pk)


def sample_items(user, panel: Panel) -> QuerySet[PanelItem]:
    """The audits in the panel's sample that this person may see, by service area then case."""
    return (
        visible(user, panel.items.filter(removed_at__isnull=True))
        .select_related("audit__service_area", "audit__auditor", "decision", "added_by__person")
        .order_by("audit__service_area__code", "audit__case_reference", "pk")
    )


def removed_items(user, panel: Panel) -> QuerySet[PanelItem]:
    return (
        visible(user, panel.items.filter(removed_at__isnull=False))
        .select_related("audit__service_area", "removed_by__person")
        .order_by("removed_at", "pk")
    )


def addable_audits(panel: Panel) -> QuerySet[Audit]:
    """Audits QA may add by hand: submitted and graded, in no other open sample nor this one."""
    in_samples = PanelItem.objects.filter(removed_at__isnull=True).filter(
        Q(panel=panel) | Q(panel__state__in=OPEN_STATES)
    )
    return (
        Audit.objects.exclude(kind=Audit.Kind.REVIEW)
        .exclude(overall_grade="")
        .filter(submitted_at__isnull=False)
        .exclude(pk__in=in_samples.values("audit_id"))
        .select_related("service_area")
        .order_by("-submitted_at", "-pk")
    )


def item_for_page(user, action, pk: int) -> PanelItem:
    from quality.access import get_for

    queryset = PanelItem.objects.select_related(
        "panel",
        "decision__decided_by",
        "audit__service_area",
        "audit__team",
        "audit__auditor",
        "audit__case_holder",
        "audit__tool_version__tool",
        "added_by__person",
        "removed_by__person",
    )
    return get_for(user, action, queryset, pk=pk)


def neighbours(user, item: PanelItem) -> tuple[PanelItem | None, PanelItem | None]:
    """The previous and next audits of the sample, in the panel page's order."""
    ids = list(sample_items(user, item.panel).values_list("pk", flat=True))
    if item.pk not in ids:
        return None, None
    index = ids.index(item.pk)
    previous = ids[index - 1] if index > 0 else None
    following = ids[index + 1] if index + 1 < len(ids) else None
    found = PanelItem.objects.select_related("audit").in_bulk([pk for pk in (previous, following) if pk])
    return found.get(previous), found.get(following)
