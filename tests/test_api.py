"""The Python API (``supplysim.api.run`` and ``Results``) on a small scenario.

Checks that the DataFrames say what the results folder says (``summary.json``,
``replications.csv``), that ``compare`` and ``verdict`` agree with paired t-intervals
computed here from the per-replication values, that a precision target ends with the
precision it claims and with the same numbers as a plain run of the final size, and
that paths, overrides and worker counts do not change the numbers.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scenario_texts import SUMMARY_COLUMNS, tiny, without_policy
from supplysim.api import Results, run
from supplysim.experiments.runner import run_experiment
from supplysim.report.text import OUTCOMES, largest_remainder
from supplysim.scenario.load import load_scenario

TINY = tiny(replications=5)
POLICIES = ["backorder", "out_of_stock", "hybrid"]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("api") / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def res(path: Path) -> Results:
    return run(load_scenario(path), workers=1)


def same(a: float | None, b: float | None) -> bool:
    """Equal numbers, or both undefined (NaN in pandas, null in JSON)."""
    a_undef = a is None or (isinstance(a, float) and math.isnan(a))
    b_undef = b is None or (isinstance(b, float) and math.isnan(b))
    if a_undef or b_undef:
        return a_undef and b_undef
    return a == b


def t_interval(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval, computed here (Law 2015, eq. 4.12)."""
    n = len(x)
    m = float(x.mean())
    hw = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return m, m - hw, m + hw


# ------------------------------------------------------------------ summary


def test_summary_equals_summary_json(res: Results, tmp_path: Path) -> None:
    folder = res.to_folder(tmp_path / "out", plots=False)
    doc = json.loads((folder / "summary.json").read_text())
    df = res.summary()
    assert list(df.columns) == SUMMARY_COLUMNS
    assert len(df) == len(POLICIES) * len(res.kpis)
    assert list(df["policy"].unique()) == POLICIES
    assert list(df["kpi"].unique()) == list(res.kpis)
    assert set(doc["policies"]) == set(POLICIES)
    undefined = 0
    for row in df.to_dict("records"):
        entry = doc["policies"][row["policy"]]["kpis"][row["kpi"]]
        for col in ("mean", "sd", "ci95_half_width"):
            assert same(row[col], entry[col]), (row["policy"], row["kpi"], col, row[col], entry[col])
            undefined += entry[col] is None
        assert row["n"] == entry["n"]
        vs = doc["policies"][row["policy"]]["vs_baseline"]
        if row["policy"] == doc["baseline"]:
            assert vs == {}
            assert math.isnan(row["diff_vs_baseline"])
            assert math.isnan(row["diff_ci95_low"]) and math.isnan(row["diff_ci95_high"])
        else:
            d = vs[row["kpi"]]
            assert same(row["diff_vs_baseline"], d["diff"])
            assert same(row["diff_ci95_low"], d["ci95_low"])
            assert same(row["diff_ci95_high"], d["ci95_high"])
    # out_of_stock never has anyone waiting: its mean_wait is undefined, so the NaN ↔ null path was exercised
    assert undefined > 0


def test_summary_means_are_the_means_of_the_replications(res: Results) -> None:
    reps = res.replications()
    df = res.summary().set_index(["policy", "kpi"])
    for policy in POLICIES:
        mine = reps[reps["policy"] == policy]
        for kpi in ("customers", "fill_rate", "profit", "mean_wait"):
            x = mine[kpi].dropna().to_numpy(dtype=float)
            row = df.loc[(policy, kpi)]
            assert row["n"] == len(x)
            if len(x) == 0:
                assert math.isnan(row["mean"])
                continue
            m, lo, hi = t_interval(x)
            assert row["mean"] == pytest.approx(m, rel=1e-12, abs=1e-12)
            assert row["ci95_half_width"] == pytest.approx((hi - lo) / 2, rel=1e-9, abs=1e-12)


# ------------------------------------------------------------- replications


def test_replications_shape_and_values(res: Results, tmp_path: Path) -> None:
    reps = res.replications()
    n = res.scenario.replications
    assert n == 5
    assert list(reps.columns) == ["policy", "replication", *res.kpis]
    assert len(reps) == len(POLICIES) * n
    for policy in POLICIES:
        mine = reps[reps["policy"] == policy]
        assert list(mine["replication"]) == list(range(n))
        for i, row in enumerate(res.experiment.values[policy]):
            for kpi in res.kpis:
                assert same(float(mine.iloc[i][kpi]), row[kpi])
    # the same numbers as replications.csv in the results folder
    folder = res.to_folder(tmp_path / "out", plots=False)
    with (folder / "replications.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(reps)
    for row, (_, df_row) in zip(rows, reps.iterrows(), strict=True):
        assert row["policy"] == df_row["policy"]
        assert int(row["replication"]) == df_row["replication"]
        for kpi in res.kpis:
            cell = float(row[kpi]) if row[kpi] != "" else math.nan
            assert same(cell, float(df_row[kpi])), (row["policy"], kpi)


# ------------------------------------------------------------ compare/verdict


@pytest.mark.parametrize("kpi", ["profit", "fill_rate", "lost_rate", "cancel_rate"])
def test_compare_is_the_paired_t_interval(res: Results, kpi: str) -> None:
    cmp = res.compare(kpi)
    assert list(cmp["policy"]) == POLICIES[1:]
    assert set(cmp["baseline"]) == {"backorder"}
    reps = res.replications()
    base = reps[reps["policy"] == "backorder"][kpi].to_numpy(dtype=float)
    for row in cmp.to_dict("records"):
        other = reps[reps["policy"] == row["policy"]][kpi].to_numpy(dtype=float)
        d = other - base
        if np.all(d == d[0]):  # a constant difference: zero-width interval at that value
            assert row["ci95_low"] == pytest.approx(d[0]) and row["ci95_high"] == pytest.approx(d[0])
        else:
            m, lo, hi = t_interval(d)
            assert row["diff"] == pytest.approx(m, rel=1e-9, abs=1e-12)
            assert row["ci95_low"] == pytest.approx(lo, rel=1e-9, abs=1e-12)
            assert row["ci95_high"] == pytest.approx(hi, rel=1e-9, abs=1e-12)
        assert row["ci95_low"] <= row["diff"] <= row["ci95_high"]
        assert row["significant"] == (row["ci95_low"] > 0 or row["ci95_high"] < 0)
        assert row["relative"] == pytest.approx(row["diff"] / abs(base.mean()), rel=1e-9)


def test_compare_flags_a_real_difference(res: Results) -> None:
    # Showing "out of stock" turns away every short customer: lost_rate must rise, clearly.
    row = res.compare("lost_rate").set_index("policy").loc["out_of_stock"]
    assert bool(row["significant"]) and row["ci95_low"] > 0


def test_verdict_mentions_every_policy_and_agrees_with_compare(res: Results) -> None:
    lines = res.verdict()
    cmp = res.compare("profit").set_index("policy")
    for policy in POLICIES[1:]:
        mine = [line for line in lines if line.startswith(policy + " ")]
        assert len(mine) == 1, lines
        sentence = mine[0]
        assert "backorder" in sentence
        row = cmp.loc[policy]
        assert ("a real difference" in sentence) == bool(row["significant"])
        if row["significant"]:
            assert (" more " in sentence) == (row["diff"] > 0)
            assert (" less " in sentence) == (row["diff"] < 0)
    summary = res.summary().set_index(["policy", "kpi"])
    for policy in POLICIES:
        under = [line for line in lines if line.startswith(f"Under {policy}:")]
        assert len(under) == 1, lines
        # shares rounded by largest remainder, so that they add up to 100.0%
        outcomes = [kpi for kpi, _ in OUTCOMES if kpi in res.kpis]  # a single store: no transshipment
        shares = largest_remainder([summary.loc[(policy, kpi), "mean"] for kpi in outcomes])
        fill, lost = shares[0], shares[-1]
        assert outcomes[:: len(outcomes) - 1] == ["fill_rate", "lost_rate"]
        assert f"{fill:.1f}% of customers are served at once" in under[0]
        assert f"{lost:.1f}% are turned away" in under[0]
    assert res.precision is None
    assert not any("precision" in line for line in lines)


# ---------------------------------------------------------------- precision


def _relative_half_widths(r: Results, kpi: str) -> list[float]:
    out = []
    for policy in r.policies:
        x = np.array(r.experiment.series(policy, kpi), dtype=float)
        m, lo, hi = t_interval(x)
        out.append((hi - lo) / 2 / abs(m))
    return out


@pytest.fixture(scope="module")
def two_policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = without_policy(TINY, "out_of_stock")
    assert text != TINY
    p = tmp_path_factory.mktemp("precision") / "two.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.slow
def test_precision_target_is_met_and_reproducible(two_policies: Path, tmp_path: Path) -> None:
    first = 10
    r = run(two_policies, replications=first, precision=0.02, precision_kpis=["profit"], workers=2)
    p = r.precision
    assert p is not None
    assert p.target == 0.02 and p.kpis == ("profit",) and p.maximum == 1000
    n = p.replications
    # with 10 replications profit is known to about ±7% (sd/mean ≈ 0.1): batches had to be added
    assert n > first
    assert all(len(v) == n for v in r.experiment.values.values())
    assert r.scenario.replications == n
    widths = _relative_half_widths(r, "profit")
    assert p.achieved == pytest.approx(max(widths), rel=1e-9)
    assert p.reached
    assert p.achieved <= 0.02
    assert any("precision reached" in line for line in r.verdict())
    # the same numbers as one plain run of the final size: batches continue the replication indices
    plain = run(two_policies, replications=n, workers=2)
    assert repr(plain.experiment.values) == repr(r.experiment.values)
    doc = json.loads((r.to_folder(tmp_path / "out", plots=False) / "summary.json").read_text())
    assert doc["replications"] == n
    assert doc["policies"]["backorder"]["kpis"]["profit"]["n"] == n


def test_precision_stops_at_the_maximum(path: Path) -> None:
    r = run(path, replications=3, precision=1e-4, precision_kpis=["profit", "fill_rate"], max_replications=7, workers=1)
    p = r.precision
    assert p is not None
    assert p.replications == 7 and p.maximum == 7
    assert all(len(v) == 7 for v in r.experiment.values.values())
    assert not p.reached
    assert p.achieved > 1e-4
    widths = _relative_half_widths(r, "profit") + _relative_half_widths(r, "fill_rate")
    assert p.achieved == pytest.approx(max(widths), rel=1e-9)
    assert "NOT reached" in p.describe()
    plain = run(path, replications=7, workers=1)
    assert repr(plain.experiment.values) == repr(r.experiment.values)


def test_precision_already_met_adds_nothing(path: Path) -> None:
    r = run(path, replications=4, precision=10.0, workers=1)
    assert r.precision is not None
    assert r.precision.reached and r.precision.replications == 4
    assert all(len(v) == 4 for v in r.experiment.values.values())


# ------------------------------------------------------- paths and overrides


def _values(r: Results) -> str:
    return repr(r.experiment.values)


def test_run_accepts_a_str_or_path(path: Path) -> None:
    from_scenario = run(load_scenario(path), replications=2, workers=1)
    from_str = run(str(path), replications=2, workers=1)
    from_path = run(path, replications=2, workers=1)
    assert from_str.scenario.name == "tiny"
    assert _values(from_str) == _values(from_scenario) == _values(from_path)
    assert all(len(v) == 2 for v in from_str.experiment.values.values())


def test_overrides_change_the_model_like_set(path: Path) -> None:
    pairs: list[tuple[Any, ...]] = [("demand.rate", 8), ("horizon", 20), ("store.max_quoted_wait", 5)]
    r = run(path, overrides=pairs, replications=3, workers=1)
    sc = r.scenario
    assert sc.horizon == 20 and sc.replications == 3
    assert sc.policies["backorder"].demand.rate == 8
    # overrides go to the base before the policies merge: hybrid keeps its own threshold
    assert sc.policies["backorder"].store.max_quoted_wait == 5
    assert sc.policies["hybrid"].store.max_quoted_wait == 1.5
    expected = run_experiment(load_scenario(path, [*pairs, ("replications", 3)]), workers=1)
    assert _values(r) == repr(expected.values)
    # Poisson arrivals: E[customers] = λ·T = 160 per replication (sd √160); 3 replications, 4 sd of the mean
    mean = r.summary().set_index(["policy", "kpi"]).loc[("backorder", "customers"), "mean"]
    assert abs(mean - 8 * 20) <= 4 * math.sqrt(8 * 20 / 3)


def test_workers_do_not_change_the_numbers(path: Path, res: Results) -> None:
    assert _values(run(path, workers=2)) == _values(res)


def test_summary_is_a_dataframe_of_plain_types(res: Results) -> None:
    df = res.summary()
    assert isinstance(df, pd.DataFrame)
    assert df["n"].dtype.kind == "i"
    assert df["mean"].dtype.kind == "f"
