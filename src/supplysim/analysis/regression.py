"""Regression checks: compare a fresh run's summary with a committed baseline.

The decision rule (``docs/check.md``):

* same supplysim version, seed, replications, horizon and warm-up: the numbers
  must be identical; any difference is reported as a change of the
  simulation's random path (with a hint), and then judged like any other change;
* an indicator **really changes** when its change is statistically real *and*
  practically relevant: Welch's two-sample t-test on the replication means
  (mean, sd, n of both summaries; Welch 1947, Satterthwaite degrees of freedom)
  rejects "no change" at a Bonferroni-corrected level ``alpha / m`` over the
  ``m`` indicators compared in the run (family-wise error rate ≤ ``alpha``), and
  the relative change exceeds ``rtol``; a real change is *worse* or *better* by the
  indicator's direction in the KPI registry, or *changed* when it has none
  (:class:`~supplysim.analysis.verdicts.Verdict`), and ``--fail-on``
  (:class:`~supplysim.analysis.verdicts.FailOn`) says which fail a run.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from scipy import special

from supplysim.analysis.kpis import Better, lookup
from supplysim.analysis.verdicts import FailOn, Verdict

__all__ = ["SETTINGS", "Comparison", "FailOn", "Verdict", "compare", "welch"]

SETTINGS = ("supplysim_version", "scenario_sha256", "seed", "replications", "horizon", "warmup")
"""The keys of a summary that fix the random path: equal settings must give equal numbers.
Other keys (the ``provenance`` of the run among them) are not compared."""

RANDOM_PATH_NOTE = "the random path changed (same version, scenario and seed; different numbers)"


@dataclass(frozen=True)
class Comparison:
    """One indicator of one policy of one scenario, baseline vs now."""

    scenario: str
    policy: str
    kpi: str
    baseline: float | None
    now: float | None
    change: float | None
    """now − baseline."""
    relative: float | None
    """(now − baseline) / |baseline|."""
    p_value: float | None
    verdict: Verdict
    note: str = ""
    random_path_changed: bool = False
    """The numbers differ although version, scenario and seed are the baseline's (see :data:`SETTINGS`)."""

    @property
    def real_change(self) -> bool:
        """A change that is significant and larger than the tolerance, in any direction."""
        return self.verdict in (Verdict.WORSE, Verdict.BETTER, Verdict.CHANGED)

    @property
    def failed(self) -> bool:
        """Fails a run under the default ``--fail-on change``."""
        return self.fails(FailOn.CHANGE)

    def fails(self, fail_on: FailOn) -> bool:
        """Whether this comparison fails a run under ``fail_on``."""
        return fail_on.fails(self.verdict)


def welch(m0: float, s0: float, n0: int, m1: float, s1: float, n1: int) -> tuple[float, float]:
    """Two-sided p-value and t statistic of Welch's test for equal means from summary statistics."""
    v = (s0 * s0 / n0 if n0 else 0.0) + (s1 * s1 / n1 if n1 else 0.0)
    diff = m1 - m0
    if v == 0.0:
        return (1.0 if diff == 0 else 0.0), (0.0 if diff == 0 else math.copysign(math.inf, diff))
    t = diff / math.sqrt(v)
    num = v * v
    den = (s0**4 / (n0 * n0 * (n0 - 1)) if n0 > 1 else 0.0) + (s1**4 / (n1 * n1 * (n1 - 1)) if n1 > 1 else 0.0)
    df = num / den if den > 0 else max(n0 + n1 - 2, 1)
    return float(2 * special.stdtr(df, -abs(t))), t


def _finite(x: Any) -> float | None:
    """A summary number, or None when undefined (null, NaN or infinite)."""
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def _stat(doc: Mapping[str, Any], policy: str, kpi: str) -> Mapping[str, Any] | None:
    entry = doc.get("policies", {}).get(policy, {}).get("kpis", {}).get(kpi)
    return entry if isinstance(entry, Mapping) else None


def compare(
    scenario: str,
    baseline: Mapping[str, Any],
    now: Mapping[str, Any],
    *,
    rtol: float,
    level: float,
    kpis: Collection[str] | None = None,
) -> list[Comparison]:
    """Compare every indicator of every policy (those in ``kpis`` when given); ``level`` is the
    per-indicator test level."""
    same_path = all(baseline.get(k) == now.get(k) for k in SETTINGS)
    out: list[Comparison] = []
    policies = list(dict.fromkeys([*baseline.get("policies", {}), *now.get("policies", {})]))
    for policy in policies:
        names = list(
            dict.fromkeys(
                [
                    *baseline.get("policies", {}).get(policy, {}).get("kpis", {}),
                    *now.get("policies", {}).get(policy, {}).get("kpis", {}),
                ]
            )
        )
        for kpi in names:
            if kpis is None or kpi in kpis:
                out.append(_compare_one(scenario, policy, kpi, baseline, now, same_path, rtol, level))
    return out


def _compare_one(
    scenario: str,
    policy: str,
    kpi: str,
    baseline: Mapping[str, Any],
    now: Mapping[str, Any],
    same_path: bool,
    rtol: float,
    level: float,
) -> Comparison:
    b, c = _stat(baseline, policy, kpi), _stat(now, policy, kpi)
    if b is None and c is not None:
        return Comparison(
            scenario,
            policy,
            kpi,
            None,
            _finite(c.get("mean")),
            None,
            None,
            None,
            Verdict.NEW,
            "not in the baseline (a new indicator?): run `supplysim check --update` to record it",
        )
    if b is None or c is None:
        return Comparison(scenario, policy, kpi, None, None, None, None, None, Verdict.MISSING, "not in this run")
    m0, m1 = _finite(b.get("mean")), _finite(c.get("mean"))
    if m0 == m1 and b.get("sd") == c.get("sd") and b.get("n") == c.get("n"):
        return Comparison(scenario, policy, kpi, m0, m1, 0.0 if m0 is not None else None, 0.0, None, Verdict.IDENTICAL)
    note = RANDOM_PATH_NOTE if same_path else ""
    if m0 is None or m1 is None:
        note = "defined in only one of the runs" + (f"; {note}" if note else "")
        return Comparison(scenario, policy, kpi, m0, m1, None, None, None, Verdict.CHANGED, note, same_path)
    change = m1 - m0
    relative = change / abs(m0) if m0 != 0 else (math.inf if change else 0.0)
    p, _ = welch(m0, b.get("sd") or 0.0, int(b.get("n") or 0), m1, c.get("sd") or 0.0, int(c.get("n") or 0))
    real = p < level
    relevant = abs(relative) > rtol
    verdict = _direction(kpi, change) if (real and relevant) else Verdict.WITHIN_NOISE
    rel = None if math.isinf(relative) else relative
    return Comparison(scenario, policy, kpi, m0, m1, change, rel, p, verdict, note, same_path)


def _direction(kpi: str, change: float) -> Verdict:
    """WORSE or BETTER by the registry's better direction of ``kpi``; CHANGED when it has none."""
    entry = lookup(kpi)
    if entry.better is Better.NEITHER:
        return Verdict.CHANGED
    return Verdict.BETTER if change * entry.better.value > 0 else Verdict.WORSE
