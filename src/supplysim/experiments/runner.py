"""Running experiments: every policy × every replication, with common random numbers.

Tasks run on an executor (a local process pool by default); results are placed
by (policy, replication) index, so the numbers are identical for any number of
workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import indicators, kpi_names
from supplysim.experiments.executors import Executor, LocalPool
from supplysim.scenario import ModelConfig, Scenario
from supplysim.sim.replication import simulate

__all__ = ["ReplicationError", "run_experiment", "run_many"]


class ReplicationError(RuntimeError):
    """A replication failed (an accounting identity broke, or the model raised)."""


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
