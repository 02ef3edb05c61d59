"""Golden snapshots (labelled as such): the redesign of the package changed no number.

``tests/golden/summaries/`` holds the ``summary.json`` of every shipped scenario as
written before the package was restructured. These tests are a reproducibility
snapshot, not a check of correctness (that is the statistical suite's job): they
fail when any change alters a simulated number, on purpose or not. After a change
that is meant to alter the random path or the model, regenerate the snapshots and
say so in the commit.

Keys that describe the run's environment rather than its numbers (``provenance``)
are left out of the comparison, and keys added since the snapshot was taken (new
indicators) are allowed: every number the snapshot holds must be there, unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplysim.experiments.runner import run_experiment
from supplysim.outputs.documents import summary_document
from supplysim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "summaries"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "benchmarks").glob("*.yaml"))
ENVIRONMENT_KEYS = ("provenance",)
"""Keys of ``summary.json`` that depend on the machine and checkout, not on the scenario."""


def _snapshot_name(path: Path) -> str:
    return "_".join(path.relative_to(ROOT).with_suffix("").parts)


def test_every_scenario_has_a_snapshot() -> None:
    assert {_snapshot_name(p) for p in SCENARIOS} == {p.stem for p in GOLDEN.glob("*.json")}


def _kept(expected: object, actual: object, path: str = "$") -> list[str]:
    """Where ``actual`` differs from ``expected`` in a value ``expected`` holds: a key the
    snapshot has must be there with the same value (floats compared as the text
    ``json.dumps`` writes); keys the snapshot lacks (indicators added since) are allowed."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        missing = [f"{path}.{k}: missing" for k in expected if k not in actual]
        return missing + [m for k in expected if k in actual for m in _kept(expected[k], actual[k], f"{path}.{k}")]
    if json.dumps(expected) != json.dumps(actual):
        return [f"{path}: snapshot {json.dumps(expected)}, now {json.dumps(actual)}"]
    return []


@pytest.mark.golden
@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=_snapshot_name)
def test_summary_keeps_every_number_of_the_snapshot(path: Path) -> None:
    expected = json.loads((GOLDEN / f"{_snapshot_name(path)}.json").read_text(encoding="utf-8"))
    document = summary_document(run_experiment(load_scenario(path), workers=1))
    for key in ENVIRONMENT_KEYS:
        document.pop(key, None)
    # Every number as written to summary.json (its text, not just float equality).
    changed = _kept(expected, document)
    assert not changed, "\n".join(changed[:20])


def test_the_comparison_sees_a_changed_digit_and_allows_an_added_key() -> None:
    snapshot = {"kpis": {"profit": {"mean": 1.25, "n": 30}}}
    assert _kept(snapshot, {"kpis": {"profit": {"mean": 1.25, "n": 30}, "profit_per_time": {"mean": 0.1}}}) == []
    assert _kept(snapshot, {"kpis": {"profit": {"mean": 1.2500000000000002, "n": 30}}})
    assert _kept(snapshot, {"kpis": {"profit": {"n": 30}}}) == ["$.kpis.profit.mean: missing"]
