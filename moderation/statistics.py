"""How far moderation agreed with the auditors: plain arithmetic on a 4 x 4 table, no Django.

The table (`Matrix`) counts moderated audits by the auditor's grade (rows) and the moderated
grade (columns), both in the order of `GRADES`, best first. Everything here is computed from
that table with exact fractions, and turned into floats only at the end, so the figures on the
outcomes page, in the exports and from `manage.py moderation_summary` are the same numbers.

- Exact agreement: the share of audits whose moderated grade is the auditor's grade.
- Within one grade: the share whose grades are at most one step apart.
- Upgraded: the moderated grade is better than the auditor's (Good -> Outstanding);
  downgraded: it is worse (Good -> Requires Improvement).
- Linear-weighted Cohen's kappa (Cohen 1968), with weights w_ij = 1 - |i - j| / (k - 1) for
  k = 4 grades, so a disagreement of one step counts as 2/3 of an agreement, two steps as 1/3
  and three steps as none. With p_ij the share of audits in cell (i, j), p_i. and p_.j the row
  and column shares:
      p_o = sum w_ij p_ij              (observed weighted agreement)
      p_e = sum w_ij p_i. p_.j         (weighted agreement expected by chance)
      kappa_w = (p_o - p_e) / (1 - p_e)
- Its 95% confidence interval is kappa_w +/- z * SE with z the 97.5th percentile of the normal
  distribution (1.959964) and the large-sample standard error of Fleiss, Cohen and Everitt
  (1969), "Large sample standard errors of kappa and weighted kappa", Psychological Bulletin
  72(5), 323-327 (also Fleiss, Levin and Paik, Statistical Methods for Rates and Proportions,
  3rd ed., 2003, ch. 18):
      wbar_i. = sum_j p_.j w_ij        wbar_.j = sum_i p_i. w_ij
      var = ( sum_ij p_ij [w_ij (1 - p_e) - (wbar_i. + wbar_.j)(1 - p_o)]^2
              - (p_o p_e - 2 p_e + p_o)^2 ) / (n (1 - p_e)^4)
  The interval is clipped to [-1, 1], the range kappa can take; with few audits the
  large-sample formula is only a rough guide (see SMALL_SAMPLE).
- Kappa is undefined when chance agreement is certain (p_e = 1). With linear weights that
  happens only when every audit sits in one cell of the diagonal: auditors and moderators used
  one and the same grade throughout. Agreement is then 100%, but there is no spread of grades
  to show that it is better than chance, so kappa (and its interval) is None with a reason
  rather than a flattering 1.0.
- The reading follows Landis and Koch (1977), "The measurement of observer agreement for
  categorical data", Biometrics 33(1), 159-174: below 0 poor, up to 0.20 slight, up to 0.40
  fair, up to 0.60 moderate, up to 0.80 substantial, above 0.80 almost perfect (each upper
  bound inclusive).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

GRADES = ("outstanding", "good", "requires_improvement", "inadequate")  # best first: the rows and columns
GRADE_LABELS = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires Improvement",
    "inadequate": "Inadequate",
}
K = len(GRADES)
Z_95 = NormalDist().inv_cdf(0.975)  # 1.959964...
# Below this many compared audits the page and the exports warn that the figures say little: with
# fewer than 20 pairs kappa's standard error is rarely below 0.15, so its 95% interval spans more
# than two of the Landis and Koch bands, and the large-sample formula itself is unreliable.
SMALL_SAMPLE = 20

Matrix = dict[str, dict[str, int]]

# Landis and Koch's bands: (inclusive upper bound, name).
BANDS = (
    (Fraction(1, 5), "slight"),
    (Fraction(2, 5), "fair"),
    (Fraction(3, 5), "moderate"),
    (Fraction(4, 5), "substantial"),
)
NO_DECISIONS = "No moderated audits with an auditor's grade in this period: there is nothing to compare."
ONE_GRADE_ONLY = (
    "Kappa cannot be worked out: the auditors and the moderators gave every audit the same one grade, "
    "so agreement cannot be told apart from chance."
)


def weight(i: int, j: int) -> Fraction:
    """The linear weight of a row-i, column-j cell: 1 on the diagonal, 0 three grades apart."""
    return 1 - Fraction(abs(i - j), K - 1)


def empty_matrix() -> Matrix:
    return {original: dict.fromkeys(GRADES, 0) for original in GRADES}


def matrix_from_cells(cells: Iterable[tuple[str, str, int]]) -> Matrix:
    """A table from (auditor's grade, moderated grade, count) triples; a pair may come more than once."""
    matrix = empty_matrix()
    for original, moderated, count in cells:
        if original not in matrix or moderated not in matrix:
            raise ValueError(f"not a grade: {original!r} or {moderated!r}")
        matrix[original][moderated] += count
    return matrix


def matrix_from_pairs(pairs: Iterable[tuple[str, str]]) -> Matrix:
    return matrix_from_cells((original, moderated, 1) for original, moderated in pairs)


def matrix_from_rows(rows: Iterable[Iterable[int]]) -> Matrix:
    """A table written as four rows of four counts (auditor's grade down, moderated grade across)."""
    rows = [list(row) for row in rows]
    if len(rows) != K or any(len(row) != K for row in rows):
        raise ValueError("a matrix is four rows of four counts")
    return {original: dict(zip(GRADES, row, strict=True)) for original, row in zip(GRADES, rows, strict=True)}


def _cells(matrix: Mapping[str, Mapping[str, int]]) -> list[tuple[int, int, int]]:
    return [
        (i, j, matrix[original][moderated]) for i, original in enumerate(GRADES) for j, moderated in enumerate(GRADES)
    ]


def total(matrix: Matrix) -> int:
    return sum(count for _, _, count in _cells(matrix))


def original_counts(matrix: Matrix) -> dict[str, int]:
    """The auditors' grades: the row totals."""
    return {original: sum(matrix[original].values()) for original in GRADES}


def moderated_counts(matrix: Matrix) -> dict[str, int]:
    """The moderated grades: the column totals."""
    return {moderated: sum(matrix[original][moderated] for original in GRADES) for moderated in GRADES}


def upgraded(matrix: Matrix) -> int:
    """Audits whose moderated grade is better than the auditor's (left of the diagonal)."""
    return sum(count for i, j, count in _cells(matrix) if j < i)


def downgraded(matrix: Matrix) -> int:
    """Audits whose moderated grade is worse than the auditor's (right of the diagonal)."""
    return sum(count for i, j, count in _cells(matrix) if j > i)


def unchanged(matrix: Matrix) -> int:
    return sum(count for i, j, count in _cells(matrix) if i == j)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100 * part / whole


def exact_agreement_pct(matrix: Matrix) -> float | None:
    """Percentage of audits whose grade moderation left as it was; None when there are none."""
    return _share(unchanged(matrix), total(matrix))


def within_one_pct(matrix: Matrix) -> float | None:
    """Percentage of audits whose two grades are at most one grade apart; None when there are none."""
    return _share(sum(count for i, j, count in _cells(matrix) if abs(i - j) <= 1), total(matrix))


def changed_pct(matrix: Matrix) -> float | None:
    """Percentage of audits moderated up or down."""
    return _share(upgraded(matrix) + downgraded(matrix), total(matrix))


@dataclass(frozen=True)
class Kappa:
    """Linear-weighted kappa with its large-sample standard error and 95% interval.

    `value`, `standard_error` and `ci95` are None when kappa cannot be computed; `reason` says why.
    """

    value: float | None
    standard_error: float | None
    ci95: tuple[float, float] | None
    reason: str = ""
    observed: Fraction | None = None  # p_o, exact
    expected: Fraction | None = None  # p_e, exact
    exact: Fraction | None = None  # kappa_w, exact


def weighted_kappa(matrix: Matrix) -> Kappa:
    n = total(matrix)
    if n == 0:
        return Kappa(None, None, None, NO_DECISIONS)
    cells = [(i, j, Fraction(count, n)) for i, j, count in _cells(matrix)]
    rows = [sum(p for i, _, p in cells if i == row) for row in range(K)]
    columns = [sum(p for _, j, p in cells if j == column) for column in range(K)]
    observed = sum(weight(i, j) * p for i, j, p in cells)
    expected = sum(weight(i, j) * rows[i] * columns[j] for i in range(K) for j in range(K))
    if expected == 1:
        return Kappa(None, None, None, ONE_GRADE_ONLY, observed=observed, expected=expected)
    kappa = (observed - expected) / (1 - expected)

    # Fleiss, Cohen and Everitt (1969): the large-sample variance of weighted kappa.
    row_mean = [sum(columns[j] * weight(i, j) for j in range(K)) for i in range(K)]  # wbar_i.
    column_mean = [sum(rows[i] * weight(i, j) for i in range(K)) for j in range(K)]  # wbar_.j
    spread = sum(
        p * (weight(i, j) * (1 - expected) - (row_mean[i] + column_mean[j]) * (1 - observed)) ** 2 for i, j, p in cells
    )
    variance = (spread - (observed * expected - 2 * expected + observed) ** 2) / (n * (1 - expected) ** 4)
    standard_error = math.sqrt(max(float(variance), 0.0))  # exact arithmetic: never below 0, but be sure
    value = float(kappa)
    low = max(-1.0, value - Z_95 * standard_error)
    high = min(1.0, value + Z_95 * standard_error)
    return Kappa(value, standard_error, (low, high), observed=observed, expected=expected, exact=kappa)


def band(kappa: Fraction | float) -> str:
    """Landis and Koch's word for a kappa (exact when given a Fraction: 1/5 is "slight", not "fair")."""
    exact = kappa if isinstance(kappa, Fraction) else Fraction(kappa).limit_denominator(10**9)
    if exact < 0:
        return "poor"
    for upper, name in BANDS:
        if exact <= upper:
            return name
    return "almost perfect"


def reading(kappa: Kappa) -> str:
    """Kappa in plain words, or why there is none."""
    if kappa.value is None:
        return kappa.reason
    name = band(kappa.exact if kappa.exact is not None else kappa.value)
    if name == "poor":
        return (
            "Poor agreement: moderators and auditors agreed less often than chance alone would give "
            "(Landis and Koch's bands)."
        )
    return (
        f"{name.capitalize()} agreement beyond chance between the auditors' grades and the moderated grades "
        "(Landis and Koch's bands)."
    )


def small_sample_warning(n: int) -> str | None:
    """A warning when too few audits were compared for the figures to say much; None when there are enough."""
    if n == 0:
        return NO_DECISIONS
    if n < SMALL_SAMPLE:
        return (
            f"Only {n} moderated audit{'s' if n != 1 else ''} to compare (fewer than {SMALL_SAMPLE}): "
            "too few to say much. Read the percentages and kappa with care; its confidence interval is wide."
        )
    return None


@dataclass(frozen=True)
class Agreement:
    """Everything the outcomes show, worked out from one table."""

    matrix: Matrix
    total: int
    original: dict[str, int]
    moderated: dict[str, int]
    exact_agreement_pct: float | None
    within_one_pct: float | None
    upgraded: int
    downgraded: int
    unchanged: int
    kappa: Kappa
    reading: str
    small_sample_warning: str | None


def agreement(matrix: Matrix) -> Agreement:
    kappa = weighted_kappa(matrix)
    n = total(matrix)
    return Agreement(
        matrix=matrix,
        total=n,
        original=original_counts(matrix),
        moderated=moderated_counts(matrix),
        exact_agreement_pct=exact_agreement_pct(matrix),
        within_one_pct=within_one_pct(matrix),
        upgraded=upgraded(matrix),
        downgraded=downgraded(matrix),
        unchanged=unchanged(matrix),
        kappa=kappa,
        reading=reading(kappa),
        small_sample_warning=small_sample_warning(n),
    )
