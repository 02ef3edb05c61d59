"""The files of ``supplysim check``: baselines (read and rewritten), ``check.json`` and the JUnit XML report.

A baseline is the ``summary.json`` of a benchmark scenario, committed under
``<folder>/<scenario name>/summary.json`` (``docs/check.md``). Every file is
written atomically, with :func:`supplysim.outputs.folders.write_file`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.regression import Comparison, FailOn, Verdict
from supplysim.outputs.documents import summary_json
from supplysim.outputs.folders import write_file

__all__ = [
    "BaselineError",
    "baseline_path",
    "check_json",
    "junit_xml",
    "read_baseline",
    "write_baseline",
]


class BaselineError(Exception):
    """A missing or unreadable baseline (exit code 2)."""


def baseline_path(folder: Path, scenario_name: str) -> Path:
    """Where the committed baseline of a scenario lives: ``<folder>/<name>/summary.json``."""
    return folder / scenario_name / "summary.json"


def read_baseline(path: Path) -> dict[str, Any]:
    """A baseline summary, or :class:`BaselineError` saying what is wrong with it.

    Only ``policies`` is checked (every indicator must hold numbers ``mean``, ``sd``,
    ``ci95_half_width``, ``n``); other keys, such as ``provenance`` (absent from older
    baselines), are not required.
    """
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


def write_baseline(path: Path, exp: Experiment) -> Path:
    """(Re)write a baseline: the experiment's ``summary.json``."""
    return write_file(path, summary_json(exp))


def _record(c: Comparison) -> dict[str, Any]:
    """A comparison as a ``check.json`` entry: its fields but the flag the note already states,
    with undefined numbers as null."""
    d = asdict(c)
    del d["random_path_changed"]
    d["verdict"] = c.verdict.value
    for k, v in d.items():
        if isinstance(v, float) and not math.isfinite(v):
            d[k] = None
    return d


def check_json(
    comparisons: Sequence[Comparison],
    errors: Mapping[str, str],
    *,
    rtol: float,
    alpha: float,
    level: float,
    scenarios: Sequence[str],
    fail_on: FailOn = FailOn.CHANGE,
) -> str:
    """The machine-readable report of a check run (``--json``)."""
    report = {
        "rtol": rtol,
        "alpha": alpha,
        "per_indicator_level": level,
        "scenarios": list(scenarios),
        "errors": dict(errors),
        "fail_on": fail_on.value,
        "failures": sum(c.fails(fail_on) for c in comparisons),
        "worse": sum(c.verdict is Verdict.WORSE for c in comparisons),
        "better": sum(c.verdict is Verdict.BETTER for c in comparisons),
        "changed": sum(c.verdict is Verdict.CHANGED for c in comparisons),
        "comparisons": [_record(c) for c in comparisons],
    }
    return json.dumps(report, indent=2) + "\n"


def junit_xml(results: Sequence[Comparison], errors: Mapping[str, str], fail_on: FailOn = FailOn.CHANGE) -> str:
    """A JUnit XML report: one test suite per scenario, one test case per policy × indicator."""
    root = ET.Element("testsuites", name="supplysim check")
    scenarios = list(dict.fromkeys([r.scenario for r in results] + list(errors)))
    for scenario in scenarios:
        rows = [r for r in results if r.scenario == scenario]
        failures = sum(r.fails(fail_on) for r in rows)
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
            if r.fails(fail_on):
                verdict = r.verdict.value
                msg = f"{r.kpi}: baseline {r.baseline}, now {r.now} ({verdict}; p={r.p_value}) {r.note}".strip()
                ET.SubElement(case, "failure", message=msg, type=verdict).text = msg
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root)))
    root.set("failures", str(sum(int(s.get("failures", "0")) for s in root)))
    root.set("errors", str(sum(int(s.get("errors", "0")) for s in root)))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
