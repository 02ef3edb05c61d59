"""The verdict in words: a difference within the noise says how many replications were used and
about how many would tell the policies apart, from the spread of the paired differences."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from scenario_texts import TINY
from supplysim.analysis.intervals import Difference, paired_difference, replications_to_resolve
from supplysim.api import run
from supplysim.scenario.load import parse_scenario


def test_the_spread_is_recovered_from_the_interval() -> None:
    rng = np.random.default_rng(3)
    d = rng.normal(1.0, 4.0, size=12)
    diff = paired_difference(list(d), [0.0] * len(d))
    assert diff.sd == pytest.approx(float(np.std(d, ddof=1)), rel=1e-12)
    assert math.isnan(Difference(0.5, -1.0, 2.0, 1).sd)  # undefined with one replication


def test_a_difference_within_the_noise_names_the_replications_that_would_resolve_it() -> None:
    # ten replications of a scenario where the hybrid barely differs from the baseline
    sc = parse_scenario(TINY.replace("replications: 3", "replications: 10"), "<tiny>")
    res = run(sc, workers=1, record=False)
    exp = res.experiment
    lines = [line for line in res.verdict() if "within the noise" in line]
    assert lines, res.verdict()
    for line in lines:
        policy = line.split(" vs ", 1)[0]
        assert f"not distinguishable with {exp.difference(policy, 'profit').n} replications" in line
        a, b = exp.series(policy, "profit"), exp.series(exp.baseline, "profit")
        paired = [x - y for x, y in zip(a, b, strict=True) if math.isfinite(x - y)]
        expected = replications_to_resolve(float(np.mean(paired)), float(np.std(paired, ddof=1)), at_least=len(paired))
        found = re.search(r"about ([\d,]+) replications would tell them apart", line)
        assert found is not None and expected is not None, line
        assert int(found.group(1).replace(",", "")) == expected > len(paired)


def test_customers_served_from_another_store_are_an_outcome_of_their_own() -> None:
    from pathlib import Path

    from supplysim.report.text import outcome_sentence
    from supplysim.scenario.load import load_scenario

    path = Path(__file__).resolve().parents[1] / "scenarios" / "network.yaml"
    sc = load_scenario(path, [("replications", 2), ("horizon", 60), ("warmup", 5)])
    exp = run(sc, workers=1, record=False).experiment
    sentence = outcome_sentence(exp, "transship")
    assert sentence is not None and "from another store" in sentence
    shares = [float(x) for x in re.findall(r"(\d+\.\d)%", sentence)]
    assert sum(shares) == pytest.approx(100.0, abs=0.05)  # the shares add up with the new outcome
    served_at_once = exp.summary("transship", "fill_rate").mean * 100
    assert shares[0] == pytest.approx(served_at_once, abs=0.1)
    assert "from another store" not in (outcome_sentence(exp, "backorder") or "")
