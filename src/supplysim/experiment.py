"""Experiments: every policy × every replication, with common random numbers.

Replication *i* of every policy uses the same named streams (see
:mod:`supplysim.sim.streams`), so differences between policies are paired.
Tasks run in a process pool (``fork``); results are placed by (policy,
replication) index, so the numbers are identical for any number of workers.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
from scipy import stats

from supplysim.indicators import indicators, kpi_names
from supplysim.scenario import ModelConfig, Scenario
from supplysim.sim.model import simulate

__all__ = [
    "Difference",
    "Experiment",
    "Interval",
    "ReplicationError",
    "paired_difference",
    "run_experiment",
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
    """policy → replication index → indicator → value."""

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


def _guarded(name: str, i: int, args: Task) -> dict[str, float]:
    try:
        return _task(args)
    except Exception as exc:
        raise ReplicationError(f"policy {name!r}, replication {i}: {exc}") from exc


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_experiment(
    scenario: Scenario,
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Experiment:
    """Run every policy of ``scenario`` for its replications.

    Args:
        workers: processes to use (None = all cores, 1 = in this process).
        progress: called as ``progress(done, total)`` after each replication.
    """
    names = list(scenario.policies)
    reps = scenario.replications
    kpis = kpi_names(scenario.policies.values())
    tasks = [
        ((name, i), (scenario.policies[name], scenario.seed, i, scenario.horizon, scenario.warmup, kpis))
        for i in range(reps)
        for name in names
    ]
    out: dict[str, list[dict[str, float] | None]] = {name: [None] * reps for name in names}
    total = len(tasks)
    workers = default_workers() if workers is None else max(1, workers)
    done = 0
    if workers == 1 or total == 1:
        for (name, i), args in tasks:
            out[name][i] = _guarded(name, i, args)
            done += 1
            if progress:
                progress(done, total)
    else:
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=ctx) as pool:
            futures = {pool.submit(_task, args): key for key, args in tasks}
            for fut in as_completed(futures):
                name, i = futures[fut]
                try:
                    out[name][i] = fut.result()
                except Exception as exc:
                    for other in futures:
                        other.cancel()
                    raise ReplicationError(f"policy {name!r}, replication {i}: {exc}") from exc
                done += 1
                if progress:
                    progress(done, total)
    values = {name: [row for row in rows if row is not None] for name, rows in out.items()}
    return Experiment(scenario, values)
