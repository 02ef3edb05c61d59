"""Each policy at its own best: optimise the same parameters separately for every policy, then
compare the policies at their optima, and at the settings the scenario writes.

Comparing policies at one replenishment setting answers "which policy is better *with these
settings*"; a policy that needs more stock (lost sales) is then handicapped by a reorder point
chosen for another. The fair question compares each policy at its own best settings.

The procedure:

1. **Search.** For every policy, :func:`supplysim.experiments.optimize.optimize` searches the
   ``over`` grid (screen, then select), on the same replication indices for every policy
   (common random numbers).
2. **Confirmation.** Selecting the best of many noisy points biases its estimate upwards
   (the winner's curse), and the selection replications were used to pick it. So every
   policy is run again at its optimum on *fresh* replications — indices after every index
   the search used, the same for every policy — so the comparison each at its best is
   paired (common random numbers, Law 2015, §10.2.1) and not biased by the selection. The
   written settings were not selected: they run on the scenario's own replications
   0…m − 1, so that comparison is exactly the one ``supplysim run`` prints (also paired).
3. **Verdict.** The paired difference of every policy against the baseline, at the written
   settings and each at its best, with 95% t-intervals; a difference is called real only
   when its interval excludes 0, and otherwise the words say about how many replications
   would tell the policies apart (:mod:`supplysim.experiments.evidence`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.kpis import Unit, format_interval, format_value, json_number, lookup
from supplysim.experiments.evidence import Evidence
from supplysim.experiments.executors import Executor
from supplysim.experiments.optimize import Constraint, OptimizeResult, chained, optimize_each
from supplysim.experiments.runner import run_many
from supplysim.scenario import Scenario
from supplysim.scenario.load import ScenarioError, with_overrides

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SETTINGS", "CompareResult", "compare_policies", "value_at"]

SETTINGS = ("written", "best")
"""The two comparisons: at the settings the scenario writes, and each policy at its best."""

_WORDS = {"written": "At the written settings", "best": "Each at its best"}


def value_at(scenario: Scenario, policy: str, path: str) -> Any:
    """The value of the key ``path`` (e.g. ``replenishment.reorder_point``) in ``policy``'s
    resolved model; None when the path does not lead to a value."""
    node: Any = scenario.policies[policy].model_dump(by_alias=True)
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


@dataclass
class CompareResult:
    """The optimum of every policy and the two paired comparisons, with their views."""

    scenario: Scenario
    """The scenario as compared (only the selected policies)."""
    objective: str
    sense: str
    constraints: list[Constraint]
    ranges: dict[str, list[int]]
    optima: dict[str, OptimizeResult]
    """policy → its search."""
    written: Experiment
    """Every policy at the written settings, on replications 0…m − 1 (as ``supplysim run``)."""
    best: Experiment | None
    """Every policy that has a feasible optimum, at its optimum, on the same replications
    (None when none has)."""
    written_values: dict[str, dict[str, Any]]
    """policy → key path → its value at the written settings."""
    notes: list[str] = field(default_factory=list)

    @property
    def kpis(self) -> list[str]:
        """The objective, the constrained indicators and the fill rate, once each."""
        return list(dict.fromkeys([self.objective, *(c.kpi for c in self.constraints), "fill_rate"]))

    @property
    def complete(self) -> bool:
        """True when every policy has a feasible optimum."""
        return all(r.chosen is not None for r in self.optima.values())

    def experiment(self, setting: str) -> Experiment | None:
        """The confirmation run of ``setting`` (``written`` or ``best``)."""
        if setting not in SETTINGS:
            raise ValueError(f"setting must be one of {SETTINGS}, found {setting!r}")
        return self.written if setting == "written" else self.best

    def point(self, policy: str) -> dict[str, int] | None:
        """The best values of ``policy`` by key path (None when no point is feasible)."""
        chosen = self.optima[policy].chosen
        return dict(chosen.point) if chosen is not None else None

    def evidence(self, setting: str, policy: str, kpi: str | None = None) -> Evidence | None:
        """The paired difference ``policy`` − baseline on ``kpi`` (default: the objective)."""
        exp = self.experiment(setting)
        if exp is None or policy not in exp.scenario.policies or policy == exp.baseline:
            return None
        k = kpi or self.objective
        return Evidence.paired(k, exp.series(policy, k), exp.series(exp.baseline, k))

    # ------------------------------------------------------------ words

    def _label(self, point: dict[str, Any]) -> str:
        return ", ".join(f"{p} = {v:g}" if isinstance(v, int | float) else f"{p} = {v}" for p, v in point.items())

    def _sentence(self, setting: str, policy: str) -> str | None:
        exp = self.experiment(setting)
        ev = self.evidence(setting, policy)
        if exp is None or ev is None or ev.n == 0 or not math.isfinite(ev.diff):
            return None
        kpi, base = self.objective, exp.baseline
        head = _WORDS[setting]
        if ev.real:
            verb = "earns" if lookup(kpi).unit is Unit.MONEY else "has"
            word = "more" if ev.diff > 0 else "less"
            amount = format_value(kpi, abs(ev.diff))
            return f"{head}: {policy} {verb} {amount} {word} {kpi} than {base} ({ev.amount()}): a real difference."
        return f"{head}: {policy} is {ev.undecided(base)}."

    def lines(self) -> list[str]:
        """The answer in plain words: each policy's best settings, then the comparison at the
        written settings and each at its best."""
        kpi = self.objective
        exp = self.best
        n = self.written.summary(self.written.baseline, kpi).n
        out = [
            f"Each policy at its own best {kpi} ({'maximised' if self.sense == 'max' else 'minimised'} over "
            + ", ".join(f"{p} {v[0]}…{v[-1]}" for p, v in self.ranges.items())
            + (f", subject to {' and '.join(map(str, self.constraints))}" if self.constraints else "")
            + f"), confirmed on {n} fresh replications, the same for every policy:"
        ]
        for policy, res in self.optima.items():
            values = self.written_values[policy]
            written = self._label(values) if len(values) > 1 else ", ".join(f"{v}" for v in values.values())
            if res.chosen is None or exp is None:
                bounds = " and ".join(map(str, self.constraints))
                out.append(f"  {policy}: no point meets {bounds} (written: {written}).")
                continue
            s = exp.summary(policy, kpi)
            sure = "" if res.sure or len(res.finalists) < 2 else " (other finalists are not told apart from it)"
            out.append(
                f"  {policy}: {self._label(res.chosen.point)} (written: {written}) — {kpi} "
                f"{format_interval(kpi, s.mean, s.ci95_half_width)}{sure}"
            )
        for setting in SETTINGS:
            e = self.experiment(setting)
            if e is None:
                continue
            for policy in e.scenario.policies:
                sentence = self._sentence(setting, policy)
                if sentence is not None:
                    out.append(sentence)
        out.extend(self.notes)
        return out

    # ------------------------------------------------------------ data

    def _objective(self, exp: Experiment, policy: str) -> dict[str, Any]:
        return {k: _interval(exp, policy, k) for k in self.kpis}

    def _difference(self, setting: str, policy: str) -> dict[str, Any]:
        ev = self.evidence(setting, policy)
        if ev is None:
            return {}
        rel = ev.diff / abs(ev.reference) if ev.reference and math.isfinite(ev.reference) else math.nan
        return {
            "diff": json_number(ev.diff),
            "ci95_low": json_number(ev.diff - ev.half_width),
            "ci95_high": json_number(ev.diff + ev.half_width),
            "relative": json_number(rel),
            "significant": ev.real,
            "replications_to_tell_apart": None if ev.real else ev.needed,
        }

    def to_dict(self) -> dict[str, Any]:
        """``compare.json``: every policy's best values by key path, its indicators at both
        settings, and the paired differences against the baseline at both."""
        best = self.best
        policies: dict[str, Any] = {}
        for policy, res in self.optima.items():
            entry: dict[str, Any] = {
                "best": self.point(policy),
                "written": self.written_values[policy],
                "at_written": self._objective(self.written, policy),
                "at_best": self._objective(best, policy) if best and policy in best.scenario.policies else None,
                "best_with_95pct_confidence": res.sure if res.chosen else None,
                "search": res.to_dict(),
            }
            policies[policy] = entry
        n = self.written.summary(self.written.baseline, self.objective).n
        return {
            "scenario": self.scenario.name,
            "objective": self.objective,
            "sense": self.sense,
            "constraints": [str(c) for c in self.constraints],
            "over": {p: [v[0], v[-1]] for p, v in self.ranges.items()},
            "confirmation": {
                "replications": n,
                "first_replication_at_best": best.first if best is not None else None,
                "first_replication_at_written": self.written.first,
            },
            "baseline": {s: e.baseline for s in SETTINGS if (e := self.experiment(s)) is not None},
            "policies": policies,
            "differences": {
                s: {p: self._difference(s, p) for p in e.scenario.policies if p != e.baseline}
                for s in SETTINGS
                if (e := self.experiment(s)) is not None
            },
            "notes": self.notes,
        }

    def table(self) -> pd.DataFrame:
        """Tidy: one row per setting × policy × indicator — the best values (key path columns),
        mean, 95% half-width, n, and the paired difference vs the baseline with its interval."""
        import pandas as pd

        rows = []
        for setting in SETTINGS:
            exp = self.experiment(setting)
            if exp is None:
                continue
            for policy in exp.scenario.policies:
                values = self.written_values[policy] if setting == "written" else (self.point(policy) or {})
                for kpi in self.kpis:
                    s = exp.summary(policy, kpi)
                    ev = self.evidence(setting, policy, kpi)
                    rows.append(
                        {
                            "setting": setting,
                            "policy": policy,
                            **values,
                            "kpi": kpi,
                            "mean": s.mean,
                            "ci95_half_width": s.ci95_half_width,
                            "n": s.n,
                            "diff_vs_baseline": ev.diff if ev else math.nan,
                            "diff_ci95_low": ev.diff - ev.half_width if ev else math.nan,
                            "diff_ci95_high": ev.diff + ev.half_width if ev else math.nan,
                            "significant": ev.real if ev else None,
                        }
                    )
        return pd.DataFrame(rows)


def _interval(exp: Experiment, policy: str, kpi: str) -> dict[str, Any]:
    s = exp.summary(policy, kpi)
    return {"mean": json_number(s.mean), "ci95_half_width": json_number(s.ci95_half_width), "n": s.n}


def compare_policies(
    scenario: Scenario,
    over: Sequence[tuple[str, list[int]]],
    *,
    objective: str = "profit",
    sense: str = "max",
    constraints: Sequence[Constraint] = (),
    policies: Sequence[str] | None = None,
    n1: int = 10,
    n2: int = 40,
    finalists: int = 5,
    max_points: int = 12,
    confirm: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CompareResult:
    """Optimise ``over`` for every policy, then compare the policies at their optima on ``confirm``
    fresh replications (default: the scenario's number), and at the written settings on
    replications 0…confirm − 1.

    Args:
        over: (key path, integer values) pairs, as :func:`~supplysim.experiments.optimize.parse_over` gives.
        objective, sense, constraints, n1, n2, finalists, max_points: as for
            :func:`~supplysim.experiments.optimize.optimize`.
        policies: the policies to compare (default: all), in the scenario's order; the first
            of them is the baseline.
        confirm: replications of each comparison; at the optima they use the indices right after
            every index the search used, the same for every policy.
    """
    if sense not in ("max", "min"):
        raise ValueError(f"sense must be 'max' or 'min', found {sense!r}")
    progress = chained(progress)
    unknown = [p for p in policies or () if p not in scenario.policies]
    if unknown:
        raise ScenarioError(f"--policy {unknown[0]!r} is not a policy of this scenario: {', '.join(scenario.policies)}")
    names = [p for p in scenario.policies if not policies or p in policies]
    results = optimize_each(
        scenario,
        over,
        names,
        objective=objective,
        sense=sense,
        constraints=constraints,
        n1=n1,
        n2=n2,
        finalists=finalists,
        max_points=max_points,
        workers=workers,
        executor=executor,
        progress=progress,
    )
    optima = dict(zip(names, results, strict=True))
    only = scenario.model_copy(update={"policies": {p: scenario.policies[p] for p in names}})
    m = confirm if confirm is not None else scenario.replications
    if m < 2:
        raise ScenarioError(f"the confirmation needs at least 2 replications, found {m}")
    start = max(n1, n2)
    reps = range(start, start + m)
    paths = [p for p, _ in over]
    notes: list[str] = []
    configs = {}
    for policy, res in optima.items():
        if res.chosen is None:
            continue
        moved = with_overrides(scenario, list(res.chosen.point.items()))
        configs[policy] = moved.policies[policy]
        fixed = [p for p in paths if value_at(moved, policy, p) != res.chosen.point[p]]
        if fixed:
            kept = ", ".join(f"{p} = {value_at(moved, policy, p)}" for p in fixed)
            notes.append(f"Note: {policy} sets {kept} itself, so the search does not move it.")
        edges = [p for p, v in res.chosen.point.items() if v in (res.ranges[p][0], res.ranges[p][-1])]
        if edges:
            at = "is at the edge of its range" if len(edges) == 1 else "are at the edges of their ranges"
            notes.append(f"Note: {policy}'s best {', '.join(edges)} {at}; its optimum may lie beyond — widen --over.")
    at_best = only.model_copy(update={"policies": configs}) if configs else None
    written = run_many([only], workers=workers, executor=executor, progress=progress, replications=range(m))[0]
    best = (
        run_many([at_best], workers=workers, executor=executor, progress=progress, replications=reps)[0]
        if at_best is not None
        else None
    )
    if best is not None:
        for policy in best.scenario.policies:
            for c in constraints:
                mean = best.summary(policy, c.kpi).mean
                if not c.holds(mean):
                    notes.append(
                        f"Note: on the fresh replications {policy} at its best has {c.kpi} "
                        f"{format_value(c.kpi, mean)}, which misses {c}: the search judged it on other replications."
                    )
    written_values = {p: {path: value_at(only, p, path) for path in paths} for p in names}
    return CompareResult(
        only, objective, sense, list(constraints), dict(over), optima, written, best, written_values, notes
    )
