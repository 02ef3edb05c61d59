"""Simulation optimisation: ``parse_constraint``, ``parse_over``, ``optimize`` against
brute-force enumeration, and ``supplysim optimize``.

The brute-force check: an (r, Q) store with backorders (Poisson demand λ = 5 a day,
unit requests, Q = 10, uniform lead times on [1, 3]), the reorder point searched over
2..16 (15 values: more than ``max_points`` = 12, so the coarse-then-fine search is
exercised). Brute force runs every point with replications 0..39 — the indices stage 2
uses — and takes the best feasible mean. ``optimize(n1=10, n2=40)`` must return a point
that is feasible by the brute-force means and whose objective is the brute-force best,
or statistically tied with it: the paired 95% t-interval of best − chosen over the 40
common replications contains 0.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from clirun import cli, cli_subprocess, invalid
from shared import once
from supplysim.analysis.experiment import Experiment
from supplysim.experiments.optimize import Constraint, OptimizeResult, optimize, parse_constraint, parse_over
from supplysim.experiments.runner import run_many
from supplysim.scenario import Scenario
from supplysim.scenario.load import ScenarioError, load_scenario, parse_scenario, with_overrides

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "backorder_vs_out_of_stock.yaml"
RP = "replenishment.reorder_point"
RANGE = list(range(2, 17))
N1, N2 = 10, 40

SMALL = """\
name: small-rq
horizon: 60
warmup: 10
replications: 10
seed: 11
product: {price: 10, holding_cost: 0.5, backorder_cost: 1.0, lost_sale_cost: 0}
demand: {rate: 5, quantity: 1}
supplier: {lead_time: {dist: uniform, low: 1, high: 3}, unit_cost: 5, order_cost: 10}
store: {stockout: backorder}
replenishment: {policy: rQ, reorder_point: 8, order_quantity: 10}
"""


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "kpi", "op", "bound"),
    [
        ("fill_rate>=0.95", "fill_rate", ">=", 0.95),
        (" fill_rate >= 0.95 ", "fill_rate", ">=", 0.95),
        ("mean_wait<=2.5", "mean_wait", "<=", 2.5),
        ("profit>=-1e3", "profit", ">=", -1000.0),
        ("orders@local<=12", "orders@local", "<=", 12.0),
    ],
)
def test_parse_constraint(text: str, kpi: str, op: str, bound: float) -> None:
    c = parse_constraint(text)
    assert (c.kpi, c.op, c.bound) == (kpi, op, bound)


@pytest.mark.parametrize(
    "text", ["fill_rate>0.95", "fill_rate=0.95", ">=0.9", "fill_rate>=", "fill_rate>=high", "fill_rate>=0.9.5"]
)
def test_parse_constraint_errors(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_constraint(text)
    assert "--subject-to" in str(info.value)


def test_constraint_holds() -> None:
    ge, le = Constraint("fill_rate", ">=", 0.9), Constraint("mean_wait", "<=", 2.0)
    assert ge.holds(0.9) and ge.holds(0.95) and not ge.holds(0.8999)
    assert le.holds(2.0) and le.holds(0.0) and not le.holds(2.0001)
    assert not ge.holds(math.nan) and not le.holds(math.nan)  # undefined never meets a constraint
    assert str(ge) == "fill_rate >= 0.9"


@pytest.mark.parametrize(
    ("text", "path", "values"),
    [
        ("replenishment.reorder_point=10:14", RP, [10, 11, 12, 13, 14]),
        ("replenishment.reorder_point=10:80:10", RP, [10, 20, 30, 40, 50, 60, 70, 80]),
        ("a=0:10:3", "a", [0, 3, 6, 9]),
        ("a=-3:3:2", "a", [-3, -1, 1, 3]),
        ("a=5:5", "a", [5]),
    ],
)
def test_parse_over(text: str, path: str, values: list[int]) -> None:
    assert parse_over(text) == (path, values)


@pytest.mark.parametrize("text", ["a", "a=1", "a=1.5:3", "a=5:1", "a=1:5:0", "a=1:5:-1", "a=x:y", "a=1:2:3:4"])
def test_parse_over_errors(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_over(text)
    assert "--over" in str(info.value)


# ------------------------------------------------------------- brute force


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("opt") / "small.yaml"
    p.write_text(SMALL, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def scenario(small: Path) -> Scenario:
    return load_scenario(small)


@pytest.fixture(scope="module")
def brute(scenario: Scenario) -> dict[int, Experiment]:
    """Every point of the range with replications 0..N2-1 (once per session)."""

    def enumerate_all(_: Path) -> dict[int, Experiment]:
        scs = [with_overrides(scenario, [(RP, r), ("replications", N2)]) for r in RANGE]
        return dict(zip(RANGE, run_many(scs, workers=2), strict=True))

    result: dict[int, Experiment] = once("optimize-brute-force", enumerate_all)
    return result


MINIMIZE = [Constraint("fill_rate", ">=", 0.8)]


@pytest.fixture(scope="module")
def minimized(scenario: Scenario) -> OptimizeResult:
    """Least holding cost subject to fill_rate ≥ 0.8 (n1 = N1, n2 = N2: the command line's defaults)."""
    return optimize(
        scenario, [(RP, RANGE)], objective="holding_cost", sense="min", constraints=MINIMIZE, n1=N1, n2=N2, workers=2
    )


def _mean(exp: Experiment, kpi: str) -> float:
    return exp.summary("base", kpi).mean


def check_against_brute_force(
    res: OptimizeResult, brute: dict[int, Experiment], objective: str, sense: str, constraints: list[Constraint]
) -> int:
    """The chosen point is feasible by the brute-force means and best or tied with the best."""
    feasible = [r for r in RANGE if all(c.holds(_mean(brute[r], c.kpi)) for c in constraints)]
    assert feasible, "the test case must have feasible points"
    sign = 1 if sense == "max" else -1
    best = max(feasible, key=lambda r: sign * _mean(brute[r], objective))
    assert res.chosen is not None
    chosen = res.chosen.point[RP]
    assert chosen in feasible, (chosen, feasible)
    # stage 2 reuses replications 0..n2-1: the chosen point's values are the brute-force ones
    assert repr(res.chosen.experiment.values) == repr(brute[chosen].values)
    if chosen != best:
        d = sign * (np.array(brute[best].series("base", objective)) - np.array(brute[chosen].series("base", objective)))
        hw = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
        assert d.mean() - hw <= 0 <= d.mean() + hw, (best, chosen, d.mean(), hw)
    return chosen


def check_gaps(res: OptimizeResult, brute: dict[int, Experiment], objective: str, sense: str) -> None:
    """Every reported gap is the Bonferroni paired t-interval of chosen − other, computed here."""
    assert res.chosen is not None
    sign = 1 if sense == "max" else -1
    k = len(res.finalists)
    assert len(res.gaps) == k - 1
    mine = np.array(res.chosen.experiment.series("base", objective))
    for g in res.gaps:
        other = np.array(brute[g["point"][RP]].series("base", objective))
        d = sign * (mine - other)
        level = 1 - 0.05 / (k - 1)
        hw = stats.t.ppf(1 - (1 - level) / 2, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
        assert g["diff"] == pytest.approx(d.mean(), rel=1e-9, abs=1e-9)
        assert g["low"] == pytest.approx(d.mean() - hw, rel=1e-6, abs=1e-9)
        assert g["high"] == pytest.approx(d.mean() + hw, rel=1e-6, abs=1e-9)
        if g["feasible"]:  # the chosen point has the best mean among the feasible finalists
            assert g["diff"] >= 0
        else:  # a finalist that turned out infeasible in stage 2 is listed but not a rival
            assert not all(c.holds(_mean(brute[g["point"][RP]], c.kpi)) for c in res.constraints)
    assert res.sure == all(g["low"] > 0 for g in res.gaps if g["feasible"])


BEATS = "It beats every other feasible finalist with ≥95% simultaneous confidence"
TIED = "Not told apart from the best (simultaneous "
ONLY = "It was the only feasible finalist."


def confidence_sentence(text: str, sure: bool, tied: list[str]) -> str:
    """The sentence on the selection's confidence in ``text``: the one for the outcome that happened.

    ``sure``: the chosen point beats every other feasible finalist; ``tied``: the labels of
    the feasible finalists it does not beat (empty when it was the only feasible one). Line
    breaks count as spaces (the terminal wraps long lines). Returns which sentence it was:
    "beats", "tied" or "only".
    """
    flat = " ".join(text.split())
    said = {name for name, sentence in (("beats", BEATS), ("tied", TIED), ("only", ONLY)) if sentence in flat}
    assert len(said) == 1, (said, text)
    (outcome,) = said
    if sure:
        assert outcome in ("beats", "only"), text
    else:
        assert outcome == "tied" and tied, text
        # one indented line per undecided finalist: its label, N replications, the difference, about M
        lines = [line.strip() for line in text.splitlines() if line.startswith("  ") and ": " in line]
        listed = [line.split(": ", 1)[0] for line in lines if "from the best" in line]
        assert listed == tied, (listed, tied)
        for line in lines:
            if "from the best" in line:
                assert "not distinguishable from the best with" in line or "identical to the best" in line, line
        assert "as good" not in flat.replace("not evidence that they are as good", ""), text
    return outcome


def check_sentence(res: OptimizeResult) -> str:
    """:func:`confidence_sentence` of ``res.lines()``, against the gaps (see :func:`check_gaps`)."""
    feasible = [g for g in res.gaps if g["feasible"]]
    outcome = confidence_sentence("\n".join(res.lines()), res.sure, [g["label"] for g in feasible if g["low"] <= 0])
    assert (outcome == "only") == (not feasible)
    return outcome


@pytest.mark.slow
def test_maximize_profit_subject_to_fill_rate(scenario: Scenario, brute: dict[int, Experiment]) -> None:
    constraints = [Constraint("fill_rate", ">=", 0.85)]
    res = optimize(scenario, [(RP, RANGE)], objective="profit", constraints=constraints, n1=N1, n2=N2, workers=2)
    check_against_brute_force(res, brute, "profit", "max", constraints)
    check_gaps(res, brute, "profit", "max")
    check_sentence(res)
    assert 1 < res.evaluated < len(RANGE)  # coarse grid, then unit steps around its best point
    assert all(c.experiment.summary("base", "profit").n == N2 for c in res.finalists)
    for c in res.finalists:
        assert repr(c.experiment.values) == repr(brute[c.point[RP]].values)
    assert res.chosen is not None
    doc = json.loads(json.dumps(res.to_dict()))
    assert doc["chosen"]["point"] == {RP: res.chosen.point[RP]}
    assert doc["chosen"]["fill_rate"]["mean"] >= 0.85
    assert doc["chosen"]["replications"] == N2


@pytest.mark.slow
def test_maximize_profit_unconstrained(scenario: Scenario, brute: dict[int, Experiment]) -> None:
    # the profit curve is flat near its top (r ≈ 6..7): the choice must be the best or tied with it
    res = optimize(scenario, [(RP, RANGE)], objective="profit", n1=N1, n2=N2, workers=2)
    check_against_brute_force(res, brute, "profit", "max", [])
    check_gaps(res, brute, "profit", "max")
    check_sentence(res)


@pytest.mark.slow
def test_a_clear_winner_is_said_to_beat_the_others(scenario: Scenario, brute: dict[int, Experiment]) -> None:
    """Holding cost without a constraint: each unit of reorder point adds about one unit on hand
    for the whole run (0.5 × 60 ≈ 30 a replication), far more than the noise of a paired difference
    under common random numbers, so r = 2 wins with confidence and the report says it beats the rest."""
    res = optimize(scenario, [(RP, RANGE)], objective="holding_cost", sense="min", n1=N1, n2=N2, workers=2)
    assert check_against_brute_force(res, brute, "holding_cost", "min", []) == RANGE[0]
    check_gaps(res, brute, "holding_cost", "min")
    assert res.sure
    assert check_sentence(res) == "beats"
    assert any(line.startswith("Note: ") and "edge of its range" in line for line in res.lines())


@pytest.mark.slow
def test_minimize(minimized: OptimizeResult, brute: dict[int, Experiment]) -> None:
    res = minimized
    assert res.sense == "min"
    chosen = check_against_brute_force(res, brute, "holding_cost", "min", MINIMIZE)
    check_gaps(res, brute, "holding_cost", "min")
    check_sentence(res)
    # with a minimum, the chosen mean is the lowest among the feasible finalists
    assert all(
        _mean(brute[chosen], "holding_cost") <= _mean(c.experiment, "holding_cost")
        for c in res.finalists
        if all(k.holds(_mean(c.experiment, k.kpi)) for k in MINIMIZE)
    )


def test_infeasible_everywhere(scenario: Scenario) -> None:
    res = optimize(
        scenario,
        [(RP, [2, 3, 4])],
        objective="profit",
        constraints=[Constraint("fill_rate", ">=", 0.99)],
        n1=4,
        n2=8,
        workers=1,
    )
    assert res.chosen is None and res.finalists == []
    assert res.lines()[0].startswith("No point meets fill_rate >= 0.99")
    assert res.to_dict()["chosen"] is None


# ------------------------------------------------------------------------ CLI


def test_cli_infeasible_exits_1(small: Path, tmp_path: Path) -> None:
    """Smoke test of ``optimize``, in a subprocess."""
    proc = cli_subprocess(
        tmp_path,
        "optimize",
        str(small),
        "--maximize",
        "profit",
        "--subject-to",
        "fill_rate>=0.99",
        "--over",
        f"{RP}=2:4",
        "--screen-replications",
        "4",
        "--select-replications",
        "8",
        "--out",
        "o",
        "--quiet",
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "No point meets" in proc.stdout
    # no feasible point: the report goes beside the folder, which an earlier good result may hold
    assert json.loads((tmp_path / "o-infeasible" / "optimize.json").read_text())["chosen"] is None
    assert not (tmp_path / "o").exists()


def test_cli_minimize_matches_the_api(small: Path, minimized: OptimizeResult, tmp_path: Path) -> None:
    args = ["--minimize", "holding_cost", "--subject-to", "fill_rate>=0.8", "--over", f"{RP}=2:16"]
    proc = cli(tmp_path, "optimize", str(small), *args, "--out", "o", "--quiet", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "o" / "optimize.json").read_text())
    assert doc["sense"] == "min" and doc["objective"] == "holding_cost"
    assert doc["constraints"] == ["fill_rate >= 0.8"]
    res = minimized
    assert res.chosen is not None
    assert doc["chosen"]["point"] == res.chosen.point
    assert doc["chosen"]["holding_cost"]["mean"] == res.chosen.mean("base", "holding_cost")
    assert f"{RP} = {res.chosen.point[RP]}" in proc.stdout
    tied = [g["label"] for g in doc["gaps_to_other_finalists"] if g["feasible"] and g["low"] <= 0]
    confidence_sentence(proc.stdout, doc["best_with_95pct_confidence"], tied)


@pytest.mark.parametrize(
    "args",
    [
        ["--over", f"{RP}=2:4"],  # no objective
        ["--maximize", "profit", "--minimize", "holding_cost", "--over", f"{RP}=2:4"],
        ["--maximize", "proft", "--over", f"{RP}=2:4"],
        ["--maximize", "profit", "--over", f"{RP}=4:2"],
        ["--maximize", "profit", "--subject-to", "fill_rate>0.9", "--over", f"{RP}=2:4"],
        ["--maximize", "profit", "--subject-to", "fill_rate>=0.9.5", "--over", f"{RP}=2:4"],
    ],
)
def test_cli_invalid_input_exits_2(small: Path, tmp_path: Path, args: list[str]) -> None:
    proc = cli(tmp_path, "optimize", str(small), *args, "--out", "o", "--quiet")
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_cli_flagship_meets_the_fill_rate(tmp_path: Path) -> None:
    proc = cli(
        tmp_path,
        "optimize",
        str(FLAGSHIP),
        "--over",
        f"{RP}=100:700",
        "--subject-to",
        "fill_rate>=0.95",
        "--maximize",
        "profit",
        "--screen-replications",
        "4",
        "--select-replications",
        "8",
        "--set",
        "horizon=120",
        "--out",
        "opt",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "opt" / "optimize.json").read_text())
    chosen = doc["chosen"]
    assert chosen is not None
    assert 100 <= chosen["point"][RP] <= 700
    assert chosen["fill_rate"]["mean"] >= 0.95
    assert chosen["replications"] == 8
    assert doc["policy"] == "backorder"
    assert isinstance(doc["best_with_95pct_confidence"], bool)
    best_line = [line for line in proc.stdout.splitlines() if line.startswith("Best for backorder:")]
    assert len(best_line) == 1 and f"{RP} = {chosen['point'][RP]}" in best_line[0]
    # the selection confidence is stated, in the sentence for the outcome
    tied = [g["label"] for g in doc["gaps_to_other_finalists"] if g["feasible"] and g["low"] <= 0]
    confidence_sentence(proc.stdout, doc["best_with_95pct_confidence"], tied)


# ------------------------------------------------------------- several policies

TWO_POLICIES = SMALL.replace(
    "replications: 10\n", "replications: 10\npolicies:\n  base: {}\n  lost: {store: {stockout: lost_sales}}\n"
)


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("opt2") / "two.yaml"
    p.write_text(TWO_POLICIES, encoding="utf-8")
    return p


def test_cli_several_policies_optimises_each(two: Path, tmp_path: Path) -> None:
    """Two --policy: one result per policy (optimize.json "results", one table each), each the
    same as optimising that policy alone — not only the last one."""
    args = ["--maximize", "profit", "--over", f"{RP}=2:8", "--screen-replications", "4", "--select-replications", "8"]
    proc = cli(tmp_path, "optimize", str(two), *args, "--policy", "base", "--policy", "lost", "--out", "o", "--quiet")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "o" / "optimize.json").read_text())
    assert [r["policy"] for r in doc["results"]] == ["base", "lost"]
    assert doc["objective"] == "profit" and doc["sense"] == "max"
    assert "small-rq: finalists for base (stage 2)" in proc.stdout
    assert "small-rq: finalists for lost (stage 2)" in proc.stdout
    assert proc.stdout.count("Best for ") == 2
    sc = load_scenario(two)
    for entry in doc["results"]:
        alone = optimize(
            sc, [(RP, list(range(2, 9)))], objective="profit", policy=entry["policy"], n1=4, n2=8, workers=1
        )
        assert alone.chosen is not None
        assert entry["chosen"]["point"] == alone.chosen.point
        assert entry["chosen"]["profit"]["mean"] == alone.chosen.mean(entry["policy"], "profit")


def test_cli_one_policy_keeps_the_single_document(two: Path, tmp_path: Path) -> None:
    args = ["--maximize", "profit", "--over", f"{RP}=2:4", "--screen-replications", "3", "--select-replications", "4"]
    proc = cli(tmp_path, "optimize", str(two), *args, "--policy", "lost", "--out", "o", "--quiet")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "o" / "optimize.json").read_text())
    assert doc["policy"] == "lost" and "results" not in doc


def test_cli_unknown_policy_exits_2(two: Path, tmp_path: Path) -> None:
    proc = cli(tmp_path, "optimize", str(two), "--maximize", "profit", "--over", f"{RP}=2:4", "--policy", "lots")
    assert invalid(proc).startswith("error: --policy 'lots' is not a policy of this scenario")


def test_undecided_finalists_say_how_many_replications_would_tell(scenario: Scenario) -> None:
    """A tie is never "as good": each undecided finalist's line gives N, the difference and about
    M replications, M the sample-size estimate from its paired differences at the simultaneous level."""
    from supplysim.analysis.intervals import replications_to_resolve

    res = optimize(scenario, [(RP, [6, 7, 8])], objective="profit", n1=4, n2=6, finalists=3, workers=1)
    text = "\n".join(res.lines())
    assert "as good as far as" not in text
    for g, ev in zip(res.gaps, res.evidence, strict=True):
        if g["low"] > 0:
            continue
        line = next(x for x in res.lines() if x.startswith(f"  {g['label']}: "))
        assert "with 6 replications" in line or "identical to the best" in line
        m = replications_to_resolve(ev.diff, ev.sd, level=g["confidence"], at_least=6)
        assert g["replications_to_tell_apart"] == m
        if m is not None:
            assert f"about {m:,} replications would tell them apart" in line


def test_progress_counts_across_batches() -> None:
    """Stage 1, stage 2 and several policies are separate batches: the count never runs backwards."""
    from supplysim.experiments.optimize import chained

    seen: list[tuple[int, int]] = []
    progress = chained(lambda done, total: seen.append((done, total)))
    assert progress is not None and chained(progress) is progress
    for batch in (3, 2, 2):
        for done in range(1, batch + 1):
            progress(done, batch)
    assert seen == [(1, 3), (2, 3), (3, 3), (4, 5), (5, 5), (6, 7), (7, 7)]
    assert chained(None) is None


# ------------------------------------------------------------------ grids with points that are not models

SS = SMALL.replace(
    "replenishment: {policy: rQ, reorder_point: 8, order_quantity: 10}",
    "replenishment: {policy: sS, reorder_point: 4, order_up_to: 12}",
)
S_, BIG_S = "replenishment.reorder_point", "replenishment.order_up_to"


def test_a_grid_skips_the_points_that_break_a_rule_of_several_keys() -> None:
    """An (s, S) grid where some points have S ≤ s: exactly those are skipped (with the rule's
    message), every other point is screened, and the choice is among the valid ones."""
    sc = parse_scenario(SS)
    s_values, big_values = list(range(2, 9)), list(range(4, 11))
    res = optimize(sc, [(S_, s_values), (BIG_S, big_values)], n1=3, n2=6, finalists=2)
    bad = {(s, b) for s in s_values for b in big_values if b <= s}
    skipped = {(p[S_], p[BIG_S]) for p, _ in res.not_models}
    assert skipped == bad
    screened = {(c.point[S_], c.point[BIG_S]) for c in res.screened}
    assert screened == {(s, b) for s in s_values for b in big_values} - bad
    assert res.evaluated == len(screened)
    assert all("must be greater than reorder_point" in str(e) for _, e in res.not_models)
    point, first = res.not_models[0]
    assert first.rules == (
        f"replenishment: order_up_to ({point[BIG_S]}) must be greater than reorder_point ({point[S_]})",
    )
    assert res.chosen is not None and res.chosen.point[BIG_S] > res.chosen.point[S_]
    words = "\n".join(res.lines())
    assert f"Skipped {len(bad)} grid points that are not a valid model" in words
    skip = [line for line in res.lines() if "not a valid model" in line or "found:" in line]
    assert skip == [
        f"Skipped {len(bad)} grid points that are not a valid model (the first, {S_} = {point[S_]}, "
        f"{BIG_S} = {point[BIG_S]}: {first.rules[0]}; optimize.json lists each)."
    ], "one sentence, without the message's found/hint lines"
    doc = res.to_dict()
    assert len(doc["skipped_points"]) == len(bad)


def test_cli_a_grid_without_a_single_model_exits_2_before_any_run(tmp_path: Path) -> None:
    path = tmp_path / "ss.yaml"
    path.write_text(SS, encoding="utf-8")
    err = invalid(
        cli(
            tmp_path,
            "optimize",
            str(path),
            "--maximize",
            "profit",
            "--over",
            f"{S_}=10:12",
            "--over",
            f"{BIG_S}=3:9",
            "--quiet",
        )
    )
    assert "no point of the search grid is a valid model" in err
    assert f"grid point {S_}=10, {BIG_S}=3" in err
    assert not (tmp_path / "results").exists()


def test_cli_a_bad_value_of_a_searched_key_is_still_bad_input(tmp_path: Path) -> None:
    """Only a rule relating several keys makes a point skippable: a searched key's own value out
    of its range is an error of the range, named by its option."""
    path = tmp_path / "ss.yaml"
    path.write_text(SS, encoding="utf-8")
    err = invalid(
        cli(tmp_path, "optimize", str(path), "--maximize", "profit", "--over", "store.initial_stock=-5:5", "--quiet")
    )
    assert "--over store.initial_stock=-5:5 (at store.initial_stock=-5)" in err
    assert not (tmp_path / "results").exists()
