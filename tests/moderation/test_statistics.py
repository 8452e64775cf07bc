"""The statistics of moderation outcomes (moderation/statistics.py), against figures worked out by hand.

Tables are written as four rows of four counts: rows are the auditor's grade, columns the moderated
grade, both in the order Outstanding, Good, Requires Improvement, Inadequate. Linear weights for
k = 4 grades: w = 1 on the diagonal, 2/3 one grade apart, 1/3 two apart, 0 three apart.

The standard errors were also checked, outside this suite, against an independent implementation
(statsmodels 0.15, `statsmodels.stats.inter_rater.cohens_kappa(table, wt="linear")`, whose
`std_kappa` is the Fleiss-Cohen-Everitt large-sample error); its figures are quoted beside ours.
"""

from fractions import Fraction

import pytest

from audits.models import Grade
from moderation import statistics as st

# A textbook-style table of 100 audits.
#                  moderated:  O   G  RI   I    row total
TEXTBOOK = [
    [10, 5, 0, 0],  # O        15
    [3, 30, 7, 0],  # G        40
    [0, 4, 20, 6],  # RI       30
    [0, 0, 3, 12],  # I        15
]  #                col totals 13  39  30  18   n = 100


def test_the_grades_are_the_portals_grades_best_first():
    assert tuple(Grade.values) == st.GRADES
    assert dict(Grade.choices) == st.GRADE_LABELS


def test_the_weights_are_linear_over_four_grades():
    assert [st.weight(0, j) for j in range(4)] == [1, Fraction(2, 3), Fraction(1, 3), 0]
    assert st.weight(3, 1) == st.weight(1, 3) == Fraction(1, 3)


def test_counts_agreement_and_direction_of_the_textbook_table():
    matrix = st.matrix_from_rows(TEXTBOOK)

    assert st.total(matrix) == 100
    assert st.original_counts(matrix) == {"outstanding": 15, "good": 40, "requires_improvement": 30, "inadequate": 15}
    assert st.moderated_counts(matrix) == {"outstanding": 13, "good": 39, "requires_improvement": 30, "inadequate": 18}
    # Diagonal 10 + 30 + 20 + 12 = 72 of 100.
    assert st.exact_agreement_pct(matrix) == 72.0
    # One grade apart: 5 + 3 + 7 + 4 + 6 + 3 = 28; nothing further apart, so all 100 are within one.
    assert st.within_one_pct(matrix) == 100.0
    # Upgraded = below the diagonal (moderated better): G->O 3, RI->G 4, I->RI 3 = 10.
    assert st.upgraded(matrix) == 10
    # Downgraded = above it (moderated worse): O->G 5, G->RI 7, RI->I 6 = 18.
    assert st.downgraded(matrix) == 18
    assert st.unchanged(matrix) == 72
    assert st.changed_pct(matrix) == 28.0


def test_weighted_kappa_of_the_textbook_table_worked_by_hand():
    kappa = st.weighted_kappa(st.matrix_from_rows(TEXTBOOK))

    # p_o = (72 * 1 + 28 * 2/3 + 0 * 1/3) / 100 = (216 + 56) / 300 = 272/300 = 68/75 = 0.906667
    assert kappa.observed == Fraction(68, 75)
    # p_e = sum w_ij r_i c_j / n^2, with r = (15, 40, 30, 15) and c = (13, 39, 30, 18):
    #   same grade:  15*13 + 40*39 + 30*30 + 15*18               = 195 + 1560 + 900 + 270       = 2925
    #   one apart:   15*39 + 40*13 + 40*30 + 30*39 + 30*18 + 15*30 = 585+520+1200+1170+540+450 = 4465
    #   two apart:   15*30 + 30*13 + 40*18 + 15*39                 = 450 + 390 + 720 + 585       = 2145
    #   three apart: 15*18 + 15*13                                 = 270 + 195                   =  465
    #   (2925 + 4465 + 2145 + 465 = 10000 = 100^2, as it must)
    #   p_e = (2925 + 2/3 * 4465 + 1/3 * 2145) / 10000 = (8775 + 8930 + 2145) / 30000 = 19850/30000 = 397/600
    assert kappa.expected == Fraction(397, 600)
    # kappa = (p_o - p_e) / (1 - p_e) = (27200 - 19850) / (30000 - 19850) = 7350 / 10150 = 21/29 = 0.724138
    assert kappa.exact == Fraction(21, 29)
    assert kappa.value == pytest.approx(0.724138, abs=1e-6)
    # Fleiss-Cohen-Everitt standard error: 0.046787 (statsmodels: 0.0467866357540400),
    # so the 95% interval is 0.724138 -/+ 1.959964 * 0.046787 = 0.632438 to 0.815838
    # (statsmodels: 0.6324378 to 0.8158381).
    assert kappa.standard_error == pytest.approx(0.0467866, abs=1e-7)
    assert kappa.ci95 == pytest.approx((0.6324378, 0.8158381), abs=1e-7)
    assert st.reading(kappa).startswith("Substantial agreement")


def test_the_fleiss_cohen_everitt_variance_term_by_term_on_a_two_by_two_corner():
    # Only Good and RI used: rows G (6 good, 2 RI), RI (2 good, 10 RI); n = 20.
    # r = (8, 12)/20 = (0.4, 0.6); c = (8, 12)/20 = (0.4, 0.6); w = 1 on the diagonal, 2/3 off it.
    # p_o = (6 + 10)/20 + 2/3 * 4/20 = 0.8 + 0.133333 = 0.933333 (= 14/15)
    # p_e = 0.4*0.4 + 0.6*0.6 + 2/3 * (0.4*0.6 + 0.6*0.4) = 0.52 + 0.32 = 0.84 (= 21/25)
    # kappa = (14/15 - 21/25) / (1 - 21/25) = (70/75 - 63/75) / (12/75) = 7/12 = 0.583333
    # wbar_G. = 0.4*1 + 0.6*2/3 = 0.8, wbar_RI. = 0.4*2/3 + 0.6*1 = 13/15; wbar_.G = 0.8, wbar_.RI = 13/15
    # (1 - p_e) = 0.16, (1 - p_o) = 1/15. The bracket w_ij (1 - p_e) - (wbar_i. + wbar_.j)(1 - p_o) per cell:
    #   G,G:   0.16       - (0.8 + 0.8)/15   = 0.16 - 0.106667 = 0.053333 (= 4/75)
    #   G,RI:  2/3 * 0.16 - (0.8 + 13/15)/15 = 0.106667 - 0.111111 = -0.004444 (= -1/225)
    #   RI,G:  as G,RI                                        = -1/225
    #   RI,RI: 0.16       - (26/15)/15       = 0.16 - 0.115556 = 0.044444 (= 2/45)
    # sum p_ij * bracket^2 = 0.3*(4/75)^2 + 0.1*(1/225)^2 * 2 + 0.5*(2/45)^2
    #                     = 0.000853333 + 0.000003951 + 0.000987654 = 0.001844938
    # (p_o p_e - 2 p_e + p_o)^2 = (0.784 - 1.68 + 0.933333)^2 = 0.037333^2 = 0.001393778
    # var = (0.001844938 - 0.001393778) / (20 * 0.16^4) = 0.000451160 / 0.0131072 = 0.0344208
    # SE = sqrt(0.0344208) = 0.185528
    kappa = st.weighted_kappa(st.matrix_from_rows([[0, 0, 0, 0], [0, 6, 2, 0], [0, 2, 10, 0], [0, 0, 0, 0]]))

    assert kappa.exact == Fraction(7, 12)
    assert kappa.standard_error == pytest.approx(0.185528, abs=1e-6)
    assert kappa.ci95 == pytest.approx((7 / 12 - 1.959964 * 0.185528, 7 / 12 + 1.959964 * 0.185528), abs=1e-5)


def test_a_table_of_systematic_reversal_gives_a_negative_kappa_read_as_poor():
    #              O  G RI  I
    reversed_ = [[0, 0, 0, 5], [0, 0, 5, 0], [0, 5, 0, 0], [5, 0, 0, 0]]
    kappa = st.weighted_kappa(st.matrix_from_rows(reversed_))

    # n = 20, every row and column total 5 (share 1/4).
    # p_o = (5*0 + 5*2/3 + 5*2/3 + 5*0) / 20 = 1/3
    # p_e = (1/16) * sum of all 16 weights = (4*1 + 6*2/3 + 4*1/3 + 2*0) / 16 = (28/3) / 16 = 7/12
    # kappa = (1/3 - 7/12) / (1 - 7/12) = (-3/12) / (5/12) = -3/5
    assert kappa.observed == Fraction(1, 3)
    assert kappa.expected == Fraction(7, 12)
    assert kappa.exact == Fraction(-3, 5)
    assert kappa.value == -0.6
    # statsmodels: std_kappa 0.0357770876, interval -0.6701218 to -0.5298782
    assert kappa.standard_error == pytest.approx(0.0357771, abs=1e-7)
    assert kappa.ci95 == pytest.approx((-0.6701218, -0.5298782), abs=1e-7)
    assert st.band(kappa.exact) == "poor"
    assert st.reading(kappa).startswith("Poor agreement")
    assert st.exact_agreement_pct(st.matrix_from_rows(reversed_)) == 0.0
    assert st.within_one_pct(st.matrix_from_rows(reversed_)) == 50.0  # G<->RI only


def test_perfect_agreement_over_several_grades_is_kappa_one_with_no_spread():
    matrix = st.matrix_from_rows([[3, 0, 0, 0], [0, 5, 0, 0], [0, 0, 4, 0], [0, 0, 0, 2]])
    kappa = st.weighted_kappa(matrix)

    assert kappa.exact == 1
    assert kappa.standard_error == 0.0
    assert kappa.ci95 == (1.0, 1.0)
    assert st.exact_agreement_pct(matrix) == 100.0
    assert st.upgraded(matrix) == st.downgraded(matrix) == 0
    assert st.reading(kappa).startswith("Almost perfect agreement")


def test_all_one_grade_gives_no_kappa_and_says_why():
    matrix = st.matrix_from_rows([[0, 0, 0, 0], [0, 30, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    kappa = st.weighted_kappa(matrix)

    # p_o = p_e = 1: (p_o - p_e) / (1 - p_e) is 0/0. We report no kappa rather than 1.0 (see the module).
    assert kappa.expected == 1
    assert (kappa.value, kappa.standard_error, kappa.ci95) == (None, None, None)
    assert kappa.reason == st.ONE_GRADE_ONLY
    assert st.reading(kappa) == st.ONE_GRADE_ONLY
    assert st.exact_agreement_pct(matrix) == 100.0


def test_one_grade_given_by_auditors_and_another_by_moderators_is_kappa_zero():
    # Every Good moderated to RI: p_o = p_e = 2/3, so kappa = 0: no agreement beyond chance.
    kappa = st.weighted_kappa(st.matrix_from_rows([[0, 0, 0, 0], [0, 0, 12, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))

    assert kappa.exact == 0
    assert kappa.ci95 == (0.0, 0.0)
    assert st.band(kappa.exact) == "slight"


def test_an_empty_sample_has_no_percentages_no_kappa_and_a_warning():
    result = st.agreement(st.empty_matrix())

    assert result.total == 0
    assert result.exact_agreement_pct is None
    assert result.within_one_pct is None
    assert (result.kappa.value, result.kappa.ci95) == (None, None)
    assert result.reading == st.NO_DECISIONS
    assert result.small_sample_warning == st.NO_DECISIONS
    assert result.upgraded == result.downgraded == 0


def test_the_2022_panel_figures_come_out_of_a_table_with_those_marginals():
    # Across 2022 the panel moved 169 grades from 3 / 105 / 49 / 12 to 2 / 87 / 71 / 9 (seeds).
    # Only the totals are published; this is one table consistent with them:
    seed = [
        [2, 1, 0, 0],  # Outstanding:  3 (one moderated to Good)
        [0, 80, 25, 0],  # Good:     105 (25 moderated to RI)
        [0, 6, 40, 3],  # RI:         49 (6 up to Good, 3 down to Inadequate)
        [0, 0, 6, 6],  # Inadequate:  12 (6 up to RI)
    ]  # columns:  2, 87, 71, 9
    result = st.agreement(st.matrix_from_rows(seed))

    assert result.total == 169
    assert list(result.original.values()) == [3, 105, 49, 12]
    assert list(result.moderated.values()) == [2, 87, 71, 9]
    assert result.upgraded == 6 + 6
    assert result.downgraded == 1 + 25 + 3
    # (2 + 80 + 40 + 6) / 169 = 128 / 169 = 75.74%
    assert result.exact_agreement_pct == pytest.approx(100 * 128 / 169)
    assert result.within_one_pct == 100.0
    # statsmodels: kappa 0.6200164519, std_kappa 0.0518194218, interval 0.5184523 to 0.7215807.
    assert result.kappa.exact == Fraction(11306, 18235)
    assert result.kappa.ci95 == pytest.approx((0.5184523, 0.7215807), abs=1e-7)
    assert result.reading.startswith("Substantial agreement")
    assert result.small_sample_warning is None


def test_the_interval_is_clipped_to_the_range_kappa_can_take():
    # Ten audits, eight agreeing: kappa 0.821 with SE 0.110, so kappa + 1.96 SE = 1.037, shown as 1.
    kappa = st.weighted_kappa(st.matrix_from_rows([[2, 1, 0, 0], [0, 3, 0, 0], [0, 0, 2, 1], [0, 0, 0, 1]]))

    assert kappa.value + st.Z_95 * kappa.standard_error > 1.0
    assert kappa.ci95[1] == 1.0
    assert kappa.ci95[0] == pytest.approx(kappa.value - st.Z_95 * kappa.standard_error)


@pytest.mark.parametrize(
    ("kappa", "band"),
    [
        (Fraction(-1, 100), "poor"),
        (Fraction(0), "slight"),
        (Fraction(1, 5), "slight"),
        (Fraction(21, 100), "fair"),
        (Fraction(2, 5), "fair"),
        (Fraction(41, 100), "moderate"),
        (Fraction(3, 5), "moderate"),
        (Fraction(61, 100), "substantial"),
        (Fraction(4, 5), "substantial"),
        (Fraction(81, 100), "almost perfect"),
        (Fraction(1), "almost perfect"),
        (0.2, "slight"),  # a float just above 1/5 in binary is still read as 0.20
        (0.2000001, "fair"),
    ],
)
def test_the_landis_and_koch_bands_with_inclusive_upper_bounds(kappa, band):
    assert st.band(kappa) == band


@pytest.mark.parametrize(("n", "warned"), [(0, True), (1, True), (19, True), (20, False), (169, False)])
def test_fewer_than_twenty_compared_audits_are_warned_about(n, warned):
    warning = st.small_sample_warning(n)

    assert (warning is not None) is warned
    if warned and n:
        assert f"Only {n} moderated audit" in warning


def test_a_table_is_built_from_pairs_cells_or_rows_alike():
    pairs = [("good", "good"), ("good", "requires_improvement"), ("good", "requires_improvement")]
    cells = [("good", "good", 1), ("good", "requires_improvement", 2)]

    assert st.matrix_from_pairs(pairs) == st.matrix_from_cells(cells)
    assert st.matrix_from_cells(cells) == st.matrix_from_rows([[0, 0, 0, 0], [0, 1, 2, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    with pytest.raises(ValueError):
        st.matrix_from_cells([("excellent", "good", 1)])
    with pytest.raises(ValueError):
        st.matrix_from_rows([[1, 2, 3]])
