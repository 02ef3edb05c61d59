"""Precision targets: add replications until every selected indicator is known well enough.

A sequential procedure (Law 2015, §9.4.1): after each batch the largest relative 95%
half-width over the selected indicators and policies is compared with the target;
the next batch aims at the replications the target needs (half-width ∝ t/√n), at most
doubling per batch because the estimate is rough while n is small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.intervals import t_quantile

__all__ = ["Precision", "precision_needed"]


@dataclass(frozen=True)
class Precision:
    """How a ``--precision`` run ended."""

    target: float
    """Relative 95% half-width asked for (e.g. 0.01 = ±1% of the mean)."""
    kpis: tuple[str, ...]
    replications: int
    """Replications used in the end."""
    achieved: float
    """Largest relative half-width over the selected indicators and all policies."""
    reached: bool
    """False when the maximum number of replications stopped the run first."""
    maximum: int

    def describe(self) -> str:
        """One sentence for people."""
        what = ", ".join(self.kpis)
        if self.reached:
            return (
                f"precision reached: every policy's {what} is known to ±{self.achieved:.2%} (target "
                f"±{self.target:.2%}) after {self.replications} replications"
            )
        return (
            f"precision NOT reached: ±{self.achieved:.2%} for {what} after the maximum of {self.maximum} "
            f"replications (target ±{self.target:.2%}); raise --max-replications or relax --precision"
        )


def precision_needed(exp: Experiment, kpis: Sequence[str], target: float) -> tuple[float, int]:
    """Largest relative half-width, and the replications that would bring it to ``target``
    (half-width ∝ t/√n; the t quantile of the current n is replaced by the normal one, so a
    small first batch does not inflate the estimate; Law 2015, eq. 9.2)."""
    worst = 0.0
    needed = 0
    for policy in exp.scenario.policies:
        for kpi in kpis:
            s = exp.summary(policy, kpi)
            if s.n < 2 or not math.isfinite(s.ci95_half_width):
                continue
            if s.ci95_half_width == 0:
                continue
            rel = s.ci95_half_width / abs(s.mean) if s.mean else math.inf
            worst = max(worst, rel)
            if math.isfinite(rel):
                shrink = 1.96 / t_quantile(0.975, s.n - 1)
                needed = max(needed, math.ceil(s.n * (rel * shrink / target) ** 2))
            else:
                needed = max(needed, 2 * s.n)
    return worst, needed
