"""Practice themes: the recurring subjects counted across the audits' narratives (docs/reports.md).

A theme is a name and its key phrases; an audit mentions the theme when one of the phrases occurs
in its narratives (strengths, areas for improvement, what the child and family said, and its
answers to narrative questions), ignoring case and also inside longer words, so the default
phrases are word stems ("visit" finds "visits" and "visiting"). The matching is a `Q` the
database evaluates (`mentions`), never a loop over audits.

The list lives in the database (`PracticeTheme`) so the QA lead can change it; `DEFAULT_THEMES`
is the list the portal starts with, loaded by `ensure_default_themes()` (no data migration).

A report's theme count links to the audit list filtered by the theme (`?practice_theme=<id>`, the
filter this module adds to the audit lists: `PracticeThemeFilter`) and the report's period
(`completed_from`, `completed_to`): `theme_audits_url`. The list then shows the audits behind the
count, among those the person may see; the report itself holds no audit ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from urllib.parse import urlencode

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Lower, TruncMonth
from django.urls import reverse

from audits import figure_months
from audits.filters import ANY, audit_filter_register
from audits.models import Answer, Audit, Question
from quality.access import visible
from quality.forms import written
from quality.org.services import change_record

from .models import PracticeTheme, ThemeMonthCount

# The narrative fields of an audit that themes are looked for in (its answers to narrative questions too).
NARRATIVE_FIELDS = ("strengths", "areas_for_improvement", "child_family_views")

# (name, key phrases), in the order reports list them.
DEFAULT_THEMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Chronology", ("chronolog",)),
    ("Case summary", ("case summar",)),
    ("Cultural genogram", ("genogram",)),
    ("Supervision", ("supervision",)),
    ("Visiting", ("visit",)),
    ("Voice of the child", ("voice of the child", "child's voice", "child’s voice", "wishes and feelings")),
    ("Contingency planning", ("contingency",)),
    ("SMART plans", ("smart plan", "smart outcome", "smart target", "smart action")),
    ("Multi-agency working", ("multi-agency", "multi agency", "multiagency", "partner agenc")),
    ("Management oversight", ("management oversight", "manager oversight", "managerial oversight")),
    ("Direct work", ("direct work", "life story")),
    ("Drift and delay", ("drift", "delay")),
    ("Identity and diversity", ("identity", "diversity", "ethnicit", "religio")),
    ("Family network", ("family network", "family group conference")),
    ("Education", ("education", "school")),
)

NAME_TAKEN = "There is already a practice theme called {name!r}."
NAME_REQUIRED = "Give the theme a name."
PHRASES_REQUIRED = "Give at least one key phrase, one per line."
PHRASE_TOO_SHORT = "A key phrase needs at least 3 characters: {phrase!r} would match almost every audit."
PHRASE_TOO_LONG = "A key phrase can be at most 100 characters long."
MIN_PHRASE_LENGTH = 3
MAX_PHRASE_LENGTH = 100


def normalise_phrases(phrases: Iterable[str] | str) -> list[str]:
    """Lower-case, trimmed, single-spaced phrases without blanks or repeats, in the order given.

    A string is read as one phrase per line (what the form's text box holds)."""
    if isinstance(phrases, str):
        phrases = phrases.splitlines()
    seen: dict[str, None] = {}
    for phrase in phrases:
        cleaned = re.sub(r"\s+", " ", str(phrase)).strip().lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def default_themes() -> list[dict]:
    """The default themes as the fields of `PracticeTheme` (name, key_phrases, order)."""
    return [
        {"name": name, "key_phrases": normalise_phrases(phrases), "order": (index + 1) * 10}
        for index, (name, phrases) in enumerate(DEFAULT_THEMES)
    ]


def ensure_default_themes() -> int:
    """Add the default themes missing by name (in any case); never change an existing one. Returns how many."""
    existing = set(PracticeTheme.objects.annotate(lower=Lower("name")).values_list("lower", flat=True))
    missing = [PracticeTheme(**fields) for fields in default_themes() if fields["name"].lower() not in existing]
    PracticeTheme.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def mentions(phrases: Iterable[str], prefix: str = "", *, answers_of: Q | None = None) -> Q:
    """Audits (reached through `prefix`, e.g. "audit__") whose narratives contain one of `phrases`.

    One condition for the database: `ILIKE`-style matches on the narrative fields, and the audits
    with a narrative answer containing a phrase as one uncorrelated subquery (PostgreSQL hashes it
    once per query, not once per audit). `answers_of`, a condition on the answers (e.g. on their
    "audit__"), keeps that subquery to the audits counted instead of every answer ever given.
    No phrases: matches nothing."""
    phrases = normalise_phrases(phrases)
    if not phrases:
        return Q(pk__in=[])
    answered = Answer.objects.filter(narrative_mentions(phrases))
    if answers_of is not None:
        answered = answered.filter(answers_of)
    in_fields = text_mentions(phrases, [f"{prefix}{field}" for field in NARRATIVE_FIELDS])
    return in_fields | Q(**{f"{prefix}pk__in": answered.values("audit_id")})


def text_mentions(phrases: Iterable[str], fields: Iterable[str]) -> Q:
    """Rows with one of `phrases` in one of the text `fields`, ignoring case and inside longer words:
    the one way every source (audits, observations, survey answers) is matched with a theme.
    No phrases: matches nothing."""
    condition = Q(pk__in=[])
    for phrase in normalise_phrases(phrases):
        for field in fields:
            condition |= Q(**{f"{field}__icontains": phrase})
    return condition


def theme_names_in(texts: Sequence[str]) -> list[list[str]]:
    """For each text, the names of the active themes it mentions, in the list's order: the rule of
    `text_mentions` (a phrase anywhere, ignoring case) applied to words already read, for tagging them
    on a page (evidence.tagging). One query whatever the number of texts."""
    themes = [(theme.name, theme.key_phrases) for theme in PracticeTheme.objects.filter(is_active=True)]
    return [
        [name for name, phrases in themes if any(phrase in text for phrase in phrases)]
        for text in (text.lower() for text in texts)
    ]


def narrative_mentions(phrases: Iterable[str], prefix: str = "") -> Q:
    """Answers (audits', observations' or surveys': through `prefix`) to a narrative question that
    contain one of `phrases`."""
    return text_mentions(phrases, [f"{prefix}value"]) & Q(**{f"{prefix}question__type": Question.Type.NARRATIVE})


def theme_month_counts(months: list[date]) -> list[dict]:
    """Per active practice theme and month of `months`, the audits completed then mentioning it: the
    rows audits/figure_months.py keeps (ThemeMonthCount). One query per theme."""
    rows = []
    counted, answers_of = figure_months.in_months(months), figure_months.in_months(months, "audit__")
    for theme in PracticeTheme.objects.filter(is_active=True):
        if not theme.key_phrases:
            continue
        mentioning = Audit.objects.filter(counted).filter(mentions(theme.key_phrases, answers_of=answers_of))
        by_month = mentioning.values(month=TruncMonth("completed_day")).annotate(audits=Count("pk")).order_by()
        rows += [{**row, "theme_id": theme.pk} for row in by_month]
    return rows


def theme_counts_keep() -> None:
    """Have audits/figure_months.py keep the practice themes' counts month by month (apps.ready)."""
    figure_months.kept_counts_add(
        figure_months.KeptCounts(
            ThemeMonthCount,
            ("theme_id",),
            "audits",
            theme_month_counts,
            "theme mentions",
            flag="themes_stale",
            defined_by=PracticeTheme._meta.db_table,
        )
    )


# ---------------------------------------------------------------------------------------
# The audits behind a report's theme count: the audit list, filtered by the theme and the period.

THEME_FILTER = "practice_theme"  # the audit lists' query-string key for the theme (its id)
THEME_AUDITS_LIST = "audits:audit_list_area"  # every audit the person may see (the access rules)
NO_LONGER_COUNTED = "{name} (no longer counted)"


class ThemeChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        return written(obj.name if obj.is_active else NO_LONGER_COUNTED.format(name=obj.name))


def _themes_offered(request):
    # Inactive themes too: an older report links to a theme that has since stopped being counted.
    return visible(request.user, PracticeTheme.objects.all())


class PracticeThemeFilter(django_filters.ModelChoiceFilter):
    """Audits whose narratives mention the theme, by the reports' own condition (`mentions`)."""

    field_class = ThemeChoiceField

    def __init__(self):
        super().__init__(queryset=_themes_offered, label="Practice theme", empty_label=ANY)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(mentions(value.key_phrases))


def audit_filters_register() -> None:
    """Add the practice theme filter to the audit lists (called by the reports app's ready())."""
    audit_filter_register(THEME_FILTER, PracticeThemeFilter)


def theme_audits_url(theme_id: int, period_start: str, period_end: str, *, absolute: bool = False) -> str:
    """The audit list of the audits completed from `period_start` to `period_end` (ISO days, both
    included) that mention the theme: the audits behind a report's count. `absolute` for a document
    read outside the portal (settings.PORTAL_URL in front). No names or case references in it."""
    query = urlencode({THEME_FILTER: theme_id, "completed_from": period_start, "completed_to": period_end})
    path = f"{reverse(THEME_AUDITS_LIST)}?{query}"
    return f"{settings.PORTAL_URL.rstrip('/')}{path}" if absolute else path


# ---------------------------------------------------------------------------------------
# Changes made on the practice-themes page (recorded with who and when: quality.org.ChangeRecord).


def _clean(*, name: str, key_phrases: Iterable[str] | str, exclude_pk: int | None = None) -> tuple[str, list[str]]:
    name = re.sub(r"\s+", " ", name).strip()
    phrases = normalise_phrases(key_phrases)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [NAME_REQUIRED]
    else:
        clash = PracticeTheme.objects.annotate(lower=Lower("name")).filter(lower=name.lower())
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["name"] = [NAME_TAKEN.format(name=name)]
    if not phrases:
        errors["key_phrases"] = [PHRASES_REQUIRED]
    else:
        short = [phrase for phrase in phrases if len(phrase) < MIN_PHRASE_LENGTH]
        if short:
            errors["key_phrases"] = [PHRASE_TOO_SHORT.format(phrase=short[0])]
        elif any(len(phrase) > MAX_PHRASE_LENGTH for phrase in phrases):
            errors["key_phrases"] = [PHRASE_TOO_LONG]
    if errors:
        raise ValidationError(errors)
    return name, phrases


@transaction.atomic
def practice_theme_create(*, actor, name: str, key_phrases: Iterable[str] | str) -> PracticeTheme:
    """A new active theme, listed after the others."""
    name, phrases = _clean(name=name, key_phrases=key_phrases)
    last = PracticeTheme.objects.aggregate(last=Max("order"))["last"] or 0
    theme = PracticeTheme.objects.create(name=name, key_phrases=phrases, order=last + 10)
    change_record(
        actor=actor, target=theme, action="practice_theme_create", summary=f"Added the practice theme {name}."
    )
    return theme


@transaction.atomic
def practice_theme_update(
    *, actor, theme: PracticeTheme, name: str, key_phrases: Iterable[str] | str, order: int | None = None
) -> PracticeTheme:
    name, phrases = _clean(name=name, key_phrases=key_phrases, exclude_pk=theme.pk)
    changes = []
    if name != theme.name:
        changes.append(f"renamed from {theme.name} to {name}")
    if phrases != theme.key_phrases:
        changes.append(f"key phrases now: {', '.join(phrases)}")
    if order is not None and order != theme.order:
        changes.append(f"order {theme.order} → {order}")
        theme.order = order
    theme.name, theme.key_phrases = name, phrases
    theme.save(update_fields=["name", "key_phrases", "order"])
    if changes:
        change_record(
            actor=actor,
            target=theme,
            action="practice_theme_update",
            summary=f"Practice theme {name}: {'; '.join(changes)}.",
        )
    return theme


@transaction.atomic
def practice_theme_set_active(*, actor, theme: PracticeTheme, active: bool) -> PracticeTheme:
    """Deactivate (no longer counted in reports generated from now on) or reactivate a theme."""
    theme = PracticeTheme.objects.select_for_update().get(pk=theme.pk)
    if theme.is_active == active:
        return theme
    theme.is_active = active
    theme.save(update_fields=["is_active"])
    change_record(
        actor=actor,
        target=theme,
        action="practice_theme_reactivate" if active else "practice_theme_deactivate",
        summary=f"{'Reactivated' if active else 'Deactivated'} the practice theme {theme.name}.",
    )
    return theme
