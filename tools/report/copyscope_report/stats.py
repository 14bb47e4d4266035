"""Statistics over repetitions: mean, CI of the mean, Welch's t-test.

The distributions come from SciPy (Debian's python3-scipy).

    s = summarize([9.8, 10.1, 10.0])
    s.mean, s.ci_low, s.ci_high      # CI is None with one value
    welch([1, 2, 3], [4, 5, 6]).p    # two-sided p-value, None if untestable
"""

import dataclasses
import math
from typing import Optional, Sequence

import scipy.stats

ALPHA = 0.05  # significance level used throughout the report


def t_sf2(t: float, df: float) -> float:
    """Two-sided tail probability P(|T| >= |t|) of Student's t with df > 0."""
    return float(2.0 * scipy.stats.t.sf(abs(t), df))


def t_quantile(p: float, df: float) -> float:
    """The p-quantile (0.5 < p < 1) of Student's t."""
    if not 0.5 < p < 1.0:
        raise ValueError("t_quantile wants 0.5 < p < 1")
    return float(scipy.stats.t.ppf(p, df))


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
