"""Sweeps: every point of a parameter grid × every policy × replications.

Each point overrides the base model (like ``--set``) before the policies are
merged over it, so a policy that sets the swept key itself keeps its own value
(it becomes a reference line). Replication i uses the same random streams at
every point (common random numbers), so differences between points are paired.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from pydantic import ValidationError

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.kpis import format_interval, format_value
from supplysim.experiments.evidence import Evidence
from supplysim.experiments.executors import Executor
from supplysim.experiments.runner import run_many
from supplysim.scenario import Scenario, SweepRange
from supplysim.scenario.limits import MAX_GRID_POINTS
from supplysim.scenario.load import ScenarioError, ScenarioLike, load_scenario, with_overrides
from supplysim.scenario.overrides import grid_point
from supplysim.scenario.specs import distinct_values
from supplysim.scenario.yaml_source import read_value

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SweepResults", "parse_param", "run_sweep", "scenario_parameters"]


def parse_param(text: str) -> tuple[str, list[Any]]:
    """``PATH=a:b:step`` (inclusive range) or ``PATH=v1,v2,…`` (values in YAML syntax)."""
    if "=" not in text:
        raise ScenarioError(f"--param {text}: expected PATH=FROM:TO:STEP or PATH=V1,V2,…")
    path, spec = (part.strip() for part in text.split("=", 1))
    if not path:
        raise ScenarioError(f"--param {text}: the key path is empty")
    try:
        if ":" in spec:
            parts = [float(x) for x in spec.split(":")]
            if len(parts) == 2:
                parts.append(1.0)
            if len(parts) != 3:
                raise ValueError
            rng = SweepRange.model_validate({"from": parts[0], "to": parts[1], "step": parts[2]})
            return path, rng.values()
        items = spec.split(",")
        if len(items) > 1 and not all(v.strip() for v in items):
            raise ScenarioError(
                f"--param {text}: an empty value between commas\n  hint: write PATH=V1,V2,… with a value in each place"
            )
        values = [read_value(v, f"--param {text}") for v in items if v.strip()]
    except ValidationError as exc:
        reason = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"--param {text}: {reason}") from None
    except ValueError:
        raise ScenarioError(f"--param {text}: expected PATH=FROM:TO:STEP (numbers) or PATH=V1,V2,…") from None
    if not values:
        raise ScenarioError(f"--param {text}: no values")
    try:
        distinct_values(values)
    except ValueError as exc:
        raise ScenarioError(f"--param {text}: {exc}") from None
    return path, values


@dataclass
class SweepResults:
    """A sweep's experiments, one per point, and the views on them (tables, words).

    Its files and figures are composed above this layer: :class:`supplysim.api.SweepResults`
    adds ``to_folder`` and ``figures``.
    """

    scenario: Scenario
    parameters: list[str]
    points: list[dict[str, Any]]
    experiments: list[Experiment]

    def table(self) -> pd.DataFrame:
        """Tidy: one row per point × policy × indicator (mean, sd, 95% interval, n)."""
        rows = []
        for point, exp in zip(self.points, self.experiments, strict=True):
            for policy in exp.scenario.policies:
                for kpi in exp.kpis:
                    s = exp.summary(policy, kpi)
                    rows.append(
                        {
                            **point,
                            "policy": policy,
                            "kpi": kpi,
                            "mean": s.mean,
                            "sd": s.sd,
                            "ci95_half_width": s.ci95_half_width,
                            "ci95_low": s.mean - s.ci95_half_width,
                            "ci95_high": s.mean + s.ci95_half_width,
                            "n": s.n,
                        }
                    )
        import pandas as pd

        return pd.DataFrame(rows)

    def affected(self, kpi: str = "profit") -> list[str]:
        """Policies whose ``kpi`` changes across the points (the others set the swept keys
        themselves, or do not use them: they are reference lines)."""
        out = []
        for p in self.scenario.policies:
            means = [e.summary(p, kpi).mean for e in self.experiments]
            if len({round(m, 9) for m in means if math.isfinite(m)}) > 1:
                out.append(p)
        return out

    def _candidates(self, kpi: str) -> list[str]:
        """The policies a "best" is looked for among: the affected ones, or all if none is."""
        return self.affected(kpi) or list(self.scenario.policies)

    def best(self, kpi: str = "profit") -> tuple[int, str]:
        """(point index, policy) with the highest mean ``kpi``, among the policies the sweep
        affects (all of them if it affects none)."""
        best: tuple[float, int, str] | None = None
        candidates = self._candidates(kpi)
        for k, exp in enumerate(self.experiments):
            for policy in candidates:
                m = exp.summary(policy, kpi).mean
                if math.isfinite(m) and (best is None or m > best[0]):
                    best = (m, k, policy)
        if best is None:
            raise ValueError(f"no point has a defined {kpi}")
        return best[1], best[2]

    def _label(self, k: int) -> str:
        parts = (f"{p} = {v:g}" if isinstance(v, int | float) else f"{p} = {v}" for p, v in self.points[k].items())
        return ", ".join(parts)

    def summary_lines(self, kpi: str = "profit") -> list[str]:
        """The answer in plain words: the best point, and which points are within noise of it."""
        k, policy = self.best(kpi)
        exp = self.experiments[k]
        s = exp.summary(policy, kpi)
        fill = exp.summary(policy, "fill_rate").mean
        lines = [
            f"Best {kpi}: {policy} at {self._label(k)}: {format_value(kpi, s.mean)} ± "
            f"{format_value(kpi, s.ci95_half_width)} (fill rate {fill:.1%})."
        ]
        tied: list[tuple[str, Evidence]] = []
        worse = 0
        same_policy = [k]  # points of the best policy that cannot be told apart from the best
        best_series = exp.series(policy, kpi)
        affected = self.affected(kpi)
        for j, other in enumerate(self.experiments):
            for p in affected or list(self.scenario.policies):
                if (j, p) == (k, policy):
                    continue
                ev = Evidence.paired(kpi, other.series(p, kpi), best_series)
                if ev.n and not ev.real:
                    tied.append((f"{p} at {self._label(j)}", ev))
                    if p == policy:
                        same_policy.append(j)
                elif ev.n:
                    worse += 1
        if tied:
            lines.append(
                "Not told apart from the best (paired 95% interval of the difference includes 0; "
                "that is not evidence that they are as good):"
            )
            lines.extend(f"  {label}: {ev.undecided()}." for label, ev in tied)
            if worse:
                what = "point" if len(affected or self.scenario.policies) == 1 else "policy at a point"
                what = what if worse == 1 else ("points" if what == "point" else "policies at points")
                lines.append(
                    f"The other {worse} {what} {'is' if worse == 1 else 'are'} worse than the best: "
                    "a real difference (paired 95% interval excludes 0)."
                )
        else:
            lines.append(
                "Every other point is worse, with 95% confidence (paired comparison on common random numbers)."
            )
        if len(self.parameters) == 1:
            name = self.parameters[0]
            values = [self.points[j][name] for j in same_policy]
            if len(values) > 1 and all(isinstance(v, int | float) for v in values):
                lo, hi = min(values), max(values)
                lines.append(
                    f"For {policy}, {name} from {lo:g} to {hi:g} cannot be told apart from the best with "
                    f"{exp.summary(policy, kpi).n} replications (the differences are above)."
                )
        for p in self.scenario.policies if len(self.parameters) == 1 else []:
            means = [e.summary(p, kpi).mean for e in self.experiments]
            if p not in affected:
                ref = self.experiments[0].summary(p, kpi)
                lines.append(
                    f"{p}: not affected by the sweep (it sets the key itself, or does not use it): "
                    f"{kpi} {format_interval(kpi, ref.mean, ref.ci95_half_width)} throughout."
                )
                continue
            j = max(range(len(means)), key=lambda i: means[i] if math.isfinite(means[i]) else -math.inf)
            lines.append(f"{p}: highest {kpi} at {self._label(j)} ({format_value(kpi, means[j])}).")
        return lines

    @classmethod
    def run(
        cls,
        scenario: ScenarioLike,
        parameters: Sequence[tuple[str, list[Any]]],
        *,
        workers: int | None = None,
        executor: Executor | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Self:
        """Run the full-factorial grid of ``parameters`` (key path → values) for every policy.

        Args:
            scenario: the base scenario (or it as a mapping, or its file); each point overrides it like ``--set``.
            parameters: (key path, values) pairs; every combination of values is a point.
            workers: local worker processes (None = all cores, 1 = in this process).
            executor: run elsewhere instead (see :mod:`supplysim.experiments.executors`).
            progress: ``progress(done, total)`` after each replication.
        """
        scenario = load_scenario(scenario)
        if not parameters:
            raise ScenarioError("nothing to sweep: give --param PATH=FROM:TO:STEP or a `sweep:` block in the scenario")
        names = [p for p, _ in parameters]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ScenarioError(f"{repeated[0]} is swept twice; give all its values in one --param")
        size = math.prod(len(v) for _, v in parameters)
        if size > MAX_GRID_POINTS:
            raise ScenarioError(
                f"the sweep has {size:,} points ({' × '.join(str(len(v)) for _, v in parameters)}), "
                f"more than {MAX_GRID_POINTS:,} (docs/limits.md)\n  hint: use larger steps or fewer swept keys"
            )
        grid = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(v for _, v in parameters))]
        # each override is named by its whole point: a rule relating two swept keys (S > s) is
        # broken by the combination, and the message must say which one
        scenarios = [
            with_overrides(
                scenario, [(path, value, grid_point(list(point.items()), path)) for path, value in point.items()]
            )
            for point in grid
        ]
        experiments = run_many(scenarios, workers=workers, executor=executor, progress=progress)
        return cls(scenario, names, grid, experiments)


run_sweep = SweepResults.run
"""Run the full-factorial grid of ``parameters`` (key path → values): :meth:`SweepResults.run`."""


def scenario_parameters(scenario: Scenario) -> list[tuple[str, list[Any]]]:
    """The ``sweep:`` block of a scenario as (key path, values)."""
    out: list[tuple[str, list[Any]]] = []
    for path, spec in (scenario.sweep or {}).items():
        out.append((path, spec.values() if isinstance(spec, SweepRange) else list(spec)))
    return out
