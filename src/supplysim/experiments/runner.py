"""Running experiments: every policy × every replication, with common random numbers.

Tasks run on an executor (a local process pool by default); results are placed
by (policy, replication) index, so the numbers are identical for any number of
workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import indicators, kpi_names
from supplysim.analysis.samples import PolicySample, display_window, policy_sample
from supplysim.experiments.executors import Executor, LocalPool
from supplysim.scenario import ModelConfig, Scenario
from supplysim.sim.recorder import PathWindow
from supplysim.sim.replication import simulate
from supplysim.sim.trace import TraceRow

__all__ = ["ReplicationError", "run_experiment", "run_many"]


class ReplicationError(RuntimeError):
    """A replication failed (an accounting identity broke, or the model raised)."""


@dataclass(frozen=True)
class Task:
    """One replication of one policy, and what to keep of it besides its indicators."""

    cfg: ModelConfig
    seed: int
    replication: int
    horizon: float
    warmup: float
    kpis: tuple[str, ...]
    time_unit: str = "day"
    """The scenario's time unit (an annual holding rate is converted with it)."""
    path: PathWindow | None = None
    """Record the stock path on this window (and keep the waits) for the figures."""
    trace: bool = False
    """Keep every event (``--trace``)."""


@dataclass(frozen=True)
class TaskResult:
    """What a task sends back: indicators, and for a recorded replication its sample and trace."""

    values: dict[str, float]
    sample: PolicySample | None = None
    trace: list[TraceRow] | None = None


def _task(t: Task) -> TaskResult:
    result = simulate(
        t.cfg, seed=t.seed, replication=t.replication, horizon=t.horizon, warmup=t.warmup, trace=t.trace, path=t.path
    )
    values = indicators(result, t.cfg, t.kpis, time_unit=t.time_unit)
    if t.path is None and not t.trace:
        return TaskResult(values)
    sample = policy_sample(result, t.replication, t.path) if t.path is not None else None
    return TaskResult(values, sample, result.trace)


def _guarded(args: Task) -> TaskResult:
    """Run one task; a failure names the policy and replication (also across processes)."""
    try:
        return _task(args)
    except ReplicationError:
        raise
    except Exception as exc:
        raise ReplicationError(f"replication {args.replication}: {exc}") from exc


def run_many(
    scenarios: Sequence[Scenario],
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    replications: range | None = None,
    record: bool = False,
    trace: bool = False,
) -> list[Experiment]:
    """Run several scenarios (e.g. the points of a sweep) in one batch of tasks.

    Args:
        workers: processes of the local pool (None = all cores, 1 = in this process).
        executor: where to run (default: a local pool with ``workers``).
        progress: called as ``progress(done, total)`` after each replication.
        replications: which replication indices to run (default ``range(scenario.replications)``);
            index i always uses the same random streams, so ranges can be run separately and joined.
        record: the first replication of the range also records, per policy, its stock path and
            waits for the figures (:attr:`Experiment.samples`); recording changes no number.
        trace: the first replication of the range also keeps every event (:attr:`Experiment.traces`).
    """
    keys: list[tuple[int, str, int]] = []
    tasks: list[Task] = []
    for k, sc in enumerate(scenarios):
        reps = replications if replications is not None else range(sc.replications)
        kpis = kpi_names(sc.policies.values())
        window = display_window(sc.warmup, sc.horizon) if record else None
        for i in reps:
            first = i == reps.start
            for name, cfg in sc.policies.items():
                keys.append((k, name, i))
                tasks.append(
                    Task(
                        cfg,
                        sc.seed,
                        i,
                        sc.horizon,
                        sc.warmup,
                        kpis,
                        sc.time_unit,
                        path=window if first else None,
                        trace=trace and first,
                    )
                )
    results: list[TaskResult | None] = [None] * len(tasks)
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
        samples: dict[str, PolicySample] = {}
        traces: dict[str, list[TraceRow]] = {}
        for key, row in zip(keys, results, strict=True):
            if key[0] == k and row is not None:
                values[key[1]].append(row.values)
                if row.sample is not None:
                    samples[key[1]] = row.sample
                if row.trace is not None:
                    traces[key[1]] = row.trace
        experiments.append(Experiment(sc, values, reps.start, samples, traces))
    return experiments


def run_experiment(
    scenario: Scenario,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    replications: range | None = None,
    record: bool = False,
    trace: bool = False,
) -> Experiment:
    """Run every policy of ``scenario`` for its replications (see :func:`run_many`)."""
    return run_many(
        [scenario],
        workers=workers,
        executor=executor,
        progress=progress,
        replications=replications,
        record=record,
        trace=trace,
    )[0]
