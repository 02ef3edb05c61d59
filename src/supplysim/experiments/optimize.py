"""Simulation optimisation over integer parameters: screen a grid, then select the best.

The method follows the "screen, then select" idea of Nelson, Swann, Goldsman &
Song (2001, *Operations Research* 49(6)) with common random numbers:

1. **Grid** (stage 1). Every point of the grid of the ``--over`` ranges is run
   with ``n1`` replications. A range with more than ``max_points`` values is
   first searched on a coarse grid (step chosen so the grid has at most that
   many values), then on a unit-step grid around the best coarse point.
2. **Screening.** Points whose constraint indicators miss their bounds (on the
   stage-1 means) are dropped; the ``finalists`` best remaining points by the
   objective go on.
3. **Selection** (stage 2). The finalists are run up to ``n2`` replications
   (the first ``n1`` are reused: the same replication indices, so the same
   random numbers); the feasible finalist with the best mean is chosen.
4. **How sure.** For every other finalist, the paired difference of the
   objective (same replications) gets a two-sided t-interval at the
   Bonferroni level 1 − 0.05/(k − 1) (simultaneous 95% for the k − 1
   comparisons, in the spirit of multiple comparisons with the best, Hsu 1996).
   If every interval lies above zero, the choice is the best finalist with at
   least 95% confidence; otherwise the finalists whose interval contains zero
   cannot be told apart from it with these replications, and the report says
   so, with about how many replications would (:mod:`supplysim.experiments.evidence`).

:func:`optimize_each` runs the search for several policies, one after the other,
on the same replication indices (so the same random numbers).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import kpi_names
from supplysim.analysis.kpis import Unit, format_interval, format_value, json_number, lookup
from supplysim.experiments.evidence import Evidence
from supplysim.experiments.executors import Executor
from supplysim.experiments.runner import run_many
from supplysim.scenario.errors import clip
from supplysim.scenario.hints import UnknownNameError, unknown_name
from supplysim.scenario.limits import MAX_GRID_POINTS, MAX_GRID_VALUES
from supplysim.scenario.load import ScenarioError, ScenarioLike, load_scenario, with_overrides
from supplysim.scenario.overrides import grid_point, parts
from supplysim.scenario.specs import Scenario

__all__ = [
    "Constraint",
    "OptimizeResult",
    "breaks_a_joint_rule",
    "grid_scenario",
    "optimize",
    "optimize_each",
    "parse_constraint",
    "parse_over",
]

_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w@.\-]*)\s*(>=|<=)\s*(-?[\d.eE+\-]+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``kpi >= bound`` or ``kpi <= bound``."""

    kpi: str
    op: str
    bound: float

    def holds(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return value >= self.bound if self.op == ">=" else value <= self.bound

    def __str__(self) -> str:
        return f"{self.kpi} {self.op} {self.bound:g}"


def parse_constraint(text: str) -> Constraint:
    """``fill_rate>=0.95`` → Constraint.

    A bound on a share (an indicator whose unit in the registry is a fraction, such as
    ``fill_rate``) must lie in [0, 1]; ``fill_rate>=95`` is refused here, before anything
    runs, with the hint to write 0.95 for 95%.
    """
    m = _CONSTRAINT.match(text)
    try:
        if not m:
            raise ValueError
        constraint = Constraint(m.group(1), m.group(2), float(m.group(3)))
        if not math.isfinite(constraint.bound):
            raise ValueError
    except ValueError:
        raise ScenarioError(
            f"--subject-to {clip(text, 100)}: expected KPI>=BOUND or KPI<=BOUND with a number, e.g. 'fill_rate>=0.95' "
            "(quote it: the shell reads > as a redirection)"
        ) from None
    if lookup(constraint.kpi).unit is Unit.FRACTION and not 0.0 <= constraint.bound <= 1.0:
        b = constraint.bound
        hint = f": write {b / 100:g} for {b:g}%" if 1.0 < b <= 100.0 else ""
        raise ScenarioError(
            f"--subject-to {clip(text, 100)}: {constraint.kpi} is a share in [0, 1]{hint}; a bound of {b:g} "
            + ("can never be met" if (b > 1) == (constraint.op == ">=") else "always holds")
        )
    return constraint


def parse_over(text: str) -> tuple[str, list[int]]:
    """``PATH=LOW:HIGH[:STEP]`` → (path, integer values, inclusive)."""
    if "=" not in text:
        raise ScenarioError(f"--over {clip(text, 100)}: expected PATH=LOW:HIGH or PATH=LOW:HIGH:STEP (whole numbers)")
    path, spec = (p.strip() for p in text.split("=", 1))
    try:
        parts = [int(x) for x in spec.split(":")]
    except ValueError:
        raise ScenarioError(f"--over {clip(text, 100)}: the range must be whole numbers LOW:HIGH[:STEP]") from None
    if len(parts) == 2:
        parts.append(1)
    if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
        raise ScenarioError(f"--over {clip(text, 100)}: expected LOW ≤ HIGH and a positive STEP")
    count = (parts[1] - parts[0]) // parts[2] + 1
    if count > MAX_GRID_VALUES:
        raise ScenarioError(
            f"--over {clip(text, 100)}: {count:,} values, more than {MAX_GRID_VALUES:,} (docs/limits.md)\n"
            "  hint: narrow the range or give a STEP, e.g. LOW:HIGH:10"
        )
    return path, list(range(parts[0], parts[1] + 1, parts[2]))


@dataclass
class Candidate:
    """One point of the search and its experiment."""

    point: dict[str, int]
    experiment: Experiment

    def mean(self, policy: str, kpi: str) -> float:
        return self.experiment.summary(policy, kpi).mean


@dataclass
class OptimizeResult:
    """The chosen point and the evidence."""

    objective: str
    sense: str
    policy: str
    constraints: list[Constraint]
    chosen: Candidate | None
    finalists: list[Candidate]
    evaluated: int
    """Grid points run in stage 1 (coarse and fine)."""
    gaps: list[dict[str, Any]] = field(default_factory=list)
    """For each other finalist: paired difference chosen − other, simultaneous interval."""
    ranges: dict[str, list[int]] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    """For each gap: the difference other − chosen in the objective's own direction, at the
    same simultaneous level (for the words)."""
    screened: list[Candidate] = field(default_factory=list)
    """Every grid point run (coarse and fine), in the order run; finalists carry their stage-2
    replications (for the objective-versus-parameter figure)."""
    not_models: list[tuple[dict[str, int], ScenarioError]] = field(default_factory=list)
    """Grid points skipped because together their values break a rule of the model (e.g. an
    (s, S) point with S ≤ s), each with the error that says which: (point, error)."""

    @property
    def sure(self) -> bool:
        """True when the chosen point beats every other feasible finalist with ≥ 95% confidence."""
        return all(g["low"] > 0 for g in self.gaps if g["feasible"])

    def lines(self) -> list[str]:
        """The outcome in plain words."""
        skipped = self._skipped_line()
        if self.chosen is None:
            return [
                f"No point meets {' and '.join(map(str, self.constraints))} for {self.policy} "
                f"(searched {self.evaluated} points); widen the ranges or relax the constraint.",
                *skipped,
            ]
        return [*self._outcome_lines(), *skipped]

    def _skipped_line(self) -> list[str]:
        """One sentence on the grid points that are not models, with the first one's reason."""
        if not self.not_models:
            return []
        point, error = self.not_models[0]
        where = ", ".join(f"{k} = {v}" for k, v in point.items())
        n = len(self.not_models)
        rule = error.rules[0] if error.rules else str(error).splitlines()[0]
        return [
            f"Skipped {n} grid point{'s' if n != 1 else ''} that {'are' if n != 1 else 'is'} not a valid model "
            f"(the first, {where}: {rule}; optimize.json lists each)."
        ]

    def _outcome_lines(self) -> list[str]:
        assert self.chosen is not None
        exp = self.chosen.experiment
        s = exp.summary(self.policy, self.objective)
        point = ", ".join(f"{k} = {v}" for k, v in self.chosen.point.items())
        obj = self.objective
        out = [
            f"Best for {self.policy}: {point} — {obj} {format_value(obj, s.mean)} ± "
            f"{format_value(obj, s.ci95_half_width)} (95%, {s.n} replications)."
        ]
        for c in self.constraints:
            cs = exp.summary(self.policy, c.kpi)
            out.append(f"  {c.kpi} = {format_interval(c.kpi, cs.mean, cs.ci95_half_width)} (constraint {c})")
        edges = [k for k, v in self.chosen.point.items() if v in (self.ranges[k][0], self.ranges[k][-1])]
        if edges:
            at = "is at the edge of its range" if len(edges) == 1 else "are at the edges of their ranges"
            out.append(f"Note: {', '.join(edges)} {at}; the optimum may lie beyond — widen --over.")
        feasible = [g for g in self.gaps if g["feasible"]]
        dropped = [g["label"] for g in self.gaps if not g["feasible"]]
        if dropped:
            out.append(f"Finalists that missed the constraint with more replications: {'; '.join(dropped)}.")
        if not feasible:
            out.append("It was the only feasible finalist.")
        elif self.sure:
            runner = min(feasible, key=lambda g: g["diff"])
            out.append(
                f"It beats every other feasible finalist with ≥95% simultaneous confidence; the gap to the runner-up "
                f"({runner['label']}) is {format_value(obj, runner['diff'])} (interval "
                f"{format_value(obj, runner['low'])} … {format_value(obj, runner['high'])})."
            )
        else:
            tied = [(g, ev) for g, ev in zip(self.gaps, self.evidence, strict=True) if g["feasible"] and g["low"] <= 0]
            level = tied[0][1].confidence()
            out.append(
                f"Not told apart from the best (simultaneous {level} interval of the difference includes 0; "
                "that is not evidence that they are as good):"
            )
            out.extend(f"  {g['label']}: {ev.undecided()}." for g, ev in tied)
        return out

    def to_dict(self) -> dict[str, Any]:
        def summ(c: Candidate) -> dict[str, Any]:
            exp = c.experiment
            kpis = [self.objective, *(k.kpi for k in self.constraints)]
            return {
                "point": c.point,
                "replications": exp.summary(self.policy, self.objective).n,
                **{
                    k: {
                        "mean": json_number(exp.summary(self.policy, k).mean),
                        "ci95_half_width": json_number(exp.summary(self.policy, k).ci95_half_width),
                    }
                    for k in kpis
                },
            }

        return {
            "objective": self.objective,
            "sense": self.sense,
            "policy": self.policy,
            "constraints": [str(c) for c in self.constraints],
            "evaluated_points": self.evaluated,
            "skipped_points": [{"point": point, "message": str(error)} for point, error in self.not_models],
            "chosen": summ(self.chosen) if self.chosen else None,
            "best_with_95pct_confidence": self.sure if self.chosen else None,
            "gaps_to_other_finalists": self.gaps,
            "finalists": [summ(c) for c in self.finalists],
        }


def _grid(over: Sequence[tuple[str, list[int]]], max_points: int) -> list[tuple[str, list[int]]]:
    """Coarse version of each range: at most ``max_points`` values, ends included."""
    out = []
    for path, values in over:
        if len(values) <= max_points:
            out.append((path, values))
            continue
        step = math.ceil((len(values) - 1) / (max_points - 1))
        coarse = values[::step]
        if coarse[-1] != values[-1]:
            coarse.append(values[-1])
        out.append((path, coarse))
    return out


def grid_scenario(
    scenario: Scenario, paths: Sequence[str], point: Sequence[int], replications: int | None = None
) -> Scenario | ScenarioError:
    """``scenario`` at grid ``point`` (the values of the keys ``paths``), or the error of a point
    that is not a model because its values together break a rule relating several keys (the
    rule is located at their section, e.g. ``replenishment``: S must exceed s).

    Raises:
        ScenarioError: a value of a searched key is itself invalid (out of range, unknown key):
            bad input, not a shape of the grid.
    """
    pairs = list(zip(paths, point, strict=True))
    overrides: list[tuple[Any, ...]] = [(path, value, grid_point(pairs, path)) for path, value in pairs]
    if replications is not None:
        overrides.append(("replications", replications))
    try:
        return with_overrides(scenario, overrides)
    except ScenarioError as exc:
        if breaks_a_joint_rule(exc, paths):
            # a fresh error: no traceback (with its frames' copied data) or validation error kept
            # alive per skipped point of a grid of thousands
            return ScenarioError(str(exc), exc.paths, exc.rules)
        raise


def breaks_a_joint_rule(exc: ScenarioError, paths: Sequence[str]) -> bool:
    """True when every problem of ``exc`` is located away from the searched keys ``paths``
    (at their section or elsewhere): the combination of values is what the model refuses, not
    one value. A problem at a searched key itself (or a message about no key) is bad input."""
    own = {tuple(parts(path)) for path in paths}
    return bool(exc.paths) and not any(loc in own for loc in exc.paths)


def optimize(
    scenario: ScenarioLike,
    over: Sequence[tuple[str, list[int]]],
    *,
    objective: str = "profit",
    sense: str = "max",
    constraints: Sequence[Constraint] = (),
    policy: str | None = None,
    n1: int = 10,
    n2: int = 40,
    finalists: int = 5,
    max_points: int = 12,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> OptimizeResult:
    """Find the best integer point for ``policy`` (default: the baseline) by simulation.

    ``scenario`` may also be the scenario as a mapping or the path of its file.
    """
    scenario = load_scenario(scenario)
    known = kpi_names(scenario.policies.values())
    for kpi in [objective, *(c.kpi for c in constraints)]:
        if kpi not in known:
            raise UnknownNameError(unknown_name("an indicator of this scenario", kpi, known))
    policy = policy or scenario.baseline
    progress = chained(progress)
    if policy not in scenario.policies:
        raise UnknownNameError(unknown_name("a policy of this scenario", policy, scenario.policies, subject="policy "))
    sign = 1.0 if sense == "max" else -1.0
    names = [p for p, _ in over]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ScenarioError(f"--over {repeated[0]} is given twice; give one range per key")
    evaluated: dict[tuple[int, ...], Candidate] = {}
    not_models: dict[tuple[int, ...], ScenarioError] = {}
    paths = [p for p, _ in over]

    def evaluate(points: list[tuple[int, ...]]) -> None:
        todo, scs = [], []
        for p in points:
            if p in evaluated or p in not_models:
                continue
            sc = grid_scenario(scenario, paths, p, n1)
            if isinstance(sc, ScenarioError):
                not_models[p] = sc
                continue
            todo.append(p)
            scs.append(sc)
        if not todo:
            return
        only = [s.model_copy(update={"policies": {policy: s.policies[policy]}}) for s in scs]
        exps = run_many(only, workers=workers, executor=executor, progress=progress)
        for p, e in zip(todo, exps, strict=True):
            evaluated[p] = Candidate(dict(zip(paths, p, strict=True)), e)

    def score(c: Candidate) -> float:
        m = c.mean(policy, objective)
        return sign * m if math.isfinite(m) else -math.inf

    def feasible(c: Candidate) -> bool:
        return all(k.holds(c.mean(policy, k.kpi)) for k in constraints)

    coarse = _grid(over, max_points)
    points = math.prod(len(v) for _, v in coarse)
    if points > MAX_GRID_POINTS:
        raise ScenarioError(
            f"--over: the search grid has {points:,} points ({' × '.join(str(len(v)) for _, v in coarse)}), "
            f"more than {MAX_GRID_POINTS:,} (docs/limits.md)\n  hint: search fewer keys at once"
        )
    evaluate(list(itertools.product(*(v for _, v in coarse))))
    if not evaluated:
        first = next(iter(not_models.values()))
        raise ScenarioError(
            f"--over: no point of the search grid is a valid model; the first one:\n{first}\n"
            "  hint: choose ranges whose combinations the model accepts"
        )
    refined = any(len(c[1]) < len(o[1]) for c, o in zip(coarse, over, strict=True))
    if refined:
        ok = [c for c in evaluated.values() if feasible(c)] or list(evaluated.values())
        best = max(ok, key=score)
        local = []
        for (path, values), (_, cvals) in zip(over, coarse, strict=True):
            step = (cvals[1] - cvals[0]) if len(cvals) > 1 else 1
            centre = best.point[path]
            local.append([v for v in values if abs(v - centre) <= step])
        evaluate(list(itertools.product(*local)))

    ranked = sorted((c for c in evaluated.values() if feasible(c)), key=score, reverse=True)
    final = ranked[:finalists]
    if not final:
        return OptimizeResult(
            objective,
            sense,
            policy,
            list(constraints),
            None,
            [],
            len(evaluated),
            [],
            dict(over),
            screened=list(evaluated.values()),
            not_models=_points(paths, not_models),
        )
    # stage 2: more replications for the finalists, same indices → common random numbers
    extra = (
        run_many(
            [
                with_overrides(scenario, [*c.point.items()]).model_copy(
                    update={"policies": {policy: c.experiment.scenario.policies[policy]}}
                )
                for c in final
            ],
            workers=workers,
            executor=executor,
            progress=progress,
            replications=range(n1, max(n1, n2)),
        )
        if n2 > n1
        else [None] * len(final)
    )
    for c, more in zip(final, extra, strict=True):
        if more is not None:
            c.experiment = c.experiment.extended(more)
    still = [c for c in final if feasible(c)]
    chosen = max(still, key=score) if still else None
    gaps = []
    evidence: list[Evidence] = []
    if chosen is not None and len(final) > 1:
        k = len(final)
        level = 1 - 0.05 / max(1, k - 1)
        mine = chosen.experiment.series(policy, objective)
        for c in final:
            if c is chosen:
                continue
            theirs = c.experiment.series(policy, objective)
            d = Evidence.paired(objective, [sign * x for x in mine], [sign * x for x in theirs], level)
            words = Evidence.paired(objective, theirs, mine, level)
            evidence.append(words)
            gaps.append(
                {
                    "label": ", ".join(f"{p} = {v}" for p, v in c.point.items()),
                    "point": c.point,
                    "feasible": feasible(c),
                    "diff": d.diff,
                    "low": d.diff - d.half_width,
                    "high": d.diff + d.half_width,
                    "confidence": level,
                    "sd": d.sd,
                    "replications_to_tell_apart": None if d.real else d.needed,
                }
            )
    final.sort(key=score, reverse=True)
    return OptimizeResult(
        objective,
        sense,
        policy,
        list(constraints),
        chosen,
        final,
        len(evaluated),
        gaps,
        dict(over),
        evidence,
        screened=list(evaluated.values()),
        not_models=_points(paths, not_models),
    )


def _points(
    paths: Sequence[str], errors: dict[tuple[int, ...], ScenarioError]
) -> list[tuple[dict[str, int], ScenarioError]]:
    return [(dict(zip(paths, p, strict=True)), e) for p, e in errors.items()]


class ChainedProgress:
    """One progress count over several batches of tasks run one after the other.

    Each batch reports ``progress(done, total)`` from 1; this adds the tasks of the batches
    before it, so a progress bar never runs backwards (its total grows as batches start).
    """

    def __init__(self, progress: Callable[[int, int], None]) -> None:
        self.progress = progress
        self.before = 0
        self.last = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        if done <= self.last[0] or total != self.last[1]:  # a new batch
            self.before += self.last[0]
        self.last = (done, total)
        self.progress(self.before + done, self.before + total)


def chained(progress: Callable[[int, int], None] | None) -> Callable[[int, int], None] | None:
    """``progress`` counting across batches (:class:`ChainedProgress`); None stays None."""
    if progress is None or isinstance(progress, ChainedProgress):
        return progress
    return ChainedProgress(progress)


def optimize_each(
    scenario: ScenarioLike,
    over: Sequence[tuple[str, list[int]]],
    policies: Sequence[str] | None = None,
    **options: Any,
) -> list[OptimizeResult]:
    """:func:`optimize` for every policy in ``policies`` (default: all of the scenario's), in
    that order; ``options`` are :func:`optimize`'s keyword arguments. Every search uses the
    same replication indices, so the policies see the same random numbers."""
    scenario = load_scenario(scenario)
    names = list(dict.fromkeys(policies)) if policies else list(scenario.policies)
    for name in names:
        if name not in scenario.policies:
            raise UnknownNameError(unknown_name("a policy of this scenario", name, list(scenario.policies)))
    options["progress"] = chained(options.get("progress"))
    return [optimize(scenario, over, policy=name, **options) for name in names]
