"""Every derived figure of the scorecard, in one place: pure Python with Decimal, no Django.

The portal stores figures as loaded and computes everything else here, so a corrected month changes
every figure that depends on it and the published sheets' arithmetic errors cannot recur.

Rules (the documented defaults):

- Percentages are computed as 100 x numerator / denominator, unrounded. A value the file supplied
  is a *mismatch* when it differs from the computed one by 0.5 percentage points or more (exactly
  0.5 flags; 0.49 does not).
- RAG: green when the value meets the target in the indicator's polarity (exactly at target is
  green), amber when it misses by no more than the tolerance (exactly at the tolerance is amber),
  red otherwise. No RAG without a value, without a target, or for a neutral indicator.
- The amber tolerance is the reporting year's ``amber_tolerance`` (in the indicator's own unit)
  when set. Otherwise the default, ``DEFAULT_AMBER_TOLERANCE``:
    * percentage: 5 percentage points (absolute);
    * count and rate: 10% of the target (relative: a target of 200 is amber down to 180 for a
      higher-is-better count; a target of 0 leaves no amber band).
- Changes (change()): between two percentages, the difference in percentage points (20% to 22% is
  +2.0 points, never "+10%"); for counts and rates, the relative change of the unrounded values,
  100 x (current - previous) / |previous|, None when the previous value is zero (a change from zero
  has no percentage). None when either is missing. For a cumulative indicator (the figure
  accumulates April to March) no change is given across a financial-year boundary: April restarts
  the count, so April against March compares one month with twelve. The same month a year earlier
  is the exception: both are the same number of months into their year (year to date against the
  year to date a year ago), a like-for-like comparison.
- 12-month statistics (average, minimum, maximum) ignore missing months; None when all are missing.
- Direction of travel: up / down / same, and better / worse / neutral by the polarity.
- Display (display()): percentages to whole numbers, rates to one decimal place, counts as they are
  (one decimal place when not whole), rounded half up; but a figure whose rounding would read as
  another RAG than the unrounded figure has (95.96% shown as "96%" against a 96% target, which is
  amber) gets one more decimal place at a time until it reads the same ("95.96%").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

PERCENTAGE = "percentage"
COUNT = "count"
RATE = "rate"

HIGHER = "higher"
LOWER = "lower"
NEUTRAL = "neutral"

GREEN = "green"
AMBER = "amber"
RED = "red"

MISMATCH_POINTS = Decimal("0.5")

# Per unit. For "percentage" the number is in percentage points (absolute); for "count" and "rate"
# it is a per cent of the target (relative). See tolerance_for().
DEFAULT_AMBER_TOLERANCE: dict[str, Decimal] = {
    PERCENTAGE: Decimal("5"),
    COUNT: Decimal("10"),
    RATE: Decimal("10"),
}
RELATIVE_TOLERANCE_UNITS = frozenset({COUNT, RATE})

HUNDRED = Decimal(100)

# How a change is measured: the difference in percentage points between two percentages, the
# relative change (per cent of the earlier figure) between two counts or two rates.
POINTS = "percentage points"
RELATIVE = "relative %"

# The most decimal places a figure is shown with to keep its RAG (values are stored to 6 places).
MAX_SHOWN_PLACES = 6


def _dec(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value)


def financial_year(period: date) -> int:
    """The financial year (April to March) a month belongs to, by its starting year: 2024-03 -> 2023."""
    return period.year if period.month >= 4 else period.year - 1


def percentage(numerator: Decimal, denominator: Decimal) -> Decimal:
    """100 x numerator / denominator, unrounded. A zero denominator is the caller's check."""
    return HUNDRED * _dec(numerator) / _dec(denominator)


def is_mismatch(supplied: Decimal, computed: Decimal) -> bool:
    """True when a supplied percentage differs from the computed one by 0.5 points or more."""
    return abs(_dec(supplied) - _dec(computed)) >= MISMATCH_POINTS


def tolerance_for(unit: str, target, tolerance: Decimal | None = None) -> Decimal:
    """The amber band's width in the indicator's own unit: the year's tolerance, or the default."""
    if tolerance is not None:
        return abs(_dec(tolerance))
    default = DEFAULT_AMBER_TOLERANCE.get(unit, DEFAULT_AMBER_TOLERANCE[PERCENTAGE])
    if unit in RELATIVE_TOLERANCE_UNITS:
        return abs(_dec(target)) * default / HUNDRED
    return default


def rag(value, target, polarity: str, unit: str, tolerance: Decimal | None) -> str | None:
    """'green', 'amber', 'red', or None (no value, no target, or a neutral indicator)."""
    if value is None or target is None or polarity not in (HIGHER, LOWER):
        return None
    value, target = _dec(value), _dec(target)
    shortfall = target - value if polarity == HIGHER else value - target
    if shortfall <= 0:
        return GREEN
    if shortfall <= tolerance_for(unit, target, tolerance):
        return AMBER
    return RED


def relative_change_pct(current, previous) -> Decimal | None:
    """100 x (current - previous) / |previous|; None when either is missing or previous is zero."""
    if current is None or previous is None:
        return None
    current, previous = _dec(current), _dec(previous)
    if previous == 0:
        return None
    return HUNDRED * (current - previous) / abs(previous)


@dataclass(frozen=True)
class Change:
    """A change between two figures: `amount` in percentage points (POINTS) or per cent (RELATIVE)."""

    amount: Decimal
    measure: str
    # The relative change in per cent whatever the measure: what the exports' `_pct` columns have
    # always held (issue 6), kept beside the measured change so their readers are not misled.
    relative_pct: Decimal | None = field(default=None, compare=False)

    @property
    def in_points(self) -> bool:
        return self.measure == POINTS

    @property
    def figure(self) -> str:
        """The amount to one decimal place with its sign: "+2.0", "-3.5", "0.0"."""
        rounded = self.amount.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{rounded:+.1f}" if rounded != 0 else "0.0"

    @property
    def text(self) -> str:
        """As written out in full where no abbreviation can be explained: "+2.0 pp", "+11.3%"."""
        return f"{self.figure} pp" if self.in_points else f"{self.figure}%"


def change_measure(unit: str) -> str:
    """How a change of an indicator in `unit` is measured: POINTS for percentages, else RELATIVE."""
    return POINTS if unit == PERCENTAGE else RELATIVE


def change(unit: str, current, previous) -> Change | None:
    """The change from `previous` to `current` (unrounded), measured by change_measure(unit); None
    when either is missing, or for a relative change from zero."""
    if current is None or previous is None:
        return None
    relative = relative_change_pct(current, previous)
    if change_measure(unit) == POINTS:
        return Change(_dec(current) - _dec(previous), POINTS, relative)
    return Change(relative, RELATIVE, relative) if relative is not None else None


def change_allowed(indicator_cumulative: bool, period: date, earlier: date) -> bool:
    """May a change be shown between two months? For a cumulative indicator only within one financial
    year, or between the same months of two years (year to date against year to date)."""
    if not indicator_cumulative:
        return True
    return financial_year(period) == financial_year(earlier) or period.month == earlier.month


def twelve_month_stats(values: list[Decimal | None]) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(average, minimum, maximum) of the months that have a value; all None when none has."""
    present = [_dec(v) for v in values if v is not None]
    if not present:
        return None, None, None
    return sum(present, Decimal(0)) / len(present), min(present), max(present)


def direction(current, previous, polarity: str) -> tuple[str, str] | None:
    """('up' | 'down' | 'same', 'better' | 'worse' | 'neutral'), or None when a month is missing."""
    if current is None or previous is None:
        return None
    current, previous = _dec(current), _dec(previous)
    if current == previous:
        return "same", "neutral"
    moved = "up" if current > previous else "down"
    if polarity == HIGHER:
        return moved, "better" if moved == "up" else "worse"
    if polarity == LOWER:
        return moved, "better" if moved == "down" else "worse"
    return moved, "neutral"


def _plain(number: Decimal, places: int | None = None) -> str:
    """A number with thousands separators: whole numbers as such, others to `places` (or as given)."""
    if places is not None:
        return f"{_rounded(number, places):,.{places}f}"
    if number == number.to_integral_value():
        return f"{number.to_integral_value():,.0f}"
    normalised = number.normalize()
    decimals = max(0, -normalised.as_tuple().exponent)
    return f"{normalised:,.{decimals}f}"


def _rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _usual_places(unit: str, value: Decimal) -> int | None:
    """Decimal places a figure is shown with: percentages 0, rates 1, counts as they are (None) when whole."""
    if unit == PERCENTAGE:
        return 0
    if unit == RATE or value != value.to_integral_value():
        return 1
    return None


def shown_places(unit: str, value, target=None, polarity: str = NEUTRAL, tolerance=None) -> int | None:
    """The decimal places to show `value` with (None: as it is): the usual ones, plus as many as it
    takes for the rounded figure to have the RAG of the unrounded one (up to MAX_SHOWN_PLACES)."""
    value = _dec(value)
    places = _usual_places(unit, value)
    if places is None:
        return None
    wanted = rag(value, target, polarity, unit, tolerance)
    while places < MAX_SHOWN_PLACES and rag(_rounded(value, places), target, polarity, unit, tolerance) != wanted:
        places += 1
    return places


def plain_number(value, places: int | None = None) -> str:
    """A number as people write it: '1,343', '79.3' (to `places` when given), '' for None."""
    if value is None:
        return ""
    return _plain(_dec(value), places)


def display(
    unit: str,
    value,
    numerator=None,
    denominator=None,
    note: str = "",
    *,
    target=None,
    polarity: str = NEUTRAL,
    tolerance=None,
) -> str:
    """How the scorecard, its pack and its files show a figure: '79% (264/333)', '79%', '1,343',
    '45.2', or the note ('TBC'). Given the target (with the polarity and tolerance the RAG is decided
    by), never rounded into another RAG: '95.96%', not '96%', against a 96% target."""
    if value is None:
        return note or ""
    value = _dec(value)
    shown = _plain(value, shown_places(unit, value, target, polarity, tolerance))
    if unit == PERCENTAGE:
        shown += "%"
        if numerator is not None and denominator is not None:
            shown += f" ({_plain(_dec(numerator))}/{_plain(_dec(denominator))})"
    return shown


def stated(unit: str, value, note: str = "") -> str:
    """A target, comparator or tolerance as the catalogue states it, unrounded ('87.5%', '22.4%',
    '1,400', '45.25'), or its note: a published 22.4% must not read as 22%."""
    if value is None:
        return note or ""
    return plain_number(value) + ("%" if unit == PERCENTAGE else "")
