"""Statistics over repetitions: summaries, rank tests, the noise floor.

Summaries give the mean with its 95% CI (Student t), for the figures.
Comparisons are rank tests: Mann-Whitney U (SciPy) with the Hodges-Lehmann
shift and its distribution-free confidence interval, which assume nothing
of the shape of the distribution (repetitions of a benchmark are often
skewed, with an outlier). The noise floor of a run is the median of its
cells' relative MAD.

    s = summarize([9.8, 10.1, 10.0])
    s.mean, s.ci_low, s.ci_high      # CI is None with one value
    r = mann_whitney(a, b)           # b against a
    r.p, r.shift, r.ci_low, r.ci_high  # None (r.reason) if untestable
"""

import dataclasses
import math
import warnings
from typing import Iterable, List, Optional, Sequence

import scipy.stats

ALPHA = 0.05  # significance level used throughout the report


def t_quantile(p: float, df: float) -> float:
    """The p-quantile (0.5 < p < 1) of Student's t."""
    if not 0.5 < p < 1.0:
        raise ValueError("t_quantile wants 0.5 < p < 1")
    return float(scipy.stats.t.ppf(p, df))


def _median_sorted(v: Sequence[float]) -> float:
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2.0


def median(values: Sequence[float]) -> float:
    return _median_sorted(sorted(values))


@dataclasses.dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    median: float
    min: float
    max: float
    stddev: Optional[float]  # sample (n-1); None when n < 2
    ci_low: Optional[float]  # 95% CI of the mean (Student t); None when n < 2
    ci_high: Optional[float]

    @property
    def cv(self) -> Optional[float]:
        if self.stddev is None or self.mean == 0:
            return None
        return self.stddev / abs(self.mean)


def summarize(values: Sequence[float]) -> Summary:
    """Summary of values (not empty)."""
    v = sorted(float(x) for x in values)
    if not v:
        raise ValueError("summarize of no values")
    n = len(v)
    mean = math.fsum(v) / n
    med = _median_sorted(v)
    if n < 2:
        return Summary(n, mean, med, v[0], v[-1], None, None, None)
    sd = math.sqrt(math.fsum((x - mean)**2 for x in v) / (n - 1))
    half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    return Summary(n, mean, med, v[0], v[-1], sd, mean - half, mean + half)


NOT_ENOUGH_REPS = "not enough repetitions to test"
# The most extreme arrangement of m + n distinct values has the two-sided
# probability 2 / C(m + n, m), so a rank test of fewer repetitions can never
# reach p < ALPHA: 4 a side (2/70) is the least that can.
MIN_REPS_HINT = 4
_EXACT_MAX_PAIRS = 2500  # exact U distribution up to m*n pairs, normal above


def rank_testable(m: int, n: int, alpha: float = ALPHA) -> bool:
    """Whether m against n values can reach p < alpha in a rank test."""
    return m > 0 and n > 0 and 2.0 / math.comb(m + n, m) < alpha


def u_counts(m: int, n: int) -> List[int]:
    """How many of the C(m+n, m) arrangements of distinct values give the
    Mann-Whitney U = 0, 1, ..., m*n: the coefficients of the Gaussian
    binomial [m+n, m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)."""
    m, n = min(m, n), max(m, n)  # the same polynomial, fewer steps
    c = [1] + [0] * (m * n + m)
    for i in range(1, m + 1):
        for u in range(len(c) - 1, n + i - 1, -1):  # times (1 - q^(n+i))
            c[u] -= c[u - n - i]
        for u in range(i, len(c)):  # over (1 - q^i): exact division
            c[u] += c[u - i]
    return c[:m * n + 1]


def _lower_rank(m: int, n: int, alpha: float) -> int:
    """k >= 1, the 1-based rank of the lower end of the shift's CI among the
    sorted m*n pairwise differences: the largest k with P(U <= k-1) <=
    alpha/2 under no shift (exact up to _EXACT_MAX_PAIRS pairs, the normal
    approximation above); 0 when even k = 1 does not qualify."""
    if m * n <= _EXACT_MAX_PAIRS:
        counts, total = u_counts(m, n), math.comb(m + n, m)
        k, cum = 0, 0
        while k < len(counts) and 2 * (cum + counts[k]) <= alpha * total:
            cum += counts[k]
            k += 1
        return k
    z = float(scipy.stats.norm.ppf(1.0 - alpha / 2.0))
    k = math.floor(m * n / 2.0 - z * math.sqrt(m * n * (m + n + 1) / 12.0))
    return max(k, 0)


@dataclasses.dataclass(frozen=True)
class RankTest:
    """Mann-Whitney U test of b against a, with the Hodges-Lehmann shift.

    shift is the median of the m*n pairwise differences b_j - a_i (how far
    b lies above a, in the values' unit); [ci_low, ci_high] is its
    distribution-free confidence interval at 1 - alpha: the k-th smallest
    and k-th largest of those differences, k from the U distribution (see
    _lower_rank). With too few values a side (rank_testable), p, shift and
    the interval are None and reason says why: never a p-value the test
    cannot give.
    """
    n_a: int
    n_b: int
    p: Optional[float]  # two-sided
    shift: Optional[float]
    ci_low: Optional[float]
    ci_high: Optional[float]
    reason: str = ""  # why p is None

    def significant(self, alpha: float = ALPHA) -> bool:
        return self.p is not None and self.p < alpha


def hodges_lehmann(a: Sequence[float], b: Sequence[float],
                   alpha: float = ALPHA):
    """(shift, ci_low, ci_high) of b against a; the bounds are None when
    m*n pairs cannot give a 1 - alpha interval."""
    d = sorted(y - x for y in b for x in a)
    if not d:
        raise ValueError("hodges_lehmann of no values")
    shift = _median_sorted(d)
    k = _lower_rank(len(a), len(b), alpha)
    if k < 1:
        return shift, None, None
    return shift, d[k - 1], d[len(d) - k]


def mann_whitney(a: Sequence[float],
                 b: Sequence[float],
                 alpha: float = ALPHA) -> RankTest:
    """The rank test of b against a (see RankTest)."""
    m, n = len(a), len(b)
    if not rank_testable(m, n, alpha):
        return RankTest(
            m, n, None, None, None, None,
            f"{NOT_ENOUGH_REPS} ({m} against {n} cannot reach p < {alpha:g} "
            f"in a rank test; {MIN_REPS_HINT} a side can)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = float(
            scipy.stats.mannwhitneyu(b, a, alternative="two-sided").pvalue)
    if not math.isfinite(p):  # no spread at all: every value tied
        p = 1.0
    shift, lo, hi = hodges_lehmann(a, b, alpha)
    return RankTest(m, n, min(p, 1.0), shift, lo, hi)


@dataclasses.dataclass(frozen=True)
class Difference:
    """b against a: the rank test, its shift and CI relative to a's median
    (fractions: -0.1 = 10% lower), and whether it is a difference at all."""
    test: RankTest
    rel: Optional[float]  # None when untestable or a's median is 0
    rel_low: Optional[float]
    rel_high: Optional[float]
    # +1 b meaningfully higher, -1 lower; 0 not significant, or significant
    # but within the noise floor (within_noise); None untestable.
    sign: Optional[int]
    within_noise: bool = False


def difference(a: Sequence[float],
               b: Sequence[float],
               floor: Optional[float] = None) -> Difference:
    """b against a (see Difference); floor is the noise floor, a fraction."""
    r = mann_whitney(a, b)
    if r.p is None:
        return Difference(r, None, None, None, None)
    med = median(a)
    rel = lo = hi = None
    if med != 0:
        rel, lo, hi = (x / abs(med) for x in (r.shift, r.ci_low, r.ci_high))
    if not r.significant():
        return Difference(r, rel, lo, hi, 0)
    if r.shift == 0 or (floor is not None and rel is not None and
                        abs(rel) < floor):
        return Difference(r, rel, lo, hi, 0, True)
    return Difference(r, rel, lo, hi, 1 if r.shift > 0 else -1)


def relative_mad(values: Sequence[float]) -> Optional[float]:
    """Median absolute deviation from the median, over |median|: the spread
    of repetitions, robust to one outlier. None with fewer than 2 values or
    a zero median."""
    if len(values) < 2:
        return None
    med = median(values)
    if med == 0:
        return None
    return median([abs(x - med) for x in values]) / abs(med)


def noise_floor(groups: Iterable[Sequence[float]]) -> Optional[float]:
    """The median over groups (a run's cells) of their relative MAD: how
    far a cell's repetitions typically lie from their median. None when no
    group has two values."""
    spreads = [r for r in (relative_mad(g) for g in groups) if r is not None]
    return median(spreads) if spreads else None


def ratio_ci(num: Summary, den: Summary):
    """num.mean/den.mean with a first-order (delta method) 95% interval.

  Returns (ratio, low, high); low/high are None when either side has no CI
  or den.mean is 0.
  """
    if den.mean == 0:
        return None, None, None
    r = num.mean / den.mean
    if num.ci_low is None or den.ci_low is None or num.mean == 0:
        return r, None, None
    rel_n = (num.ci_high - num.mean) / abs(num.mean)
    rel_d = (den.ci_high - den.mean) / abs(den.mean)
    half = abs(r) * math.sqrt(rel_n**2 + rel_d**2)
    return r, r - half, r + half
