"""The estimators of ``supplysim fit`` against the truth they were drawn from (``docs/fit.md``).

Coverage checks count, over seeded repetitions, how often a 95% interval holds the truth;
with 100 repetitions the count is Binomial(100, 0.95) for an exact interval, so the bound
88 fails a correct interval with probability below 0.2%.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from clirun import assert_one_clear_message, cli, ok
from fit_synth import Truth, arrivals, make_export, spells
from supplysim.analysis.fit.demand import exposure, fit_rate, fit_trend, fit_weekly, garwood
from supplysim.analysis.fit.durations import (
    EXPONENTIAL,
    GAMMA,
    LAWS,
    LOGNORMAL,
    NORMAL,
    PATIENCE_LAWS,
    WEIBULL,
    fit_durations,
    fit_law,
    kaplan_meier,
)
from supplysim.analysis.fit.quantity import fit_quantity
from supplysim.scenario.load import load_scenario

REPS = 100
MIN_COVERED = 88


def test_garwood_matches_the_tables() -> None:
    # Ulm (1990) / the classic tables: n = 0 → (0, 3.689); n = 10 → (4.795, 18.39)
    assert garwood(0, 1.0) == (0.0, pytest.approx(3.6889, abs=1e-4))
    lo, hi = garwood(10, 2.0)
    assert (lo * 2, hi * 2) == (pytest.approx(4.7954, abs=1e-4), pytest.approx(18.390, abs=1e-3))


def test_exposure_merges_and_clips_spells() -> None:
    w = exposure(0.0, 10.0, np.array([8.0, -1.0, 1.5, 9.5]), np.array([9.0, 1.0, 2.0, 12.0]))
    assert w.lo.tolist() == [1.0, 2.0, 9.0] and w.hi.tolist() == [1.5, 8.0, 9.5]
    assert w.total == pytest.approx(7.0)
    overlapping = exposure(0.0, 10.0, np.array([2.0, 3.0]), np.array([4.0, 5.0]))
    assert overlapping.total == pytest.approx(7.0)


def test_in_stock_rate_is_unbiased_where_the_calendar_rate_is_not() -> None:
    """With 30% of the time out of stock, n/T estimates λ; n/calendar estimates 0.7 λ."""
    truth = Truth(rate=10.0, days=60.0, stockout_share=0.3, stockout_mean=2.0)
    in_stock, calendar = [], []
    for seed in range(REPS):
        rng = np.random.default_rng(seed)
        down = spells(truth, rng)
        t = arrivals(truth, rng, down)
        w = exposure(0.0, truth.days, np.array([a for a, _ in down]), np.array([b for _, b in down]))
        r = fit_rate(t, w)
        in_stock.append(r.rate)
        calendar.append(r.calendar_rate)
    a, c = np.array(in_stock), np.array(calendar)
    half = 3 * a.std(ddof=1) / math.sqrt(REPS)  # a 3-sigma band around the mean of the estimates
    assert abs(a.mean() - truth.rate) < half
    assert c.mean() < truth.rate - 5 * c.std(ddof=1) / math.sqrt(REPS)  # clearly biased down
    assert c.mean() / truth.rate == pytest.approx(0.7, abs=0.06)


@pytest.mark.parametrize(
    "weekly,share", [(None, 0.0), (None, 0.25), ((1.3, 1, 1, 1, 1, 1.2, 0.5), 0.0), ((1.3, 1, 1, 1, 1, 1.2, 0.5), 0.25)]
)
def test_rate_interval_covers_and_the_weekly_test_decides(weekly: tuple[float, ...] | None, share: float) -> None:
    truth = Truth(rate=8.0, weekly=weekly, days=56.0, stockout_share=share)
    covered = kept = 0
    for seed in range(REPS):
        rng = np.random.default_rng(1000 + seed)
        down = spells(truth, rng)
        t = arrivals(truth, rng, down)
        w = exposure(0.0, truth.days, np.array([a for a, _ in down]), np.array([b for _, b in down]))
        wk = fit_weekly(t, w)
        kept += wk.kept
        lo, hi = wk.mean_rate_ci95 if weekly is not None else fit_rate(t, w).ci95
        covered += lo <= truth.rate <= hi
    assert covered >= MIN_COVERED
    if weekly is None:
        assert kept <= 12  # a 5% test: Binomial(100, 0.05) exceeds 12 with probability < 0.1%
    else:
        assert kept >= 95  # the profile is strong: the test sees it nearly always


def test_weekly_factors_recover_the_profile() -> None:
    profile = np.array([1.3, 1, 1, 1, 1, 1.2, 0.5])
    truth = Truth(rate=30.0, weekly=tuple(profile), days=364.0)
    t = arrivals(truth, np.random.default_rng(5), [])
    wk = fit_weekly(t, exposure(0.0, truth.days, np.zeros(0), np.zeros(0)))
    expected = profile / profile.mean()
    inside = [lo <= f <= hi for f, (lo, hi) in zip(expected, wk.factor_ci95, strict=True)]
    assert sum(inside) >= 6 and wk.p_value < 1e-10
    assert np.mean(wk.factors) == pytest.approx(1.0)


def test_trend_found_when_there_and_not_otherwise() -> None:
    rng = np.random.default_rng(3)
    days, b = 200.0, 0.004
    grid_n = rng.poisson(10 * days * (1 + b * days))
    cand = rng.uniform(0, days, grid_n)
    t = np.sort(cand[rng.random(grid_n) < (1 + b * cand) / (1 + b * days)])
    w = exposure(0.0, days, np.zeros(0), np.zeros(0))
    fit = fit_trend(t, w)
    assert fit.kept and fit.ci95[0] <= b <= fit.ci95[1]
    flat = np.sort(rng.uniform(0, days, rng.poisson(10 * days)))
    assert not fit_trend(flat, w).kept
    assert not fit_trend(flat[flat < 30], exposure(0.0, 30.0, np.zeros(0), np.zeros(0))).tested


def test_quantity_law_named_when_it_fits_as_well() -> None:
    rng = np.random.default_rng(11)
    assert fit_quantity(1 + rng.poisson(1.5, 3000)).dist == "poisson"
    geometric = fit_quantity(rng.geometric(0.4, 3000))
    assert geometric.dist in ("geometric", "negative_binomial")  # the geometric is a negative binomial
    assert geometric.p_values["geometric"] > 0.01
    lumpy = rng.choice([1, 2, 6, 12], p=[0.5, 0.2, 0.2, 0.1], size=3000)
    chosen = fit_quantity(lumpy)
    assert chosen.dist == "choice" and chosen.spec["values"] == [1, 2, 6, 12]
    assert fit_quantity(np.full(50, 3)).spec == 3


def test_the_quantity_test_keeps_its_cells_few_whatever_the_largest_value() -> None:
    """Values past DENSE_CELLS share the tail cell: a billion-unit order costs no billion-cell array,
    and the p-value is that of the same order at DENSE_CELLS (both in the tail cell X ≥ DENSE_CELLS)."""
    from supplysim.analysis.fit.quantity import DENSE_CELLS, pearson_p

    rng = np.random.default_rng(3)
    q = rng.geometric(0.5, 2000)
    values, counts = np.unique(q, return_counts=True)

    def p_of(extra: int) -> float:
        v, c = np.append(values, extra), np.append(counts, 1)
        return pearson_p(v, c, lambda x: stats.geom.pmf(x, 0.5), lambda x: stats.geom.sf(x, 0.5), 1)

    import tracemalloc

    tracemalloc.start()
    try:
        huge = p_of(10**9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * DENSE_CELLS  # a few arrays of DENSE_CELLS doubles (and their temporaries), not 10⁹
    assert huge == p_of(DENSE_CELLS) and 0.0 < huge <= 1.0
    assert p_of(1) != huge  # an order in the body of the law moves another cell


@pytest.mark.parametrize(
    "truth,law",
    [
        (stats.gamma(3.0, scale=2.0), GAMMA),
        (stats.lognorm(0.5, scale=6.0), LOGNORMAL),
        (stats.weibull_min(1.5, scale=6.0), WEIBULL),
        (stats.truncnorm(-5, np.inf, loc=10, scale=2), NORMAL),
    ],
)
def test_aic_picks_the_true_lead_time_law_on_a_large_sample(truth: object, law: object) -> None:
    x = np.asarray(truth.rvs(size=3000, random_state=np.random.default_rng(7)))  # type: ignore[attr-defined]
    fit = fit_durations(x, laws=LAWS, gof_draws=0)
    assert fit.dist == law.name  # type: ignore[attr-defined]


def test_aic_picks_the_true_patience_law_under_censoring() -> None:
    rng = np.random.default_rng(8)
    p = stats.weibull_min(2.0, scale=5.0).rvs(size=3000, random_state=rng)
    c = rng.exponential(5.0, 3000)
    fit = fit_durations(p[p < c], c[p >= c], laws=PATIENCE_LAWS)
    assert fit.dist == "weibull" and fit.censored > 1000
    assert fit.spec["shape"] == pytest.approx(2.0, rel=0.1)


def test_constant_and_empirical_lead_times() -> None:
    assert fit_durations(np.full(20, 4.0)).spec == 4.0
    rng = np.random.default_rng(2)
    bimodal = np.concatenate([rng.normal(3, 0.3, 300), rng.normal(12, 0.5, 300)])
    fit = fit_durations(np.abs(bimodal), gof_draws=49, seed=1)
    assert fit.dist == "empirical" and fit.ks_p is not None and fit.ks_p < 0.05
    good = fit_durations(rng.gamma(4, 2, 200), gof_draws=49, seed=1)
    assert good.dist == "gamma" and good.ks_p is not None and good.ks_p > 0.05


def test_kaplan_meier_by_hand() -> None:
    times, surv, se = kaplan_meier(np.array([1.0, 2, 2, 3]), np.array([2.0, 4]))
    # at 1: 6 at risk, 1 event; at 2: 5 at risk (the censored 2 still counts), 2 events; at 3: 2 at risk
    assert times.tolist() == [1, 2, 3]
    assert surv.tolist() == pytest.approx([5 / 6, 5 / 6 * 3 / 5, 5 / 6 * 3 / 5 / 2])
    assert se[0] == pytest.approx(5 / 6 * math.sqrt(1 / (6 * 5)))
    x = np.random.default_rng(0).exponential(1, 50)
    _, s, _ = kaplan_meier(x, np.zeros(0))
    assert s.tolist() == pytest.approx((1 - np.arange(1, 51) / 50).tolist())  # no censoring: 1 − ECDF


@pytest.mark.parametrize(
    "law,truth,censor_mean",
    [
        (EXPONENTIAL, stats.expon(scale=4.0), 2.0),  # heavy censoring (2/3 censored)
        (WEIBULL, stats.weibull_min(1.5, scale=4.0), 20.0),  # light censoring
        (LOGNORMAL, stats.lognorm(0.6, scale=3.0), 4.0),
        (GAMMA, stats.gamma(2.0, scale=2.0), None),  # uncensored (lead times)
    ],
)
def test_duration_intervals_cover_the_truth(law: object, truth: object, censor_mean: float | None) -> None:
    """The delta-method intervals of the median (and of the mean) cover in about 95% of 100 repetitions."""
    median, mean = float(truth.median()), float(truth.mean())  # type: ignore[attr-defined]
    med_in = mean_in = 0
    for seed in range(REPS):
        rng = np.random.default_rng(seed)
        x = np.asarray(truth.rvs(size=80, random_state=rng))  # type: ignore[attr-defined]
        if censor_mean is None:
            ev, cen = x, np.zeros(0)
        else:
            c = rng.exponential(censor_mean, len(x))
            ev, cen = x[x <= c], c[x > c]
        f = fit_law(law, ev, cen)  # type: ignore[arg-type]
        assert f is not None
        lo, hi = f.interval(lambda d: float(d.median()))
        med_in += lo <= median <= hi
        lo, hi = f.interval(lambda d: float(d.mean()))
        mean_in += lo <= mean <= hi
    assert med_in >= MIN_COVERED
    assert mean_in >= MIN_COVERED


TEMPLATE = """\
name: shop
horizon: 100
demand: {rate: 5, weekly: [1, 1, 1, 1, 1, 1, 1]}
segments:
  - {name: planner, share: 0.5, accept_backorder: 0.8, patience: {dist: exponential, mean: 3}}
  - {name: impulse, share: 0.5, accept_backorder: 0.3}
supplier: {lead_time: 5}
store: {stockout: backorder}
replenishment: {policy: rQ, reorder_point: 10, order_quantity: 20}
policies:
  base: {}
  slow: {supplier: {lead_time: 9}}
"""


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object], Truth]:
    folder = tmp_path_factory.mktemp("fit")
    truth = Truth(
        rate=12.0,
        weekly=(1.4, 1, 1, 1, 1, 1.2, 0.4),
        days=140.0,
        stockout_share=0.15,
        quantity=([1, 2, 3], [0.6, 0.3, 0.1]),
        backorder_share=0.4,
        patience=stats.weibull_min(1.6, scale=5.0),
        service=stats.expon(scale=4.0),
        lead_time=stats.lognorm(0.35, scale=8.0),
        purchase_orders=150,
    )
    make_export(folder, truth, seed=4)
    (folder / "base.yaml").write_text(TEMPLATE)
    end = (folder / "exported_at.txt").read_text()
    res = ok(
        cli(
            folder,
            "fit",
            "--orders",
            "orders.csv",
            "--receipts",
            "receipts.csv",
            "--stockouts",
            "stockouts.csv",
            "--template",
            "base.yaml",
            "--out",
            "fitted.yaml",
            "--exported-at",
            end,
            "--format",
            "json",
            "--bootstrap",
            "49",
        )
    )
    return folder, json.loads(res.stdout), truth


def test_json_has_the_keys_of_data_md(fitted: tuple[Path, dict[str, object], Truth]) -> None:
    _, doc, _ = fitted
    assert set(doc["demand.rate"]) >= {"estimate", "ci95", "n"}  # type: ignore[arg-type]
    assert set(doc["demand.weekly"]) >= {"estimate", "p_value"}  # type: ignore[arg-type]
    assert set(doc["supplier.lead_time"]) >= {"dist", "mean", "sd", "ci95_mean", "n", "aic"}  # type: ignore[arg-type]
    assert set(doc["patience"]) >= {"dist", "mean", "median", "ci95_median", "events", "censored"}  # type: ignore[arg-type]


def test_the_fit_recovers_the_truth(fitted: tuple[Path, dict[str, object], Truth]) -> None:
    _, doc, truth = fitted
    rate = doc["demand.rate"]
    lo, hi = rate["ci95"]  # type: ignore[index]
    assert lo <= truth.rate <= hi
    assert rate["calendar_rate"] < lo  # type: ignore[index]  # calendar time is biased low
    assert len(doc["demand.weekly"]["estimate"]) == 7  # type: ignore[index]
    lt = doc["supplier.lead_time"]
    assert lt["ci95_mean"][0] <= truth.lead_time.mean() <= lt["ci95_mean"][1]  # type: ignore[index]
    pat = doc["patience"]
    assert pat["ci95_median"][0] <= truth.patience.median() <= pat["ci95_median"][1]  # type: ignore[index]


def test_the_fitted_scenario_validates_and_keeps_the_template(fitted: tuple[Path, dict[str, object], Truth]) -> None:
    folder, doc, _ = fitted
    sc = load_scenario(folder / "fitted.yaml")
    assert sc.fit is not None and "demand.rate" in sc.fit.keys
    assert sc.demand.rate == pytest.approx(doc["demand.rate"]["estimate"], rel=1e-5)  # type: ignore[index]
    assert sc.segments[1].accept_backorder == 0.3  # not estimated: the template's
    assert sc.segments[0].patience == sc.segments[1].patience
    assert sc.policies["slow"].supplier.lead_time.mean == 9  # type: ignore[union-attr]  # the policy's own
    assert sc.policies["base"].supplier.lead_time.dist == doc["supplier.lead_time"]["dist"]  # type: ignore[union-attr,index]
    text = (folder / "fitted.yaml").read_text()
    assert text.startswith("# Fitted by supplysim")
    assert list(yaml.safe_load(text))[-1] == "fit"
    ok(cli(folder, "validate", "fitted.yaml"))


@pytest.mark.parametrize(
    ("option", "target"),
    [
        ("--out", "orders.csv"),
        ("--out", "base.yaml"),
        ("--catalog", "receipts.csv"),
        ("--report", "."),
    ],
)
def test_fit_refuses_to_write_over_its_inputs(
    fitted: tuple[Path, dict[str, object], Truth], option: str, target: str
) -> None:
    """An output that is one of the inputs (or, for --report, a folder holding one) is refused before
    anything is read or written: the records stay as they were."""
    folder, _, _ = fitted
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    args = ["fit", "--orders", "orders.csv", "--receipts", "receipts.csv", "--template", "base.yaml", option, target]
    if option == "--report":
        args += ["--out", "again.yaml"]
    res = cli(folder, *args)
    assert_one_clear_message(res)
    assert "writing it would replace the input" in res.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


TWO_SUPPLIERS = """\
name: two
horizon: 100
demand: {rate: 5}
suppliers:
  - {name: sea, lead_time: 20}
  - {name: air, lead_time: 3}
sourcing: {rule: split, shares: {sea: 0.5, air: 0.5}}
replenishment: {policy: rQ, reorder_point: 10, order_quantity: 20}
"""


def test_lead_times_per_supplier(tmp_path: Path) -> None:
    from fit_synth import _iso
    from supplysim.analysis.fit.fitting import fit_records, fitted_scenario
    from supplysim.records import read_records

    rng = np.random.default_rng(9)
    orders = tmp_path / "orders.csv"
    t = np.sort(rng.uniform(0, 60, 300))
    orders.write_text(
        "order_id,created_at,quantity,backordered,fulfilled_at,cancelled_at\n"
        + "".join(f"O{i},{_iso(x)},1,false,{_iso(x)},\n" for i, x in enumerate(t))
    )
    lines = ["po_id,ordered_at,received_at,quantity,supplier"]
    for i in range(120):
        who, mean = ("sea", 21.0) if i % 2 else ("air", 4.0)
        placed = float(rng.uniform(0, 30))
        lines.append(f"P{i},{_iso(placed)},{_iso(placed + rng.gamma(9, mean / 9))},10,{who}")
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("\n".join(lines) + "\n")
    (tmp_path / "two.yaml").write_text(TWO_SUPPLIERS)
    template = load_scenario(tmp_path / "two.yaml")
    result = fit_records(read_records(orders, receipts), template, gof_draws=0)
    keys = {lt.key: lt for lt in result.lead_times}
    assert set(keys) == {"suppliers.0.lead_time", "suppliers.1.lead_time"}
    assert keys["suppliers.0.lead_time"].supplier == "sea"
    assert keys["suppliers.0.lead_time"].fit.mean == pytest.approx(21, rel=0.1)
    assert keys["suppliers.1.lead_time"].fit.mean == pytest.approx(4, rel=0.1)
    sc = fitted_scenario(result, template)
    assert sc.suppliers is not None and sc.suppliers[0].lead_time.mean == pytest.approx(21, rel=0.1)
    assert not result.patience and any("patience keeps the template's value" in n for n in result.notes)
