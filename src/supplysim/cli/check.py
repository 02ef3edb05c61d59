"""``supplysim check``: the benchmark scenarios re-run and compared with their baselines.

The steps come from four layers: the scenarios are loaded, run and compared by
:mod:`supplysim.experiments.regression`; baselines and reports are read and written by
:mod:`supplysim.outputs.baselines`; the outcome is printed by :mod:`supplysim.report.terminal`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from supplysim.analysis.indicators import kpi_names
from supplysim.analysis.regression import FailOn
from supplysim.cli.common import Bar, check_names
from supplysim.experiments.regression import compare_all, compare_update, load_benchmarks, run_benchmark
from supplysim.experiments.runner import ReplicationError
from supplysim.outputs.baselines import (
    BaselineError,
    baseline_path,
    check_json,
    junit_xml,
    read_baseline,
    write_baseline,
)
from supplysim.outputs.documents import summary_document
from supplysim.outputs.folders import write_file
from supplysim.report.terminal import print_check, update_lines
from supplysim.scenario.load import ScenarioError

__all__ = ["run_check"]


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
    allow_data_outside: bool = False,
    fail_on: FailOn = FailOn.CHANGE,
    kpis: Sequence[str] = (),
    quiet: bool = False,
) -> int:
    """Run the check; returns the exit code (0 nothing fails under ``fail_on``, 1 something
    does, 2 bad input). ``kpis`` limits the comparison to those indicators."""
    err = sys.stderr
    try:
        scenarios = load_benchmarks(paths, overrides, allow_data_outside=allow_data_outside)
        known = kpi_names(m for sc in scenarios for m in sc.policies.values())
        check_names(kpis, known, "an indicator of these scenarios", "--kpi")
    except ScenarioError as exc:
        err.write(f"error: {exc}\n")
        return 2
    gate = set(kpis) or None
    show = not quiet and sys.stderr.isatty()

    errors: dict[str, str] = {}
    docs: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for sc in scenarios:
        path = baseline_path(baselines, sc.name)
        base_doc = None
        if not update:
            try:
                base_doc = read_baseline(path, sc.name)
            except BaselineError as exc:
                errors[sc.name] = str(exc)
                continue
        try:
            with Bar(show, f"checking {sc.name}") as bar:
                exp = run_benchmark(sc, workers=workers, progress=bar)
        except ReplicationError as exc:
            err.write(f"error: {sc.name}: a replication failed: {exc}\n")
            return 1
        except ScenarioError as exc:  # too large to simulate
            err.write(f"error: {sc.name}: {exc}\n")
            return 2
        now_doc = summary_document(exp)
        if base_doc is not None:
            docs[sc.name] = (base_doc, now_doc)
            continue
        old = None
        with contextlib.suppress(BaselineError):
            old = read_baseline(path)
        try:
            write_baseline(path, exp)
        except OSError as exc:
            err.write(f"error: cannot write the baseline {path}: {exc}\n")
            return 2
        rows = None if old is None else compare_update(sc.name, old, now_doc, rtol=rtol, alpha=alpha)
        for line in update_lines(sc.name, path, rows):
            print(line)
    if update:
        return 0

    result = compare_all(docs, rtol=rtol, alpha=alpha, kpis=gate)
    print_check(
        result.comparisons, errors, all_rows=all_rows, rtol=rtol, level=result.level, fail_on=fail_on, quiet=quiet
    )
    try:
        names = [sc.name for sc in scenarios]
        write_file(
            json_out,
            check_json(
                result.comparisons,
                errors,
                rtol=rtol,
                alpha=alpha,
                level=result.level,
                scenarios=names,
                fail_on=fail_on,
            ),
        )
        if junit is not None:
            write_file(junit, junit_xml(result.comparisons, errors, fail_on))
    except OSError as exc:
        err.write(f"error: cannot write the report: {exc}\n")
        return 2
    return result.exit_code(errors, fail_on)
