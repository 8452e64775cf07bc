"""Demo data for the KPI scorecard, run by `manage.py load_demo` after the audits demo.

About thirty indicators across the priority areas (codes and titles like the council's own
scorecard), with targets and comparators for last and this reporting year, 24 months of synthetic
council-wide figures (percentages with numerator and denominator, counts, rates per 10,000, two
cumulative counts), a few service-area and team breakdowns, a corrected re-load (history), a few
data-quality mismatches, TBC months, commentary for the last months and locks on the older months.

Everything goes through the real services (the catalogue import and the values load), from
generated files, so the demo data obeys the same rules as a real month. Idempotent: the catalogue
import updates by code, a month's values file is loaded once (by its file name), commentary and
locks are only added where missing. Synthetic and deterministic: a seeded random generator.
"""

from __future__ import annotations

import csv
import io
import random
import zlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from quality.months import add_months, month_start
from quality.org.models import Person, Role

from . import calculations
from .catalogue import OPTIONAL_COLUMNS as CATALOGUE_OPTIONAL
from .catalogue import REQUIRED_COLUMNS as CATALOGUE_REQUIRED
from .catalogue import indicator_catalogue_import
from .codes import code_key
from .loads import OPTIONAL_COLUMNS as VALUE_OPTIONAL
from .loads import REQUIRED_COLUMNS as VALUE_REQUIRED
from .loads import kpi_values_import
from .models import Commentary, Indicator, KpiValue, MonthLock, ValueLoad

MONTHS = 24
COMMENTARY_MONTHS = 3
OPEN_MONTHS = 2  # the latest months stay unlocked; older ones are final
PERFORMANCE_OFFICER_EMAIL = "performance@council.example"
FILE_PREFIX = "demo-kpi-values-"

RIGHT_SERVICE = "Right service at the right time"
ASSESSMENT = "Effective assessment and intervention"
CONTACT = "Purposeful direct contact"
MANAGEMENT = "Management support for better practice"
CORPORATE = "Robust corporate parenting"
CULTURE = "Performance culture"

HEADER_ORDER = [*CATALOGUE_REQUIRED, *CATALOGUE_OPTIONAL]

# Leads: demo people where the name matches (linked as commentary writers), others as printed.
FRONT_DOOR, PROTECTION, QUALITY, PATHWAYS, WORKFORCE = (
    "Helen Carter",
    "Marcus Webb",
    "Susan Fletcher",
    "Owen Price",
    "Jordan Ellis",  # not in the portal: shows an unlinked lead (performance officers write for them)
)
ACCOUNTABLE = "Rachel Adeyemi"


@dataclass(frozen=True)
class DemoIndicator:
    code: str
    title: str
    area: str
    unit: str
    polarity: str
    level: float  # the figure two years ago
    drift: float  # change per month
    spread: float  # month-to-month noise
    target: str  # this year's; last year's is derived
    lead: str
    outcome: str = ""
    cumulative: bool = False
    denominator: int = 0  # percentages: about how many children each month
    comparators: tuple[str, str, str] = ("Local", "Local", "Local")  # statistical neighbours, south east, england


CATALOGUE = [
    DemoIndicator(
        "M1",
        "Number of contacts received (includes contacts that become referrals)",
        RIGHT_SERVICE,
        "count",
        "neutral",
        1500,
        -4,
        90,
        "1400",
        FRONT_DOOR,
        "There is an effective 'front door' with which anyone with a concern about a child can engage.",
    ),
    DemoIndicator(
        "M2",
        "Number of new referrals of Children In Need (CiN)",
        RIGHT_SERVICE,
        "count",
        "neutral",
        350,
        -2,
        35,
        "330",
        FRONT_DOOR,
        "Referrals for children in need of help and support are accepted appropriately.",
        comparators=("368", "353", "502"),
    ),
    DemoIndicator(
        "M3",
        "Percentage of all contacts that become new referrals of Children In Need (CiN)",
        RIGHT_SERVICE,
        "percentage",
        "neutral",
        23,
        0,
        1.5,
        "N/A",
        FRONT_DOOR,
        denominator=1450,
    ),
    DemoIndicator(
        "M2-NI",
        "Rate of new referrals of Children in Need (CiN) per 10,000 (0-17 year olds)",
        RIGHT_SERVICE,
        "rate",
        "lower",
        70,
        -0.4,
        6,
        "65",
        FRONT_DOOR,
        comparators=("Local", "N/A", "Local"),
    ),
    DemoIndicator(
        "M8-QL",
        "Percentage of referrals dealt with by MASH within 1 working day",
        RIGHT_SERVICE,
        "percentage",
        "higher",
        95,
        0.1,
        1.5,
        "98%",
        FRONT_DOOR,
        "The safety of children is supported by referrals being dealt with in a timely manner.",
        denominator=340,
    ),
    DemoIndicator(
        "M6-QL",
        "Percentage of referrals which are re-referrals within one year",
        RIGHT_SERVICE,
        "percentage",
        "lower",
        31,
        -0.25,
        2.5,
        "22%",
        FRONT_DOOR,
        denominator=340,
        comparators=("24", "28", "22.4"),
    ),
    DemoIndicator(
        "EH2",
        "Number of children receiving Early Help who are stepped up for a CiN assessment",
        RIGHT_SERVICE,
        "count",
        "neutral",
        28,
        0,
        6,
        "Not set",
        FRONT_DOOR,
    ),
    DemoIndicator(
        "EH3a%",
        "Percentage of Single Assessments completed within 10 days",
        ASSESSMENT,
        "percentage",
        "higher",
        24,
        0.15,
        3,
        "30%",
        QUALITY,
        denominator=300,
    ),
    DemoIndicator(
        "EH3e%",
        "Percentage of Single Assessments completed over 45 days",
        ASSESSMENT,
        "percentage",
        "lower",
        18,
        -0.3,
        3,
        "10%",
        QUALITY,
        denominator=300,
        comparators=("12.7", "11.9", "13.2"),
    ),
    DemoIndicator(
        "EH4-QL",
        "Percentage of Single Assessments completed within 45 days",
        ASSESSMENT,
        "percentage",
        "higher",
        80,
        0.3,
        3,
        "90%",
        QUALITY,
        "Children receive a timely assessment of their needs, with strengths and risks identified.",
        denominator=300,
        comparators=("87.3", "88.1", "86.8"),
    ),
    DemoIndicator(
        "EH5-QL",
        "Number of Section 47 (S47) enquiries started",
        ASSESSMENT,
        "count",
        "neutral",
        120,
        -0.5,
        15,
        "N/A",
        PROTECTION,
    ),
    DemoIndicator(
        "CP1",
        "Number of children with a Child Protection Plan at the end of the month",
        ASSESSMENT,
        "count",
        "neutral",
        340,
        -1.5,
        10,
        "TBC",
        PROTECTION,
    ),
    DemoIndicator(
        "CP6B",
        "Rate of children with a Child Protection Plan per 10,000 (0-17 year olds)",
        ASSESSMENT,
        "rate",
        "lower",
        68,
        -0.3,
        2,
        "55",
        PROTECTION,
        "The number of children who need a plan is comparable with similar councils.",
        comparators=("53", "43", "41"),
    ),
    DemoIndicator(
        "CP2b%",
        "Percentage of Initial Child Protection Conferences held within timescales",
        ASSESSMENT,
        "percentage",
        "higher",
        82,
        0.4,
        6,
        "90%",
        PROTECTION,
        denominator=40,
        comparators=("79.5", "81", "78.3"),
    ),
    DemoIndicator(
        "CP8-QL",
        "Percentage of new Child Protection Plans where the child had a previous plan",
        ASSESSMENT,
        "percentage",
        "lower",
        26,
        0.2,
        4,
        "20%",
        PROTECTION,
        denominator=35,
        comparators=("23", "22.1", "23.3"),
    ),
    DemoIndicator(
        "CP9",
        "Percentage of children subject to a Child Protection Plan seen in the last 15 working days",
        CONTACT,
        "percentage",
        "higher",
        90,
        0.2,
        2.5,
        "95%",
        PROTECTION,
        "Children on a plan are seen regularly by a worker who knows them.",
        denominator=330,
    ),
    DemoIndicator(
        "CIN5",
        "Percentage of Children in Need visited within timescales",
        CONTACT,
        "percentage",
        "higher",
        78,
        0.35,
        3,
        "90%",
        FRONT_DOOR,
        denominator=900,
    ),
    DemoIndicator(
        "LAC13",
        "Percentage of children looked after visited within timescales",
        CONTACT,
        "percentage",
        "higher",
        91,
        0.1,
        2,
        "95%",
        PATHWAYS,
        denominator=480,
    ),
    DemoIndicator(
        "LAC1",
        "Number of children looked after at the end of the month",
        CORPORATE,
        "count",
        "neutral",
        520,
        -1.5,
        6,
        "N/A",
        PATHWAYS,
    ),
    DemoIndicator(
        "LAC1-NI",
        "Rate of children looked after per 10,000 (0-17 year olds)",
        CORPORATE,
        "rate",
        "lower",
        110,
        -0.35,
        1.5,
        "100",
        PATHWAYS,
        "Children remain within or return to their birth families where it is safe.",
        comparators=("97", "58", "70"),
    ),
    DemoIndicator(
        "LAC6",
        "Number of adoptions this financial year",
        CORPORATE,
        "count",
        "higher",
        2.5,
        0,
        1.2,
        "30",
        PATHWAYS,
        "Children who are being adopted receive timely and effective support.",
        cumulative=True,
    ),
    DemoIndicator(
        "LAC12",
        "Number of Special Guardianship Orders made this financial year",
        CORPORATE,
        "count",
        "higher",
        3,
        0,
        1.5,
        "36",
        PATHWAYS,
        cumulative=True,
    ),
    DemoIndicator(
        "LAC7-QL",
        "Percentage of children looked after with three or more placements in the year",
        CORPORATE,
        "percentage",
        "lower",
        11,
        -0.05,
        1,
        "9%",
        PATHWAYS,
        denominator=500,
        comparators=("10", "10", "10"),
    ),
    DemoIndicator(
        "LAC10",
        "Percentage of care leavers in education, employment or training",
        CORPORATE,
        "percentage",
        "higher",
        52,
        0.2,
        3,
        "60%",
        PATHWAYS,
        denominator=260,
        comparators=("53", "55", "55"),
    ),
    DemoIndicator(
        "NI147",
        "Percentage of care leavers in suitable accommodation",
        CORPORATE,
        "percentage",
        "higher",
        86,
        0.15,
        2,
        "90%",
        PATHWAYS,
        denominator=260,
        comparators=("88", "87", "88"),
    ),
    DemoIndicator(
        "S1",
        "Percentage of children in need whose case was supervised within timescale",
        MANAGEMENT,
        "percentage",
        "higher",
        80,
        0.4,
        4,
        "90%",
        QUALITY,
        "Practitioners receive regular, reflective supervision that directs the work with each family.",
        denominator=900,
    ),
    DemoIndicator(
        "S2",
        "Percentage of children on a Child Protection Plan whose case was supervised within timescale",
        MANAGEMENT,
        "percentage",
        "higher",
        88,
        0.3,
        3,
        "95%",
        QUALITY,
        denominator=330,
    ),
    DemoIndicator(
        "S3",
        "Percentage of Early Help cases supervised within timescale",
        MANAGEMENT,
        "percentage",
        "higher",
        70,
        0.5,
        4,
        "85%",
        QUALITY,
        denominator=600,
    ),
    DemoIndicator(
        "W1",
        "Average caseload of a social worker",
        CULTURE,
        "count",
        "lower",
        21,
        -0.1,
        0.8,
        "18",
        WORKFORCE,
        "Children and families keep consistent practitioners with manageable caseloads.",
        comparators=("16.3", "16.8", "16.6"),
    ),
    DemoIndicator(
        "W2",
        "Percentage of social workers employed through agencies",
        CULTURE,
        "percentage",
        "lower",
        19,
        -0.2,
        1.2,
        "15%",
        WORKFORCE,
        denominator=260,
        comparators=("17.5", "15.4", "17.6"),
    ),
    DemoIndicator(
        "W3",
        "Social worker turnover in the last 12 months",
        CULTURE,
        "percentage",
        "lower",
        16,
        -0.1,
        1,
        "12%",
        WORKFORCE,
        denominator=260,
        comparators=("16.9", "16.2", "17.1"),
    ),
]

# Area and team breakdowns loaded for the last twelve months: (code, area code, team name or "").
BREAKDOWNS = [
    ("CP9", "SWF", ""),
    ("CP9", "PACT", ""),
    ("CP9", "SWF", "SWF East"),
    ("CP9", "SWF", "SWF West"),
    ("CP9", "SWF", "SWF Central"),
    ("W1", "SWF", ""),
    ("W1", "PTC", ""),
    ("W1", "PACT", ""),
    ("CIN5", "SWF", ""),
    ("CIN5", "C&FF", ""),
]
# The published sheet's arithmetic errors: (code, months before the latest, points off).
MISMATCHES = [("EH4-QL", 0, Decimal("2")), ("M8-QL", 1, Decimal("-1")), ("LAC10", 4, Decimal("0.8"))]
# Figures not available yet: (code, months before the latest).
NOT_AVAILABLE = [("W3", 0), ("LAC10", 0)]
# Figures corrected after the month's load (a second file for the month before the latest).
CORRECTIONS = ["M1", "CP1", "EH3a%"]


def load() -> None:
    officer = Person.objects.filter(user__email=PERFORMANCE_OFFICER_EMAIL).select_related("user").first()
    actor = officer.user if officer else None
    today = timezone.localdate()
    this_year = calculations.financial_year(today)
    for year in (this_year - 1, this_year):
        indicator_catalogue_import(
            actor=actor, content=_catalogue_file(year, this_year), file_name=f"demo-catalogue-{year}.csv", year=year
        )
    months = _months(today)
    series = {item.code: _series(item, months) for item in CATALOGUE}
    for index, month in enumerate(months):
        name = f"{FILE_PREFIX}{month:%Y-%m}.csv"
        if not ValueLoad.objects.filter(file_name=name).exists() and month not in _locked():
            kpi_values_import(actor=actor, content=_values_file(months, index, series), file_name=name)
    _correction(actor, months, series)
    _commentary(months, officer)
    _locks(months, officer)


def _months(today: date) -> list[date]:
    """The last MONTHS full months, oldest first."""
    this_month = month_start(today)
    return [add_months(this_month, -back) for back in range(MONTHS, 0, -1)]


def _locked() -> set[date]:
    return set(MonthLock.objects.values_list("period", flat=True))


def _catalogue_file(year: int, this_year: int) -> bytes:
    """The catalogue with `year`'s targets: last year's were a little less ambitious."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER_ORDER)
    for item in CATALOGUE:
        target = item.target
        if year < this_year and target[:1].isdigit():
            number = Decimal(target.rstrip("%"))
            eased = number - (Decimal(2) if item.polarity == "higher" else Decimal(-2)) * (
                1 if item.unit == "percentage" else number / 50
            )
            target = f"{eased.quantize(Decimal('1'), ROUND_HALF_UP)}" + ("%" if target.endswith("%") else "")
        neighbours, south_east, england = item.comparators
        previous = _previous_year_figure(item, year)
        row = {
            "code": item.code,
            "title": item.title,
            "priority_area": item.area,
            "unit": item.unit,
            "polarity": item.polarity,
            "cumulative": "yes" if item.cumulative else "no",
            "target": target,
            "target_note": "",
            "outcome": item.outcome,
            "lead_officer": item.lead,
            "accountable_officer": ACCOUNTABLE,
            "previous_year": previous,
            "statistical_neighbours": neighbours,
            "south_east": south_east,
            "england": england,
            "amber_tolerance": "2" if item.code in ("M8-QL", "LAC13") else "",
            "service_area": "",
        }
        writer.writerow([row[column] for column in HEADER_ORDER])
    return out.getvalue().encode()


def _previous_year_figure(item: DemoIndicator, year: int) -> str:
    """The own figure of the year before, as the catalogue states it (a round number near the level)."""
    if item.unit != "percentage" and item.polarity == "neutral":
        return "Local"
    level = Decimal(str(item.level + item.drift * 6))
    if item.cumulative:
        level *= 12
    return str(level.quantize(Decimal("0.1"), ROUND_HALF_UP))


def _series(item: DemoIndicator, months: list[date]) -> list[tuple[Decimal, int | None, int | None]]:
    """(value, numerator, denominator) per month, deterministic per indicator."""
    rng = random.Random(zlib.crc32(item.code.encode()))  # noqa: S311 - synthetic demo figures
    figures = []
    running = Decimal(0)
    for index, month in enumerate(months):
        level = item.level + item.drift * index + rng.gauss(0, item.spread)
        if item.unit == "percentage":
            denominator = max(5, round(item.denominator * (1 + rng.uniform(-0.08, 0.08))))
            share = min(max(level, 0.0), 100.0) / 100
            numerator = round(denominator * share)
            figures.append((calculations.percentage(Decimal(numerator), Decimal(denominator)), numerator, denominator))
        elif item.cumulative:
            if month.month == 4:
                running = Decimal(0)  # the count restarts each April
            running += Decimal(max(0, round(level)))
            figures.append((running, None, None))
        elif item.unit == "rate":
            figures.append((Decimal(str(round(max(level, 0), 1))), None, None))
        else:
            places = 1 if item.level < 50 and item.spread < 2 else 0
            figures.append((Decimal(str(round(max(level, 0), places))), None, None))
    return figures


def _values_rows(months, index, series, codes=None):
    latest = len(months) - 1
    month = months[index]
    rows = []
    for item in CATALOGUE:
        if codes is not None and item.code not in codes:
            continue
        value, numerator, denominator = series[item.code][index]
        row = {"indicator": item.code, "period": f"{month:%Y-%m}"}
        if (item.code, latest - index) in NOT_AVAILABLE:
            row["note"] = "TBC"
        elif numerator is not None:
            row.update(numerator=numerator, denominator=denominator)
            off = next(
                (points for code, back, points in MISMATCHES if (code, back) == (item.code, latest - index)), None
            )
            if off is not None:  # the sheet's value, worked out wrongly
                row["value"] = str((value + off).quantize(Decimal("0.1"), ROUND_HALF_UP))
        else:
            row["value"] = str(value)
        rows.append(row)
        if codes is None and index >= latest - 11:
            rows.extend(_breakdown_rows(item, month, value, numerator, denominator))
    return rows


def _breakdown_rows(item, month, value, numerator, denominator):
    rows = []
    for number, (code, area, team) in enumerate(BREAKDOWNS):
        if code != item.code:
            continue
        rng = random.Random(zlib.crc32(f"{code}{area}{team}{month}".encode()))  # noqa: S311
        row = {"indicator": code, "period": f"{month:%Y-%m}", "service_area": area, "team": team}
        if numerator is not None:
            part = max(4, denominator // (3 + number))
            share = min(1.0, max(0.0, numerator / denominator + rng.uniform(-0.06, 0.05)))
            row.update(numerator=round(part * share), denominator=part)
        else:
            row["value"] = str((value * Decimal(str(1 + rng.uniform(-0.15, 0.2)))).quantize(Decimal("0.1")))
        rows.append(row)
    return rows


def _as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*VALUE_REQUIRED, *VALUE_OPTIONAL], restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _values_file(months, index, series) -> bytes:
    return _as_csv(_values_rows(months, index, series))


def _correction(actor, months, series) -> None:
    """The month before the latest, loaded again for a few indicators after the BI team's checks."""
    index = len(months) - 2
    name = f"{FILE_PREFIX}{months[index]:%Y-%m}-corrected.csv"
    if ValueLoad.objects.filter(file_name=name).exists() or months[index] in _locked():
        return
    rows = _values_rows(months, index, series, codes=set(CORRECTIONS))
    for row in rows:
        if row.get("numerator") is not None:
            row["numerator"] = int(row["numerator"]) + 3
        elif row.get("value"):
            row["value"] = str(Decimal(row["value"]) + 7)
    kpi_values_import(actor=actor, content=_as_csv(rows), file_name=name)


COMMENTARY = {
    "better": (
        "{title} moved from {before} to {after} in {month}, a welcome improvement. "
        "Assurance clinics have kept a focus on this measure and the teams report the change is holding."
    ),
    "worse": (
        "{title} moved from {before} to {after} in {month}. The service leads have looked at the cases behind "
        "the change; part of it reflects the time of year and part needs action (see next steps)."
    ),
    "neutral": (
        "{title} was {after} in {month} (from {before}). This is in line with the 12-month pattern and is "
        "watched for context rather than against a target."
    ),
}
NEXT_STEPS = {
    "better": "Keep the weekly performance huddles; share what worked at the next practice forum.",
    "worse": "Service leads to review the cases in assurance clinics this month and report back to the board.",
    "neutral": "Continue to monitor; no action needed this month.",
}


def _commentary(months, officer) -> None:
    """Commentary for the last months, by each indicator's lead (or the performance officer), with a
    few of the latest month still missing so the 'still to write' list has something in it."""
    if officer is None:
        return
    titles = {code_key(item.code): item for item in CATALOGUE}
    indicators = {i.code_key: i for i in Indicator.objects.filter(code_key__in=titles)}
    current = {
        (value.indicator_id, value.period): value
        for value in KpiValue.objects.filter(
            is_current=True,
            breakdown="",
            period__in=months[-COMMENTARY_MONTHS - 1 :],
            indicator__in=indicators.values(),
        )
    }
    existing = set(Commentary.objects.filter(period__in=months).values_list("indicator_id", "period"))
    missing_latest = {code_key(item.code) for item in CATALOGUE[::7]}
    new = []
    for month_index in range(len(months) - COMMENTARY_MONTHS, len(months)):
        month, before_month = months[month_index], months[month_index - 1]
        for code, indicator in indicators.items():
            if (indicator.pk, month) in existing or (month_index == len(months) - 1 and code in missing_latest):
                continue
            now, before = current.get((indicator.pk, month)), current.get((indicator.pk, before_month))
            if now is None or before is None:
                continue
            moved = calculations.direction(now.value, before.value, indicator.polarity)
            tone = moved[1] if moved else "neutral"
            shown = {
                "title": titles[code].title,
                "before": calculations.display(
                    indicator.unit, before.value, before.numerator, before.denominator, before.note
                ),
                "after": calculations.display(indicator.unit, now.value, now.numerator, now.denominator, now.note),
                "month": f"{month:%B %Y}",
            }
            if now.value is None:
                text, steps = f"The {month:%B} figure is not available yet (TBC).", "BI team to supply the figure."
            else:
                text, steps = COMMENTARY[tone].format(**shown), NEXT_STEPS[tone]
            new.append(
                Commentary(
                    indicator=indicator,
                    period=month,
                    commentary=text,
                    next_steps=steps,
                    written_by=indicator.lead or officer,
                )
            )
    Commentary.objects.bulk_create(new)


def _locks(months, officer) -> None:
    """Months whose pack is final: all but the latest OPEN_MONTHS."""
    if officer is None or not officer.memberships.current().filter(role=Role.PERFORMANCE_OFFICER).exists():
        return
    locked = _locked()
    MonthLock.objects.bulk_create(
        MonthLock(period=month, locked_by=officer) for month in months[:-OPEN_MONTHS] if month not in locked
    )
