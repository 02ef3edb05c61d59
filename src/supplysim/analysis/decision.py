"""The decision for one product: the best feasible policy, its gain over the baseline, and
whether the runner-up can be told apart from it (``docs/catalog.md``, "The decision").

Pure functions of the per-replication objective values of each policy (the policies share
their random numbers, so differences are paired: Law 2015, §10.2.1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from supplysim.analysis.intervals import paired_difference, replications_to_resolve, summarize

__all__ = ["Decision", "Gap", "Limit", "decide", "gap", "shortfall"]


class Limit(Protocol):
    """A constraint on a policy's mean, ``kpi >= bound`` or ``kpi <= bound``
    (:class:`~supplysim.experiments.optimize.Constraint` is one)."""

    @property
    def kpi(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def bound(self) -> float: ...
    def holds(self, value: float) -> bool: ...


def shortfall(limit: Limit, mean: float) -> float:
    """How far ``mean`` misses ``limit`` (0 when it holds; ∞ when undefined)."""
    if not math.isfinite(mean):
        return math.inf
    return max(0.0, limit.bound - mean) if limit.op == ">=" else max(0.0, mean - limit.bound)


@dataclass(frozen=True)
class Gap:
    """A paired difference in the objective, signed so that positive is better (a gain)."""

    diff: float
    ci95_low: float
    ci95_high: float
    sd: float
    """Standard deviation of the signed paired differences (n − 1)."""
    n: int

    @property
    def var_mean(self) -> float:
        """Variance of the mean difference, sd²/n (0 for identical series)."""
        return self.sd**2 / self.n if self.n > 1 and math.isfinite(self.sd) else math.nan

    @property
    def contains_zero(self) -> bool:
        """True when the 95% interval contains 0 (or is undefined)."""
        return not (self.ci95_low > 0 or self.ci95_high < 0)

    def needed(self) -> int | None:
        """About how many replications would make the interval exclude 0 (Law 2015, §9.4.1)."""
        return replications_to_resolve(self.diff, self.sd, at_least=self.n)


def gap(better: Sequence[float], worse: Sequence[float], sign: int) -> Gap:
    """``sign`` · (better − worse), paired over the replications where both are finite."""
    d = paired_difference(better, worse)
    s = summarize([sign * (a - b) for a, b in zip(better, worse, strict=True) if math.isfinite(a - b)])
    low, high = sorted((sign * d.ci95_low, sign * d.ci95_high))
    return Gap(sign * d.diff, low, high, s.sd if s.n > 1 else math.nan, d.n)


@dataclass(frozen=True)
class Decision:
    """The best feasible policy of one product, and how sure the choice is."""

    best: str | None
    """The best feasible policy; None when no policy meets the constraints."""
    chosen: str
    """The policy the portfolio counts for this product: ``best``, or the baseline when infeasible."""
    baseline: str
    objective: float
    """Mean objective of ``best`` (NaN when infeasible)."""
    vs_baseline: Gap
    runner_up: str | None
    vs_runner_up: Gap | None
    missed: tuple[str, ...] = ()
    """When infeasible: the constraints the closest policy misses, and that policy (``closest``)."""
    closest: str | None = None

    @property
    def tied(self) -> bool:
        """True when the best–runner-up interval contains 0."""
        return self.vs_runner_up is not None and self.vs_runner_up.contains_zero

    @property
    def feasible(self) -> bool:
        return self.best is not None


def decide(
    objective: Mapping[str, Sequence[float]],
    sign: int,
    constraints: Mapping[str, Mapping[str, float]] | None = None,
    bounds: Sequence[Limit] = (),
) -> Decision:
    """The decision for one product.

    Args:
        objective: policy → objective value per replication (same replication indices for
            every policy); the first policy is the baseline.
        sign: +1 when higher is better, −1 when lower is better.
        constraints: policy → constraint indicator → its mean.
        bounds: the constraints.

    The best policy is the feasible one with the best mean (a tie of means goes to the
    policy listed first); the runner-up is the next feasible one.
    """
    policies = list(objective)
    baseline = policies[0]
    means = {p: summarize(objective[p]).mean for p in policies}
    constraints = constraints or {}

    def feasible(p: str) -> bool:
        return all(b.holds(constraints.get(p, {}).get(b.kpi, math.nan)) for b in bounds)

    def key(p: str) -> tuple[float, int]:
        m = means[p]
        return (-sign * m if math.isfinite(m) else math.inf, policies.index(p))

    ranked = sorted((p for p in policies if feasible(p)), key=key)
    if not ranked:
        closest = min(
            policies,
            key=lambda p: (sum(shortfall(b, constraints.get(p, {}).get(b.kpi, math.nan)) for b in bounds), key(p)),
        )
        missed = tuple(str(b) for b in bounds if not b.holds(constraints.get(closest, {}).get(b.kpi, math.nan)))
        zero = gap(objective[baseline], objective[baseline], sign)
        return Decision(None, baseline, baseline, math.nan, zero, None, None, missed, closest)
    best = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    return Decision(
        best,
        best,
        baseline,
        means[best],
        gap(objective[best], objective[baseline], sign),
        runner,
        gap(objective[best], objective[runner], sign) if runner is not None else None,
    )
