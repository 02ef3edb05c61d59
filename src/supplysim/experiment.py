"""Experiments: every policy × every replication, with common random numbers.

Replication *i* of every policy uses the same named streams (see
:mod:`supplysim.sim.streams`), so differences between policies are paired.
Tasks run in a process pool (``fork``); results are placed by (policy,
replication) index, so the numbers are identical for any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from supplysim.executors import Executor, LocalPool, default_workers
from supplysim.indicators import indicators, kpi_names
from supplysim.scenario import ModelConfig, Scenario
from supplysim.sim.model import simulate

__all__ = [
    "Difference",
    "Experiment",
    "Interval",
    "ReplicationError",
    "default_workers",
    "paired_difference",
    "run_experiment",
    "run_many",
    "summarize",
]


class ReplicationError(RuntimeError):
    """A replication failed (an accounting identity broke, or the model raised)."""


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
    hw = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n))
    return Interval(mean, sd, hw, n)


def paired_difference(policy: Sequence[float], baseline: Sequence[float]) -> Difference:
    """Paired-t interval for E[policy − baseline] (Law 2015, §10.2.1), over replications where both are finite."""
    d = [a - b for a, b in zip(policy, baseline, strict=True) if math.isfinite(a) and math.isfinite(b)]
    s = summarize(d)
    return Difference(s.mean, s.mean - s.ci95_half_width, s.mean + s.ci95_half_width, s.n)


@dataclass(frozen=True)
class Experiment:
    """Per-replication indicators of every policy, and their summaries."""

    scenario: Scenario
    values: dict[str, list[dict[str, float]]]
    """policy → replication (in index order) → indicator → value."""
    first: int = 0
    """Index of the first replication in ``values``."""

    def extended(self, more: Experiment) -> Experiment:
        """This experiment followed by ``more`` (its replications must come right after)."""
        n = len(next(iter(self.values.values())))
        if more.first != self.first + n:
            raise ValueError(f"replications {more.first}… do not follow {self.first}…{self.first + n - 1}")
        values = {name: self.values[name] + more.values[name] for name in self.values}
        sc = self.scenario.model_copy(update={"replications": n + len(next(iter(more.values.values())))})
        return Experiment(sc, values, self.first)

    @property
    def baseline(self) -> str:
        return self.scenario.baseline

    @property
    def kpis(self) -> tuple[str, ...]:
        """The indicators reported for this scenario, in report order."""
        return kpi_names(self.scenario.policies.values())

    def series(self, policy: str, kpi: str) -> list[float]:
        """One indicator of one policy, over replications."""
        return [row[kpi] for row in self.values[policy]]

    def summary(self, policy: str, kpi: str) -> Interval:
        return summarize(self.series(policy, kpi))

    def difference(self, policy: str, kpi: str) -> Difference:
        return paired_difference(self.series(policy, kpi), self.series(self.baseline, kpi))


Task = tuple[ModelConfig, int, int, float, float, tuple[str, ...]]


def _task(args: Task) -> dict[str, float]:
    cfg, seed, rep, horizon, warmup, names = args
    return indicators(simulate(cfg, seed=seed, replication=rep, horizon=horizon, warmup=warmup), cfg, names)


def _guarded(args: Task) -> dict[str, float]:
    """Run one task; a failure names the policy and replication (also across processes)."""
    try:
        return _task(args)
    except ReplicationError:
        raise
    except Exception as exc:
        raise ReplicationError(f"replication {args[2]}: {exc}") from exc


def run_many(
    scenarios: Sequence[Scenario],
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    replications: range | None = None,
) -> list[Experiment]:
    """Run several scenarios (e.g. the points of a sweep) in one batch of tasks.

    Args:
        workers: processes of the local pool (None = all cores, 1 = in this process).
        executor: where to run (default: a local pool with ``workers``).
        progress: called as ``progress(done, total)`` after each replication.
        replications: which replication indices to run (default ``range(scenario.replications)``);
            index i always uses the same random streams, so ranges can be run separately and joined.
    """
    keys: list[tuple[int, str, int]] = []
    tasks: list[Task] = []
    for k, sc in enumerate(scenarios):
        reps = replications if replications is not None else range(sc.replications)
        kpis = kpi_names(sc.policies.values())
        for i in reps:
            for name, cfg in sc.policies.items():
                keys.append((k, name, i))
                tasks.append((cfg, sc.seed, i, sc.horizon, sc.warmup, kpis))
    results: list[dict[str, float] | None] = [None] * len(tasks)
    runner = executor if executor is not None else LocalPool(workers)
    done = 0
    try:
        for index, row in runner.map_unordered(_guarded, tasks):
            results[index] = row
            done += 1
            if progress:
                progress(done, len(tasks))
    except ReplicationError as exc:
        raise ReplicationError(str(exc)) from exc
    experiments = []
    for k, sc in enumerate(scenarios):
        reps = replications if replications is not None else range(sc.replications)
        values: dict[str, list[dict[str, float]]] = {name: [] for name in sc.policies}
        for key, row in zip(keys, results, strict=True):
            if key[0] == k and row is not None:
                values[key[1]].append(row)
        experiments.append(Experiment(sc, values, reps.start))
    return experiments


def run_experiment(
    scenario: Scenario,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    replications: range | None = None,
) -> Experiment:
    """Run every policy of ``scenario`` for its replications (see :func:`run_many`)."""
    return run_many([scenario], workers=workers, executor=executor, progress=progress, replications=replications)[0]
