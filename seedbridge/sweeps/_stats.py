"""The statistics of a sweep and of a comparison, with the standard library only (docs/sweeps.md).

* Per metric: n, mean, sample standard deviation (n - 1), median, min, max, and the 95% Student t
  interval of the mean: mean ± t(0.975, n - 1) · sd / √n. Undefined (None) for n < 2.
* Two sweeps, paired (the same root and keys, matched by replicate): the paired t interval of the mean
  difference, t(0.975, m - 1) · sd(d) / √m over the m pairs.
* Two sweeps, unpaired: Welch's interval, with the Welch-Satterthwaite degrees of freedom.

No resampling, so nothing here draws random numbers: the same values always give the same report. Means
and variances are computed exactly (statistics.mean and stdev use rational arithmetic), then rounded once.
The t quantile comes from the regularized incomplete beta function (Numerical Recipes, 3rd ed., §6.4,
continued fraction by the modified Lentz method) inverted by bisection; tests check it against R's qt().
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CONFIDENCE", "Difference", "Summary", "difference", "summarize", "t_quantile"]

CONFIDENCE = 0.95
LARGER = "larger than seed noise"
WITHIN = "within seed noise"


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
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


def _betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p quantile of Student's t with ``df`` (> 0, not necessarily whole) degrees of freedom."""
    if not 0.0 < p < 1.0 or not df > 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, got p={p!r}, df={df!r}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    hi = 1.0
    while _t_cdf(hi, df) < p:
        hi *= 2.0
    lo = 0.0
    for _ in range(200):  # bisection: 200 halvings reach the last bit of a double
        mid = (lo + hi) / 2.0
        if mid in (lo, hi):
            break
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


@dataclass(frozen=True)
class Summary:
    """One metric over the replicates that have it."""

    n: int
    mean: float | None
    sd: float | None  # sample standard deviation; None for n < 2
    median: float | None
    min: float | None
    max: float | None
    ci95: tuple[float, float] | None  # Student t interval of the mean; None for n < 2

    def to_dict(self) -> dict[str, object]:
        return {"n": self.n, "mean": self.mean, "sd": self.sd, "median": self.median, "min": self.min,
                "max": self.max, "ci95": list(self.ci95) if self.ci95 else None}


def _t_interval(mean: float, se: float, df: float) -> tuple[float, float]:
    if se == 0.0:
        return (mean, mean)
    half = t_quantile(0.5 + CONFIDENCE / 2.0, df) * se
    return (mean - half, mean + half)


def summarize(values: Sequence[float]) -> Summary:
    """n, mean, sd, median, min, max and the 95% t interval of the mean of ``values``."""
    n = len(values)
    if n == 0:
        return Summary(0, None, None, None, None, None, None)
    mean = statistics.mean(values)
    if n < 2:
        return Summary(n, mean, None, values[0], values[0], values[0], None)
    sd = statistics.stdev(values)
    return Summary(n, mean, sd, statistics.median(values), min(values), max(values),
                   _t_interval(mean, sd / math.sqrt(n), n - 1))


@dataclass(frozen=True)
class Difference:
    """mean(A) - mean(B), with its 95% interval and the verdict."""

    paired: bool
    n_a: int
    n_b: int
    estimate: float | None
    ci95: tuple[float, float] | None
    df: float | None
    method: str

    @property
    def verdict(self) -> str:
        """``larger than seed noise`` when the interval excludes 0, ``within seed noise`` when it holds it."""
        if self.ci95 is None:
            return "undefined (at least 2 replicates per sweep are needed)" if not self.paired else \
                "undefined (at least 2 pairs are needed)"
        lo, hi = self.ci95
        return LARGER if lo > 0 or hi < 0 else WITHIN

    def to_dict(self) -> dict[str, object]:
        return {"paired": self.paired, "n_a": self.n_a, "n_b": self.n_b, "difference": self.estimate,
                "ci95": list(self.ci95) if self.ci95 else None, "df": self.df, "method": self.method,
                "verdict": self.verdict}


def difference(a: Sequence[float], b: Sequence[float], *, paired: bool) -> Difference:
    """mean(a) - mean(b): paired t over ``a[i] - b[i]`` when ``paired`` (equal lengths), else Welch."""
    if paired:
        if len(a) != len(b):
            raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
        d = [x - y for x, y in zip(a, b, strict=True)]
        s = summarize(d)
        df = float(len(d) - 1) if len(d) >= 2 else None
        return Difference(True, len(a), len(b), s.mean, s.ci95, df, "paired t")
    if not a or not b:
        return Difference(False, len(a), len(b), None, None, None, "Welch t")
    estimate = statistics.mean(a) - statistics.mean(b)
    if len(a) < 2 or len(b) < 2:
        return Difference(False, len(a), len(b), estimate, None, None, "Welch t")
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se = math.sqrt(va + vb)
    if se == 0.0:
        return Difference(False, len(a), len(b), estimate, (estimate, estimate), None, "Welch t")
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return Difference(False, len(a), len(b), estimate, _t_interval(estimate, se, df), df, "Welch t")
