"""Each policy at its own best: ``supplysim compare``, ``supplysim.compare`` and the words
that say how sure a comparison is.

The statistical test: base stock S with Poisson demand (λ = 5 a day, unit requests) and a
constant lead time L = 2, so a = λL = 10, with backorders or with lost sales. Both have
closed forms for the profit per day (price p, unit cost c, holding h, backorder cost b,
lost-sale cost ℓ; one-for-one ordering, no order cost):

* backorders — the outstanding orders are M/G/∞, N ~ Poisson(a) (Palm's theorem; Zipkin
  2000, §6.2): π_B(S) = (p − c)λ − h·E[(S − N)^+] − b·E[(N − S)^+], maximised at the
  critical fractile, the smallest S with P(N ≤ S) ≥ b/(b + h) (Zipkin 2000, §6.2.3);
* lost sales — the Erlang loss system M/G/S/S (Axsäter 2015, one-for-one with lost sales):
  with B = B(S, a) Erlang's loss formula, π_L(S) = (p − c)λ(1 − B) − ℓλB − h(S − a(1 − B)).

With p = 10, c = 6, h = 0.5, b = 2, ℓ = 2 theory puts the optima apart (13 for backorders,
15 for lost sales), and the gap between the policies shrinks from about 4,380 at the
written S = 10 to about 1,470 each at its best (per 1,000 days). ``compare`` must find
points whose theoretical profit is within 0.1 a day of each optimum, and its confirmation
intervals (fresh replications) must hold the theoretical profits and differences at the
points it chose.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from clirun import cli, cli_subprocess, invalid, ok
from statcheck import assert_all
from statcheck import mean_check as check
from supplysim.analysis.intervals import replications_to_resolve
from supplysim.api import CompareResults, compare
from supplysim.experiments.evidence import Evidence
from supplysim.experiments.optimize import optimize
from supplysim.experiments.runner import run_experiment
from supplysim.scenario.load import ScenarioError, load_scenario, parse_scenario

LEVEL = "replenishment.level"
RP = "replenishment.reorder_point"
RATE, LEAD = 5.0, 2.0
PRICE, UNIT_COST, HOLDING, BACKORDER, LOST = 10.0, 6.0, 0.5, 2.0, 2.0
HORIZON = 1000

THEORY = f"""\
name: base-stock-each-at-its-best
horizon: {HORIZON}
warmup: 20
replications: 30
seed: 909
product: {{price: {PRICE}, holding_cost: {HOLDING}, backorder_cost: {BACKORDER}, lost_sale_cost: {LOST}}}
demand: {{rate: {RATE}}}
supplier: {{lead_time: {LEAD}, unit_cost: {UNIT_COST}, order_cost: 0}}
store: {{stockout: backorder}}
replenishment: {{policy: base_stock, level: 10}}
policies:
  backorders: {{}}
  lost_sales: {{store: {{stockout: lost_sales}}}}
"""

SMALL = """\
name: small-two
horizon: 60
warmup: 10
replications: 6
seed: 11
product: {price: 10, holding_cost: 0.5, backorder_cost: 1.0, lost_sale_cost: 0}
demand: {rate: 5, quantity: 1}
supplier: {lead_time: {dist: uniform, low: 1, high: 3}, unit_cost: 5, order_cost: 10}
store: {stockout: backorder}
replenishment: {policy: rQ, reorder_point: 8, order_quantity: 10}
policies:
  base: {}
  lost: {store: {stockout: lost_sales}}
"""


# ------------------------------------------------------------------ the sample size


def test_replications_to_resolve_by_hand() -> None:
    """d = 1, s = 2: t_{0.975,16} = 2.120 gives 2·2.120/√17 = 1.028 > 1, t_{0.975,17} = 2.110
    gives 2·2.110/√18 = 0.995 ≤ 1, so 18. At 99%: t_{0.995,29} = 2.756 → 1.006 at n = 30,
    t_{0.995,30} = 2.750 → 0.988 at n = 31. (t values from a printed table, Law 2015, Table T.1.)"""
    assert replications_to_resolve(1.0, 2.0) == 18
    assert replications_to_resolve(-1.0, 2.0) == 18
    assert replications_to_resolve(1.0, 2.0, level=0.99) == 31
    assert replications_to_resolve(1.0, 2.0, at_least=40) == 40  # already enough: the current n
    assert replications_to_resolve(0.0, 2.0) is None  # no finite number
    assert replications_to_resolve(math.nan, 2.0) is None
    assert replications_to_resolve(0.5, 0.0) == 2
    # the large-n limit: (z·s/d)² with z = 1.96
    assert replications_to_resolve(0.01, 1.0) == pytest.approx((1.959964 / 0.01) ** 2, rel=1e-3)


def test_evidence_words() -> None:
    best = [100.0, 110.0, 90.0, 105.0, 95.0]
    close = [99.0, 110.5, 88.0, 104.0, 95.5]
    ev = Evidence.paired("profit", close, best)
    d = np.array(close) - np.array(best)
    hw = stats.t.ppf(0.975, 4) * d.std(ddof=1) / math.sqrt(5)
    assert ev.diff == pytest.approx(d.mean()) and ev.half_width == pytest.approx(hw)
    assert not ev.real
    m = replications_to_resolve(d.mean(), d.std(ddof=1), at_least=5)
    words = ev.words()
    rel, rel_hw = d.mean() / 100 * 100, hw / 100 * 100
    assert words == (
        f"not distinguishable from the best with 5 replications (difference {rel:+.1f}% ± {rel_hw:.1f}%); "
        f"about {m:,} replications would tell them apart (an estimate)"
    )
    assert Evidence.paired("profit", best, best).words() == (
        "identical to the best in every one of the 5 replications; no number of replications would tell them apart"
    )
    rates = Evidence.paired("fill_rate", [0.90, 0.91, 0.92], [0.95, 0.97, 0.97])
    assert rates.real and rates.amount().startswith("-5.33 ± ") and rates.amount().endswith(" points")


# ------------------------------------------------------------------ theory


def backorder_profit(level: int) -> float:
    """π_B(S) per day: N ~ Poisson(λL)."""
    a = RATE * LEAD
    d = stats.poisson(a)
    n = np.arange(level)
    on_hand = float(np.sum((level - n) * d.pmf(n)))
    backorders = a - level + on_hand
    return (PRICE - UNIT_COST) * RATE - HOLDING * on_hand - BACKORDER * backorders


def erlang_b(servers: int, a: float) -> float:
    b = 1.0
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    return b


def lost_sales_profit(level: int) -> float:
    """π_L(S) per day: the Erlang loss system M/G/S/S."""
    a = RATE * LEAD
    b = erlang_b(level, a)
    return (PRICE - UNIT_COST) * RATE * (1 - b) - LOST * RATE * b - HOLDING * (level - a * (1 - b))


LEVELS = list(range(6, 21))
PROFIT = {"backorders": backorder_profit, "lost_sales": lost_sales_profit}


@pytest.fixture(scope="module")
def theory_run() -> CompareResults:
    sc = parse_scenario(THEORY, file="<test_compare>")
    return compare(sc, {LEVEL: LEVELS}, n1=10, n2=30, workers=2)


@pytest.mark.slow
def test_each_at_its_best_matches_theory(theory_run: CompareResults) -> None:
    res = theory_run
    optimum = {p: max(LEVELS, key=f) for p, f in PROFIT.items()}
    assert optimum == {"backorders": 13, "lost_sales": 15}  # the theory of the test case itself
    a = RATE * LEAD
    assert stats.poisson(a).cdf(13) >= BACKORDER / (BACKORDER + HOLDING) > stats.poisson(a).cdf(12)
    best = res.best()
    found = {p: point[LEVEL] for p, point in best.items() if point is not None}
    for p, f in PROFIT.items():  # regret: within 0.1 a day (0.6%) of the theoretical optimum
        assert f(optimum[p]) - f(found[p]) <= 0.1, (p, found[p], optimum[p])
    assert found["lost_sales"] > found["backorders"]  # lost sales needs more stock

    r = res.result
    assert r.best is not None
    per_day = {
        s: {p: np.array(e.series(p, "profit")) / HORIZON for p in PROFIT}
        for s, e in (("written", r.written), ("best", r.best))
    }
    checks = []
    for p, f in PROFIT.items():
        checks.append(check(per_day["written"][p], f(10), f"{p} at S = 10", precision=0.25))
        checks.append(check(per_day["best"][p], f(found[p]), f"{p} at S = {found[p]}", precision=0.25))
    d_written = per_day["written"]["lost_sales"] - per_day["written"]["backorders"]
    d_best = per_day["best"]["lost_sales"] - per_day["best"]["backorders"]
    checks.append(
        check(d_written, lost_sales_profit(10) - backorder_profit(10), "difference at S = 10", precision=0.15)
    )
    checks.append(
        check(
            d_best,
            lost_sales_profit(found["lost_sales"]) - backorder_profit(found["backorders"]),
            "difference each at its best",
            precision=0.1,
        )
    )
    assert_all(checks)
    # the comparison the scenario writes overstates the gap: about 4.4 a day, 1.5 each at its best
    doc = res.to_dict()
    gap_written = doc["differences"]["written"]["lost_sales"]["diff"]
    gap_best = doc["differences"]["best"]["lost_sales"]["diff"]
    assert gap_written < gap_best < 0
    # fresh replications at the optima: after every index the search used; the written settings
    # run on the scenario's own replications, as `supplysim run` does
    assert r.best.first == 30 and r.written.first == 0


# ------------------------------------------------------------------ small and fast


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("compare") / "small.yaml"
    p.write_text(SMALL, encoding="utf-8")
    return p


SEARCH = ["--screen-replications", "4", "--select-replications", "6", "--finalists", "3"]


def test_each_optimum_is_the_optimum_of_optimize_alone(small: Path) -> None:
    """Same seed, same options: compare's optimum of each policy is what optimize finds for it alone."""
    sc = load_scenario(small)
    res = compare(sc, [f"{RP}=2:12"], n1=4, n2=6, finalists=3, workers=1)
    for policy in sc.policies:
        alone = optimize(sc, [(RP, list(range(2, 13)))], policy=policy, n1=4, n2=6, finalists=3, workers=1)
        assert alone.chosen is not None
        assert res.best()[policy] == alone.chosen.point
    # at the written settings: exactly the plain run; at the optima: fresh replications 6..11
    r = res.result
    assert repr(r.written.values) == repr(run_experiment(sc, workers=1).values)
    assert r.best is not None and r.best.first == 6 and r.best.summary("base", "profit").n == sc.replications


def test_cli_json_names_best_values_by_key_path(small: Path, tmp_path: Path) -> None:
    proc = ok(
        cli(
            tmp_path, "compare", str(small), "--maximize", "profit", "--over", f"{RP}=2:12", *SEARCH,
            "--format", "json", "--out", "c", "--quiet",
        )
    )  # fmt: skip
    doc = json.loads(proc.stdout)
    assert doc == json.loads((tmp_path / "c" / "compare.json").read_text())
    assert doc["baseline"] == {"written": "base", "best": "base"}
    for policy in ("base", "lost"):
        entry = doc["policies"][policy]
        assert set(entry["best"]) == {RP} and isinstance(entry["best"][RP], int)
        assert 2 <= entry["best"][RP] <= 12
        assert entry["written"] == {RP: 8}
        assert entry["at_best"]["profit"]["n"] == 6 and entry["at_written"]["profit"]["n"] == 6
        assert entry["search"]["chosen"]["point"] == entry["best"]
    for setting in ("written", "best"):  # both comparisons, paired
        d = doc["differences"][setting]["lost"]
        assert d["ci95_low"] <= d["diff"] <= d["ci95_high"]
        assert d["significant"] == (d["ci95_low"] > 0 or d["ci95_high"] < 0)
        assert (d["replications_to_tell_apart"] is None) or not d["significant"]
    assert (tmp_path / "c" / "compare.csv").exists() and (tmp_path / "c" / "summary.txt").exists()


def test_cli_table_and_verdict_say_both(small: Path, tmp_path: Path) -> None:
    proc = ok(cli(tmp_path, "compare", str(small), "--maximize", "profit", "--over", f"{RP}=2:12", *SEARCH, "--quiet"))
    out = proc.stdout
    assert "at the written settings" in out and "each at its best" in out
    verdicts = [
        line for line in out.splitlines() if line.startswith(("At the written settings: ", "Each at its best: "))
    ]
    assert [v.split(":")[0] for v in verdicts] == ["At the written settings", "Each at its best"]
    for v in verdicts:
        assert v.endswith("a real difference.") or "not distinguishable from base with 6 replications" in v
        assert "as good as" not in v
    folder = tmp_path / "results" / "small-two-compare"
    summary = (folder / "summary.txt").read_text()
    assert "Each at its best: " in summary
    # the page says both too, with the two difference figures and every policy's search
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "at the written settings" in page and "each at its best" in page
    for name in ("differences_written", "differences_best", "objective"):
        assert (folder / "plots" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert f'id="fig-{name}"' in page
    for v in verdicts:
        assert html.escape(v) in page


def test_cli_infeasible_exits_1(small: Path, tmp_path: Path) -> None:
    proc = cli(
        tmp_path, "compare", str(small), "--maximize", "profit", "--over", f"{RP}=2:4",
        "--subject-to", "fill_rate>=0.999", *SEARCH, "--out", "c", "--quiet",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "no point meets fill_rate >= 0.999" in proc.stdout
    # written beside the folder, which would keep an earlier good comparison
    assert not (tmp_path / "c").exists()
    doc = json.loads((tmp_path / "c-infeasible" / "compare.json").read_text())
    assert doc["policies"]["base"]["best"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--over", f"{RP}=2:4"], "give exactly one of --maximize KPI or --minimize KPI"),
        (
            ["--maximize", "proft", "--over", f"{RP}=2:4"],
            "--maximize 'proft' is not an indicator of this scenario; did you mean 'profit'?",
        ),
        (["--maximize", "profit", "--over", f"{RP}=4:2"], "--over"),
        (["--maximize", "profit", "--over", "replenishment.reorder_pont=2:4"], "reorder_pont"),
        (["--maximize", "profit", "--over", f"{RP}=2:4", "--policy", "lots"], "--policy 'lots' is not a policy"),
        (["--maximize", "profit", "--over", f"{RP}=2:4", "--format", "xml"], "--format must be 'table' or 'json'"),
    ],
)
def test_cli_invalid_input_exits_2(small: Path, tmp_path: Path, args: list[str], message: str) -> None:
    err = invalid(cli(tmp_path, "compare", str(small), *args, "--out", "c", "--quiet"))
    assert message in err
    assert not (tmp_path / "c").exists()


def test_api_rejects_a_bad_range(small: Path) -> None:
    with pytest.raises(ScenarioError, match="--over"):
        compare(load_scenario(small), ["replenishment.reorder_point=9:2"], workers=1)


def test_api_views(small: Path, tmp_path: Path) -> None:
    res = compare(small, {RP: range(4, 10, 2)}, policies=["lost"], n1=3, n2=4, finalists=2, confirm=3, workers=1)
    assert list(res.best()) == ["lost"]
    table = res.table()
    assert set(table["setting"]) == {"written", "best"} and set(table["policy"]) == {"lost"}
    assert set(table["n"]) == {3}
    assert res.differences().empty  # one policy: nothing to compare it with
    folder = res.to_folder(tmp_path / "c")
    assert json.loads((folder / "compare.json").read_text())["policies"]["lost"]["best"] == res.best()["lost"]


def test_cli_smoke_in_a_subprocess(small: Path, tmp_path: Path) -> None:
    """``compare`` as a user runs it: listed by ``--help``, exit 0, the folder written."""
    assert " compare " in ok(cli_subprocess(tmp_path, "--help")).stdout
    proc = ok(
        cli_subprocess(
            tmp_path, "compare", str(small), "--maximize", "profit", "--over", f"{RP}=4:8:2", *SEARCH,
            "--policy", "base", "--policy", "lost", "--out", "c", "--quiet", "--workers", "1",
        )
    )  # fmt: skip
    assert "Each at its best: lost " in proc.stdout
    assert json.loads((tmp_path / "c" / "compare.json").read_text())["policies"]["lost"]["best"] is not None
