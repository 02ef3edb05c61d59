"""The supply network (docs/network.md): exact traces, the two-echelon theory, metamorphic relations.

Exact traces drive the network with scripted customers, supplier lead times and transit
times (constant or listed), so every expected time can be checked by hand. The statistical
tests compare replication means with the exact result of Graves (1985) / Axsäter (2015,
§5.3), computed by ``tests/network_theory.py``, with confidence-interval tolerances and a
required precision (``tests/statcheck.py``).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from network_theory import two_echelon
from statcheck import assert_all, mean_check
from supplysim.analysis.indicators import indicators, kpi_names
from supplysim.analysis.kpis import Feature, feature_names, is_known
from supplysim.experiments.runner import run_experiment
from supplysim.scenario import ModelConfig, ScenarioError, parse_scenario
from supplysim.sim import simulate
from supplysim.sim.network import NetworkReplication
from supplysim.sim.trace import Event, TraceRow

INF = math.inf


def cust(t: float, qty: int = 1) -> tuple[float, int, int, float, float, float]:
    """A scripted customer: (time, units, segment 0, accepts, waits forever, any quote)."""
    return (t, qty, 0, 0.0, INF, INF)


def network_yaml(
    s0: int,
    lead0: float,
    stores: Sequence[tuple[float, int, float]],
    *,
    extra_warehouse: str = "",
    extra: str = "",
    horizon: float = 100,
    warmup: float = 0,
    replications: int = 2,
) -> str:
    """A one-for-one base-stock network: warehouse level ``s0``, supplier lead ``lead0``, stores (λ, S, L)."""
    lines = "\n".join(
        f"    s{i}: {{transit_time: {lead}, demand: {{rate: {lam}}}, "
        f"replenishment: {{policy: base_stock, level: {level}}}}}"
        for i, (lam, level, lead) in enumerate(stores)
    )
    return textwrap.dedent(
        f"""\
        name: net
        horizon: {horizon}
        warmup: {warmup}
        replications: {replications}
        seed: 11
        product: {{price: 10, holding_cost: 0.1, backorder_cost: 1}}
        demand: {{rate: 1}}
        supplier: {{lead_time: {lead0}, unit_cost: 4}}
        replenishment: {{policy: base_stock, level: 1}}
        """
    ) + (
        f"network:\n  warehouse: {{name: dc, replenishment: {{policy: base_stock, level: {s0}}}{extra_warehouse}}}\n"
        f"  stores:\n{lines}\n{extra}"
    )


def model(text: str) -> ModelConfig:
    sc = parse_scenario(text)
    return next(iter(sc.policies.values()))


def rows(trace: list[TraceRow] | None, event: Event, where: str) -> list[tuple[float, int]]:
    """(time, units) of the trace rows of one kind at one location."""
    assert trace is not None
    return [(r.time, r.qty) for r in trace if r.event is event and r.note.startswith(where)]


# ------------------------------------------------------------------ scenario


def test_policies_merge_over_the_network_and_a_policy_beats_a_store_override() -> None:
    text = network_yaml(4, 2, [(1, 2, 1), (2, 3, 1)]) + textwrap.dedent(
        """\
        policies:
          backorder: {}
          out_of_stock: {store: {stockout: lost_sales}}
          one: {network: {stores: {s1: {replenishment: {level: 7}}}}}
        """
    )
    text = text.replace("demand: {rate: 2}", "demand: {rate: 2}, store: {stockout: lost_sales}")
    sc = parse_scenario(text)
    stockouts = {n: [p.network.store_model(s).store.stockout for s in ("s0", "s1")] for n, p in sc.policies.items()}  # type: ignore[union-attr]
    assert stockouts == {
        "backorder": ["backorder", "lost_sales"],
        "out_of_stock": ["lost_sales", "lost_sales"],
        "one": ["backorder", "lost_sales"],
    }
    one = sc.policies["one"].network
    assert one is not None and one.store_model("s1").replenishment.order_up_to_level == 7
    assert one.store_model("s0").replenishment.order_up_to_level == 2


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("policies.base.network.stores.S0.demand.rate=1", "did you mean 's0'"),
        ("network.stores.s0.demand.rat=1", "did you mean 'rate'"),
        ("network.stores.s0.transit_tim=1", "did you mean 'transit_time'"),
        ("network.warehouse.name=s1", "must be unique"),
        ("network.stores.s0.supplier.lead_time=1", "unknown key 'supplier'"),
        ("network.stores.s0.transit_time=-1", "network.stores.s0.transit_time"),
        ("network.warehouse.demand.rat=1", "did you mean 'rate'"),
        ("network.warehouse.segments=[]", "add `demand:` or remove it"),
        ("network.warehouse.demand.goodwill.churn=1", "cannot have goodwill"),
        ("network.stores.s2.transit_time=1", "'s2' is not a store of this network"),  # no store added by --set
        ("network.stores.S1.replenishment.level=5", "did you mean 's1'"),
        ("policies.base.network=null", "a policy cannot remove the network"),
        ("network.warehouse.name=''", "a name of at least one visible character"),
        ("network.stores={'': {transit_time: 1}}", "a name of at least one visible character"),
    ],
)
def test_located_errors(setting: str, expected: str) -> None:
    from supplysim.scenario.load import parse_override

    with pytest.raises(ScenarioError) as err:
        parse_scenario(network_yaml(4, 2, [(1, 2, 1), (2, 3, 1)]), "<net>", [parse_override(setting)])
    assert expected in str(err.value)


def test_a_stores_stockout_key_that_cannot_act_is_refused_but_a_policy_may_vary_the_stockout() -> None:
    from supplysim.scenario.load import parse_override

    text = network_yaml(4, 2, [(1, 2, 1), (2, 3, 1)])
    inert = [
        parse_override("network.stores.s0.store.stockout=lost_sales"),
        parse_override("network.stores.s0.store.max_quoted_wait=3"),
    ]
    with pytest.raises(ScenarioError, match=r"network\.stores\.s0\.store\.max_quoted_wait"):
        parse_scenario(text, "<net>", inert)
    acting = [
        parse_override("network.stores.s0.store.max_quoted_wait=3"),
        parse_override("policies={base: {}, oos: {store: {stockout: lost_sales}}}"),  # a new policy: the whole block
    ]
    sc = parse_scenario(text, "<net>", acting)
    net = sc.policies["oos"].network
    assert net is not None and net.store_model("s0").store.stockout == "lost_sales"


def test_a_scenario_without_network_reports_no_network_indicator() -> None:
    sc = parse_scenario(network_yaml(4, 2, [(1, 2, 1)]).split("network:")[0])
    assert not any("warehouse" in k or "@" in k for k in kpi_names(sc.policies.values()))
    assert "network" not in sc.model_dump()


def test_network_indicators_are_registered() -> None:
    names = kpi_names([model(network_yaml(4, 2, [(1, 2, 1), (2, 3, 1)]))])
    assert all(is_known(k) for k in names)
    assert set(feature_names(Feature.NETWORK)) <= set(names)
    assert {"fill_rate@s0", "profit@s1", "mean_lead_time@s0", "avg_backorders@s1"} <= set(names)


# ------------------------------------------------------------------ exact traces


def scripted(
    text: str,
    customers: dict[str, list[Any]],
    horizon: float,
    *,
    leads: Iterable[float] | None = None,
    transits: dict[str, Iterable[float]] | None = None,
) -> tuple[NetworkReplication, Any]:
    cfg = model(text)
    rep = NetworkReplication(
        cfg,
        seed=0,
        replication=0,
        trace=True,
        lead_times=iter(leads) if leads is not None else None,
        transit_times={k: iter(v) for k, v in (transits or {}).items()},
    )
    result = rep.run(horizon, 0.0, customers=customers)
    return rep, result


def test_a_store_order_waits_at_the_warehouse() -> None:
    # warehouse S0 = 0: the store's order at t = 1 waits for the warehouse's own order (L0 = 4)
    rep, result = scripted(network_yaml(0, 4, [(1, 1, 1)]), {"s0": [cust(1), cust(2)]}, 20)
    tr = result.trace
    assert rows(tr, Event.SHIP, "dc") == [(5.0, 1), (6.0, 1)]
    assert rows(tr, Event.DELIVER, "s0") == [(6.0, 1), (7.0, 1)]
    assert rows(tr, Event.SHIP, "s0") == [(1.0, 1), (6.0, 1)]  # the second customer waited 4
    values = indicators(result, rep.cfg, kpi_names([rep.cfg]))
    assert values["warehouse_fill_rate"] == 0.0
    assert values["warehouse_mean_delay"] == 4.0
    assert values["mean_lead_time@s0"] == 5.0  # 4 at the warehouse + 1 in transit
    assert values["warehouse_avg_backorders"] == pytest.approx(8 / 20)  # 1 unit owed over [1, 5) and [2, 6)
    assert values["mean_wait@s0"] == 4.0


def test_the_quote_counts_the_wait_at_the_warehouse() -> None:
    # the store's order of t = 1 waits at the warehouse for its supplier order due at 5 (L0 = 4);
    # at t = 2 the store quotes: 3 more at the warehouse (residual of L0 at age 1) + 1 in transit
    probe = (2.0, 1, 0, 0.0, INF, -1.0)  # refuses any wait: its note shows the quote
    text = network_yaml(0, 4, [(1, 1, 1)]).replace(
        "demand: {rate: 1}\n", "demand: {rate: 1}\nsegments: [{name: all, share: 1, max_wait: 100}]\n"
    )
    _, result = scripted(text, {"s0": [cust(1), probe]}, 20)
    assert result.trace is not None
    assert [r.note for r in result.trace if r.event is Event.LOST] == ["s0: balked: quote 4 > max_wait -1"]


def test_network_money_adds_up() -> None:
    cfg = model(network_yaml(3, 2.0, [(1.0, 2, 1.0), (2.0, 3, 0.5)], extra_warehouse=", demand: {rate: 0.5}"))
    v = indicators(simulate(cfg, seed=4, replication=0, horizon=200), cfg, kpi_names([cfg]))
    locations = ("s0", "s1", "dc")
    assert v["revenue"] == pytest.approx(sum(v[f"revenue@{n}"] for n in locations))
    assert v["customers"] == sum(v[f"customers@{n}"] for n in locations)
    purchases = v["ordering_cost"] - sum(v[f"ordering_cost@{n}"] for n in locations)
    assert purchases == pytest.approx(4 * v["units_ordered"])  # unit_cost 4, no order cost
    assert v["profit"] == pytest.approx(
        sum(v[f"profit@{n}"] for n in locations) - purchases - v["warehouse_holding_cost"]
    )


def test_a_partial_shipment() -> None:
    # the store orders 3 (rQ r=0, Q=3); the warehouse holds 2: ships 2 now, 1 when its order arrives
    store = "replenishment: {policy: base_stock, level: 1}}"
    for partial, ships in ((True, [(1.0, 2), (5.0, 1)]), (False, [(5.0, 3)])):
        text = network_yaml(2, 4, [(1, 1, 1)], extra_warehouse=f", partial_shipments: {str(partial).lower()}")
        text = text.replace(
            store, "replenishment: {policy: rQ, reorder_point: 0, order_quantity: 3}, store: {initial_stock: 1}}"
        )
        _, result = scripted(text, {"s0": [cust(1)]}, 20)
        assert rows(result.trace, Event.SHIP, "dc") == ships
        assert rows(result.trace, Event.DELIVER, "s0") == [(t + 1, q) for t, q in ships]


@pytest.mark.parametrize(("no_crossing", "arrivals"), [(False, [2.5, 4.0]), (True, [4.0, 4.0])])
def test_crossing_and_non_crossing_transit(no_crossing: bool, arrivals: list[float]) -> None:
    text = network_yaml(5, 4, [(1, 2, 1)]).replace(
        "transit_time: 1,", f"transit_time: 1, no_crossing: {str(no_crossing).lower()},"
    )
    _, result = scripted(text, {"s0": [cust(1), cust(1.5)]}, 20, transits={"s0": [3, 1]})
    assert sorted(t for t, _ in rows(result.trace, Event.DELIVER, "s0")) == arrivals


def test_same_instant_orders_across_locations_go_in_listed_order() -> None:
    # one unit at the warehouse; both stores sell their unit at t = 1: s0 (listed first) gets it
    _, result = scripted(network_yaml(1, 4, [(1, 1, 1), (1, 1, 2)]), {"s0": [cust(1)], "s1": [cust(1)]}, 20)
    assert [(r.time, r.note) for r in result.trace if r.event is Event.SHIP and r.note.startswith("dc")] == [
        (1.0, "dc: to s0"),
        (5.0, "dc: to s1"),
    ]


def test_a_transshipment() -> None:
    # s0 holds 1 unit, s1 2 and s2 3: s0's second customer is served from s2 (the most available)
    text = network_yaml(0, 4, [(1, 1, 1), (1, 2, 1), (1, 3, 1)], extra="  transshipment: {time: 0.5, cost: 2}\n")
    rep, result = scripted(text, {"s0": [cust(1), cust(2)]}, 3)
    tr = result.trace
    assert rows(tr, Event.SHIP, "s2") == [(2.0, 1)]  # to a customer of s0
    assert [r.note for r in tr if r.event is Event.SHIP and r.note.startswith("s0")] == [
        "s0: served immediately",
        "s0: from s2, arrives after 0.5",
    ]
    values = indicators(result, rep.cfg, kpi_names([rep.cfg]))
    assert values["transship_rate@s0"] == 0.5 and values["transship_rate"] == 0.5
    assert values["transshipment_cost@s0"] == 2.0
    assert values["revenue@s0"] == 20.0 and values["revenue@s2"] == 0.0  # the sale is s0's
    assert values["fill_rate@s0"] == 0.5
    assert rep.stores["s2"].on_hand == 2 and rep.stores["s2"].on_order == 1  # s2 reordered the unit it gave


def test_the_warehouse_shares_its_stock_first_come_first_served_with_its_own_customers() -> None:
    # one unit at the warehouse (level 1, L0 = 4): whoever comes first gets it
    text = network_yaml(1, 4, [(1, 1, 1)], extra_warehouse=", demand: {rate: 1}")
    rep, result = scripted(text, {"s0": [cust(1)], "dc": [cust(2)]}, 20)
    tr = result.trace
    assert rows(tr, Event.SHIP, "dc") == [(1.0, 1), (5.0, 1)]  # to s0 at once; the web customer waits 3
    values = indicators(result, rep.cfg, kpi_names([rep.cfg]))
    assert values["mean_wait@dc"] == 3.0 and values["fill_rate@dc"] == 0.0
    assert values["warehouse_fill_rate"] == 1.0 and values["customers"] == 2.0
    rep, result = scripted(text, {"s0": [cust(1)], "dc": [cust(0.5)]}, 20)
    assert rows(result.trace, Event.SHIP, "dc") == [(0.5, 1), (4.5, 1)]  # the store order waits 3.5
    values = indicators(result, rep.cfg, kpi_names([rep.cfg]))
    assert values["fill_rate@dc"] == 1.0 and values["warehouse_mean_delay"] == 3.5
    assert values["revenue"] == 20.0 and values["revenue@dc"] == 10.0


# ------------------------------------------------------------------ the two-echelon theory

CASES = {
    "rarely_out": (12, 2.0, [(1.0, 3, 1.0), (1.5, 4, 1.0)]),
    "often_out": (3, 3.0, [(1.0, 3, 1.0), (1.0, 3, 2.0)]),
    "s0_zero": (0, 2.0, [(1.5, 5, 1.0)]),
    "three_unequal": (6, 2.0, [(0.5, 2, 1.0), (1.0, 3, 2.0), (2.0, 5, 1.0)]),
}


def replicate(cfg: ModelConfig, n: int, horizon: float, warmup: float, seed: int = 5) -> dict[str, np.ndarray]:
    names = kpi_names([cfg])
    runs = [
        indicators(simulate(cfg, seed=seed, replication=i, horizon=horizon, warmup=warmup), cfg, names)
        for i in range(n)
    ]
    return {k: np.array([r[k] for r in runs]) for k in names}


@pytest.mark.parametrize("case", list(CASES))
def test_two_echelon_theory(case: str) -> None:
    s0, lead0, stores = CASES[case]
    cfg = model(network_yaml(s0, lead0, stores))
    theory = two_echelon(s0, lead0, stores)
    v = replicate(cfg, 30, 2000.0, 50.0)
    w = theory.warehouse
    checks = [
        mean_check(v["warehouse_fill_rate"], w.fill_rate, "warehouse_fill_rate", precision=0.02),
        mean_check(
            v["warehouse_avg_on_hand"], w.avg_on_hand, "warehouse_avg_on_hand", precision=0.1 + 0.03 * w.avg_on_hand
        ),
        mean_check(
            v["warehouse_avg_backorders"],
            w.avg_backorders,
            "warehouse_avg_backorders",
            precision=0.05 + 0.05 * w.avg_backorders,
        ),
        mean_check(
            v["warehouse_mean_delay"],
            w.mean_delay,
            "warehouse_mean_delay",
            precision=0.02 + 0.05 * w.mean_delay,
            slack=0.002,
        ),
    ]
    for i, st_ in enumerate(theory.stores):
        s = f"s{i}"
        checks += [
            mean_check(v[f"fill_rate@{s}"], st_.fill_rate, f"fill_rate@{s}", precision=0.025),
            mean_check(
                v[f"avg_on_hand@{s}"], st_.avg_on_hand, f"avg_on_hand@{s}", precision=0.05 + 0.03 * st_.avg_on_hand
            ),
            mean_check(
                v[f"avg_backorders@{s}"],
                st_.avg_backorders,
                f"avg_backorders@{s}",
                precision=0.03 + 0.06 * st_.avg_backorders,
            ),
            mean_check(
                v[f"mean_lead_time@{s}"],
                st_.mean_lead_time,
                f"mean_lead_time@{s}",
                precision=0.03 + 0.02 * st_.mean_lead_time,
                slack=0.002,
            ),
        ]
        # a ratio estimator (waits / customers who waited): asymptotically unbiased, 1% slack;
        # every replication of every case has waiting customers, so no value is left out
        checks.append(
            mean_check(
                v[f"mean_wait@{s}"],
                st_.mean_wait,
                f"mean_wait@{s}",
                precision=0.1 + 0.1 * st_.mean_wait,
                slack=0.01 * st_.mean_wait,
            )
        )
    assert_all(checks)


# ------------------------------------------------------------------ metamorphic relations


def two_sample_check(a: np.ndarray, b: np.ndarray, what: str, precision: float) -> str | None:
    """Welch's test at 99.99% that two independent samples have the same mean, with power."""
    d = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else 1.0
    half = float(stats.t.ppf(1 - 0.0001 / 2, dof)) * se
    if abs(d) > half:
        return f"{what}: network {a.mean():.5g} vs single store {b.mean():.5g}, |diff| {abs(d):.3g} > {half:.3g}"
    if half > precision:
        return f"{what}: half-width {half:.3g} above precision {precision}"
    return None


SINGLE = """\
name: single
horizon: {horizon}
warmup: {warmup}
seed: 23
product: {{price: 10, holding_cost: 0.1, backorder_cost: 1}}
demand: {{rate: {rate}}}
supplier: {{lead_time: {lead}, unit_cost: 4}}
replenishment: {{policy: base_stock, level: {level}}}
"""


@pytest.mark.parametrize(
    ("s0", "lead0", "store", "single_lead"),
    [(10_000, 3.0, (1.5, 4, 2.0), 2.0), (0, 3.0, (1.5, 6, 2.0), 5.0)],
    ids=["warehouse_never_out", "s0_zero"],
)
def test_network_store_equals_single_store(
    s0: int, lead0: float, store: tuple[float, int, float], single_lead: float
) -> None:
    """A warehouse that never runs out gives a store lead time L; S₀ = 0 gives L₀ + L."""
    lam, level, _ = store
    net = replicate(model(network_yaml(s0, lead0, [store])), 30, 2000.0, 50.0)
    single_cfg = model(SINGLE.format(horizon=2000, warmup=50, rate=lam, lead=single_lead, level=level))
    one = replicate(single_cfg, 30, 2000.0, 50.0, seed=99)
    checks = [
        two_sample_check(net[f"{k}@s0"], one[k], k, precision)
        for k, precision in (("fill_rate", 0.03), ("avg_on_hand", 0.15), ("avg_backorders", 0.15))
    ]
    checks.append(mean_check(net["mean_lead_time@s0"], single_lead, "mean_lead_time@s0", precision=0.01))
    assert_all(checks)


def test_a_store_is_unchanged_when_another_changes_while_the_warehouse_never_runs_out() -> None:
    base = model(network_yaml(10_000, 2.0, [(1.0, 3, 1.0), (2.0, 4, 2.0)]))
    other = model(network_yaml(10_000, 2.0, [(1.0, 3, 1.0), (3.0, 9, 0.5)]))
    for i in range(2):
        a = indicators(simulate(base, seed=1, replication=i, horizon=300, warmup=20), base, kpi_names([base]))
        b = indicators(simulate(other, seed=1, replication=i, horizon=300, warmup=20), other, kpi_names([other]))
        mine = [k for k in a if k.endswith("@s0")]
        assert mine and {k: a[k] for k in mine} == {k: b[k] for k in mine}
        assert a["customers@s1"] != b["customers@s1"]  # the other store did change


def test_adding_a_store_shifts_no_other_stores_draws() -> None:
    two = model(network_yaml(10_000, 2.0, [(1.0, 3, 1.0), (2.0, 4, 2.0)]))
    three = model(network_yaml(10_000, 2.0, [(1.0, 3, 1.0), (2.0, 4, 2.0), (4.0, 6, 1.5)]))
    a = indicators(simulate(two, seed=8, replication=1, horizon=300), two, kpi_names([two]))
    b = indicators(simulate(three, seed=8, replication=1, horizon=300), three, kpi_names([three]))
    shared = [k for k in a if k.endswith(("@s0", "@s1"))]
    assert {k: a[k] for k in shared} == {k: b[k] for k in shared}


# ------------------------------------------------------------------ properties


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    s0=st.integers(0, 6),
    stores=st.lists(
        st.tuples(st.sampled_from([0.5, 1.0, 2.0]), st.integers(0, 4), st.sampled_from([0.5, 1.0])),
        min_size=1,
        max_size=3,
    ),
    stockout=st.sampled_from(["backorder", "lost_sales"]),
    partial=st.booleans(),
    lateral=st.booleans(),
    direct=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_every_customer_has_one_outcome_and_units_are_conserved(
    s0: int,
    stores: list[tuple[float, int, float]],
    stockout: str,
    partial: bool,
    lateral: bool,
    direct: bool,
    seed: int,
) -> None:
    own = ", demand: {rate: 0.5}" if direct else ""
    if direct and stockout == "backorder":
        own += ", store: {partial_shipments: true}"
    text = network_yaml(
        s0,
        2.0,
        stores,
        extra_warehouse=f", partial_shipments: {str(partial).lower()}{own}",
        extra="  transshipment: {time: 0.25}\n" if lateral else "",
    )
    text = text.replace(
        "demand: {rate: 1}\n",
        "demand: {rate: 1, quantity: {dist: choice, values: [1, 2], weights: [0.5, 0.5]}}\n"
        f"store: {{stockout: {stockout}}}\n",
    )
    cfg = model(text)
    result = simulate(cfg, seed=seed, replication=0, horizon=60, warmup=5)  # the identities are checked inside
    assert result.network is not None
    c = result.counters
    per = result.network.stores.values()
    own = result.network.warehouse.direct
    assert c.customers == sum(s.counters.customers for s in per) + (own.counters.customers if own else 0)
    for s in per:
        k = s.counters
        outcomes = k.served_immediately + k.served_after_wait + k.lost + k.cancelled + k.expired + k.pending
        assert outcomes + k.transshipped == k.customers


def test_same_seed_same_numbers_for_one_and_two_workers() -> None:
    sc = parse_scenario(network_yaml(3, 2.0, [(1.0, 2, 1.0), (2.0, 3, 0.5)], horizon=200, replications=3))
    one = run_experiment(sc, workers=1)
    two = run_experiment(sc, workers=2)
    assert one.values == two.values


def test_a_bad_base_value_that_fails_under_every_policy_names_no_policy() -> None:
    """The warehouse's demand is the base's: wrong for every policy alike, so the message does not
    blame the first policy; set by one policy, it names that policy's key."""
    from supplysim.scenario.load import parse_override

    text = (Path(__file__).resolve().parents[1] / "scenarios" / "network.yaml").read_text(encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "<net>", [parse_override("network.warehouse.demand.rate=-2")])
    assert "network.warehouse.demand.rate\n" in str(err.value) and "(in policy" not in str(err.value)
