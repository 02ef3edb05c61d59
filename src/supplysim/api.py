"""The Python API: load a scenario, run it, read the results as DataFrames, plot, save.

    >>> import supplysim
    >>> sc = supplysim.load_scenario("scenarios/backorder_vs_out_of_stock.yaml")
    >>> res = supplysim.run(sc, replications=5, workers=1)          # doctest: +SKIP
    >>> res.summary().query("kpi == 'profit'")                       # doctest: +SKIP

The command line is a thin layer over these functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from scipy import stats

from supplysim.analysis.experiment import Experiment
from supplysim.experiments.executors import Executor
from supplysim.experiments.optimize import optimize
from supplysim.experiments.runner import run_experiment
from supplysim.experiments.sweep import run_sweep
from supplysim.report.terminal import format_value
from supplysim.scenario import Scenario
from supplysim.scenario.load import load_scenario, with_overrides
from supplysim.sim.replication import simulate
from supplysim.sim.store import TraceRow

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Precision", "Results", "load_scenario", "optimize", "run", "run_sweep"]


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


class Results:
    """What running a scenario produced, with ways to read, compare, plot and save it."""

    def __init__(self, experiment: Experiment, precision: Precision | None = None) -> None:
        self.experiment = experiment
        self.precision = precision
        self._traces: dict[str, list[TraceRow]] | None = None

    def traces(self) -> dict[str, list[TraceRow]]:
        """The event trace of the first replication of every policy (simulated once, then kept)."""
        if self._traces is None:
            sc = self.scenario
            rep = self.experiment.first
            self._traces = {
                name: simulate(
                    cfg, seed=sc.seed, replication=rep, horizon=sc.horizon, warmup=sc.warmup, trace=True
                ).trace
                or []
                for name, cfg in sc.policies.items()
            }
        return self._traces

    @property
    def scenario(self) -> Scenario:
        return self.experiment.scenario

    @property
    def policies(self) -> list[str]:
        return list(self.scenario.policies)

    @property
    def kpis(self) -> tuple[str, ...]:
        return self.experiment.kpis

    def summary(self) -> pd.DataFrame:
        """One row per policy and indicator: mean, sd, 95% half-width, n, and the paired
        difference with the baseline (NaN for the baseline itself)."""
        exp = self.experiment
        rows = []
        for policy in self.policies:
            for kpi in self.kpis:
                s = exp.summary(policy, kpi)
                row: dict[str, Any] = {
                    "policy": policy,
                    "kpi": kpi,
                    "mean": s.mean,
                    "sd": s.sd,
                    "ci95_half_width": s.ci95_half_width,
                    "n": s.n,
                    "diff_vs_baseline": math.nan,
                    "diff_ci95_low": math.nan,
                    "diff_ci95_high": math.nan,
                }
                if policy != exp.baseline:
                    d = exp.difference(policy, kpi)
                    row.update(diff_vs_baseline=d.diff, diff_ci95_low=d.ci95_low, diff_ci95_high=d.ci95_high)
                rows.append(row)
        return pd.DataFrame(rows)

    def replications(self) -> pd.DataFrame:
        """One row per policy and replication, one column per indicator."""
        exp = self.experiment
        rows = [
            {"policy": policy, "replication": exp.first + i, **row}
            for policy, values in exp.values.items()
            for i, row in enumerate(values)
        ]
        return pd.DataFrame(rows, columns=["policy", "replication", *self.kpis])

    def compare(self, kpi: str = "profit") -> pd.DataFrame:
        """Every policy against the baseline on ``kpi``: paired difference, its interval,
        the difference relative to the baseline's mean, and whether it is real (interval excludes 0)."""
        exp = self.experiment
        base = exp.summary(exp.baseline, kpi).mean
        rows = []
        for policy in self.policies:
            if policy == exp.baseline:
                continue
            d = exp.difference(policy, kpi)
            rel = d.diff / abs(base) if base and math.isfinite(base) else math.nan
            rows.append(
                {
                    "policy": policy,
                    "baseline": exp.baseline,
                    "kpi": kpi,
                    "diff": d.diff,
                    "ci95_low": d.ci95_low,
                    "ci95_high": d.ci95_high,
                    "relative": rel,
                    "significant": d.significant,
                }
            )
        return pd.DataFrame(rows)

    def verdict(self, kpi: str = "profit") -> list[str]:
        """The comparison in plain words, one sentence per policy, then what customers experience."""
        exp = self.experiment
        base = exp.summary(exp.baseline, kpi)
        lines: list[str] = []
        for policy in self.policies:
            if policy == exp.baseline:
                continue
            d = exp.difference(policy, kpi)
            if d.n == 0 or not math.isfinite(d.diff):
                continue
            rel = ""
            if base.mean and math.isfinite(base.mean):
                hw = (d.ci95_high - d.ci95_low) / 2
                rel = f" ({d.diff / abs(base.mean) * 100:+.1f}% ± {hw / abs(base.mean) * 100:.1f}%)"
            if d.significant:
                word = "more" if d.diff > 0 else "less"
                amount = format_value(kpi, abs(d.diff))
                lines.append(f"{policy} earns {amount} {word} {kpi} than {exp.baseline}{rel}: a real difference.")
            else:
                lines.append(
                    f"{policy} vs {exp.baseline}: {kpi} differs by {format_value(kpi, d.diff, signed=True)}{rel}, "
                    "within the noise (interval includes 0)."
                )
        for policy in self.policies:
            m = {k: exp.summary(policy, k).mean for k in ("fill_rate", "served_after_wait_rate", "cancel_rate")}
            m["lost_rate"] = exp.summary(policy, "lost_rate").mean
            if all(math.isfinite(v) for v in m.values()):
                lines.append(
                    f"Under {policy}: {m['fill_rate']:.1%} of customers are served at once, "
                    f"{m['served_after_wait_rate']:.1%} after a wait, {m['cancel_rate']:.1%} cancel and "
                    f"{m['lost_rate']:.1%} are turned away."
                )
        if self.precision is not None:
            lines.append(self.precision.describe() + ".")
        return lines

    def plot_indicators(self, kpis: Sequence[str] | None = None) -> Figure:
        """Bars per policy with 95% intervals, one panel per indicator (default: the headline ones)."""
        from supplysim.report import figures as plots

        return plots.indicators_figure(self, plots.HEADLINE_KPIS if kpis is None else kpis)

    def plot_trajectories(self, days: float | None = None, start: float | None = None) -> Figure:
        """On-hand and backordered units over time in replication 0, one panel per policy."""
        from supplysim.report import figures as plots

        return plots.trajectories_figure(self, days=days, start=start)

    def plot_waits(self) -> Figure:
        """Histogram of backorder waits in replication 0, one panel per policy."""
        from supplysim.report import figures as plots

        return plots.waits_figure(self)

    def plot_tradeoff(self) -> Figure:
        """Profit against fill rate: every replication, and each policy's mean with 95% intervals."""
        from supplysim.report import figures as plots

        return plots.tradeoff_figure(self)

    def to_folder(self, path: str | Path | None = None, *, trace: bool = False, plots: bool = True) -> Path:
        """Write the results folder (summary.json, CSVs, scenario.yaml; plots and report.html when
        ``plots``), atomically; returns its path."""
        from supplysim.outputs.documents import write_results

        folder = Path(path) if path is not None else Path("results") / self.scenario.name
        return write_results(self.experiment, folder, extra_files(self, trace=trace, plots=plots))


def extra_files(results: Results, *, trace: bool, plots: bool) -> dict[str, str | bytes]:
    """Traces, plots and the HTML report of a results folder, by relative path."""
    from supplysim.outputs.documents import trace_csv
    from supplysim.report import html as report

    files: dict[str, str | bytes] = {}
    if trace:
        for name, rows in results.traces().items():
            files[f"traces/{name}.csv"] = trace_csv(rows)
    if plots:
        files.update(report.figures_and_report(results))
    return files


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    overrides: Sequence[tuple[Any, ...]] = (),
    precision: float | None = None,
    precision_kpis: Sequence[str] = ("profit",),
    max_replications: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> Results:
    """Run every policy of a scenario (a :class:`Scenario` or a path to its YAML file).

    Args:
        replications: override the scenario's number of replications (the first batch
            when ``precision`` is set).
        workers: local worker processes (None = all cores, 1 = in this process).
        executor: run elsewhere, e.g. ``supplysim.executors.DaskExecutor(address)``.
        overrides: ``(dotted.path, value)`` pairs, like ``--set``.
        precision: relative target for the 95% half-width of ``precision_kpis`` of every
            policy; replications are added in batches until it is met or
            ``max_replications`` is reached (sequential procedure, Law 2015, §9.4.1).
        progress: ``progress(done, total)`` after each replication.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    pairs = list(overrides)
    if replications is not None:
        pairs.append(("replications", replications))
    if precision is not None:
        if not precision > 0:
            raise ValueError(f"precision must be a positive relative half-width, found {precision}")
        first = replications if replications is not None else sc.replications
        if first > max_replications:
            pairs.append(("replications", max_replications))
    if pairs:
        sc = with_overrides(sc, pairs)
    exp = run_experiment(sc, workers=workers, executor=executor, progress=progress)
    if precision is None:
        return Results(exp)
    kpis = tuple(precision_kpis)
    n = sc.replications
    while True:
        worst, needed = _precision(exp, kpis, precision)
        if worst <= precision or n >= max_replications:
            break
        # at most double per batch: the estimate of the needed n is rough while n is small
        target = min(max_replications, 2 * n, max(n + max(2, n // 2), math.ceil(1.1 * needed)))
        more = run_experiment(sc, workers=workers, executor=executor, progress=progress, replications=range(n, target))
        exp = exp.extended(more)
        n = target
    return Results(exp, Precision(precision, kpis, n, worst, worst <= precision, max_replications))


def _precision(exp: Experiment, kpis: Sequence[str], target: float) -> tuple[float, int]:
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
                shrink = 1.96 / float(stats.t.ppf(0.975, s.n - 1))
                needed = max(needed, math.ceil(s.n * (rel * shrink / target) ** 2))
            else:
                needed = max(needed, 2 * s.n)
    return worst, needed
