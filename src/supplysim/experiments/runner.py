"""Running experiments: every policy × every replication, with common random numbers.

Tasks run on an executor (a local process pool by default); results are placed
by (policy, replication) index, so the numbers are identical for any number of
workers. Tasks are made as the executor asks for them (a generator), not all up front:
the memory of a run grows with its results, not with a list of tasks.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import indicators, kpi_names
from supplysim.analysis.samples import PolicySample, display_window, policy_sample
from supplysim.experiments.executors import Executor, LocalPool, WorkerLost
from supplysim.scenario import ModelConfig, Scenario
from supplysim.scenario.errors import ScenarioError
from supplysim.scenario.limits import MAX_WORK
from supplysim.scenario.specs import expected_customers
from supplysim.sim.recorder import PathWindow
from supplysim.sim.replay import CustomerReplay
from supplysim.sim.replication import simulate
from supplysim.sim.trace import TraceRow

__all__ = ["ReplicationError", "check_work", "expected_work", "run_experiment", "run_many"]


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


_LOCAL = threading.local()
"""Per thread: the :class:`CustomerReplay` of the tasks it runs."""


def _replay() -> CustomerReplay:
    """This thread's customer replay: consecutive tasks of one replication (every policy, in
    order: :class:`_Plan`) draw their customers once; a thread of its own keeps its own."""
    replay = getattr(_LOCAL, "replay", None)
    if replay is None:
        replay = _LOCAL.replay = CustomerReplay()
    return replay


def _task(t: Task) -> TaskResult:
    result = simulate(
        t.cfg,
        seed=t.seed,
        replication=t.replication,
        horizon=t.horizon,
        warmup=t.warmup,
        trace=t.trace,
        path=t.path,
        replay=_replay(),
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


def expected_work(scenarios: Sequence[Scenario], replications: range | None = None) -> float:
    """Expected customers of running every scenario's policies for ``replications`` (default each
    scenario's own): Σ over scenarios and policies of replications × λ* × (warmup + horizon)."""
    total = 0.0
    for sc in scenarios:
        reps = len(replications) if replications is not None else sc.replications
        total += reps * sum(expected_customers(m, sc.end) for m in sc.policies.values())
    return total


def check_work(scenarios: Sequence[Scenario], replications: range | None = None, limit: float = MAX_WORK) -> None:
    """Refuse a batch whose :func:`expected_work` is above ``limit`` (``docs/limits.md``), before it runs.

    Raises:
        ScenarioError: how large it is, of what, and how to shrink it.
    """
    work = expected_work(scenarios, replications)
    if work <= limit:
        return
    points = f"{len(scenarios):,} points × " if len(scenarios) > 1 else ""
    policies = max(len(sc.policies) for sc in scenarios)
    reps = len(replications) if replications is not None else max(sc.replications for sc in scenarios)
    raise ScenarioError(
        "too much to simulate (docs/limits.md)\n"
        f"  found: {points}{policies} policies × {reps:,} replications = {work:.3g} expected customers, "
        f"more than {limit:.0e}\n"
        "  hint:  use fewer replications, policies or grid points, or a shorter horizon"
    )


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

    Raises:
        ScenarioError: the batch is too large to simulate (:func:`check_work`), before anything runs.
    """
    check_work(scenarios, replications)
    plans = [_Plan(sc, replications, record, trace) for sc in scenarios]
    offsets = list(itertools.accumulate((p.count for p in plans), initial=0))
    total = offsets[-1]
    values: list[dict[str, list[dict[str, float] | None]]] = [
        {name: [None] * len(p.reps) for name in p.names} for p in plans
    ]
    samples: list[dict[str, PolicySample]] = [{} for _ in plans]
    traces: list[dict[str, list[TraceRow]]] = [{} for _ in plans]
    runner = executor if executor is not None else LocalPool(workers)
    tasks = (plan.task(j) for plan in plans for j in range(plan.count))  # built as the pool asks for them
    done = 0
    results = runner.map_unordered(_guarded, tasks)
    try:
        for index, row in results:
            k = bisect.bisect_right(offsets, index) - 1
            name, pos = plans[k].where(index - offsets[k])
            values[k][name][pos] = row.values
            if row.sample is not None:
                samples[k][name] = row.sample
            if row.trace is not None:
                traces[k][name] = row.trace
            done += 1
            if progress:
                progress(done, total)
    except ReplicationError as exc:
        raise ReplicationError(str(exc)) from exc
    except WorkerLost as exc:
        running = [_describe(plans, offsets, i) for i in exc.pending[:3]]
        more = f" and {len(exc.pending) - 3} more" if len(exc.pending) > 3 else ""
        raise ReplicationError(
            f"{exc}; unfinished: {'; '.join(running)}{more}\n"
            "  hint: nothing was written; run again (with --workers 1 to see the replication's own error)"
        ) from None
    finally:
        close = getattr(results, "close", None)
        if close is not None:  # stop the pool now, also when this loop is interrupted
            close()
    return [
        Experiment(
            p.scenario,
            {name: [v for v in vals if v is not None] for name, vals in values[k].items()},
            p.reps.start,
            samples[k],
            traces[k],
        )
        for k, p in enumerate(plans)
    ]


class _Plan:
    """The tasks of one scenario, made one at a time: task ``j`` is replication ``reps[j // P]``
    of policy ``j % P`` (P policies), the order in which they were always numbered."""

    def __init__(self, sc: Scenario, replications: range | None, record: bool, trace: bool) -> None:
        self.scenario = sc
        self.reps = replications if replications is not None else range(sc.replications)
        self.names = list(sc.policies)
        self.count = len(self.reps) * len(self.names)
        self.kpis = kpi_names(sc.policies.values())
        self.window = display_window(sc.warmup, sc.horizon) if record else None
        self.trace = trace

    def where(self, j: int) -> tuple[str, int]:
        """(policy, position in the range) of task ``j``."""
        return self.names[j % len(self.names)], j // len(self.names)

    def task(self, j: int) -> Task:
        name, pos = self.where(j)
        sc, first = self.scenario, pos == 0
        return Task(
            sc.policies[name],
            sc.seed,
            self.reps[pos],
            sc.horizon,
            sc.warmup,
            self.kpis,
            sc.time_unit,
            path=self.window if first else None,
            trace=self.trace and first,
        )


def _describe(plans: Sequence[_Plan], offsets: Sequence[int], index: int) -> str:
    """ "policy P, replication R" (of scenario S when there are several) for task ``index``."""
    k = bisect.bisect_right(offsets, index) - 1
    name, pos = plans[k].where(index - offsets[k])
    of = f" of {plans[k].scenario.name}" if len(plans) > 1 else ""
    return f"{name} replication {plans[k].reps[pos]}{of}"


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
