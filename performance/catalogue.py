"""The indicator catalogue: importing it, changing it, and reading it.

The catalogue file (CSV or XLSX) has one row per indicator. Re-importing updates indicators by
their code, whatever its case and spacing (performance/codes.py), and takes the file's spelling of
it; the targets and comparators in the file belong to one reporting year (the financial year
starting in April), so a new year's file never rewrites last year's scorecards. A column the file
leaves out keeps what the portal already holds; a column that is there but blank clears it.

Like every import of the portal, the whole file is checked first: one bad row refuses the file
(ImportRefused, every problem by row and column) and nothing is saved. Every change is recorded
as a ChangeRecord on the indicator (who, when, what).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from quality import locks
from quality.org.lookup import ServiceAreaLookup
from quality.org.models import ChangeRecord, Person
from quality.org.services import change_record
from quality.tabular import ImportRefused, RowError, parse_yes_no, read_sheet

from .calculations import financial_year
from .codes import code_checked, code_key
from .models import Indicator, IndicatorYear

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("code", "title", "priority_area", "unit", "polarity")
COMPARATORS = ("previous_year", "statistical_neighbours", "south_east", "england")
OPTIONAL_COLUMNS = (
    "cumulative",
    "target",
    "target_note",
    "outcome",
    "lead_officer",
    "accountable_officer",
    *COMPARATORS,
    "amber_tolerance",
    "service_area",
)
TEXT_LIMITS = {
    name: Indicator._meta.get_field(name).max_length
    for name in ("title", "priority_area", "lead_officer", "accountable_officer")  # the code: codes.code_checked
}
TARGET_NOTE_LIMIT = IndicatorYear._meta.get_field("target_note").max_length
# DecimalField(max_digits=14, decimal_places=4): ten digits before the point.
NUMBER_LIMIT = Decimal(10) ** 10
FIRST_YEAR, LAST_YEAR = 2000, 2100

# What a cell may say instead of a number. Keys are lower case; values are how the note is kept.
NO_TARGET = {"n/a": "N/A", "na": "N/A", "tbc": "TBC", "not set": "Not set"}
NOT_AVAILABLE = {"n/a": "N/A", "na": "N/A", "local": "Local"}
UNITS = {
    "count": Indicator.Unit.COUNT,
    "number": Indicator.Unit.COUNT,
    "percentage": Indicator.Unit.PERCENTAGE,
    "percent": Indicator.Unit.PERCENTAGE,
    "%": Indicator.Unit.PERCENTAGE,
    "rate": Indicator.Unit.RATE,
}
POLARITIES = {
    "higher": Indicator.Polarity.HIGHER,
    "higher is better": Indicator.Polarity.HIGHER,
    "lower": Indicator.Polarity.LOWER,
    "lower is better": Indicator.Polarity.LOWER,
    "neutral": Indicator.Polarity.NEUTRAL,
}

# Reasons shown next to a row and column (or a form field). Tests assert on these.
REQUIRED = "this column must not be blank"
CODE_REPEATED = "row {row} already has this code ({first}): codes are the same whatever their case and spacing"
CODE_TAKEN = "another indicator already has the code {code}"
UNIT_INVALID = "'{value}' is not a unit (use count, percentage or rate)"
POLARITY_INVALID = "'{value}' is not a polarity (use higher, lower or neutral)"
NUMBER_INVALID = "'{value}' is not a number"
TARGET_INVALID = "'{value}' is not a target (give a number, 90 or 90%, or blank, N/A, TBC or Not set)"
COMPARATOR_INVALID = "'{value}' is not a comparator (give a number, or blank, N/A or Local)"
PERCENT_SIGN_NOT_PERCENTAGE = "a % sign only fits a percentage indicator"
PERCENTAGE_RANGE = "a percentage must be between 0 and 100"
NUMBER_TOO_LARGE = "the number is too large"
TOLERANCE_NEGATIVE = "the amber tolerance cannot be negative"
AREA_UNKNOWN = "'{value}' is not a service area of the portal (use its short code, for example SWF)"
AREA_RETIRED = "{code} is retired: give the service area that took over its work"
TOO_LONG = "longer than {limit} characters"
YEAR_INVALID = f"give the reporting year as the year it starts in April, between {FIRST_YEAR} and {LAST_YEAR}"

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def current_reporting_year() -> int:
    return financial_year(timezone.localdate())


def year_label(year: int) -> str:
    """2026 -> '2026/27'."""
    return f"{year}/{(year + 1) % 100:02d}"


# --- Cells -------------------------------------------------------------------------------------


def parse_number(text: str, *, unit: str | None = None) -> Decimal:
    """'1,343', '45.2', '90' or (for a percentage indicator) '90%'. Raises ValueError with a reason."""
    cleaned = text.strip().replace(",", "")
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1].strip()
    if not _NUMBER.match(cleaned):
        raise ValueError(NUMBER_INVALID.format(value=text.strip()))
    if percent and unit is not None and unit != Indicator.Unit.PERCENTAGE:
        raise ValueError(PERCENT_SIGN_NOT_PERCENTAGE)
    try:
        number = Decimal(cleaned)
    except InvalidOperation as error:  # the pattern already excludes this; kept for safety
        raise ValueError(NUMBER_INVALID.format(value=text.strip())) from error
    if abs(number) >= NUMBER_LIMIT:
        raise ValueError(NUMBER_TOO_LARGE)
    return number


def _in_range(number: Decimal, unit: str) -> Decimal:
    if unit == Indicator.Unit.PERCENTAGE and not Decimal(0) <= number <= Decimal(100):
        raise ValueError(PERCENTAGE_RANGE)
    return number


def _figure_or_marker(text: str, unit: str, markers: dict[str, str], invalid: str) -> tuple[Decimal | None, str]:
    """(figure, marker) from a catalogue cell: a number, blank (None, ''), or a word such as 'TBC'."""
    value = text.strip()
    if not value:
        return None, ""
    marker = markers.get(value.lower())
    if marker:
        return None, marker
    try:
        return _in_range(parse_number(value, unit=unit), unit), ""
    except ValueError as error:
        reason = str(error)
        raise ValueError(invalid.format(value=value) if reason.startswith("'") else reason) from None


def parse_target(text: str, unit: str) -> tuple[Decimal | None, str]:
    """(target, marker): '90' / '90%' -> (90, ''); blank -> (None, ''); 'TBC' -> (None, 'TBC')."""
    return _figure_or_marker(text, unit, NO_TARGET, TARGET_INVALID)


def parse_comparator(text: str, unit: str) -> tuple[Decimal | None, str]:
    """(figure, note): '78' / '78%' -> (78, ''); blank -> (None, ''); 'Local' -> (None, 'Local')."""
    return _figure_or_marker(text, unit, NOT_AVAILABLE, COMPARATOR_INVALID)


def parse_tolerance(text: str, unit: str) -> Decimal | None:
    if not text.strip():
        return None
    number = parse_number(text, unit=unit)
    if number < 0:
        raise ValueError(TOLERANCE_NEGATIVE)
    return number


def target_note_from(marker: str, note: str) -> str:
    """The note kept with a target: the file's note, led by the marker (TBC, Not set) when there is one."""
    note = note.strip()
    if not marker:
        return note
    if not note or note.lower().startswith(marker.lower()):
        return note or marker
    return f"{marker}: {note}"


def comparator_shown(value: Decimal | None, note: str) -> str:
    """A comparator as a form or a file shows it: the number, or its note ('Local')."""
    if value is None:
        return note
    return format(value.normalize(), "f")


# --- The catalogue file ------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueImportSummary:
    rows: int
    created: int
    updated: int
    unchanged: int
    year: int
    dry_run: bool

    def __str__(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.rows} indicator{'s' if self.rows != 1 else ''} in the file, targets for {year_label(self.year)}: "
            f"{self.created} new, {self.updated} changed and {self.unchanged} unchanged {verb} saved."
        )


@dataclass
class _Row:
    number: int
    indicator: dict  # Indicator fields the file gives
    year: dict  # IndicatorYear fields the file gives (comparator_notes: only the comparators it has)


class _Directory:
    """Service areas and people, each read once, for checking every row."""

    def __init__(self, names: set[str]):
        self.areas = ServiceAreaLookup(include_retired=False)  # an indicator is owned by an area today
        self.people: dict[str, int | None] = {}
        for name_key, email_key, pk in _people_named(names).values_list("name_key", "email_key", "pk"):
            for key in {name_key, email_key} & names:
                # Two people with the same name: the file does not say which, so neither is linked.
                self.people[key] = None if key in self.people and self.people[key] != pk else pk


def _people_named(keys: set[str]) -> QuerySet[Person]:
    """Active people whose full name or e-mail address (any case) is one of `keys` (lower case)."""
    return (
        Person.objects.filter(user__is_active=True)
        .annotate(name_key=Lower("full_name"), email_key=Lower("user__email"))
        .filter(Q(name_key__in=keys) | Q(email_key__in=keys))
    )


def match_lead(lead_officer: str) -> Person | None:
    """The active person the catalogue's lead_officer names (by full name or e-mail), if exactly one."""
    key = lead_officer.strip().lower()
    if not key:
        return None
    people = list(_people_named({key})[:2])
    return people[0] if len(people) == 1 else None


def _check_rows(sheet) -> tuple[list[_Row], list[RowError]]:
    columns = set(sheet.columns)
    names = {cells["lead_officer"].strip().lower() for _, cells in sheet.rows if cells.get("lead_officer", "").strip()}
    directory = _Directory(names)
    rows: list[_Row] = []
    errors: list[RowError] = []
    first_row_of: dict[str, tuple[int, str]] = {}  # code key -> (row, the code as that row wrote it)

    for number, cells in sheet.rows:
        row_errors: list[RowError] = []

        def refuse(column: str, reason: str, number=number, row_errors=row_errors) -> None:
            row_errors.append(RowError(number, column, reason))

        for column in REQUIRED_COLUMNS:
            if not cells[column]:
                refuse(column, REQUIRED)
        for column, limit in TEXT_LIMITS.items():
            if len(cells.get(column, "")) > limit:
                refuse(column, TOO_LONG.format(limit=limit))

        code = cells["code"]
        if code:
            try:
                code = code_checked(code)
            except ValueError as error:
                refuse("code", str(error))
            else:
                key = code_key(code)
                if key in first_row_of:
                    row, first = first_row_of[key]
                    refuse("code", CODE_REPEATED.format(row=row, first=first))
                else:
                    first_row_of[key] = (number, code)

        unit = UNITS.get(cells["unit"].lower())
        if cells["unit"] and unit is None:
            refuse("unit", UNIT_INVALID.format(value=cells["unit"]))
        polarity = POLARITIES.get(cells["polarity"].lower())
        if cells["polarity"] and polarity is None:
            refuse("polarity", POLARITY_INVALID.format(value=cells["polarity"]))

        indicator = {
            "code": code,
            "code_key": code_key(code),
            "title": cells["title"],
            "priority_area": cells["priority_area"],
            "unit": unit,
            "polarity": polarity,
            "display_order": number,
        }
        if "cumulative" in columns:
            try:
                indicator["cumulative"] = bool(parse_yes_no(cells["cumulative"]))
            except ValueError as error:
                refuse("cumulative", str(error))
        for column in ("outcome", "lead_officer", "accountable_officer"):
            if column in columns:
                indicator[column] = cells[column]
        if "lead_officer" in columns:
            indicator["lead_id"] = (
                directory.people.get(cells["lead_officer"].lower()) if cells["lead_officer"] else None
            )
        if "service_area" in columns:
            indicator["service_area_id"] = None
            if cells["service_area"]:
                match = directory.areas.find(cells["service_area"])
                if match.problem:
                    refuse(
                        "service_area",
                        match.refusal(cells["service_area"], unknown=AREA_UNKNOWN, retired=AREA_RETIRED),
                    )
                else:
                    indicator["service_area_id"] = match.area.pk

        year: dict = {}
        if unit is not None:  # numbers are read in the indicator's unit ('90%' fits only a percentage)
            year = _year_values(cells, columns, unit, refuse)

        if row_errors:
            errors.extend(row_errors)
        elif not errors:
            rows.append(_Row(number, indicator, year))
    return rows, errors


def _year_values(cells: dict, columns: set[str], unit: str, refuse) -> dict:
    year: dict = {}
    if "target" in columns:
        try:
            year["target"], marker = parse_target(cells["target"], unit)
        except ValueError as error:
            refuse("target", str(error))
            marker = ""
        year["target_note"] = target_note_from(marker, cells.get("target_note", ""))
    elif "target_note" in columns:
        year["target_note"] = cells["target_note"]
    if len(year.get("target_note", "")) > TARGET_NOTE_LIMIT:
        refuse("target_note", TOO_LONG.format(limit=TARGET_NOTE_LIMIT))
    if "amber_tolerance" in columns:
        try:
            year["amber_tolerance"] = parse_tolerance(cells["amber_tolerance"], unit)
        except ValueError as error:
            refuse("amber_tolerance", str(error))
    notes = {}
    for column in COMPARATORS:
        if column in columns:
            try:
                year[column], notes[column] = parse_comparator(cells[column], unit)
            except ValueError as error:
                refuse(column, str(error))
    if notes:
        year["comparator_notes"] = notes
    return year


def indicator_catalogue_import(
    *, actor, content: bytes, file_name: str, year: int | None = None, dry_run: bool = False
) -> CatalogueImportSummary:
    """Check a catalogue file and, unless `dry_run`, load it: indicators by code, targets for `year`
    (the current reporting year when None). Refuses the whole file (ImportRefused) on any bad row."""
    year = current_reporting_year() if year is None else year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ImportRefused([RowError(0, "", YEAR_INVALID)])
    sheet = read_sheet(content, file_name, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    rows, errors = _check_rows(sheet)
    if errors:
        raise ImportRefused(errors)
    with transaction.atomic():
        if not dry_run:
            locks.hold("performance.catalogue_import")
        summary = _apply(actor=actor, rows=rows, file_name=file_name, year=year, dry_run=dry_run)
    if not dry_run:
        logger.info(
            "indicator catalogue import: %s rows, %s created, %s updated",
            summary.rows,
            summary.created,
            summary.updated,
        )
    return summary


INDICATOR_FIELDS = (
    "code",
    "code_key",
    "title",
    "priority_area",
    "unit",
    "polarity",
    "cumulative",
    "outcome",
    "lead_officer",
    "accountable_officer",
    "lead_id",
    "service_area_id",
    "display_order",
)
YEAR_FIELDS = ("target", "target_note", "amber_tolerance", *COMPARATORS)


def _apply(*, actor, rows: list[_Row], file_name: str, year: int, dry_run: bool) -> CatalogueImportSummary:
    existing = {indicator.code_key: indicator for indicator in Indicator.objects.all()}
    years = {
        item.indicator_id: item for item in IndicatorYear.objects.filter(year=year, indicator__in=existing.values())
    }
    created: list[tuple[Indicator, _Row]] = []
    changed: list[tuple[Indicator, list[str]]] = []
    indicator_updates: dict[tuple[str, ...], list[Indicator]] = {}
    new_years: list[IndicatorYear] = []
    year_updates: dict[tuple[str, ...], list[IndicatorYear]] = {}
    unchanged = 0
    # A file naming every active indicator orders the scorecard by its rows. A partial one (a few
    # indicators' targets) leaves every indicator where it is and puts its new ones after the rest.
    named = {row.indicator["code_key"] for row in rows}
    whole = all(code in named for code, indicator in existing.items() if indicator.is_active)
    last = max((indicator.display_order for indicator in existing.values()), default=0)

    for row in rows:
        # The same code in another case or spacing is the same indicator; the file's spelling is kept.
        indicator = existing.get(row.indicator["code_key"])
        values = dict(row.indicator)
        if not whole:
            if indicator is None:
                values["display_order"] = last + row.number
            else:
                values.pop("display_order")
        if indicator is None:
            indicator = Indicator(**values)
            created.append((indicator, row))
            continue
        if "lead_id" in values and values["lead_officer"] == indicator.lead_officer and indicator.lead_id:
            values.pop("lead_id")  # same officer as before: keep whoever the catalogue page linked
        fields = tuple(name for name, value in values.items() if getattr(indicator, name) != value)
        for name in fields:
            setattr(indicator, name, values[name])
        if fields:
            indicator_updates.setdefault(fields, []).append(indicator)
        year_fields = _year_changes(indicator, years.get(indicator.pk), row.year, year, new_years, year_updates)
        described = [_field_label(name) for name in fields if name != "display_order"]
        if year_fields:
            described.append(f"{year_label(year)} " + ", ".join(_field_label(name) for name in year_fields))
        if described:
            changed.append((indicator, described))
        else:
            unchanged += 1

    if not dry_run:
        Indicator.objects.bulk_create([indicator for indicator, _ in created])
        for indicator, row in created:
            new_years.append(IndicatorYear(indicator=indicator, year=year, **_year_defaults(row.year)))
        now = timezone.now()
        for fields, indicators in indicator_updates.items():
            for indicator in indicators:
                indicator.updated_at = now
            Indicator.objects.bulk_update(indicators, [*fields, "updated_at"])
        IndicatorYear.objects.bulk_create(new_years)
        for fields, items in year_updates.items():
            for item in items:
                item.updated_at = now
            IndicatorYear.objects.bulk_update(items, [*fields, "updated_at"])
        _record(
            actor,
            [(i, f"Added from the catalogue file {file_name} with targets for {year_label(year)}") for i, _ in created]
            + [(i, f"Catalogue file {file_name} changed " + "; ".join(what)) for i, what in changed],
        )
    return CatalogueImportSummary(
        rows=len(rows), created=len(created), updated=len(changed), unchanged=unchanged, year=year, dry_run=dry_run
    )


def _field_label(name: str) -> str:
    return name.removesuffix("_id").replace("_", " ")


def _year_defaults(values: dict) -> dict:
    defaults = {name: values[name] for name in YEAR_FIELDS if name in values}
    defaults["comparator_notes"] = {k: v for k, v in values.get("comparator_notes", {}).items() if v}
    return defaults


def _year_changes(indicator, item, values: dict, year: int, new_years: list, year_updates: dict) -> list[str]:
    """Set the file's year values on the indicator's IndicatorYear (new or existing); the names changed."""
    if item is None:
        new_years.append(IndicatorYear(indicator=indicator, year=year, **_year_defaults(values)))
        return ["targets added"]
    changed = [name for name in YEAR_FIELDS if name in values and getattr(item, name) != values[name]]
    for name in changed:
        setattr(item, name, values[name])
    fields = list(changed)
    if "comparator_notes" in values:
        notes = dict(item.comparator_notes)
        for name, note in values["comparator_notes"].items():
            if note:
                notes[name] = note
            else:
                notes.pop(name, None)
        if notes != item.comparator_notes:
            item.comparator_notes = notes
            fields.append("comparator_notes")
            changed.extend(name for name in values["comparator_notes"] if name not in changed)
    if fields:
        year_updates.setdefault(tuple(fields), []).append(item)
    return changed


def _record(actor, entries: list[tuple[Indicator, str]]) -> None:
    """ChangeRecords for many indicators in one insert (an import touches the whole catalogue)."""
    if not entries:
        return
    user = actor if getattr(actor, "is_authenticated", False) else None
    target_type = ContentType.objects.get_for_model(Indicator)
    ChangeRecord.objects.bulk_create(
        ChangeRecord(
            actor=user, target_type=target_type, target_id=indicator.pk, action="indicator.import", summary=summary
        )
        for indicator, summary in entries
    )


# --- Changes made on the catalogue pages -------------------------------------------------------

EDITABLE_FIELDS = (
    "title",
    "priority_area",
    "unit",
    "polarity",
    "cumulative",
    "outcome",
    "lead_officer",
    "accountable_officer",
    "lead",
    "service_area",
    "display_order",
    "is_active",
)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "–" if value in (None, "") else str(value)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check_code_free(code: str) -> None:
    if Indicator.objects.filter(code_key=code_key(code)).exists():
        raise ValidationError({"code": CODE_TAKEN.format(code=code)})


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def indicator_create(*, actor, code: str, **fields) -> Indicator:
    try:
        code = code_checked(code)
    except ValueError as error:
        raise ValidationError({"code": str(error)}) from None
    _check_code_free(code)
    if fields.get("lead") is None and fields.get("lead_officer"):
        fields["lead"] = match_lead(fields["lead_officer"])
    try:
        with transaction.atomic():  # the database's unique key catches a code added meanwhile
            indicator = Indicator.objects.create(code=code, **{k: v for k, v in fields.items() if k in EDITABLE_FIELDS})
    except IntegrityError:
        raise ValidationError({"code": CODE_TAKEN.format(code=code)}) from None
    change_record(actor=_actor_user(actor), target=indicator, action="indicator.create", summary=f"Created {code}")
    return indicator


@transaction.atomic
def indicator_update(*, actor, indicator: Indicator, **fields) -> Indicator:
    """Change an indicator's catalogue entry (not its code: value files name it by code)."""
    changed = [name for name in EDITABLE_FIELDS if name in fields and getattr(indicator, name) != fields[name]]
    if not changed:
        return indicator
    described = []
    for name in changed:
        before, after = getattr(indicator, name), fields[name]
        setattr(indicator, name, after)
        label = Indicator._meta.get_field(name).verbose_name
        if name == "outcome":
            described.append(f"{label} changed")
        else:
            described.append(f"{label} from '{_shown(before)}' to '{_shown(after)}'")
    indicator.save(update_fields=[*changed, "updated_at"])
    change_record(
        actor=_actor_user(actor), target=indicator, action="indicator.update", summary=_sentence("; ".join(described))
    )
    return indicator


@transaction.atomic
def indicator_year_save(*, actor, indicator: Indicator, year: int, **values) -> IndicatorYear:
    """Set one reporting year's target, tolerance and comparators (values as parsed: numbers or None,
    target_note, comparator_notes). Other years are untouched."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(YEAR_INVALID)
    item = IndicatorYear.objects.select_for_update().filter(indicator=indicator, year=year).first()
    created = item is None
    if created:
        item = IndicatorYear(indicator=indicator, year=year)
    fields = [*YEAR_FIELDS, "comparator_notes"]
    changed = [name for name in fields if name in values and getattr(item, name) != values[name]]
    for name in changed:
        setattr(item, name, values[name])
    if created or changed:
        item.save()
        what = "added" if created else "changed: " + ", ".join(n.replace("_", " ") for n in changed)
        change_record(
            actor=_actor_user(actor),
            target=indicator,
            action="indicator.year",
            summary=f"Targets and comparators for {year_label(year)} {what}",
        )
    return item


# --- Selectors ---------------------------------------------------------------------------------


def catalogue_by_priority_area(year: int) -> list[tuple[str, list[Indicator]]]:
    """Every indicator (retired ones too), grouped by priority area in catalogue order, each with
    `year_figures` (its IndicatorYear for `year`, or None). Three queries whatever the size."""
    indicators = Indicator.objects.select_related("lead", "service_area").prefetch_related(
        Prefetch("years", queryset=IndicatorYear.objects.filter(year=year), to_attr="_years")
    )
    groups: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        indicator.year_figures = indicator._years[0] if indicator._years else None
        groups.setdefault(indicator.priority_area, []).append(indicator)
    return list(groups.items())


def indicator_years(indicator: Indicator) -> QuerySet[IndicatorYear]:
    return indicator.years.order_by("-year")
