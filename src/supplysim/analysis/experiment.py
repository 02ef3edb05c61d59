"""An experiment's results as data: per-replication indicators of every policy, and their summaries.

Replication *i* of every policy uses the same named streams (see
:mod:`supplysim.sim.streams`), so differences between policies are paired.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from supplysim.analysis.indicators import kpi_names
from supplysim.analysis.intervals import Difference, Interval, paired_difference, summarize
from supplysim.analysis.samples import PolicySample
from supplysim.scenario import Scenario
from supplysim.scenario.hints import UnknownNameError, unknown_name
from supplysim.sim.trace import TraceRow

__all__ = ["Experiment"]


@dataclass(frozen=True)
class Experiment:
    """Per-replication indicators of every policy, and their summaries."""

    scenario: Scenario
    values: dict[str, list[dict[str, float]]]
    """policy → replication (in index order) → indicator → value."""
    first: int = 0
    """Index of the first replication in ``values``."""
    samples: dict[str, PolicySample] = field(default_factory=dict)
    """policy → the stock path and waits recorded in replication ``first`` (for the figures;
    empty when the run did not record them)."""
    traces: dict[str, list[TraceRow]] = field(default_factory=dict)
    """policy → every event of replication ``first`` (only when asked for)."""

    def extended(self, more: Experiment) -> Experiment:
        """This experiment followed by ``more`` (its replications must come right after)."""
        n = len(next(iter(self.values.values())))
        if more.first != self.first + n:
            raise ValueError(f"replications {more.first}… do not follow {self.first}…{self.first + n - 1}")
        values = {name: self.values[name] + more.values[name] for name in self.values}
        sc = self.scenario.model_copy(update={"replications": n + len(next(iter(more.values.values())))})
        return Experiment(sc, values, self.first, self.samples, self.traces)

    @property
    def baseline(self) -> str:
        return self.scenario.baseline

    @property
    def kpis(self) -> tuple[str, ...]:
        """The indicators reported for this scenario, in report order."""
        return kpi_names(self.scenario.policies.values())

    def series(self, policy: str, kpi: str) -> list[float]:
        """One indicator of one policy, over replications.

        Raises:
            UnknownNameError: ``policy`` or ``kpi`` is not one of this experiment (a
                ``KeyError`` whose message names the closest one).
        """
        rows = self.values.get(policy)
        if rows is None:
            raise UnknownNameError(unknown_name("a policy of this experiment", policy, self.values))
        try:
            return [row[kpi] for row in rows]
        except KeyError:
            raise UnknownNameError(unknown_name("an indicator of this scenario", kpi, self.kpis)) from None

    def summary(self, policy: str, kpi: str) -> Interval:
        return summarize(self.series(policy, kpi))

    def difference(self, policy: str, kpi: str) -> Difference:
        return paired_difference(self.series(policy, kpi), self.series(self.baseline, kpi))
