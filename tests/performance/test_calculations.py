"""Every derived figure of the scorecard against examples worked out by hand (no database)."""

from datetime import date
from decimal import Decimal as D

import pytest

from performance import calculations as calc

# --- Financial years ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "year"),
    [
        (date(2024, 3, 1), 2023),  # March belongs to the year that started the April before
        (date(2024, 4, 1), 2024),  # April starts a new one
        (date(2024, 12, 1), 2024),
        (date(2025, 1, 1), 2024),
    ],
)
def test_a_month_belongs_to_the_financial_year_starting_in_april(period, year):
    assert calc.financial_year(period) == year


# --- Percentages from numerator and denominator ------------------------------------------------


def test_a_percentage_is_a_hundred_times_numerator_over_denominator_unrounded():
    # 264 / 333 = 0.792792...; the published sheet rounds it to 79%.
    assert calc.percentage(D(264), D(333)).quantize(D("0.000001")) == D("79.279279")
    assert calc.percentage(D(1), D(3)) == D(100) / D(3)  # not rounded to any number of places
    assert calc.percentage(D(45), D(50)) == D(90)
    assert calc.percentage(D(0), D(12)) == D(0)


def test_a_zero_denominator_is_the_callers_check():
    with pytest.raises(ArithmeticError):
        calc.percentage(D(1), D(0))


# --- Mismatch flags ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supplied", "computed", "flagged"),
    [
        (D("80"), D("79.5"), True),  # exactly 0.5 points apart flags
        (D("79"), D("79.5"), True),  # in either direction
        (D("79.99"), D("79.5"), False),  # 0.49 points does not
        (D("79.01"), D("79.5"), False),
        (D("79"), D("79.279279"), False),  # the sheet's rounding of 264/333
        (D("80"), D("79.279279"), True),  # 0.72 points out
    ],
)
def test_a_supplied_percentage_is_a_mismatch_from_half_a_point(supplied, computed, flagged):
    assert calc.is_mismatch(supplied, computed) is flagged


# --- RAG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("95"), "green"),  # above a higher-is-better target
        (D("90"), "green"),  # exactly at target
        (D("87"), "amber"),  # 3 points short, inside the default 5
        (D("85"), "amber"),  # exactly at the tolerance
        (D("84.99"), "red"),  # just beyond it
        (D("60"), "red"),
    ],
)
def test_rag_of_a_higher_is_better_percentage_with_the_default_five_points(value, expected):
    assert calc.rag(value, D("90"), "higher", "percentage", None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("15"), "green"),  # below a lower-is-better target
        (D("20"), "green"),  # exactly at target
        (D("24"), "amber"),
        (D("25"), "amber"),  # exactly at the 5-point tolerance
        (D("25.01"), "red"),
    ],
)
def test_rag_of_a_lower_is_better_percentage(value, expected):
    assert calc.rag(value, D("20"), "lower", "percentage", None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1500"), "green"),
        (D("1400"), "green"),  # at target
        (D("1300"), "amber"),
        (D("1260"), "amber"),  # exactly 10% of 1,400 short
        (D("1259"), "red"),
    ],
)
def test_rag_of_a_higher_is_better_count_uses_ten_per_cent_of_the_target(value, expected):
    assert calc.rag(value, D("1400"), "higher", "count", None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("80"), "green"),
        (D("100"), "green"),  # at target
        (D("110"), "amber"),  # exactly 10% of 100 over
        (D("110.1"), "red"),
    ],
)
def test_rag_of_a_lower_is_better_rate_uses_ten_per_cent_of_the_target(value, expected):
    assert calc.rag(value, D("100"), "lower", "rate", None) == expected


def test_a_tolerance_of_the_year_replaces_the_default_in_the_indicators_unit():
    assert calc.rag(D("88"), D("90"), "higher", "percentage", D("2")) == "amber"  # exactly at 2
    assert calc.rag(D("87.9"), D("90"), "higher", "percentage", D("2")) == "red"
    assert calc.rag(D("1350"), D("1400"), "higher", "count", D("50")) == "amber"  # absolute, not 10%
    assert calc.rag(D("1349"), D("1400"), "higher", "count", D("50")) == "red"
    assert calc.rag(D("89"), D("90"), "higher", "percentage", D("0")) == "red"  # no amber band at all


def test_a_count_with_a_zero_target_has_no_amber_band():
    assert calc.rag(D("0"), D("0"), "lower", "count", None) == "green"
    assert calc.rag(D("1"), D("0"), "lower", "count", None) == "red"


@pytest.mark.parametrize(
    ("value", "target", "polarity"),
    [
        (None, D("90"), "higher"),  # no value: no RAG
        (D("80"), None, "higher"),  # no target: no RAG
        (D("80"), D("90"), "neutral"),  # context-only indicator: no RAG
    ],
)
def test_there_is_no_rag_without_a_value_a_target_or_a_direction(value, target, polarity):
    assert calc.rag(value, target, polarity, "percentage", None) is None


def test_the_default_tolerances_are_documented_per_unit():
    assert {"percentage": D(5), "count": D(10), "rate": D(10)} == calc.DEFAULT_AMBER_TOLERANCE
    assert "5 percentage points" in calc.__doc__
    assert "10% of the target" in calc.__doc__
    assert calc.tolerance_for("percentage", D("90")) == D(5)
    assert calc.tolerance_for("count", D("1400")) == D(140)
    assert calc.tolerance_for("rate", D("-50")) == D(5)  # of the size of the target


# --- Relative changes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (D("1464"), D("1507"), D("-2.853351")),  # M1: the seeds' "-3%" for Jan 21 against Dec 20
        (D("110"), D("100"), D("10")),
        (D("90"), D("100"), D("-10")),
        (D("-5"), D("-10"), D("50")),  # from a negative figure: divided by its size, so up is +
        (D("-15"), D("-10"), D("-50")),
        (D("10"), D("-10"), D("200")),
        (D("0"), D("25"), D("-100")),  # to zero
        (D("25"), D("25"), D("0")),
    ],
)
def test_a_change_is_relative_to_the_previous_figure(current, previous, expected):
    assert calc.relative_change_pct(current, previous).quantize(D("0.000001")) == expected


def test_a_change_uses_the_unrounded_values():
    # 264/333 (79.279%) against 250/320 (78.125%): 1.154279 / 78.125 = +1.4775%, not (79 - 78) / 78 = +1.28%.
    now, before = calc.percentage(D(264), D(333)), calc.percentage(D(250), D(320))
    assert calc.relative_change_pct(now, before).quantize(D("0.0001")) == D("1.4775")


@pytest.mark.parametrize(
    ("current", "previous"),
    [(D("5"), D("0")), (D("0"), D("0")), (None, D("5")), (D("5"), None)],
)
def test_there_is_no_change_from_zero_or_from_a_missing_month(current, previous):
    assert calc.relative_change_pct(current, previous) is None


# --- The change rule: percentage points between percentages, relative for counts and rates ----


def test_a_change_between_two_percentages_is_in_percentage_points():
    change = calc.change("percentage", D("22"), D("20"))

    assert change == calc.Change(D("2"), calc.POINTS)
    assert (change.in_points, change.figure, change.text) == (True, "+2.0", "+2.0 pp")  # not "+10.0%"


def test_a_change_of_a_count_or_a_rate_is_relative_to_the_earlier_figure():
    count, rate = calc.change("count", D("220"), D("200")), calc.change("rate", D("45.1"), D("41"))

    assert count == calc.Change(D("10"), calc.RELATIVE) and count.text == "+10.0%"
    assert rate.measure == calc.RELATIVE and rate.text == "+10.0%"
    assert calc.change("count", D("180"), D("200")).text == "-10.0%"


def test_a_change_in_points_is_of_the_unrounded_percentages():
    # 264/333 (79.279%) against 250/330 (75.758%): +3.5 points, not the shown 79% - 76% = +3.
    change = calc.change("percentage", calc.percentage(D(264), D(333)), calc.percentage(D(250), D(330)))

    assert change.text == "+3.5 pp"


def test_a_percentage_from_zero_has_a_change_in_points_but_a_count_from_zero_has_none():
    assert calc.change("percentage", D("5"), D("0")).text == "+5.0 pp"
    assert calc.change("count", D("5"), D("0")) is None
    assert calc.change("rate", D("0"), D("0")) is None
    assert calc.change("percentage", D("0"), D("0")).text == "0.0 pp"


@pytest.mark.parametrize("unit", ["percentage", "count", "rate"])
@pytest.mark.parametrize(("current", "previous"), [(None, D("5")), (D("5"), None), (None, None)])
def test_no_change_without_both_figures(unit, current, previous):
    assert calc.change(unit, current, previous) is None


@pytest.mark.parametrize(
    ("unit", "current", "previous", "text"),
    [
        ("percentage", D("20.04"), D("20"), "0.0 pp"),  # no sign on a change that rounds to nothing
        ("percentage", D("19.95"), D("20"), "-0.1 pp"),  # -0.05 rounds half away from zero
        ("count", D("1000.5"), D("1000"), "+0.1%"),  # +0.05% rounds half up to +0.1%
        ("count", D("1000"), D("1000"), "0.0%"),
    ],
)
def test_a_change_is_shown_to_one_decimal_place(unit, current, previous, text):
    assert calc.change(unit, current, previous).text == text


def test_the_measure_of_a_change_is_decided_by_the_unit_alone():
    assert calc.change_measure("percentage") == calc.POINTS
    assert calc.change_measure("count") == calc.change_measure("rate") == calc.RELATIVE


def test_changes_of_a_cumulative_indicator_stop_at_the_april_boundary():
    april, march, may = date(2024, 4, 1), date(2024, 3, 1), date(2024, 5, 1)
    assert calc.change_allowed(True, april, march) is False  # April restarts the count
    assert calc.change_allowed(True, may, april) is True  # within one financial year
    assert calc.change_allowed(True, date(2025, 3, 1), date(2024, 4, 1)) is True  # March to April, same year
    # Against the same month a year earlier: the same months into the year, like for like.
    assert calc.change_allowed(True, april, date(2023, 4, 1)) is True
    assert calc.change_allowed(True, date(2025, 3, 1), date(2024, 3, 1)) is True
    # A figure from another year and another point in it is not comparable.
    assert calc.change_allowed(True, april, date(2023, 6, 1)) is False


def test_changes_of_an_ordinary_indicator_cross_the_april_boundary():
    assert calc.change_allowed(False, date(2024, 4, 1), date(2024, 3, 1)) is True
    assert calc.change_allowed(False, date(2024, 4, 1), date(2023, 4, 1)) is True


# --- 12-month figures --------------------------------------------------------------------------


def test_twelve_month_figures_ignore_the_missing_months():
    values = [D("10"), None, D("20"), D("30"), None, D("40"), None, None, None, None, None, D("0")]
    average, minimum, maximum = calc.twelve_month_stats(values)
    assert average == D("20")  # (10 + 20 + 30 + 40 + 0) / 5, not / 12
    assert (minimum, maximum) == (D("0"), D("40"))


def test_twelve_month_average_is_unrounded():
    average, minimum, maximum = calc.twelve_month_stats([D("1"), D("2"), D("2")])
    assert average == D(5) / D(3)
    assert (minimum, maximum) == (D(1), D(2))


def test_twelve_month_figures_of_no_values_are_empty():
    assert calc.twelve_month_stats([None] * 12) == (None, None, None)
    assert calc.twelve_month_stats([]) == (None, None, None)


# --- Direction of travel -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "previous", "polarity", "expected"),
    [
        (D("80"), D("70"), "higher", ("up", "better")),
        (D("60"), D("70"), "higher", ("down", "worse")),
        (D("80"), D("70"), "lower", ("up", "worse")),
        (D("60"), D("70"), "lower", ("down", "better")),
        (D("80"), D("70"), "neutral", ("up", "neutral")),
        (D("70"), D("70"), "higher", ("same", "neutral")),
        (None, D("70"), "higher", None),
        (D("70"), None, "lower", None),
    ],
)
def test_the_direction_of_travel_is_coloured_by_polarity(current, previous, polarity, expected):
    assert calc.direction(current, previous, polarity) == expected


# --- Display -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "shown"),
    [
        (("percentage", calc.percentage(D(264), D(333)), D(264), D(333)), {}, "79% (264/333)"),
        (("percentage", D("79.5")), {}, "80%"),  # rounded half up for display only
        (("percentage", D("79.4999")), {}, "79%"),
        (("percentage", D("100"), D("12"), D("12")), {}, "100% (12/12)"),
        (("count", D("1343")), {}, "1,343"),
        (("count", D("12345.5")), {}, "12,345.5"),
        (("rate", D("45.24")), {}, "45.2"),
        (("rate", D("88")), {}, "88.0"),
        (("count", None), {"note": "TBC"}, "TBC"),
        (("percentage", None, None, None), {}, ""),
    ],
)
def test_figures_are_shown_as_the_scorecard_writes_them(args, kwargs, shown):
    assert calc.display(*args, **kwargs) == shown


def test_plain_numbers_for_reports():
    assert calc.plain_number(D("1400.0000")) == "1,400"
    assert calc.plain_number(D("79.279279"), 2) == "79.28"
    assert calc.plain_number(D("12.50")) == "12.5"
    assert calc.plain_number(None) == ""


# --- The rounding rule: a figure shown never reads as another RAG than it has ------------------


@pytest.mark.parametrize(
    ("value", "rag", "shown"),
    [
        (D("95.96"), "amber", "95.96%"),  # "96%" and "96.0%" would read as meeting the target
        (D("95.9"), "amber", "95.9%"),
        (D("95.4"), "amber", "95%"),  # rounds away from the target: no extra place needed
        (D("96"), "green", "96%"),
        (D("96.4"), "green", "96%"),  # rounds down onto the target: still meets it
        (D("95.999999"), "amber", "95.999999%"),
    ],
)
def test_a_percentage_just_below_a_higher_is_better_target_is_not_rounded_onto_it(value, rag, shown):
    target = D("96")

    assert calc.rag(value, target, "higher", "percentage", None) == rag
    assert calc.display("percentage", value, target=target, polarity="higher") == shown


@pytest.mark.parametrize(
    ("value", "rag", "shown"),
    [
        (D("10.04"), "amber", "10.04%"),  # "10%" and "10.0%" would read as at the target
        (D("10.4"), "amber", "10.4%"),
        (D("9.6"), "green", "10%"),  # rounds up onto the target: still meets it
        (D("10"), "green", "10%"),
    ],
)
def test_a_percentage_just_above_a_lower_is_better_target_is_not_rounded_onto_it(value, rag, shown):
    target = D("10")

    assert calc.rag(value, target, "lower", "percentage", None) == rag
    assert calc.display("percentage", value, target=target, polarity="lower") == shown


def test_a_figure_that_meets_a_target_with_decimals_is_not_rounded_past_it():
    # 95.4% meets a 95.3% target (higher is better), but "95%" would read as missing it.
    assert calc.display("percentage", D("95.4"), target=D("95.3"), polarity="higher") == "95.4%"
    # 95.6% meets a 95.7% target (lower is better), but "96%" would read as missing it.
    assert calc.display("percentage", D("95.6"), target=D("95.7"), polarity="lower") == "95.6%"
    # 95.6% meets a 95.5% target and "96%" still does: shown as usual.
    assert calc.display("percentage", D("95.6"), target=D("95.5"), polarity="higher") == "96%"


def test_the_amber_boundary_is_kept_as_well_as_the_target():
    # Target 80%, amber down to 75%: 74.96% is red, "75%" would read as amber.
    assert calc.rag(D("74.96"), D("80"), "higher", "percentage", None) == "red"
    assert calc.display("percentage", D("74.96"), target=D("80"), polarity="higher") == "74.96%"


def test_counts_and_rates_keep_their_rag_too():
    # A rate target of 46 (higher is better): 45.96 is amber, "46.0" would read as meeting it.
    assert calc.display("rate", D("45.96"), target=D("46"), polarity="higher") == "45.96"
    assert calc.display("rate", D("45.94"), target=D("46"), polarity="higher") == "45.9"
    assert calc.display("count", D("199.96"), target=D("200"), polarity="higher") == "199.96"
    assert calc.display("count", D("199"), target=D("200"), polarity="higher") == "199"


def test_without_a_target_or_for_a_neutral_indicator_a_figure_is_shown_as_usual():
    assert calc.display("percentage", D("95.96")) == "96%"
    assert calc.display("percentage", D("95.96"), target=D("96"), polarity="neutral") == "96%"
    assert calc.display("percentage", D("95.96"), D(2399), D(2500), target=D("96"), polarity="higher") == (
        "95.96% (2,399/2,500)"
    )
