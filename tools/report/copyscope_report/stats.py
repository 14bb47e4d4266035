"""Statistics over repetitions: mean, CI of the mean, Welch's t-test.

Pure Python (no SciPy): the Student t distribution comes from the
regularized incomplete beta function (continued fraction, as in Numerical
Recipes), which is all a t-test and a t quantile need.

    s = summarize([9.8, 10.1, 10.0])
    s.mean, s.ci_low, s.ci_high      # CI is None with one value
    welch([1, 2, 3], [4, 5, 6]).p    # two-sided p-value, None if untestable
"""

import dataclasses
import math
from typing import Optional, Sequence

ALPHA = 0.05  # significance level used throughout the report


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b), 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) +
                a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(ln_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(ln_front) * _betacf(b, a, 1.0 - x) / b


def t_sf2(t: float, df: float) -> float:
    """Two-sided tail probability P(|T| >= |t|) of Student's t with df > 0."""
    if math.isinf(t):
        return 0.0
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(p: float, df: float) -> float:
    """The p-quantile (0.5 < p < 1) of Student's t, by bisection."""
    if not 0.5 < p < 1.0:
        raise ValueError("t_quantile wants 0.5 < p < 1")
    tail = 2.0 * (1.0 - p)
    lo, hi = 0.0, 1.0
    while t_sf2(hi, df) > tail:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_sf2(mid, df) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


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
    mid = n // 2
    median = v[mid] if n % 2 else (v[mid - 1] + v[mid]) / 2.0
    if n < 2:
        return Summary(n, mean, median, v[0], v[-1], None, None, None)
    sd = math.sqrt(math.fsum((x - mean)**2 for x in v) / (n - 1))
    half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    return Summary(n, mean, median, v[0], v[-1], sd, mean - half, mean + half)


@dataclasses.dataclass(frozen=True)
class TTest:
    """Welch's unequal-variance t-test of mean(b) - mean(a)."""
    t: Optional[float]
    df: Optional[float]
    p: Optional[float]  # two-sided; None when a side has fewer than 2 values
    reason: str = ""  # why p is None

    def significant(self, alpha: float = ALPHA) -> bool:
        return self.p is not None and self.p < alpha


NOT_ENOUGH_REPS = "not enough repetitions to test"


def welch(a: Sequence[float], b: Sequence[float]) -> TTest:
    """Welch's t-test; untestable (p None) with fewer than 2 values a side."""
    if len(a) < 2 or len(b) < 2:
        return TTest(None, None, None, NOT_ENOUGH_REPS)
    sa, sb = summarize(a), summarize(b)
    va, vb = sa.stddev**2 / sa.n, sb.stddev**2 / sb.n
    diff = sb.mean - sa.mean
    if va + vb == 0.0:
        # No spread on either side: the means are exact.
        if diff == 0.0:
            return TTest(0.0, None, 1.0)
        return TTest(math.copysign(math.inf, diff), None, 0.0)
    t = diff / math.sqrt(va + vb)
    df = (va + vb)**2 / ((va**2 / (sa.n - 1) if va else 0.0) +
                         (vb**2 / (sb.n - 1) if vb else 0.0))
    return TTest(t, df, t_sf2(t, df))


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
