"""Confidence intervals over replications: one policy's mean, and paired differences.

Replications are independent and identically distributed, so the Student-t
interval applies (Law 2015, *Simulation Modeling and Analysis*, §4.5 and §10.2).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = [
    "Difference",
    "Interval",
    "paired_difference",
    "replications_to_resolve",
    "summarize",
    "summarize_each",
    "t_quantile",
]


@functools.lru_cache(maxsize=512)
def t_quantile(p: float, df: float) -> float:
    """The ``p``-quantile of Student's t with ``df`` degrees of freedom (``scipy.special.stdtrit``;
    remembered for the last few hundred pairs: a catalog asks for the same few thousands of times)."""
    return float(special.stdtrit(df, p))


SMALL_SAMPLE = 64
"""Up to this many values :func:`summarize` sums in plain Python (:func:`_sum`, at most 128), above
it with NumPy."""


def _sum(x: Sequence[float]) -> float:
    """x[0] + … + x[n − 1] (n ≤ 128) added in NumPy's order, so the same bits as ``numpy.add.reduce``
    of a contiguous float64 array: below 8 values one after the other; from 8 to 128 (NumPy's
    pairwise block) in eight interleaved partial sums combined as ((r₀+r₁)+(r₂+r₃))+((r₄+r₅)+(r₆+r₇)),
    then the rest one after the other. Before the reduction's 0.0 is added (which makes a sum of
    −0.0s +0.0, as NumPy's). NumPy splits longer arrays in halves: not done here (n ≤ 128)."""
    n = len(x)
    if n < 8:
        total = 0.0
        for v in x:
            total += v
        return total
    if n > 128:
        raise ValueError(f"_sum adds at most 128 values, not {n}")
    r0, r1, r2, r3, r4, r5, r6, r7 = x[:8]
    whole = n - n % 8
    i = 8
    while i < whole:
        r0 += x[i]
        r1 += x[i + 1]
        r2 += x[i + 2]
        r3 += x[i + 3]
        r4 += x[i + 4]
        r5 += x[i + 5]
        r6 += x[i + 6]
        r7 += x[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        total += x[i]
        i += 1
    return total


def _mean_sd(x: list[float]) -> tuple[float, float]:
    """``(x.mean(), x.std(ddof=1))`` of NumPy for a float64 array of ``x`` (2 values at least), to
    the last bit: mean = Σx/n, sd = √(Σ(x − mean)²/(n − 1)) with NumPy's sums (:func:`_sum`)."""
    n = len(x)
    mean = (0.0 + _sum(x)) / n
    squares = [(v - mean) * (v - mean) for v in x]
    return mean, math.sqrt((0.0 + _sum(squares)) / (n - 1))


@dataclass(frozen=True)
class Interval:
    """Mean, standard deviation and 95% Student-t half-width over n replications."""

    mean: float
    sd: float
    ci95_half_width: float
    n: int


@dataclass(frozen=True)
class Difference:
    """Paired difference policy − baseline with its 95% t-interval."""

    diff: float
    ci95_low: float
    ci95_high: float
    n: int

    @property
    def significant(self) -> bool:
        """True when the interval excludes 0."""
        return self.ci95_low > 0 or self.ci95_high < 0

    @property
    def sd(self) -> float:
        """Standard deviation of the paired differences, from the half-width h = t_{0.975, n−1}·s/√n."""
        if self.n < 2:
            return math.nan
        return (self.ci95_high - self.ci95_low) / 2 * math.sqrt(self.n) / t_quantile(0.975, self.n - 1)

    def replications_to_resolve(self) -> int | None:
        """About how many replications would make this interval exclude 0 (:func:`replications_to_resolve`)."""
        return replications_to_resolve(self.diff, self.sd, at_least=self.n)


def summarize(values: Sequence[float]) -> Interval:
    """Mean, sd (n−1) and t-interval half-width t_{0.975,n−1}·sd/√n of the finite values.

    Law (2015), *Simulation Modeling and Analysis*, eq. (4.12).
    """
    x = [float(v) for v in values if math.isfinite(v)]
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    if n == 1:
        return Interval(0.0 + x[0], math.nan, math.nan, 1)
    if n <= SMALL_SAMPLE:
        mean, sd = _mean_sd(x)
    else:
        a = np.asarray(x, dtype=float)
        mean, sd = float(a.mean()), float(a.std(ddof=1))
    hw = float(t_quantile(0.975, n - 1) * sd / math.sqrt(n))
    return Interval(mean, sd, hw, n)


def summarize_each(series: Sequence[Sequence[float]]) -> list[Interval]:
    """:func:`summarize` of each of several series of one length, bitwise the same numbers, at a
    fraction of the cost for many short series (one array: each series is a contiguous row,
    whose mean and standard deviation NumPy sums exactly as for the series alone). A series
    holding a non-finite value goes through :func:`summarize` itself."""
    if not series:
        return []
    x = np.asarray(series, dtype=float)
    n = x.shape[1] if x.ndim == 2 else 0
    if x.ndim != 2 or n < 2:
        return [summarize(s) for s in series]
    means = x.mean(axis=1)
    sds = x.std(axis=1, ddof=1)
    finite = np.isfinite(x).all(axis=1)
    t = t_quantile(0.975, n - 1)
    root = math.sqrt(n)
    out = []
    for i, s in enumerate(series):
        if not finite[i]:
            out.append(summarize(s))
            continue
        sd = float(sds[i])
        out.append(Interval(float(means[i]), sd, float(t * sd / root), n))
    return out


def paired_difference(policy: Sequence[float], baseline: Sequence[float]) -> Difference:
    """Paired-t interval for E[policy − baseline] (Law 2015, §10.2.1), over replications where both are finite."""
    d = [a - b for a, b in zip(policy, baseline, strict=True) if math.isfinite(a) and math.isfinite(b)]
    s = summarize(d)
    return Difference(s.mean, s.mean - s.ci95_half_width, s.mean + s.ci95_half_width, s.n)


def replications_to_resolve(diff: float, sd: float, *, level: float = 0.95, at_least: int = 2) -> int | None:
    """About how many replications a paired comparison needs before its interval excludes 0.

    The smallest n ≥ ``at_least`` (and ≥ 2) whose two-sided ``level`` half-width
    t_{1−α/2, n−1}·s/√n is at most |d|, taking the observed paired difference d = ``diff``
    and the standard deviation s = ``sd`` of the paired differences as if they were the
    true values. This is the number of replications needed for an absolute precision
    β = |d| (Law 2015, *Simulation Modeling and Analysis*, §9.4.1:
    n*_a(β) = min{i ≥ n : t_{i−1, 1−α/2} · √(S²(n)/i) ≤ β}), so it is an estimate: s is
    itself estimated, and a true difference smaller than the observed one needs more.

    Returns None when no finite number would do: d = 0, or d or s undefined. With s = 0
    and d ≠ 0 the interval already excludes 0, and the answer is ``max(2, at_least)``.
    """
    if not (math.isfinite(diff) and math.isfinite(sd)) or diff == 0:
        return None
    beta, s, lo = abs(diff), abs(sd), max(2, at_least)
    alpha = 1 - level

    def enough(n: int) -> bool:
        return t_quantile(1 - alpha / 2, n - 1) * s / math.sqrt(n) <= beta

    if enough(lo):
        return lo
    hi = lo
    while not enough(hi):  # the half-width decreases in n: double, then bisect
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid
    return hi
