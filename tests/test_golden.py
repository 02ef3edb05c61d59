"""Golden snapshots (labelled as such): the redesign of the package changed no number.

``tests/golden/summaries/`` holds the ``summary.json`` of every shipped scenario as
written before the package was restructured. These tests are a reproducibility
snapshot, not a check of correctness (that is the statistical suite's job): they
fail when any change alters a simulated number, on purpose or not. After a change
that is meant to alter the random path or the model, regenerate the snapshots and
say so in the commit.

Keys that describe the run's environment rather than its numbers (``provenance``)
are left out of the comparison.
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


@pytest.mark.golden
@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=_snapshot_name)
def test_summary_is_byte_identical_to_the_snapshot(path: Path) -> None:
    expected = json.loads((GOLDEN / f"{_snapshot_name(path)}.json").read_text(encoding="utf-8"))
    document = summary_document(run_experiment(load_scenario(path), workers=1))
    for key in ENVIRONMENT_KEYS:
        document.pop(key, None)
    # Byte identity of the text written to summary.json, not just equality of floats.
    assert json.dumps(document, indent=2) == json.dumps(expected, indent=2)
