"""``supplysim check``: run the benchmark scenarios, compare with the baselines, report."""

from __future__ import annotations

import contextlib
import json
import math
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from supplysim.analysis.regression import (
    BaselineError,
    Comparison,
    as_dict,
    baseline_path,
    compare,
    junit_xml,
    read_baseline,
    scenario_files,
    write_json_atomically,
)
from supplysim.experiments.runner import ReplicationError, run_experiment
from supplysim.outputs.documents import summary_document, summary_json
from supplysim.report.terminal import format_value
from supplysim.scenario import Scenario
from supplysim.scenario.load import ScenarioError, load_scenario, parse_override

__all__ = ["run_check"]


def _fmt(kpi: str, x: float | None, signed: bool = False) -> str:
    return "–" if x is None else format_value(kpi, x, signed)


def run_check(
    paths: list[Path],
    baselines: Path,
    *,
    rtol: float,
    alpha: float,
    overrides: list[str],
    update: bool,
    junit: Path | None,
    json_out: Path,
    workers: int | None,
    all_rows: bool,
) -> int:
    """Run the check; returns the exit code (0 within noise, 1 regression, 2 bad input)."""
    err = sys.stderr
    files = scenario_files(paths)
    if not files:
        err.write(f"error: no scenario files in {', '.join(map(str, paths))}\n")
        return 2
    try:
        pairs = [parse_override(o) for o in overrides]
        scenarios: list[Scenario] = [load_scenario(f, pairs) for f in files]
    except ScenarioError as exc:
        err.write(f"error: {exc}\n")
        return 2
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        err.write(f"error: several benchmark scenarios are named {dup}; each needs its own baseline\n")
        return 2

    errors: dict[str, str] = {}
    docs: dict[str, tuple[dict[str, Any] | None, dict[str, Any]]] = {}
    for sc in scenarios:
        base_doc = None
        if not update:
            try:
                base_doc = read_baseline(baseline_path(baselines, sc.name))
            except BaselineError as exc:
                errors[sc.name] = str(exc)
                continue
        try:
            exp = run_experiment(sc, workers=workers)
        except ReplicationError as exc:
            err.write(f"error: {sc.name}: a replication failed: {exc}\n")
            return 1
        now_doc = summary_document(exp)
        docs[sc.name] = (base_doc, now_doc)
        if update:
            path = baseline_path(baselines, sc.name)
            old = None
            with contextlib.suppress(BaselineError):
                old = read_baseline(path)
            try:
                write_json_atomically(path, summary_json(exp))
            except OSError as exc:
                err.write(f"error: cannot write the baseline {path}: {exc}\n")
                return 2
            if old is None:
                print(f"{sc.name}: new baseline {path}")
            else:
                level = alpha / max(1, sum(len(p["kpis"]) for p in now_doc["policies"].values()))
                rows = compare(sc.name, old, now_doc, rtol=rtol, level=level)
                changed = [r for r in rows if r.verdict != "identical"]
                print(f"{sc.name}: baseline rewritten ({len(changed)} of {len(rows)} indicators changed)")
                for r in changed[:20]:
                    print(f"  {r.policy}.{r.kpi}: {_fmt(r.kpi, r.baseline)} → {_fmt(r.kpi, r.now)} ({r.verdict})")
    if update:
        return 0

    total = 0
    for base_doc, _ in docs.values():
        assert base_doc is not None
        for entry in base_doc["policies"].values():
            total += len(entry.get("kpis", {}))
    level = alpha / max(1, total)
    results: list[Comparison] = []
    for name, (base_doc, now_doc) in docs.items():
        assert base_doc is not None
        results += compare(name, base_doc, now_doc, rtol=rtol, level=level)

    _print(results, errors, all_rows, rtol, level)
    report = {
        "rtol": rtol,
        "alpha": alpha,
        "per_indicator_level": level,
        "scenarios": names,
        "errors": errors,
        "regressions": sum(r.verdict == "regression" for r in results),
        "comparisons": [as_dict(r) for r in results],
    }
    try:
        write_json_atomically(json_out, json.dumps(report, indent=2) + "\n")
        if junit is not None:
            write_json_atomically(junit, junit_xml(results, errors))
    except OSError as exc:
        err.write(f"error: cannot write the report: {exc}\n")
        return 2
    if errors:
        return 2
    return 1 if any(r.failed for r in results) else 0


def _print(results: list[Comparison], errors: dict[str, str], all_rows: bool, rtol: float, level: float) -> None:
    console = Console() if sys.stdout.isatty() else Console(width=160)
    for name, message in errors.items():
        sys.stderr.write(f"error: {name}: {message}\n")
    shown = [r for r in results if all_rows or r.failed]
    if shown:
        table = Table(title="supplysim check", caption=f"regression = Welch p < {level:.2g} and |change| > {rtol:.1%}")
        for col in ("scenario", "policy", "indicator", "baseline", "now", "change", "verdict"):
            table.add_column(col, justify="right" if col in ("baseline", "now", "change") else "left")
        for r in shown:
            change = "–"
            if r.change is not None:
                change = _fmt(r.kpi, r.change, signed=True)
                if r.relative is not None and math.isfinite(r.relative) and r.baseline:
                    change += f" ({r.relative:+.1%})"
            style = {"regression": "bold red", "missing": "bold red", "within noise": "yellow"}.get(r.verdict, "")
            table.add_row(
                r.scenario,
                r.policy,
                r.kpi,
                _fmt(r.kpi, r.baseline),
                _fmt(r.kpi, r.now),
                change,
                f"[{style}]{r.verdict}[/]" if style else r.verdict,
            )
        console.print(table)
    notes = {r.scenario for r in results if "random path" in r.note}
    for name in sorted(notes):
        console.print(
            f"note: {name}: same supplysim version, scenario and seed as the baseline, but different numbers: "
            "the simulation's random path changed (a change to the model or a policy, or a new use of a random "
            "stream, without a version bump). If intended, review with --all and run `supplysim check --update`.",
            highlight=False,
        )
    differs = sorted({r.scenario for r in results if r.verdict != "identical" and "random path" not in r.note})
    if differs:
        console.print(
            f"note: {', '.join(differs)}: the scenario, seed or version differs from the baseline's "
            "(overrides, edits or a new version), so changes are judged statistically.",
            highlight=False,
        )
    by = {
        v: sum(r.verdict == v for r in results) for v in ("identical", "within noise", "regression", "missing", "new")
    }
    console.print(
        f"{len(results)} indicators: {by['identical']} identical, {by['within noise']} within noise, "
        f"{by['regression']} regressions, {by['missing']} missing"
        + (f", {by['new']} new (not in the baseline)" if by["new"] else "")
        + (f"; {len(errors)} scenario(s) without a usable baseline" if errors else ""),
        highlight=False,
    )
