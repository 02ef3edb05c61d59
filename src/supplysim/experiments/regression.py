"""``supplysim check``: load and run the benchmark scenarios, compare them with their baselines.

The decision rule for one indicator is :func:`supplysim.analysis.regression.compare`; here are the
rules of a whole run: which files are benchmarks, the Bonferroni level over every indicator compared,
and the exit code. Reading and writing baselines and reports is :mod:`supplysim.outputs.baselines`'s,
printing is :mod:`supplysim.report.terminal`'s; the command line composes them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.regression import Comparison, FailOn, compare
from supplysim.experiments.runner import run_experiment
from supplysim.scenario import Scenario
from supplysim.scenario.load import ScenarioError, load_scenario, parse_override

__all__ = [
    "CheckResult",
    "compare_all",
    "compare_update",
    "indicator_count",
    "load_benchmarks",
    "run_benchmark",
    "scenario_files",
]


@dataclass(frozen=True)
class CheckResult:
    """Every comparison of a check run, and the per-indicator test level they were judged at."""

    comparisons: list[Comparison]
    level: float
    """``alpha / m`` over the ``m`` indicators of the baselines compared (Bonferroni)."""

    def failures(self, fail_on: FailOn = FailOn.CHANGE) -> int:
        """How many comparisons fail the run under ``fail_on``."""
        return sum(c.fails(fail_on) for c in self.comparisons)

    def exit_code(self, errors: Mapping[str, str], fail_on: FailOn = FailOn.CHANGE) -> int:
        """2 when a scenario had no usable baseline, 1 when an indicator fails under ``fail_on``, else 0."""
        if errors:
            return 2
        return 1 if self.failures(fail_on) else 0


def scenario_files(paths: list[Path]) -> list[Path]:
    """Scenario files named directly or found (``*.yaml``, sorted) in named folders."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
        else:
            files.append(p)
    return files


def load_benchmarks(paths: list[Path], overrides: list[str], *, allow_data_outside: bool = False) -> list[Scenario]:
    """The benchmark scenarios of ``paths`` with ``--set`` overrides applied.

    Raises:
        ScenarioError: no scenario file, an invalid scenario or override, or two scenarios
            with one name (each needs its own baseline).
    """
    files = scenario_files(paths)
    if not files:
        raise ScenarioError(f"no scenario files in {', '.join(map(str, paths))}")
    pairs = [parse_override(o) for o in overrides]
    scenarios = [load_scenario(f, pairs, allow_data_outside=allow_data_outside) for f in files]
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ScenarioError(f"several benchmark scenarios are named {dup}; each needs its own baseline")
    return scenarios


def run_benchmark(
    scenario: Scenario, *, workers: int | None, progress: Callable[[int, int], None] | None = None
) -> Experiment:
    """Every replication of every policy, as the scenario says (no precision rule, no subset);
    ``progress(done, total)`` after each replication."""
    return run_experiment(scenario, workers=workers, progress=progress)


def indicator_count(doc: Mapping[str, Any], kpis: Collection[str] | None = None) -> int:
    """How many (policy, indicator) pairs a summary holds (only indicators in ``kpis`` when given)."""
    return sum(
        sum(1 for k in entry.get("kpis", {}) if kpis is None or k in kpis) for entry in doc.get("policies", {}).values()
    )


def compare_all(
    docs: Mapping[str, tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    rtol: float,
    alpha: float,
    kpis: Collection[str] | None = None,
) -> CheckResult:
    """Compare each scenario's (baseline, now) summaries, at ``alpha`` over all baseline indicators
    (over those in ``kpis`` when given: a gate on a subset is tested over that subset only)."""
    level = alpha / max(1, sum(indicator_count(base, kpis) for base, _ in docs.values()))
    comparisons: list[Comparison] = []
    for name, (base, now) in docs.items():
        comparisons += compare(name, base, now, rtol=rtol, level=level, kpis=kpis)
    return CheckResult(comparisons, level)


def compare_update(
    name: str, old: Mapping[str, Any], now: Mapping[str, Any], *, rtol: float, alpha: float
) -> list[Comparison]:
    """What ``--update`` changes in one baseline, judged at ``alpha`` over this run's indicators."""
    level = alpha / max(1, indicator_count(now))
    return compare(name, old, now, rtol=rtol, level=level)
