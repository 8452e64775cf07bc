"""The rules that flag sources of evidence disagreeing about a service area (docs/evaluation.md).

Each kind of rule is fixed here: what it compares, how it reads in plain words with its numbers,
and which numbers the QA lead may adjust (a percentage, a number, or both). The rows
(`TriangulationRule`) hold those numbers and whether the rule is on; `ensure_default_rules()` adds
the missing kinds with their default numbers (called by the demo and by the pages, never by a data
migration). Every change is recorded with who, when and why (quality.org.ChangeRecord).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from quality.org.services import change_record

from .models import TriangulationRule

if TYPE_CHECKING:
    from .triangulation import AreaTriangulation

Kind = TriangulationRule.Kind

PCT_REQUIRED = "Give a percentage from 1 to 100."
COUNT_REQUIRED = "Give a number of 1 or more."
REASON_REQUIRED = "Say why you are changing the rule: it is kept with the change."
NOTHING_CHANGED = "Nothing was changed: the rule already reads like this."


@dataclass(frozen=True)
class RuleKind:
    """A kind of rule: how it reads, the labels of the numbers it uses (None: not used), its defaults
    and the check that turns an area's figures into a flag in plain words (None: no flag)."""

    reads: str  # the rule in plain words, with {pct} and {count}
    pct_label: str | None
    count_label: str | None
    default_pct: int | None
    default_count: int | None
    check: Callable[[TriangulationRule, AreaTriangulation], str | None]


def _figure(number: float) -> str:
    """A percentage as people write it: 82%, 82.5%."""
    return f"{number:g}%"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _grades_look_good(rule: TriangulationRule, figures: AreaTriangulation) -> float | None:
    """The share of the period's final grades that are good or outstanding, when it reaches the rule's
    percentage; None otherwise (or with no graded audit)."""
    share = figures.audits_now.good_after_pct
    return share if share is not None and share >= rule.threshold_pct else None


def _check_red_kpi(rule: TriangulationRule, figures: AreaTriangulation) -> str | None:
    share = _grades_look_good(rule, figures)
    red = figures.kpis.red_in_last_month()
    if share is None or not red:
        return None
    names = " and ".join(f"'{row.title}'" for row in red)
    month = f"{figures.kpis.months[-1]:%B %Y}"
    verb = "was" if len(red) == 1 else "were"
    return f"{_figure(share)} of audits were graded good or outstanding, yet {names} {verb} red in {month}."


def _check_upheld(rule: TriangulationRule, figures: AreaTriangulation) -> str | None:
    share = _grades_look_good(rule, figures)
    upheld = figures.complaints.upheld
    if share is None or upheld < rule.threshold_count:
        return None
    complaints = _plural(upheld, "complaint was", "complaints were")
    return (
        f"{_figure(share)} of audits were graded good or outstanding, yet {complaints} upheld or partly upheld "
        f"in {figures.label}."
    )


def _check_lowered(rule: TriangulationRule, figures: AreaTriangulation) -> str | None:
    audits = figures.audits_now
    share = audits.lowered_pct
    if share is None or share < rule.threshold_pct:
        return None
    return (
        f"Moderation lowered {audits.lowered} of the {_plural(audits.moderated, 'grade', 'grades')} it looked at "
        f"in {figures.label} ({_figure(share)}): the auditors' grades may be generous."
    )


def _check_overdue(rule: TriangulationRule, figures: AreaTriangulation) -> str | None:
    observations = figures.observations
    share = observations.overdue_pct
    if share is None or share < rule.threshold_pct:
        return None
    return (
        f"{observations.overdue} of {_plural(observations.practitioners, 'practitioner', 'practitioners')} "
        f"({_figure(share)}) were overdue an observation of their practice on "
        f"{observations.coverage_on:%-d %B %Y}."
    )


RULE_KINDS: dict[str, RuleKind] = {
    Kind.GOOD_GRADES_RED_KPI: RuleKind(
        reads="Audit grades look good ({pct}% or more good or outstanding after moderation) but a KPI of the area "
        "is red in the period's last month.",
        pct_label="Good or outstanding grades, at least (%)",
        count_label=None,
        default_pct=80,
        default_count=None,
        check=_check_red_kpi,
    ),
    Kind.GOOD_GRADES_UPHELD_COMPLAINTS: RuleKind(
        reads="Audit grades look good ({pct}% or more good or outstanding after moderation) but {count} or more "
        "complaints were upheld or partly upheld in the period.",
        pct_label="Good or outstanding grades, at least (%)",
        count_label="Complaints upheld or partly upheld, at least",
        default_pct=80,
        default_count=2,
        check=_check_upheld,
    ),
    Kind.MODERATION_LOWERED: RuleKind(
        reads="Moderation lowered {pct}% or more of the grades it moderated in the period.",
        pct_label="Moderated grades lowered, at least (%)",
        count_label=None,
        default_pct=25,
        default_count=None,
        check=_check_lowered,
    ),
    Kind.OBSERVATIONS_OVERDUE: RuleKind(
        reads="{pct}% or more of the area's practitioners are overdue an observation of their practice at the "
        "end of the period.",
        pct_label="Practitioners overdue an observation, at least (%)",
        count_label=None,
        default_pct=20,
        default_count=None,
        check=_check_overdue,
    ),
}


def reads(rule: TriangulationRule) -> str:
    """The rule in plain words, with its numbers."""
    return RULE_KINDS[rule.kind].reads.format(pct=rule.threshold_pct, count=rule.threshold_count)


def ensure_default_rules() -> int:
    """Add every kind of rule missing, with its default numbers, on; never change one. Returns how many."""
    existing = set(TriangulationRule.objects.values_list("kind", flat=True))
    missing = [
        TriangulationRule(kind=kind, threshold_pct=spec.default_pct, threshold_count=spec.default_count)
        for kind, spec in RULE_KINDS.items()
        if kind not in existing
    ]
    TriangulationRule.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def rules_listed() -> list[TriangulationRule]:
    """Every rule, the defaults added first if missing (two queries when none is)."""
    ensure_default_rules()
    return list(TriangulationRule.objects.all())


def flags_for(figures: AreaTriangulation) -> list[str]:
    """The active rules' flags on an area's figures, in the rules' order, in plain words."""
    flags = []
    for rule in rules_listed():
        if rule.is_active:
            flag = RULE_KINDS[rule.kind].check(rule, figures)
            if flag:
                flags.append(flag)
    return flags


def _checked(kind: str, threshold_pct: int | None, threshold_count: int | None, reason: str) -> None:
    spec = RULE_KINDS[kind]
    errors: dict[str, list[str]] = {}
    if spec.pct_label and (threshold_pct is None or not 1 <= threshold_pct <= 100):
        errors["threshold_pct"] = [PCT_REQUIRED]
    if spec.count_label and (threshold_count is None or threshold_count < 1):
        errors["threshold_count"] = [COUNT_REQUIRED]
    if not reason.strip():
        errors["reason"] = [REASON_REQUIRED]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def triangulation_rule_update(
    *,
    actor,
    rule: TriangulationRule,
    threshold_pct: int | None,
    threshold_count: int | None,
    is_active: bool,
    reason: str,
) -> TriangulationRule:
    """The rule's numbers and whether it is on, changed and recorded with who, when and why."""
    rule = TriangulationRule.objects.select_for_update().get(pk=rule.pk)
    spec = RULE_KINDS[rule.kind]
    _checked(rule.kind, threshold_pct, threshold_count, reason)
    wanted = {
        "threshold_pct": threshold_pct if spec.pct_label else rule.threshold_pct,
        "threshold_count": threshold_count if spec.count_label else rule.threshold_count,
        "is_active": is_active,
    }
    changes = [
        _change(name, getattr(rule, name), value) for name, value in wanted.items() if getattr(rule, name) != value
    ]
    if not changes:
        raise ValidationError(NOTHING_CHANGED)
    for name, value in wanted.items():
        setattr(rule, name, value)
    rule.save(update_fields=[*wanted, "updated_at"])
    change_record(
        actor=actor,
        target=rule,
        action="triangulation_rule_update",
        summary=f"Rule '{rule.get_kind_display()}': {'; '.join(changes)}.",
        reason=reason.strip(),
    )
    return rule


def _change(name: str, old, new) -> str:
    if name == "is_active":
        return "turned on" if new else "turned off"
    return f"{TriangulationRule._meta.get_field(name).verbose_name} {old} → {new}"
