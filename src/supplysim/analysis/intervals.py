"""Confidence intervals over replications: one policy's mean, and paired differences.

Replications are independent and identically distributed, so the Student-t
interval applies (Law 2015, *Simulation Modeling and Analysis*, §4.5 and §10.2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["Difference", "Interval", "paired_difference", "summarize", "t_quantile"]


def t_quantile(p: float, df: float) -> float:
    """The ``p``-quantile of Student's t with ``df`` degrees of freedom (``scipy.special.stdtrit``)."""
    return float(special.stdtrit(df, p))


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


def summarize(values: Sequence[float]) -> Interval:
    """Mean, sd (n−1) and t-interval half-width t_{0.975,n−1}·sd/√n of the finite values.

    Law (2015), *Simulation Modeling and Analysis*, eq. (4.12).
    """
    x = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    sd = float(x.std(ddof=1))
    hw = float(t_quantile(0.975, n - 1) * sd / math.sqrt(n))
    return Interval(mean, sd, hw, n)


def paired_difference(policy: Sequence[float], baseline: Sequence[float]) -> Difference:
    """Paired-t interval for E[policy − baseline] (Law 2015, §10.2.1), over replications where both are finite."""
    d = [a - b for a, b in zip(policy, baseline, strict=True) if math.isfinite(a) and math.isfinite(b)]
    s = summarize(d)
    return Difference(s.mean, s.mean - s.ci95_half_width, s.mean + s.ci95_half_width, s.n)
