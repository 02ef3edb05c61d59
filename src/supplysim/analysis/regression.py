"""Regression checks: compare a fresh run's summary with a committed baseline.

The decision rule (``docs/check.md``):

* same supplysim version, seed, replications, horizon and warm-up: the numbers
  must be identical; any difference is reported as a change of the
  simulation's random path (with a hint), and then judged like any other change;
* an indicator **regresses** when its change is statistically real *and*
  practically relevant: Welch's two-sample t-test on the replication means
  (mean, sd, n of both summaries; Welch 1947, Satterthwaite degrees of freedom)
  rejects "no change" at a Bonferroni-corrected level ``alpha / m`` over the
  ``m`` indicators compared in the run (family-wise error rate ≤ ``alpha``), and
  the relative change exceeds ``rtol``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from scipy import stats

__all__ = [
    "BaselineError",
    "Comparison",
    "as_dict",
    "baseline_path",
    "compare",
    "junit_xml",
    "read_baseline",
    "scenario_files",
    "welch",
    "write_json_atomically",
]

SETTINGS = ("supplysim_version", "scenario_sha256", "seed", "replications", "horizon", "warmup")


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
    verdict: str
    """identical | within noise | regression | missing (in the baseline, not in this run) | new."""
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.verdict in ("regression", "missing")


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
    return float(2 * stats.t.sf(abs(t), df)), t


def _finite(x: Any) -> float | None:
    """A summary number, or None when undefined (null, NaN or infinite)."""
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def _stat(doc: Mapping[str, Any], policy: str, kpi: str) -> Mapping[str, Any] | None:
    entry = doc.get("policies", {}).get(policy, {}).get("kpis", {}).get(kpi)
    return entry if isinstance(entry, Mapping) else None


def compare(
    scenario: str, baseline: Mapping[str, Any], now: Mapping[str, Any], *, rtol: float, level: float
) -> list[Comparison]:
    """Compare every indicator of every policy; ``level`` is the per-indicator test level."""
    same_path = all(baseline.get(k) == now.get(k) for k in SETTINGS)
    out: list[Comparison] = []
    policies = list(dict.fromkeys([*baseline.get("policies", {}), *now.get("policies", {})]))
    for policy in policies:
        kpis = list(
            dict.fromkeys(
                [
                    *baseline.get("policies", {}).get(policy, {}).get("kpis", {}),
                    *now.get("policies", {}).get(policy, {}).get("kpis", {}),
                ]
            )
        )
        for kpi in kpis:
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
            "new",
            "not in the baseline (a new indicator?): run `supplysim check --update` to record it",
        )
    if b is None or c is None:
        return Comparison(scenario, policy, kpi, None, None, None, None, None, "missing", "not in this run")
    m0, m1 = _finite(b.get("mean")), _finite(c.get("mean"))
    if m0 == m1 and b.get("sd") == c.get("sd") and b.get("n") == c.get("n"):
        return Comparison(scenario, policy, kpi, m0, m1, 0.0 if m0 is not None else None, 0.0, None, "identical")
    note = "the random path changed (same version, scenario and seed; different numbers)" if same_path else ""
    if m0 is None or m1 is None:
        note = "defined in only one of the runs" + (f"; {note}" if note else "")
        return Comparison(scenario, policy, kpi, m0, m1, None, None, None, "regression", note)
    change = m1 - m0
    relative = change / abs(m0) if m0 != 0 else (math.inf if change else 0.0)
    p, _ = welch(m0, b.get("sd") or 0.0, int(b.get("n") or 0), m1, c.get("sd") or 0.0, int(c.get("n") or 0))
    real = p < level
    relevant = abs(relative) > rtol
    verdict = "regression" if (real and relevant) else "within noise"
    return Comparison(
        scenario, policy, kpi, m0, m1, change, None if math.isinf(relative) else relative, p, verdict, note
    )


def junit_xml(results: list[Comparison], errors: Mapping[str, str]) -> str:
    """A JUnit XML report: one test suite per scenario, one test case per policy × indicator."""
    root = ET.Element("testsuites", name="supplysim check")
    scenarios = list(dict.fromkeys([r.scenario for r in results] + list(errors)))
    for scenario in scenarios:
        rows = [r for r in results if r.scenario == scenario]
        failures = sum(r.failed for r in rows)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=scenario,
            tests=str(max(len(rows), 1)),
            failures=str(failures),
            errors="1" if scenario in errors else "0",
        )
        if scenario in errors:
            case = ET.SubElement(suite, "testcase", classname=scenario, name="baseline")
            ET.SubElement(case, "error", message=errors[scenario]).text = errors[scenario]
        for r in rows:
            case = ET.SubElement(suite, "testcase", classname=f"{scenario}.{r.policy}", name=r.kpi)
            if r.failed:
                msg = f"{r.kpi}: baseline {r.baseline}, now {r.now} ({r.verdict}; p={r.p_value}) {r.note}".strip()
                ET.SubElement(case, "failure", message=msg, type=r.verdict).text = msg
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root)))
    root.set("failures", str(sum(int(s.get("failures", "0")) for s in root)))
    root.set("errors", str(sum(int(s.get("errors", "0")) for s in root)))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def as_dict(c: Comparison) -> dict[str, Any]:
    """A comparison as a JSON-ready mapping."""
    d = asdict(c)
    for k, v in d.items():
        if isinstance(v, float) and not math.isfinite(v):
            d[k] = None
    return d


def baseline_path(folder: Path, scenario_name: str) -> Path:
    """Where the committed baseline of a scenario lives: ``<folder>/<name>/summary.json``."""
    return folder / scenario_name / "summary.json"


def scenario_files(paths: list[Path]) -> list[Path]:
    """Scenario files named directly or found (``*.yaml``, sorted) in named folders."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
        else:
            files.append(p)
    return files


def read_baseline(path: Path) -> dict[str, Any]:
    """A baseline summary, or :class:`BaselineError` saying what is wrong with it."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no baseline\n  hint: create it with `supplysim check ... --update` and commit it"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{path}:{exc.lineno}:{exc.colno}: the baseline is not valid JSON ({exc.msg})\n"
            "  hint: restore it from version control, or rewrite it with `supplysim check ... --update`"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("policies"), dict):
        raise BaselineError(f"{path}: not a supplysim summary.json (no `policies` mapping)")
    for policy, entry in doc["policies"].items():
        kpis = entry.get("kpis") if isinstance(entry, dict) else None
        if not isinstance(kpis, dict):
            raise BaselineError(f"{path}: policies.{policy} has no `kpis` mapping")
        for kpi, stat in kpis.items():
            ok = isinstance(stat, dict) and all(
                stat.get(k) is None or (isinstance(stat.get(k), int | float) and not isinstance(stat.get(k), bool))
                for k in ("mean", "sd", "ci95_half_width", "n")
            )
            ok = ok and isinstance(stat.get("n"), int) and stat["n"] >= 0
            ok = ok and (stat.get("sd") is None or stat["sd"] >= 0)
            if not ok:
                raise BaselineError(
                    f"{path}: policies.{policy}.kpis.{kpi} must hold numbers mean, sd, ci95_half_width, n; "
                    f"found {stat!r}\n  hint: restore the file, or rewrite it with `supplysim check ... --update`"
                )
    return doc


class BaselineError(Exception):
    """A missing or unreadable baseline (exit code 2)."""


def write_json_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
