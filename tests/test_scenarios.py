"""Every shipped scenario validates and runs (briefly), and the experiment layer is sound."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from supplysim.analysis.indicators import KPIS
from supplysim.analysis.intervals import paired_difference, summarize
from supplysim.experiments.runner import ReplicationError, run_experiment
from supplysim.scenario.load import load_scenario

SCENARIOS = sorted(Path(__file__).resolve().parents[1].joinpath("scenarios").glob("**/*.yaml"))


def test_there_are_scenarios() -> None:
    names = {p.name for p in SCENARIOS}
    assert "backorder_vs_out_of_stock.yaml" in names
    assert len(SCENARIOS) >= 4


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_runs_briefly(path: Path) -> None:
    """A short run of every scenario: validates, runs every policy, sane indicators."""
    sc = load_scenario(path)
    short = load_scenario(path, [("replications", 2), ("horizon", min(sc.horizon, 60.0)), ("warmup", 0)])
    exp = run_experiment(short, workers=1)
    for name in short.policies:
        assert len(exp.values[name]) == 2
        for row in exp.values[name]:
            assert set(row) == set(exp.kpis) and set(KPIS) <= set(row)
            if row["customers"] > 0:
                total = sum(
                    row[k]
                    for k in (
                        "fill_rate",
                        "lost_rate",
                        "cancel_rate",
                        "expire_rate",
                        "served_after_wait_rate",
                        "pending_rate",
                    )
                ) + row.get("transship_rate", 0.0)  # a network's customers served from another store
                assert total == pytest.approx(1.0, abs=1e-12)
    # common random numbers: every policy sees the same potential customers (with goodwill,
    # some of them go to competitors, and how many depends on the policy)
    potential = {
        tuple(row["customers"] + row.get("goodwill_lost", 0.0) for row in exp.values[name]) for name in short.policies
    }
    assert len(potential) == 1


def test_summarize_matches_student_t() -> None:
    x = [3.0, 5.0, 4.0, 8.0, 6.5]
    s = summarize(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert s.n == 5
    assert s.mean == pytest.approx(np.mean(x))
    assert s.sd == pytest.approx(np.std(x, ddof=1))
    assert s.ci95_half_width == pytest.approx((hi - lo) / 2)


def test_summarize_ignores_undefined_values() -> None:
    s = summarize([1.0, math.nan, 3.0])
    assert s.n == 2 and s.mean == 2.0
    assert summarize([math.nan]).n == 0
    one = summarize([2.0])
    assert one.n == 1 and one.mean == 2.0 and math.isnan(one.ci95_half_width)


def test_paired_difference_is_the_t_interval_of_differences() -> None:
    a = [10.0, 12.0, 11.0, 15.0]
    b = [9.0, 11.5, 10.0, 13.0]
    d = paired_difference(a, b)
    diffs = np.subtract(a, b)
    lo, hi = stats.t.interval(0.95, len(diffs) - 1, loc=diffs.mean(), scale=stats.sem(diffs))
    assert d.diff == pytest.approx(diffs.mean())
    assert (d.ci95_low, d.ci95_high) == pytest.approx((lo, hi))
    assert d.significant == (lo > 0 or hi < 0)


def test_a_broken_identity_fails_the_replication_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    from supplysim.sim import store

    def broken(self: store.Store, arrivals: int) -> None:
        raise AssertionError("outcome identity broken: test")

    monkeypatch.setattr(store.Store, "check_invariants", broken)
    sc = load_scenario(SCENARIOS[0], [("replications", 1), ("horizon", 5)])
    with pytest.raises(ReplicationError, match="replication 0: outcome identity broken"):
        run_experiment(sc, workers=1)


def test_workers_do_not_change_numbers() -> None:
    path = next(p for p in SCENARIOS if p.name == "backorder_vs_out_of_stock.yaml")
    sc = load_scenario(path, [("replications", 4), ("horizon", 60)])
    one = run_experiment(sc, workers=1).values
    two = run_experiment(sc, workers=2).values
    assert repr(one) == repr(two)  # repr: NaN-aware and exact to the last bit


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_resolved_scenario_reloads_to_the_same_model(path: Path, tmp_path: Path) -> None:
    """The results folder's scenario.yaml (every default filled in, policies complete) loads back equal."""
    import yaml

    from supplysim.scenario.load import parse_scenario

    sc = load_scenario(path)
    text = yaml.safe_dump(sc.model_dump(mode="json", by_alias=True), sort_keys=False)
    assert parse_scenario(text, str(tmp_path / "scenario.yaml")) == sc
