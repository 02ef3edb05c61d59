"""Would the fitted model have produced the shop's history? The backtest's orchestration.

The history's horizon is replayed R times with the policy the shop ran: replication i is
the scenario's replication i (seed and streams as for ``supplysim run``), run with its
trace, over ``warmup + length`` where ``length`` is the history's; the trace of the
measured window is told as the records the shop would have exported
(:func:`~supplysim.analysis.records.records_from_trace`) and the backtest's indicators are
computed on them (:func:`~supplysim.analysis.history.history_indicators`), exactly as on
the observed records. :func:`~supplysim.analysis.history.compare_history` then puts the
history against the R simulated ones (``docs/fit.md``, "Backtest").

With ``demand.weekly`` (day time unit) the warm-up is lengthened, by less than a week, so
that the simulated history starts on the same day of the week as the observed one: the
scenario's day 0 of the week is the records' Monday (``docs/fit.md``).

Replications run where the executor runs them; their indicators do not depend on where
or in which order (each replication has its own streams), so the numbers are the same for
any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from supplysim.analysis.history import (
    ALPHA,
    Comparison,
    compare_history,
    history_indicators,
    min_replications,
)
from supplysim.analysis.records import History, StockoutDisplay, display_for, records_from_trace
from supplysim.experiments.executors import Executor, LocalPool
from supplysim.scenario import ModelConfig, Scenario
from supplysim.scenario.errors import ScenarioError
from supplysim.scenario.hints import did_you_mean
from supplysim.sim.replication import simulate

__all__ = ["DEFAULT_REPLICATIONS", "Backtest", "BacktestTask", "aligned_warmup", "choose_policy", "run_backtest"]

DEFAULT_REPLICATIONS = 400
"""Simulated histories by default: enough for intervals at level 1 − 0.05/7 (≥ 280 needed for all seven indicators)."""


@dataclass(frozen=True)
class BacktestTask:
    """One simulated history."""

    cfg: ModelConfig
    seed: int
    replication: int
    length: float
    """The history's length [time]."""
    warmup: float
    display: StockoutDisplay
    stockouts: bool
    receipts: bool


def _history(task: BacktestTask) -> dict[str, float]:
    result = simulate(
        task.cfg, seed=task.seed, replication=task.replication, horizon=task.length, warmup=task.warmup, trace=True
    )
    assert result.trace is not None
    records = records_from_trace(result.trace, task.display, task.warmup, task.warmup + task.length)
    return history_indicators(records, stockouts=task.stockouts, receipts=task.receipts)


@dataclass(frozen=True)
class Backtest:
    """A backtest's outcome: every indicator observed against simulated, and the verdict."""

    scenario: str
    policy: str
    length: float
    """The history's length [time]."""
    time_unit: str
    orders: int
    """Orders in the observed history."""
    replications: int
    alpha: float
    comparisons: tuple[Comparison, ...]
    notices: tuple[str, ...] = ()
    """What the reader of the exports did that the user should know (ignored columns …)."""

    @property
    def flagged(self) -> list[str]:
        """The indicators whose observed value lies outside its interval."""
        return [c.indicator.name for c in self.comparisons if c.outside]

    @property
    def passed(self) -> bool:
        """The model reproduces the history: no indicator flagged."""
        return not self.flagged

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (NaN as None)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else x

        return {
            "scenario": self.scenario,
            "policy": self.policy,
            "history": {"length": self.length, "time_unit": self.time_unit, "orders": self.orders},
            "replications": self.replications,
            "alpha": self.alpha,
            "level": self.comparisons[0].level if self.comparisons else None,
            "passed": self.passed,
            "flagged": self.flagged,
            "notices": list(self.notices),
            "indicators": {
                c.indicator.name: {
                    "label": c.indicator.label,
                    "unit": c.indicator.unit,
                    "observed": num(c.observed),
                    "simulated_median": num(c.median),
                    "interval": [num(c.low), num(c.high)],
                    "interval_95": [num(c.low95), num(c.high95)],
                    "p_value": num(c.p_value),
                    "outside": c.outside,
                    "simulated_histories": c.simulated,
                }
                for c in self.comparisons
            },
        }


def choose_policy(scenario: Scenario, policy: str | None) -> str:
    """The policy the shop ran: ``policy``, or the scenario's only one.

    Raises:
        ScenarioError: an unknown name (with the closest one), or several policies and no name.
    """
    names = list(scenario.policies)
    if policy is None:
        if len(names) == 1:
            return names[0]
        raise ScenarioError(
            f"the scenario has {len(names)} policies ({', '.join(names)}): say with --policy which one the shop ran"
        )
    if policy not in scenario.policies:
        close = did_you_mean(policy, names)
        hint = f" (did you mean {close!r}?)" if close else ""
        raise ScenarioError(f"no policy {policy!r} in the scenario{hint}; its policies: {', '.join(names)}")
    return policy


def aligned_warmup(warmup: float, history_start: float, weekly: bool) -> float:
    """The warm-up, lengthened by less than 7 so that sim time ``warmup`` ≡ ``history_start`` (mod 7) when weekly.

    ``history_start`` is the history's start in days from a Monday (the records' origin).
    """
    if not weekly:
        return warmup
    shift = (history_start - warmup) % 7.0
    return warmup + (0.0 if math.isclose(shift, 7.0) or math.isclose(shift, 0.0, abs_tol=1e-9) else shift)


def run_backtest(
    scenario: Scenario,
    observed: History,
    *,
    history_start: float = 0.0,
    policy: str | None = None,
    replications: int = DEFAULT_REPLICATIONS,
    stockouts: bool = True,
    receipts: bool = True,
    alpha: float = ALPHA,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Backtest:
    """Replay the history ``observed`` with the scenario's policy and compare (see the module docstring).

    Args:
        scenario: the fitted scenario.
        observed: the shop's records (times from the history's start).
        history_start: the history's start in the records' time from their origin (a Monday),
            to align the day of the week.
        policy: the policy the shop ran (default: the scenario's only one).
        replications: simulated histories R (at least ⌈2m/α⌉ for m indicators).
        stockouts: compare the time shown "out of stock" (the history has stockout records).
        receipts: compare the mean lead time (the history has purchase-order records).
        alpha: the family-wise error rate.
        executor: where to run (default: a local pool of ``workers``).
    """
    name = choose_policy(scenario, policy)
    cfg = scenario.policies[name]
    try:
        display = display_for(cfg)
    except ValueError as exc:
        raise ScenarioError(f"policy {name!r}: {exc}") from None
    obs = history_indicators(observed, stockouts=stockouts, receipts=receipts)
    needed = min_replications(len(obs), alpha)
    if replications < needed:
        raise ScenarioError(
            f"--replications {replications} is too few for {len(obs)} indicators at a family-wise {alpha:.0%}: "
            f"use at least {needed}"
        )
    weekly = cfg.demand.weekly is not None and scenario.time_unit.strip().lower() in ("day", "days")
    warmup = aligned_warmup(scenario.warmup, history_start, weekly)
    tasks = [
        BacktestTask(cfg, scenario.seed, i, observed.length, warmup, display, stockouts, receipts)
        for i in range(replications)
    ]
    results: list[dict[str, float] | None] = [None] * len(tasks)
    runner = executor if executor is not None else LocalPool(workers)
    done = 0
    for index, values in runner.map_unordered(_history, tasks):
        results[index] = values
        done += 1
        if progress is not None:
            progress(done, len(tasks))
    simulated = [r for r in results if r is not None]
    return Backtest(
        scenario.name,
        name,
        observed.length,
        scenario.time_unit,
        len(observed.orders),
        replications,
        alpha,
        tuple(compare_history(obs, simulated, alpha)),
    )
