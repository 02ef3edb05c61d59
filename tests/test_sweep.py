"""Sweeps: ``parse_param``, ``run_sweep`` and ``supplysim sweep`` (in this process, one smoke test in a subprocess).

A sweep point must be exactly the run one would get with ``--set`` of that value;
replication i sees the same customers at every point (common random numbers); a
policy that sets the swept key itself is a flat reference line; the printed answer
names the point with the best mean, and the "within the noise" list agrees with
paired t-intervals computed here.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clirun import cli, cli_subprocess, invalid, ok
from scenario_texts import tiny, without_policy
from supplysim.analysis.kpis import HEADLINE
from supplysim.api import SweepResults, run_sweep
from supplysim.experiments.runner import run_experiment
from supplysim.experiments.sweep import parse_param, scenario_parameters
from supplysim.scenario.load import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "backorder_vs_out_of_stock.yaml"
KEY = "store.max_quoted_wait"
VALUES = [1, 4]

TINY = without_policy(tiny(replications=4), "out_of_stock")
POLICIES = ["backorder", "hybrid"]
TABLE_COLUMNS = [KEY, "policy", "kpi", "mean", "sd", "ci95_half_width", "ci95_low", "ci95_high", "n"]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("sweep") / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def sweep(path: Path) -> SweepResults:
    return run_sweep(load_scenario(path), [(KEY, VALUES)], workers=1)


# ---------------------------------------------------------------- parse_param


@pytest.mark.parametrize(
    ("text", "path", "values"),
    [
        ("store.max_quoted_wait=0:28:7", KEY, [0, 7, 14, 21, 28]),
        ("store.max_quoted_wait=0:27:7", KEY, [0, 7, 14, 21]),  # `to` is included only when on the grid
        ("replenishment.reorder_point=3:5", "replenishment.reorder_point", [3, 4, 5]),  # step 1 by default
        ("a.b=0.5:1.5:0.25", "a.b", [0.5, 0.75, 1.0, 1.25, 1.5]),
        ("a.b=0:0.3:0.1", "a.b", [0.0, 0.1, 0.2, 0.3]),  # floating-point steps still reach `to`
        ("a.b=-2:2:2", "a.b", [-2, 0, 2]),
        ("store.stockout=backorder,lost_sales", "store.stockout", ["backorder", "lost_sales"]),
        ("x=1, 2.5 ,true,null", "x", [1, 2.5, True, None]),  # YAML scalars
        ("x=7", "x", [7]),
        (" x = 3,4 ", "x", [3, 4]),
    ],
)
def test_parse_param(text: str, path: str, values: list[object]) -> None:
    got_path, got = parse_param(text)
    assert got_path == path
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize(
    "text",
    [
        "store.max_quoted_wait",
        "=1:3",
        "x=3:1",
        "x=1:3:0",
        "x=1:3:-1",
        "x=1:2:3:4",
        "x=a:b",
        "x=",
        "x=,,",
        "x=[1,",
        "x=90,,110",  # an empty place: a typo, not a value
        "x=90,100,90",  # a point twice would run twice
        "x=1,1.0",
    ],
)
def test_parse_param_errors(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_param(text)
    assert "--param" in str(info.value)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("[]", "at least one value (an empty list sweeps nothing)"),
        ("[1, 4, 1]", "the value 1 is listed twice"),
        ("[{dist: exponential, mean: 2}, {dist: exponential, mean: 2}]", "is listed twice"),  # unhashable values
        ("7", "a valid list"),
    ],
)
def test_a_bad_sweep_block_is_refused_where_it_is_written(path: Path, block: str, expected: str) -> None:
    """Located at the swept key's line, one message, not both readings of the union."""
    p = path.parent / "block.yaml"
    p.write_text(TINY + f"sweep:\n  {KEY}: {block}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    message = str(info.value)
    line = TINY.count("\n") + 2
    assert message.startswith(f"{p}:{line}:") and f"sweep.{KEY}\n" in message and expected in message
    assert message.count("expected:") == 1


def test_scenario_parameters_read_the_sweep_block(path: Path) -> None:
    text = TINY + f"sweep:\n  {KEY}: [1, 4]\n  replenishment.reorder_point: {{from: 6, to: 10, step: 2}}\n"
    p = path.parent / "block.yaml"
    p.write_text(text, encoding="utf-8")
    assert scenario_parameters(load_scenario(p)) == [(KEY, [1, 4]), ("replenishment.reorder_point", [6, 8, 10])]
    assert scenario_parameters(load_scenario(path)) == []


# ------------------------------------------------------------------ run_sweep


def test_table_has_one_row_per_point_policy_and_indicator(sweep: SweepResults) -> None:
    table = sweep.table()
    kpis = list(sweep.experiments[0].kpis)
    assert list(table.columns) == TABLE_COLUMNS
    assert len(table) == len(VALUES) * len(POLICIES) * len(kpis)
    expected = list(itertools.product(VALUES, POLICIES, kpis))
    assert list(zip(table[KEY], table["policy"], table["kpi"], strict=True)) == expected
    for row in table.to_dict("records"):
        exp = sweep.experiments[VALUES.index(row[KEY])]
        x = np.array([v for v in exp.series(row["policy"], row["kpi"]) if math.isfinite(v)], dtype=float)
        assert row["n"] == len(x)
        if len(x) < 2:
            continue
        hw = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
        assert row["mean"] == pytest.approx(x.mean(), rel=1e-12, abs=1e-12)
        assert row["ci95_half_width"] == pytest.approx(hw, rel=1e-9, abs=1e-12)
        assert row["ci95_low"] == pytest.approx(row["mean"] - row["ci95_half_width"], rel=1e-12, abs=1e-12)
        assert row["ci95_high"] == pytest.approx(row["mean"] + row["ci95_half_width"], rel=1e-12, abs=1e-12)


def test_common_random_numbers_across_points(sweep: SweepResults) -> None:
    for policy in POLICIES:
        for kpi in ("customers", "units_demanded"):
            series = [exp.series(policy, kpi) for exp in sweep.experiments]
            assert all(s == series[0] for s in series), (policy, kpi)
    # ... and the sweep does change the policy that inherits the key
    lost = [exp.series("backorder", "lost_rate") for exp in sweep.experiments]
    assert lost[0] != lost[1]


def test_a_policy_that_sets_the_key_is_a_flat_line(sweep: SweepResults) -> None:
    reference = repr(sweep.experiments[0].values["hybrid"])
    assert all(repr(exp.values["hybrid"]) == reference for exp in sweep.experiments)
    for exp in sweep.experiments:
        assert exp.scenario.policies["hybrid"].store.max_quoted_wait == 1.5
    assert [exp.scenario.policies["backorder"].store.max_quoted_wait for exp in sweep.experiments] == VALUES


@pytest.mark.parametrize("k", range(len(VALUES)))
def test_a_point_is_the_run_with_set(path: Path, sweep: SweepResults, k: int) -> None:
    plain = run_experiment(load_scenario(path, [(KEY, VALUES[k])]), workers=1)
    assert repr(plain.values) == repr(sweep.experiments[k].values)


def _paired(a: list[float], b: list[float]) -> tuple[float, float]:
    d = np.array([x - y for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)])
    hw = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return d.mean() - hw, d.mean() + hw


def _affected(sweep: SweepResults, kpi: str) -> list[str]:
    """Policies whose indicator varies across the points (the sweep's candidates for "best")."""
    table = sweep.table()
    rows = table[table["kpi"] == kpi]
    return [p for p in POLICIES if rows[rows["policy"] == p]["mean"].nunique() > 1]


def test_summary_names_the_best_point(sweep: SweepResults) -> None:
    table = sweep.table()
    affected = _affected(sweep, "profit")
    assert "hybrid" not in affected and affected  # hybrid sets the swept key itself
    assert sweep.affected("profit") == affected
    profit = table[(table["kpi"] == "profit") & table["policy"].isin(affected)]
    top = profit["mean"].max()
    winners = {(r[KEY], r["policy"]) for r in profit.to_dict("records") if r["mean"] == top}
    k, policy = sweep.best("profit")
    assert (VALUES[k], policy) in winners
    lines = sweep.summary_lines("profit")
    assert lines[0].startswith(f"Best profit: {policy} at {KEY} = {VALUES[k]}:")
    # the tie list: exactly the (point, policy) pairs whose paired interval against the best includes 0
    best_series = sweep.experiments[k].series(policy, "profit")
    tied = []
    for j, exp in enumerate(sweep.experiments):
        for p in affected:
            if (j, p) == (k, policy):
                continue
            series = exp.series(p, "profit")
            if series == best_series:
                tied.append(f"{p} at {KEY} = {VALUES[j]}")
                continue
            lo, hi = _paired(series, best_series)
            if lo <= 0 <= hi:
                tied.append(f"{p} at {KEY} = {VALUES[j]}")
    if tied:
        assert lines[1].startswith("Not told apart from the best")
        listed = [line for line in lines if line.startswith("  ")]
        assert [line.split(":")[0].strip() for line in listed] == tied
        assert all(
            "not distinguishable from the best with" in line or "identical to the best" in line for line in listed
        )
        assert "as good as" not in "\n".join(lines)
    else:
        assert lines[1].startswith("Every other point is worse")
    assert any(line.startswith("hybrid: not affected by the sweep") for line in lines)
    means = [exp.summary("backorder", "profit").mean for exp in sweep.experiments]
    j = int(np.argmax(means))
    assert f"backorder: highest profit at {KEY} = {VALUES[j]} " in "\n".join(lines)


def test_best_of_another_indicator(sweep: SweepResults) -> None:
    table = sweep.table()
    fill = table[(table["kpi"] == "fill_rate") & table["policy"].isin(_affected(sweep, "fill_rate"))]
    k, policy = sweep.best("fill_rate")
    assert fill[(fill[KEY] == VALUES[k]) & (fill["policy"] == policy)]["mean"].iloc[0] == fill["mean"].max()


def test_full_factorial_of_two_parameters(path: Path) -> None:
    sc = load_scenario(path, [("replications", 2)])
    rp = [6, 10]
    res = run_sweep(sc, [(KEY, VALUES), ("replenishment.reorder_point", rp)], workers=1)
    assert res.points == [{KEY: a, "replenishment.reorder_point": b} for a, b in itertools.product(VALUES, rp)]
    for point, exp in zip(res.points, res.experiments, strict=True):
        cfg = exp.scenario.policies["backorder"]
        assert cfg.store.max_quoted_wait == point[KEY]
        assert cfg.replenishment.reorder_point == point["replenishment.reorder_point"]
    table = res.table()
    assert list(table.columns[:2]) == [KEY, "replenishment.reorder_point"]
    assert len(table) == 4 * len(POLICIES) * len(res.experiments[0].kpis)


def test_to_folder_writes_the_table(sweep: SweepResults, tmp_path: Path) -> None:
    folder = sweep.to_folder(tmp_path / "out", plots=False)
    assert {"sweep.csv", "summary.txt", "scenario.yaml"} <= {p.name for p in folder.iterdir()}
    assert not (folder / "plots").exists()
    back = pd.read_csv(folder / "sweep.csv")
    table = sweep.table()
    assert list(back.columns) == list(table.columns)
    assert len(back) == len(table)
    for col in ("mean", "ci95_low", "ci95_high"):
        a, b = back[col].to_numpy(dtype=float), table[col].to_numpy(dtype=float)
        assert np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True)
    assert (folder / "summary.txt").read_text().splitlines() == sweep.summary_lines()


def test_nothing_to_sweep_is_an_error(path: Path) -> None:
    with pytest.raises(ScenarioError):
        run_sweep(load_scenario(path), [], workers=1)


# ------------------------------------------------------------------------ CLI


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_cli_uses_the_sweep_block_and_writes_plots(tmp_path: Path) -> None:
    """Smoke test of ``sweep``, in a subprocess."""
    (tmp_path / "tiny.yaml").write_text(TINY + f"sweep:\n  {KEY}: [1, 4]\n", encoding="utf-8")
    proc = ok(
        cli_subprocess(
            tmp_path, "sweep", "tiny.yaml", "--replications", "2", "--out", "out", "--quiet", "--workers", "1"
        )
    )
    out = tmp_path / "out"
    rows = _csv(out / "sweep.csv")
    assert list(rows[0])[:3] == [KEY, "policy", "kpi"]
    assert sorted({int(r[KEY]) for r in rows}) == VALUES
    assert {r["n"] for r in rows if r["kpi"] == "profit"} == {"2"}
    pngs = {p.name for p in (out / "plots").iterdir()}
    several = len(load_scenario(tmp_path / "tiny.yaml").policies) > 1
    assert pngs == {f"{k}.png" for k in HEADLINE} | {"vs_best.png"} | ({"differences.png"} if several else set())
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    for name in pngs:
        assert (out / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.txt").read_text()
    assert summary.startswith("Best profit: ")
    assert summary.splitlines()[0] in proc.stdout
    assert "scenario.yaml" in {p.name for p in out.iterdir()}


def test_cli_point_equals_run_with_set(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    ok(cli(tmp_path, "sweep", "tiny.yaml", "--param", f"{KEY}=1,4", "--out", "sw", "--quiet", "--no-plots"))
    assert not (tmp_path / "sw" / "plots").exists()
    rows = _csv(tmp_path / "sw" / "sweep.csv")
    proc = ok(
        cli(
            tmp_path,
            "run",
            "tiny.yaml",
            "--set",
            f"{KEY}=4",
            "--format",
            "json",
            "--quiet",
            "--out",
            "r",
            "--no-report",
        )
    )
    doc = json.loads(proc.stdout)
    checked = 0
    for r in rows:
        if r[KEY] != "4":
            continue
        want = doc["policies"][r["policy"]]["kpis"][r["kpi"]]
        assert int(r["n"]) == want["n"]
        if want["mean"] is None:
            assert r["mean"] == ""
        else:
            assert float(r["mean"]) == pytest.approx(want["mean"], rel=1e-9, abs=1e-12)
            checked += 1
    assert checked > 40


def test_cli_sweeps_a_text_parameter(tmp_path: Path) -> None:
    # PATH=V1,V2 takes YAML values: a policy switch is a legitimate (non-numeric) swept key
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    proc = cli(
        tmp_path, "sweep", "tiny.yaml", "--param", "store.stockout=backorder,lost_sales", "--replications", "2",
        "--policy", "backorder", "--out", "o", "--quiet", "--workers", "1",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _csv(tmp_path / "o" / "sweep.csv")
    assert {r["store.stockout"] for r in rows} == {"backorder", "lost_sales"}
    assert (tmp_path / "o" / "plots" / "profit.png").exists()


@pytest.mark.parametrize(
    ("param", "named"),
    [(KEY, KEY), (f"{KEY}=3:1", "3:1"), ("store.no_such_key=1,2", "no_such_key")],
)
def test_cli_bad_param_exits_2(tmp_path: Path, param: str, named: str) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    err = invalid(cli(tmp_path, "sweep", "tiny.yaml", "--param", param, "--out", "o", "--quiet"))
    assert named in err
    # one clear message (cli.md): not a dump of the validation library's internals
    assert "pydantic" not in err, err
    assert not (tmp_path / "o").exists()


def test_cli_without_parameters_exits_2(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    err = invalid(cli(tmp_path, "sweep", "tiny.yaml", "--out", "o", "--quiet"))
    assert "--param" in err


def test_headline_question_gets_an_answer(tmp_path: Path) -> None:
    """The flagship's question, answered by a sweep (plots are checked in the smoke test above)."""
    proc = ok(
        cli(
            tmp_path,
            "sweep",
            str(FLAGSHIP),
            "--param",
            f"{KEY}=0:28:7",
            "--replications",
            "3",
            "--set",
            "horizon=60",
            "--out",
            "flag",
            "--quiet",
            "--no-plots",
        )
    )
    answer = [line for line in proc.stdout.splitlines() if line.startswith("Best profit:")]
    assert len(answer) == 1
    assert any(f"{KEY} = {v}:" in answer[0] for v in (0, 7, 14, 21, 28))
    table = pd.read_csv(io.StringIO((tmp_path / "flag" / "sweep.csv").read_text()))
    assert sorted(table[KEY].unique()) == [0, 7, 14, 21, 28]
    assert sorted(table["policy"].unique()) == ["backorder", "hybrid_7", "out_of_stock"]
    assert set(table[table["kpi"] == "profit"]["n"]) == {3}


def test_undecided_points_say_n_and_about_how_many_would_tell(path: Path) -> None:
    """Never "as good as the best": every point whose paired interval includes 0 gets its N,
    its difference and about M replications, M from the paired differences (the hand-checked
    sample-size function); a point whose interval excludes 0 is not listed."""
    from supplysim.analysis.intervals import replications_to_resolve

    res = run_sweep(load_scenario(path), [("replenishment.reorder_point", [4, 5, 6, 7])], workers=1)
    k, policy = res.best("profit")
    best = np.array(res.experiments[k].series(policy, "profit"))
    lines = res.summary_lines("profit")
    text = "\n".join(lines)
    assert "as good as the best" not in text
    listed = {line.split(": ", 1)[0].strip(): line for line in lines if line.startswith("  ")}
    for j, exp in enumerate(res.experiments):
        for p in res.affected("profit"):
            if (j, p) == (k, policy):
                continue
            d = np.array(exp.series(p, "profit")) - best
            hw = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
            label = f"{p} at replenishment.reorder_point = {res.points[j]['replenishment.reorder_point']}"
            if abs(d.mean()) > hw:
                assert label not in listed
                continue
            line = listed[label]
            if d.std(ddof=1) == 0 and d.mean() == 0:
                assert "identical to the best" in line
                continue
            assert f"not distinguishable from the best with {len(d)} replications" in line
            m = replications_to_resolve(float(d.mean()), float(d.std(ddof=1)), at_least=len(d))
            assert m is not None and f"about {m:,} replications would tell them apart" in line


def test_the_pages_table_has_a_row_per_point_and_policy(sweep: SweepResults) -> None:
    """Long, not wide: the same five columns however many policies (it fits the page and a printout),
    every point's value spanning its policies' rows, and exactly one cell marked best."""
    import re

    from supplysim.report.html import sweep_html

    page = sweep_html(sweep, {})
    table = page[page.index('<table class="comparison" id="points">') :]
    table = table[: table.index("</table>")]
    head = table[: table.index("</thead>")]
    assert head.count("<th ") == 1 + 4  # the swept key, policy, profit, fill rate, Δ profit
    policies = list(sweep.scenario.policies)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table[table.index("<tbody>") :])
    assert len(rows) == len(VALUES) * len(policies)
    names = [re.search(r'<td class="policy">(.*?)</td>', r).group(1) for r in rows]  # type: ignore[union-attr]
    assert names == policies * len(VALUES)
    assert table.count(f'rowspan="{len(policies)}"') == (len(VALUES) if len(policies) > 1 else 0)
    assert table.count("<b>best</b>") == 1
