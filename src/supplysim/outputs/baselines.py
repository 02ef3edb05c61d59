"""The files of ``supplysim check``: baselines (read and rewritten), ``check.json`` and the JUnit XML report.

A baseline is the ``summary.json`` of a benchmark scenario, committed under
``<folder>/<scenario name>/summary.json`` (``docs/check.md``). Every file is
written atomically, with :func:`supplysim.outputs.folders.write_file`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.regression import Comparison, FailOn, Verdict
from supplysim.outputs.documents import summary_json
from supplysim.outputs.folders import write_file
from supplysim.scenario.errors import excerpt
from supplysim.scenario.hints import unknown_name
from supplysim.scenario.limits import MAX_DEPTH, MAX_EXCERPT, MAX_POLICIES, MAX_REPLICATIONS
from supplysim.scenario.yaml_source import UnreadableFile, read_text

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


_HINT = "restore it from version control, or rewrite it with `supplysim check ... --update`"

MAX_KPIS = 1_000
"""Most indicators of one policy in a baseline (a scenario reports a few dozen)."""

SETTINGS_TYPES: dict[str, str] = {
    "supplysim_version": "a text",
    "scenario": "a text",
    "scenario_sha256": "64 hexadecimal digits",
    "seed": "a whole number ≥ 0",
    "replications": f"a whole number from 1 to {MAX_REPLICATIONS:,}",
    "horizon": "a finite number > 0",
    "warmup": "a finite number ≥ 0",
    "baseline": "a policy name",
    "policies": "a mapping of policies",
    "provenance": "a mapping",
}
"""The top-level keys of a ``summary.json`` and what each holds."""


class _Literal:
    """A JSON value that is no number of a summary: ``NaN``, ``Infinity``, or an integer too long."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _int(text: str) -> int | _Literal:
    return int(text) if len(text) <= 19 else _Literal(text if len(text) <= 24 else f"{text[:12]}… ({len(text)} digits)")


def _decode(path: Path, text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_Literal, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{path}:{exc.lineno}:{exc.colno}: the baseline is not valid JSON ({exc.msg})\n  hint: {_HINT}"
        ) from None
    except RecursionError:
        raise BaselineError(f"{path}: nested more than {MAX_DEPTH} levels deep\n  hint: {_HINT}") from None


def _depth(doc: Any) -> int:
    """How deeply ``doc``'s mappings and lists nest (without recursion)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _key(name: Any) -> str:
    """A key of a key path: as it is when it is a plain name, else a short quoted excerpt."""
    text = str(name)
    return text if re.fullmatch(r"[A-Za-z0-9_.\-]{1,60}", text) else excerpt(name)


def _found(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    return excerpt(value) if isinstance(value, str) else repr(value)[:MAX_EXCERPT]


class _Reader:
    """Checks a decoded baseline; every problem is a :class:`BaselineError` naming its key path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def bad(self, at: str, expected: str, value: Any, hint: str = _HINT) -> BaselineError:
        return BaselineError(f"{self.path}: {at}: expected {expected}, found {_found(value)}\n  hint: {hint}")

    def number(self, at: str, value: Any, *, low: float | None = None, strict: bool = False) -> None:
        """A finite JSON number (or null: undefined), at least ``low`` (above it if ``strict``)."""
        if value is None:
            return
        what = "a finite number" + ("" if low is None else f" {'>' if strict else '≥'} {low:g}") + " or null"
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.bad(at, what, value)
        if low is not None and (value < low or (strict and value == low)):
            raise self.bad(at, what, value)

    def whole(self, at: str, value: Any, low: int, high: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.bad(at, f"a whole number from {low:,} to {high:,}", value)

    def text(self, at: str, value: Any, expected: str = "a text") -> None:
        if not isinstance(value, str) or not 0 < len(value) <= 200:
            raise self.bad(at, expected, value)

    def settings(self, doc: dict[str, Any], scenario: str | None) -> None:
        for key in doc:
            if key not in SETTINGS_TYPES:
                raise BaselineError(
                    f"{self.path}: {unknown_name('a key of a summary.json', str(key), SETTINGS_TYPES)}\n  hint: {_HINT}"
                )
        for key in ("supplysim_version", "scenario", "baseline"):
            if key in doc:
                self.text(key, doc[key])
        sha = doc.get("scenario_sha256")
        if sha is not None and not (isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha)):
            raise self.bad("scenario_sha256", SETTINGS_TYPES["scenario_sha256"], sha)
        if "seed" in doc:
            self.whole("seed", doc["seed"], 0, 2**63 - 1)
        if "replications" in doc:
            self.whole("replications", doc["replications"], 1, MAX_REPLICATIONS)
        if "horizon" in doc:
            self.number("horizon", doc["horizon"], low=0.0, strict=True)
        if "warmup" in doc:
            self.number("warmup", doc["warmup"], low=0.0)
        if "provenance" in doc and not isinstance(doc["provenance"], dict):
            raise self.bad("provenance", "a mapping", doc["provenance"])
        if scenario is not None and "scenario" in doc and doc["scenario"] != scenario:
            raise self.bad(
                "scenario",
                f"the baseline of {scenario!r}",
                doc["scenario"],
                "the file belongs to another scenario: rewrite it with `supplysim check ... --update`",
            )

    def policies(self, doc: dict[str, Any]) -> None:
        policies = doc.get("policies")
        if not isinstance(policies, dict) or not policies:
            raise self.bad("policies", "a mapping of policies (not a supplysim summary.json?)", policies)
        if len(policies) > MAX_POLICIES:
            raise self.bad("policies", f"at most {MAX_POLICIES} policies", f"{len(policies):,} policies")
        for policy, entry in policies.items():
            at = f"policies.{_key(policy)}"
            kpis = entry.get("kpis") if isinstance(entry, dict) else None
            if not isinstance(kpis, dict):
                raise self.bad(f"{at}.kpis", "a mapping of indicators", kpis)
            if len(kpis) > MAX_KPIS:
                raise self.bad(f"{at}.kpis", f"at most {MAX_KPIS:,} indicators", f"{len(kpis):,}")
            for kpi, stat in kpis.items():
                self.statistic(f"{at}.kpis.{_key(kpi)}", stat)
            vs = entry.get("vs_baseline", {})
            if not isinstance(vs, dict):
                raise self.bad(f"{at}.vs_baseline", "a mapping of indicators", vs)
            for kpi, d in vs.items():
                if not isinstance(d, dict):
                    raise self.bad(f"{at}.vs_baseline.{_key(kpi)}", "a mapping: diff, ci95_low, ci95_high", d)
                for key in ("diff", "ci95_low", "ci95_high"):
                    self.number(f"{at}.vs_baseline.{_key(kpi)}.{key}", d.get(key))
        if "baseline" in doc and doc["baseline"] not in policies:
            raise BaselineError(
                f"{self.path}: baseline: {unknown_name('a policy of this baseline', doc['baseline'], policies)}\n"
                f"  hint: {_HINT}"
            )

    def statistic(self, at: str, stat: Any) -> None:
        """mean (finite or null), sd and ci95_half_width (finite ≥ 0 or null), n (0 … MAX_REPLICATIONS)."""
        if not isinstance(stat, dict):
            raise self.bad(at, "a mapping: mean, sd, ci95_half_width, n", stat)
        for key in ("mean", "sd", "ci95_half_width", "n"):
            if key not in stat:
                raise self.bad(at, f"the key {key!r} (mean, sd, ci95_half_width, n)", "none")
        self.number(f"{at}.mean", stat["mean"])
        self.number(f"{at}.sd", stat["sd"], low=0.0)
        self.number(f"{at}.ci95_half_width", stat["ci95_half_width"], low=0.0)
        self.whole(f"{at}.n", stat["n"], 0, MAX_REPLICATIONS)


def read_baseline(path: Path, scenario: str | None = None) -> dict[str, Any]:
    """A baseline summary, or :class:`BaselineError` saying what is wrong with it (file, key
    path, what was expected, what was found, a hint).

    The file is read like a scenario (a regular file, at most ``MAX_FILE_BYTES``, never a FIFO
    or a device) and checked as strictly as it is written: only the keys of a ``summary.json``
    at the top (``provenance`` may be absent, as in older baselines); every statistic finite
    (``NaN``, ``Infinity`` and numbers that overflow are refused: JSON has no such numbers and
    ``summary.json`` writes an undefined value as null), standard deviations and half-widths
    ≥ 0, ``n`` a whole number from 0 to ``MAX_REPLICATIONS``; nesting at most ``MAX_DEPTH``
    levels; at most ``MAX_POLICIES`` policies of at most :data:`MAX_KPIS` indicators. With
    ``scenario``, the baseline must be that scenario's (its ``scenario`` name); a different
    ``scenario_sha256`` is not an error: it means the scenario was edited, and the comparison
    says so.
    """
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        if str(exc) == "no such file":
            raise BaselineError(
                f"{path}: no baseline\n  hint: create it with `supplysim check ... --update` and commit it"
            ) from None
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    doc = _decode(path, text)
    if _depth(doc) > MAX_DEPTH:
        raise BaselineError(f"{path}: nested more than {MAX_DEPTH} levels deep\n  hint: {_HINT}")
    if not isinstance(doc, dict):
        raise BaselineError(f"{path}: expected a supplysim summary.json (a mapping), found {_found(doc)}")
    reader = _Reader(path)
    reader.settings(doc, scenario)
    reader.policies(doc)
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
