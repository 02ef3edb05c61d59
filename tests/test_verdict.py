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
