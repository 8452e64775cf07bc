"""The scorecard's figures on hand-built data (RAG, changes, the April boundary, 12-month figures with
gaps, display strings, targets by reporting year), its pages by role, the breakdowns by area, and
the fixed number of queries whatever the number of indicators.

The builders at the top are shared by the other scorecard tests (commentary, exports, the pack)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from performance import calculations, charts
from performance.models import Commentary, Indicator, IndicatorYear, KpiValue, ValueLoad
from performance.pack import row_chart
from performance.quality_section import QA_AREA
from performance.scorecard import (
    ALL_AREAS,
    CHANGE_NONE,
    CHANGE_NOT_COMPARABLE,
    NO_TARGET,
    breakdown_rows,
    indicator_history,
    latest_period,
    scorecard,
)
from performance.scorecard_forms import MONTH_INVALID, MONTH_OUT_OF_RANGE
from quality.months import add_months
from quality.org.models import Role

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)
ASSESSMENT = "Effective assessment and intervention"
CONTACT = "Purposeful direct contact"


def month(text: str) -> date:
    year, number = text.split("-")
    return date(int(year), int(number), 1)


def _d(number) -> Decimal | None:
    return None if number is None else Decimal(str(number))


def make_indicator(code, *, unit="percentage", polarity="higher", cumulative=False, area=ASSESSMENT, **fields):
    fields.setdefault("display_order", Indicator.objects.count())
    fields.setdefault("title", f"Indicator {code}")
    lead = fields.get("lead")
    if lead is not None:
        fields.setdefault("lead_officer", lead.full_name)
    return Indicator.objects.create(
        code=code, priority_area=area, unit=unit, polarity=polarity, cumulative=cumulative, **fields
    )


def set_year(indicator, year: int, target=None, **fields) -> IndicatorYear:
    numbers = {
        key: _d(value) if isinstance(value, int | float | str) and key != "target_note" else value
        for key, value in fields.items()
    }
    return IndicatorYear.objects.create(indicator=indicator, year=year, target=_d(target), **numbers)


def new_load(user=None, file_name="kpi-values.csv") -> ValueLoad:
    return ValueLoad.objects.create(loaded_by=user, file_name=file_name)


def put(indicator, period: str, value=None, *, numerator=None, denominator=None, load=None, **fields) -> KpiValue:
    """A current figure as the loader leaves it: a percentage computed from numerator / denominator."""
    if value is None and numerator is not None:
        value = calculations.percentage(_d(numerator), _d(denominator))
    return KpiValue.objects.create(
        indicator=indicator,
        period=month(period),
        value=_d(value),
        numerator=_d(numerator),
        denominator=_d(denominator),
        load=load or new_load(),
        **fields,
    )


def row_of(card, code):
    return next(row for row in card.rows if row.indicator.code == code)


# -- figures --


def test_a_percentage_is_shown_with_its_numerator_and_denominator_and_is_amber_within_five_points():
    m1 = make_indicator("M1", title="Assessments completed in 45 days")
    set_year(m1, 2026, 80)
    put(m1, "2026-10", numerator=264, denominator=333)

    row = row_of(scorecard(OCT), "M1")

    assert row.current.display == "79% (264/333)"
    assert row.target_display == "80%"
    assert row.rag == calculations.AMBER
    assert row.rag_label == "Amber"


def test_rag_in_both_polarities_with_the_default_tolerances():
    figures = {
        # higher is better, a count: target 200, amber down to 180 (10% of the target)
        "H-green": ("count", "higher", 200, 200),
        "H-amber": ("count", "higher", 200, 180),
        "H-red": ("count", "higher", 200, 179),
        # lower is better, a percentage: target 10%, amber up to 15% (5 points)
        "L-green": ("percentage", "lower", 10, 9.5),
        "L-amber": ("percentage", "lower", 10, 15),
        "L-red": ("percentage", "lower", 10, 15.01),
    }
    for code, (unit, polarity, target, value) in figures.items():
        indicator = make_indicator(code, unit=unit, polarity=polarity)
        set_year(indicator, 2026, target)
        put(indicator, "2026-10", value)

    card = scorecard(OCT)

    assert {code: row_of(card, code).rag for code in figures} == {
        "H-green": "green",
        "H-amber": "amber",
        "H-red": "red",
        "L-green": "green",
        "L-amber": "amber",
        "L-red": "red",
    }


def test_the_years_own_amber_tolerance_replaces_the_default():
    indicator = make_indicator("T1")
    set_year(indicator, 2026, 80, amber_tolerance=1)
    put(indicator, "2026-10", 78.5)

    assert row_of(scorecard(OCT), "T1").rag == calculations.RED


def test_no_rag_without_a_target_without_a_figure_or_for_a_neutral_indicator():
    no_target = make_indicator("N1")
    set_year(no_target, 2026, None, target_note="TBC")
    put(no_target, "2026-10", 50)
    no_figure = make_indicator("N2")
    set_year(no_figure, 2026, 50)
    put(no_figure, "2026-10", note="TBC")
    neutral = make_indicator("N3", unit="count", polarity="neutral")
    set_year(neutral, 2026, 100)
    put(neutral, "2026-10", 300)

    card = scorecard(OCT)

    assert [row_of(card, code).rag for code in ("N1", "N2", "N3")] == [None, None, None]
    assert row_of(card, "N1").target_display == "TBC"
    assert row_of(card, "N2").current.display == "TBC"
    assert row_of(card, "N3").target_display == "100"
    assert make_indicator("N4").pk and row_of(scorecard(OCT), "N4").target_display == NO_TARGET


def test_changes_between_percentages_are_in_points_of_the_unrounded_values():
    indicator = make_indicator("C1")
    put(indicator, "2025-10", 40)
    put(indicator, "2026-09", numerator=1, denominator=3)  # 33.33...%, shown as 33%
    put(indicator, "2026-10", numerator=1, denominator=2)  # 50%

    row = row_of(scorecard(OCT), "C1")

    # From the shown 33% to 50% would be +17 points; from the unrounded 33.333333% it is +16.7.
    assert row.change_prev_month.measure == calculations.POINTS
    assert row.change_prev_month.text == "+16.7 pp"
    assert row.change_prev_month.amount == pytest.approx(Decimal("16.666667"), abs=Decimal("0.000001"))
    assert row.change_prev_year == calculations.Change(Decimal(10), calculations.POINTS)  # 40% to 50%, not +25%
    assert (row.direction.moved, row.direction.judgement, row.direction.text) == ("up", "better", "Up, better")


def test_changes_of_counts_and_rates_are_relative_changes_of_the_unrounded_values():
    count, rate = make_indicator("K1", unit="count"), make_indicator("R1", unit="rate")
    put(count, "2026-09", 200)
    put(count, "2026-10", 220)
    put(rate, "2026-09", "40.04")  # shown as 40.0
    put(rate, "2026-10", "44.04")

    card = scorecard(OCT)

    assert row_of(card, "K1").change_prev_month == calculations.Change(Decimal(10), calculations.RELATIVE)
    assert row_of(card, "K1").change_prev_month.text == "+10.0%"
    assert row_of(card, "R1").change_prev_month.text == "+10.0%"  # 100 x 4 / 40.04 = +9.99%


def test_a_change_from_zero_is_not_given_but_the_direction_is():
    indicator = make_indicator("Z1", unit="count", polarity="lower")
    put(indicator, "2026-09", 0)
    put(indicator, "2026-10", 5)

    row = row_of(scorecard(OCT), "Z1")

    assert row.change_prev_month is None
    assert row.change_prev_month_note == CHANGE_NONE
    assert (row.direction.moved, row.direction.judgement) == ("up", "worse")
    assert row.direction.arrow == "▲"


def test_a_cumulative_indicator_has_no_change_across_april_but_compares_april_with_april():
    cumulative = make_indicator("CU1", unit="count", cumulative=True)
    plain = make_indicator("CU2", unit="count")
    for indicator in (cumulative, plain):
        put(indicator, "2025-04", 80)
        put(indicator, "2026-03", 1200)
        put(indicator, "2026-04", 100)

    card = scorecard(date(2026, 4, 1))
    restarted, ordinary = row_of(card, "CU1"), row_of(card, "CU2")

    assert restarted.change_prev_month is None
    assert restarted.change_prev_month_note == CHANGE_NOT_COMPARABLE
    assert restarted.direction is None
    assert restarted.change_prev_year == calculations.Change(Decimal(25), calculations.RELATIVE)
    assert ordinary.change_prev_month.text == "-91.7%"
    assert ordinary.direction.text == "Down, worse"


def test_twelve_month_figures_ignore_missing_months_and_the_month_before_the_twelve():
    indicator = make_indicator("G1", unit="count")
    put(indicator, "2025-10", 1000)  # 13 months back: the year-ago comparison only
    put(indicator, "2025-11", 10)
    put(indicator, "2026-01", 20)
    put(indicator, "2026-10", 30)

    row = row_of(scorecard(OCT), "G1")

    assert (row.avg_12m, row.min_12m, row.max_12m) == (Decimal(20), Decimal(10), Decimal(30))
    assert (row.avg_12m_display, row.min_12m_display, row.max_12m_display) == ("20", "10", "30")
    assert row.change_prev_year.text == "-97.0%"
    assert [cell.display for cell in row.months] == ["No figure"] * 5 + ["30"]
    assert len(row.trend) == 12 and row.trend[0].period == date(2025, 11, 1)


def test_rates_and_counts_are_shown_as_the_scorecard_shows_them():
    rate, count = make_indicator("R1", unit="rate"), make_indicator("K1", unit="count")
    put(rate, "2026-10", "45.24")
    put(count, "2026-10", 1343)

    card = scorecard(OCT)

    assert row_of(card, "R1").current.display == "45.2"
    assert row_of(card, "K1").current.display == "1,343"


def test_targets_and_comparators_come_from_the_reporting_year_of_the_month():
    indicator = make_indicator("Y1")
    set_year(indicator, 2025, 70, previous_year=60, comparator_notes={"england": "N/A"})
    set_year(indicator, 2026, 90, england="85.5", statistical_neighbours=80)
    put(indicator, "2026-03", 75)
    put(indicator, "2026-04", 75)

    march, april = row_of(scorecard(date(2026, 3, 1)), "Y1"), row_of(scorecard(date(2026, 4, 1)), "Y1")

    assert (march.target_display, march.rag) == ("70%", "green")
    assert (april.target_display, april.rag) == ("90%", "red")
    assert [c.display for c in march.comparators] == ["60%", "Not available", "Not available", "N/A"]
    # As the catalogue states them: a published 85.5% is not rounded to 86%.
    assert [c.display for c in april.comparators] == ["Not available", "80%", "Not available", "85.5%"]
    assert april.months[-2].rag == "green"  # March is rated against March's own year


def test_areas_follow_the_catalogue_order_and_the_audits_section_closes_the_scorecard():
    make_indicator("B1", area=CONTACT, display_order=2)
    make_indicator("A1", area=ASSESSMENT, display_order=1)
    make_indicator("B2", area=CONTACT, display_order=3)

    card = scorecard(OCT)

    assert [area.name for area in card.areas] == [ASSESSMENT, CONTACT, QA_AREA]
    assert [[row.indicator.code for row in area.rows] for area in card.areas] == [["A1"], ["B1", "B2"], []]
    assert card.areas[-1].quality is card.quality
    assert [area.anchor for area in card.areas] == ["area-1", "area-2", "area-3"]


def test_the_audits_section_joins_a_catalogue_area_of_the_same_name():
    make_indicator("QA1", area="Rigorous Quality Assurance")
    make_indicator("A1", area=ASSESSMENT)

    card = scorecard(OCT)

    assert [area.name for area in card.areas] == ["Rigorous Quality Assurance", ASSESSMENT]
    assert card.areas[0].quality is card.quality and card.areas[1].quality is None


def test_an_inactive_indicator_and_replaced_or_breakdown_figures_are_not_on_the_scorecard(own_area):
    retired = make_indicator("OLD", is_active=False)
    put(retired, "2026-10", 10)
    indicator = make_indicator("P1", unit="count")
    put(indicator, "2026-10", 99, is_current=False)
    put(indicator, "2026-10", 12)
    put(indicator, "2026-10", 5, breakdown=f"area:{own_area.pk}", service_area=own_area)

    card = scorecard(OCT)

    assert [row.indicator.code for row in card.rows] == ["P1"]
    assert row_of(card, "P1").current.display == "12"
    assert row_of(card, "P1").has_breakdown


def test_a_data_quality_flag_stays_with_its_month():
    indicator = make_indicator("DQ1")
    put(indicator, "2026-09", numerator=264, denominator=333, supplied_value=Decimal(82), data_quality="Mismatch")
    put(indicator, "2026-10", numerator=270, denominator=333)

    row = row_of(scorecard(OCT), "DQ1")

    assert [cell.period for cell in row.flagged] == [date(2026, 9, 1)]
    assert row.current.data_quality == ""


def test_a_figure_just_below_its_target_is_shown_with_the_decimals_that_keep_its_rag():
    higher = make_indicator("RD1")
    set_year(higher, 2026, 96)
    put(higher, "2026-10", numerator=2399, denominator=2500)  # 95.96%: amber, "96%" would read as met
    lower = make_indicator("RD2", polarity="lower")
    set_year(lower, 2026, 10)
    put(lower, "2026-10", numerator=251, denominator=2500)  # 10.04%: amber, "10%" would read as met
    met = make_indicator("RD3")
    set_year(met, 2026, 96)
    put(met, "2026-10", numerator=2401, denominator=2500)  # 96.04%: green, shown as usual

    card = scorecard(OCT)

    assert (row_of(card, "RD1").rag, row_of(card, "RD1").current.display) == ("amber", "95.96% (2,399/2,500)")
    assert (row_of(card, "RD2").rag, row_of(card, "RD2").current.display) == ("amber", "10.04% (251/2,500)")
    assert (row_of(card, "RD3").rag, row_of(card, "RD3").current.display) == ("green", "96% (2,401/2,500)")
    # The sparkline's description says the same.
    assert "latest 95.96% (Oct 2026); target 96% (dashed line)" in row_of(card, "RD1").sparkline
    # So do the indicator page's history chart and the pack's chart.
    assert "Oct 2026: 95.96% (2,399/2,500)." in indicator_history(higher).chart
    assert "Oct 2026: 95.96% (2,399/2,500)." in row_chart(row_of(card, "RD1"), "c1")


def _rated(code, area, unit, target, value):
    indicator = make_indicator(code, area=area, unit=unit)
    if target is not None:
        set_year(indicator, 2026, target)
    put(indicator, "2026-10", value)


def test_the_rag_summary_counts_each_priority_areas_indicators_by_rag():
    for code, area, unit, target, value in [
        ("A-green", ASSESSMENT, "percentage", 80, 80),
        ("A-amber", ASSESSMENT, "percentage", 80, "79.99"),  # rated on the unrounded figure
        ("A-red", ASSESSMENT, "percentage", 80, 70),
        ("A-none", ASSESSMENT, "percentage", None, 70),
        ("B-red1", CONTACT, "count", 200, 100),
        ("B-red2", CONTACT, "count", 200, 150),
        ("B-green", CONTACT, "count", 200, 250),
    ]:
        _rated(code, area, unit, target, value)

    lines = scorecard(OCT).rag_summary

    # The audits' own area has no indicators to rate: it is left out.
    assert [(line.name, line.anchor, line.total) for line in lines] == [
        (ASSESSMENT, "area-1", 4),
        (CONTACT, "area-2", 3),
        (ALL_AREAS, "", 7),
    ]
    assert [count.label for count in lines[0].counts] == ["Red", "Amber", "Green", "No RAG"]
    assert [[count.count for count in line.counts] for line in lines] == [[1, 1, 1, 1], [2, 0, 1, 0], [3, 1, 2, 1]]


def test_the_rag_summary_of_a_scorecard_without_indicators_is_all_areas_with_none():
    lines = scorecard(OCT).rag_summary

    assert [(line.name, line.total, [count.count for count in line.counts]) for line in lines] == [
        (ALL_AREAS, 0, [0, 0, 0, 0])
    ]


def test_the_scorecard_opens_on_the_latest_month_with_figures():
    assert latest_period(date(2026, 11, 23)) == date(2026, 10, 1)  # nothing loaded: last month
    put(make_indicator("L1"), "2026-07", 10)
    assert latest_period(date(2026, 11, 23)) == date(2026, 7, 1)


# -- pages --


def test_the_scorecard_page_shows_figures_rag_in_words_flags_commentary_and_the_audits_section(client, service_lead):
    m1 = make_indicator("M1", title="Assessments completed in 45 days", lead=service_lead)
    set_year(m1, 2026, 80, england=78)
    put(m1, "2026-09", numerator=250, denominator=330)
    put(
        m1,
        "2026-10",
        numerator=264,
        denominator=333,
        supplied_value=Decimal(83),
        data_quality="Supplied 83% but 264/333 is 79.3%",
    )
    Commentary.objects.create(indicator=m1, period=OCT, commentary="Fewer late assessments in SWF.", next_steps="")
    client.force_login(service_lead.user)

    response = client.get(reverse("performance:scorecard"), {"month": "2026-10"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "79% (264/333)" in page and "76% (250/330)" in page
    assert 'data-rag="amber">Amber</span>' in page
    assert "Data-quality flag" in page and "Supplied 83% but 264/333 is 79.3%" in page
    assert "Fewer late assessments in SWF." in page
    assert "England: 78%" in page
    assert "Up, better" in page
    assert 'role="img" aria-label="Trend from Nov 2025 to Oct 2026' in page
    assert QA_AREA in page and "Cases audited" in page
    assert "Write the commentary" not in page and "Change the commentary" in page  # the lead's own indicator
    # 250/330 to 264/333: +3.5 percentage points, not the relative +4.6%; the rule is stated once.
    assert '+3.5 <abbr title="percentage points">pp</abbr>' in page
    assert page.count("data-change-rule") == 1
    # The RAG summary comes before the first area's table, with the area's counts.
    assert page.index("data-rag-summary") < page.index('class="indicator-row"')
    summary = page[page.index("data-rag-summary") : page.index("</section>", page.index("data-rag-summary"))]
    assert re.search(
        r'data-summary-area="Effective assessment and intervention".*?data-count="amber">1<', summary, re.S
    )
    # The table shows the latest three months; the earlier ones are in the row's details.
    assert '<td class="kpi-month group-start" data-month="2026-08">' in page
    assert 'data-month="2026-07"' in page[page.index("data-earlier-months") :]


def test_a_month_that_is_not_a_month_is_refused_next_to_the_field(client, service_lead):
    client.force_login(service_lead.user)

    response = client.get(reverse("performance:scorecard"), {"month": "2026-13"})

    assert response.status_code == 200
    assert MONTH_INVALID in response.content.decode()
    assert "card" not in response.context


def test_an_address_with_a_month_that_is_not_one_is_not_found(client, service_lead):
    client.force_login(service_lead.user)
    indicator = make_indicator("M1")

    assert client.get(reverse("performance:scorecard_csv", args=["2026-1x"])).status_code == 404
    assert client.get(reverse("performance:indicator_breakdown", args=[indicator.pk, "26-10"])).status_code == 404


@pytest.mark.parametrize("text", ["0001-01", "9999-12"])
def test_a_month_the_scorecard_cannot_reach_around_is_refused_not_an_error(client, service_lead, text):
    # The scorecard looks a year back and a month on: year 1 has no year before it, 9999 none after.
    client.force_login(service_lead.user)
    indicator = make_indicator("M1")

    for name in ("scorecard", "commentary"):
        response = client.get(reverse(f"performance:{name}"), {"month": text})
        assert response.status_code == 200
        assert MONTH_OUT_OF_RANGE in response.content.decode()
    assert client.get(reverse("performance:scorecard_csv", args=[text])).status_code == 404
    assert client.get(reverse("performance:commentary_edit", args=[text, indicator.pk])).status_code == 404


def test_the_scorecard_only_answers_reads(client, service_lead):
    client.force_login(service_lead.user)

    assert client.post(reverse("performance:scorecard")).status_code == 405


def test_a_practitioner_and_a_partner_auditor_may_not_read_the_scorecard(client, make_person, own_area):
    for role in (Role.PRACTITIONER, Role.PARTNER_AUDITOR):
        client.force_login(make_person(role, own_area if role == Role.PRACTITIONER else None).user)
        assert client.get(reverse("performance:scorecard")).status_code == 403


def _fill(count: int, start: int = 0):
    """`count` indicators over three areas, each with 13 months of figures (some flagged), its years,
    commentary and a breakdown."""
    load = new_load()
    areas = [ASSESSMENT, CONTACT, "Robust corporate parenting"]
    for index in range(start, start + count):
        indicator = make_indicator(f"Q{index}", area=areas[index % 3])
        set_year(indicator, 2025, 70)
        set_year(indicator, 2026, 75)
        KpiValue.objects.bulk_create(
            [
                KpiValue(
                    indicator=indicator,
                    period=add_months(date(2025, 9, 1), offset),
                    value=Decimal(60 + offset),
                    numerator=Decimal(60 + offset),
                    denominator=Decimal(100),
                    load=load,
                    data_quality="Mismatch" if offset == 12 and index % 2 else "",
                )
                for offset in range(14)
            ]
            + [KpiValue(indicator=indicator, period=OCT, breakdown="area:0", value=Decimal(1), load=load)]
        )
        Commentary.objects.create(indicator=indicator, period=OCT, commentary=f"Commentary {index}")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_scorecard_page_runs_the_same_queries_for_5_and_for_40_indicators(
    client, service_lead, django_assert_num_queries
):
    client.force_login(service_lead.user)
    url = f"{reverse('performance:scorecard')}?month=2026-10"
    _fill(5)
    five = _queries(client, url)
    _fill(35, start=5)

    with django_assert_num_queries(five):
        response = client.get(url)

    page = response.content.decode()
    assert page.count('class="indicator-row"') == 40
    assert page.count("Data-quality flag") == 20
    assert five <= 18


def test_the_scorecard_page_runs_the_same_queries_whatever_the_months_of_figures(client, service_lead):
    client.force_login(service_lead.user)
    url = f"{reverse('performance:scorecard')}?month=2026-10"
    indicators = [make_indicator(f"W{index}", area=[ASSESSMENT, CONTACT][index % 2]) for index in range(4)]
    for indicator in indicators:
        put(indicator, "2026-10", 50)
    one_month = _queries(client, url)
    load = new_load()
    for indicator in indicators:
        set_year(indicator, 2025, 60)
        set_year(indicator, 2026, 70)
        KpiValue.objects.bulk_create(
            KpiValue(indicator=indicator, period=add_months(OCT, -offset), value=Decimal(40 + offset), load=load)
            for offset in range(1, 14)
        )

    assert _queries(client, url) == one_month


def test_the_indicator_page_shows_the_history_targets_and_every_load_with_who_and_when(
    client, service_lead, make_person
):
    officer = make_person(Role.PERFORMANCE_OFFICER, None, full_name="Pia Performance")
    indicator = make_indicator("M1", title="Assessments completed in 45 days")
    set_year(indicator, 2025, 70)
    set_year(indicator, 2026, 80, comparator_notes={"england": "Local"})
    first = new_load(officer.user, "september-first.csv")
    put(indicator, "2026-09", 50, is_current=False, load=first)
    put(indicator, "2026-09", numerator=60, denominator=100, load=new_load(officer.user, "september-corrected.csv"))
    put(indicator, "2026-07", 65)
    client.force_login(service_lead.user)

    response = client.get(reverse("performance:indicator_detail", args=[indicator.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    history = response.context["history"]
    assert [row.cell.period for row in history.rows] == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]
    assert [row.cell.display for row in history.rows] == ["65%", "No figure", "60% (60/100)"]
    assert "september-first.csv" in page and "september-corrected.csv" in page
    assert "Replaced" in page and "Pia Performance" in page
    assert "2026/27" in page and "Local" in page
    assert 'role="img" aria-labelledby="history-' in page


@freeze_time("2026-11-23 10:00")
def test_every_page_of_an_indicator_with_spaces_and_brackets_in_its_code_opens_by_its_number(
    client, make_person, own_area
):
    indicator = make_indicator("M6-QL (val)", title="Children seen alone")
    set_year(indicator, 2026, 95)
    put(indicator, "2026-10", numerator=48, denominator=50)
    put(indicator, "2026-10", numerator=20, denominator=25, breakdown=f"area:{own_area.pk}", service_area=own_area)
    client.force_login(make_person(Role.PERFORMANCE_OFFICER, None).user)

    card = client.get(reverse("performance:scorecard"), {"month": "2026-10"}).content.decode()

    assert 'data-indicator="M6-QL (val)"' in card
    pages = [
        reverse("performance:indicator_detail", args=[indicator.pk]),
        reverse("performance:indicator_breakdown", args=[indicator.pk, "2026-10"]),
        reverse("performance:commentary_edit", args=["2026-10", indicator.pk]),
    ]
    for page in pages:
        assert f'href="{page}"' in card
        response = client.get(page)
        assert response.status_code == 200 and "M6-QL (val) Children seen alone" in response.content.decode()


def test_the_indicator_history_is_read_in_a_fixed_number_of_queries(django_assert_num_queries):
    indicator = make_indicator("M1")
    for number in range(1, 10):
        put(indicator, f"2026-0{number}", number)
    with django_assert_num_queries(5):
        history = indicator_history(indicator)
    assert len(history.rows) == 9 and len(history.loads) == 9


# -- breakdowns --


@pytest.fixture
def breakdown(own_area, other_area, own_team, other_team):
    indicator = make_indicator("BD1", unit="count")
    set_year(indicator, 2026, 100)
    put(indicator, "2026-10", 30)
    put(indicator, "2026-10", 10, breakdown=f"area:{own_area.pk}", service_area=own_area)
    put(indicator, "2026-10", 6, breakdown=f"team:{own_team.pk}", team=own_team)
    put(indicator, "2026-10", 20, breakdown=f"area:{other_area.pk}", service_area=other_area)
    put(indicator, "2026-10", 7, breakdown=f"team:{other_team.pk}", team=other_team, service_area=other_area)
    return indicator


def test_a_service_lead_sees_the_breakdown_rows_of_their_own_area_only(
    client, service_lead, breakdown, own_area, own_team
):
    client.force_login(service_lead.user)

    response = client.get(reverse("performance:indicator_breakdown", args=[breakdown.pk, "2026-10"]))

    rows = response.context["rows"]
    assert [(row.kind, row.name, row.cell.display) for row in rows] == [
        ("Service area", own_area.name, "10"),
        ("Team", own_team.name, "6"),
    ]
    assert "Pathways Through Care" not in response.content.decode()


@pytest.mark.parametrize("role", [Role.QA_OFFICER, Role.PERFORMANCE_OFFICER, Role.SENIOR_LEADER])
def test_cross_area_roles_and_performance_officers_see_every_breakdown_row(make_person, own_area, breakdown, role):
    viewer = make_person(role, own_area if role == Role.PERFORMANCE_OFFICER else None)

    rows = breakdown_rows(viewer.user, breakdown, OCT)

    assert sorted(row.cell.display for row in rows) == ["10", "20", "6", "7"]
    assert all(row.cell.rag == "red" for row in rows)


def test_a_practice_manager_of_another_area_sees_none_of_this_areas_rows(make_person, other_area, breakdown):
    manager = make_person(Role.PRACTICE_MANAGER, other_area)

    assert sorted(row.cell.display for row in breakdown_rows(manager.user, breakdown, OCT)) == ["20", "7"]


# -- charts --


def test_a_sparkline_breaks_at_a_missing_month_and_names_its_figures():
    months = [date(2026, m, 1) for m in range(1, 7)]
    values = [Decimal(10), Decimal(12), None, Decimal(15), Decimal(14), Decimal(18)]

    svg = charts.sparkline(values, Decimal(16), unit="count", months=months)

    assert svg.count("<polyline") == 2  # Jan-Feb and Apr-Jun: the gap is not bridged
    assert 'role="img"' in svg
    assert (
        'aria-label="Trend from Jan 2026 to Jun 2026: lowest 10, highest 18, latest 18 (Jun 2026); '
        'target 16 (dashed line)"' in svg
    )
    assert "style" not in svg
    assert charts.sparkline([None, None], None, unit="count", months=months[:2]) == ""


def test_a_sparkline_draws_the_comparators_and_names_them():
    months = [date(2026, m, 1) for m in range(1, 4)]
    values = [Decimal(70), Decimal(72), Decimal(75)]
    references = [charts.Reference("Statistical neighbours", Decimal("78.5")), charts.Reference("England", Decimal(60))]

    svg = charts.sparkline(values, Decimal("87.5"), unit="percentage", months=months, references=references)

    assert svg.count("<line") == 3  # two comparators and the target
    assert 'stroke="#4c2c92"' in svg and 'stroke="#505a5f"' in svg
    assert "; target 87.5% (dashed line); comparators (thin lines): Statistical neighbours 78.5%, England 60%" in svg
    # The scale reaches the comparator below every value: its line is inside the chart.
    england_y = float(re.search(r'<line x1="4" x2="116" y1="([\d.]+)"[^>]*stroke="#505a5f"', svg).group(1))
    assert charts.SPARK_PAD <= england_y <= charts.SPARK_HEIGHT - charts.SPARK_PAD


def test_the_scorecards_sparkline_is_against_the_target_and_the_comparators():
    indicator = make_indicator("S1")
    set_year(indicator, 2026, "87.5", england="85.5", statistical_neighbours=80, comparator_notes={"south_east": "N/A"})
    put(indicator, "2026-09", 84)
    put(indicator, "2026-10", 86)

    row = row_of(scorecard(OCT), "S1")

    assert row.target_display == "87.5%"
    assert "target 87.5% (dashed line); comparators (thin lines): Statistical neighbours 80%, England 85.5%" in (
        row.sparkline
    )


def test_a_years_tolerance_is_shown_unrounded():
    indicator = make_indicator("T2")
    set_year(indicator, 2026, 90, amber_tolerance="2.5")
    put(indicator, "2026-10", 88)

    assert [year.tolerance for year in indicator_history(indicator).years] == ["2.5 points"]


def test_the_history_chart_steps_the_target_where_the_year_changes_and_describes_every_figure():
    months = [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    values = [Decimal(70), None, Decimal(85)]

    svg = charts.line_chart(
        months,
        values,
        [Decimal(75), Decimal(75), Decimal(90)],
        [charts.Reference("England", Decimal(80))],
        unit="percentage",
        title="M1 history",
        chart_id="c1",
        shown=["70% (7/10)", "TBC", "85%"],
    )

    target_line = re.search(r'<polyline points="([^"]+)" fill="none" stroke="#00703c"', svg).group(1).split()
    assert len(target_line) == 4  # level, level, straight up at April, level
    assert target_line[2].split(",")[0] == target_line[3].split(",")[0]
    assert 'aria-labelledby="c1-title c1-desc"' in svg and '<title id="c1-title">M1 history</title>' in svg
    assert "Values: Feb 2026: 70% (7/10); Apr 2026: 85%. Target: 75%, 90%. England: 80%." in svg
    assert "style" not in svg
