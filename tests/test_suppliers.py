"""Several suppliers: sourcing rules, outages (disruptions) and yield.

Routing and outage timing are checked on exact scripted traces (constant lead
times, customers at chosen times, fixed outage windows); the outage process itself
is checked against renewal theory: an alternating renewal process that is up
for a draw of ``every`` and down for a draw of ``duration`` is down a long-run
fraction E[duration]/(E[every] + E[duration]) of the time (Ross 2014, §7.5).
Random outages are exogenous (streams ``outage_up/NAME`` and ``outage_down/NAME``),
so the tests rebuild the schedule from the same streams, independently of the
simulator, and check every delivery and routing decision against it.

Reference:
    Ross, S. M. (2014). *Introduction to Probability Models*, 11th ed. Academic Press.
"""

from __future__ import annotations

import bisect
import math
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from statcheck import assert_mean
from supplysim.analysis.indicators import indicators, kpi_names
from supplysim.scenario import ModelConfig
from supplysim.scenario.distributions import Duration
from supplysim.scenario.load import ScenarioError, parse_scenario
from supplysim.sim import Replication, ReplicationResult, simulate
from supplysim.sim import supplier as supplier_module
from supplysim.sim.sourcing import split_quantity
from supplysim.sim.streams import Streams
from supplysim.sim.supplier import ResidualLeadTime
from supplysim.sim.trace import NO_WAIT, Event, TraceRow

INF = math.inf

Row = TraceRow


def model(text: str) -> ModelConfig:
    """The only policy of a scenario whose model sections are ``text`` (YAML)."""
    sc = parse_scenario("name: t\nhorizon: 1\n" + textwrap.dedent(text), file="<test>")
    return sc.policies[sc.baseline]


def cust(t: float, qty: int = 1, *, u: float = 0.0) -> tuple[float, int, int, float, float, float]:
    """A scripted customer (no waitlist or goodwill in these models): accepts any backorder, waits forever."""
    return (t, qty, 0, u, INF, INF)


def run(
    cfg: ModelConfig | str,
    customers: Iterable[tuple[Any, ...]] = (),
    *,
    horizon: float,
    warmup: float = 0.0,
    lead_times: Iterable[float] | None = None,
) -> ReplicationResult:
    if isinstance(cfg, str):
        cfg = model(cfg)
    rep = Replication(
        cfg, seed=0, replication=0, trace=True, lead_times=iter(lead_times) if lead_times is not None else None
    )
    return rep.run(horizon, warmup, customers=list(customers))


def rows(result: ReplicationResult, *events: str) -> list[Row]:
    assert result.trace is not None
    return [TraceRow(*r[:7]) for r in result.trace if r[1] in events]  # without the state columns


def row(t: float, event: str, ident: int, qty: int, note: str = "", supplier: str = "") -> Row:
    return TraceRow(t, Event(event), ident, qty, NO_WAIT, note, supplier)


def order(t: float, oid: int, qty: int, due: float, promised: float, name: str = "supplier", extra: str = "") -> Row:
    """An "order" row; its note names the supplier unless it has the default name."""
    note = f"due {due:g}, promised {promised:g}{extra}"
    return row(t, "order", oid, qty, note if name == "supplier" else f"{name}: {note}", name)


def deliver(t: float, oid: int, qty: int, note: str = "", name: str = "supplier") -> Row:
    return row(t, "deliver", oid, qty, note, name)


def supplier_of(row: Row) -> str:
    """The supplier of an "order" row."""
    return row.supplier


def kpis(result: ReplicationResult, cfg: ModelConfig) -> dict[str, float]:
    return indicators(result, cfg, kpi_names([cfg]))


def outages(
    seed: int, replication: int, name: str, every: Any, duration: Any, until: float
) -> list[tuple[float, float]]:
    """Random down intervals [s, e) of supplier ``name``, rebuilt from its streams: up for a draw of
    ``every`` from time 0, down for a draw of ``duration``, and so on."""
    law = TypeAdapter(Duration)
    streams = Streams(seed, replication)
    up = streams.draws(f"outage_up/{name}", law.validate_python(every))
    down = streams.draws(f"outage_down/{name}", law.validate_python(duration))
    out: list[tuple[float, float]] = []
    t = 0.0
    while t <= until:
        s = t + next(up)
        e = s + next(down)
        if e > s:
            out.append((s, e))
        t = e
    return out


def merge(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def down_at(intervals: Sequence[tuple[float, float]], t: float) -> tuple[float, float] | None:
    """The merged interval [s, e) containing ``t``, if any."""
    i = bisect.bisect_right(intervals, (t, INF)) - 1
    if i >= 0 and intervals[i][0] <= t < intervals[i][1]:
        return intervals[i]
    return None


# --------------------------------------------------------------------------- single


def test_single_sends_every_order_to_the_named_supplier() -> None:
    """base stock 1: every sale reorders one unit; all orders go to `fast`, none to the first listed."""
    cfg = model(
        """
        demand: {rate: 1}
        suppliers:
          - {name: cheap, lead_time: 4, unit_cost: 1}
          - {name: fast, lead_time: 2, unit_cost: 3}
        sourcing: {rule: single, supplier: fast}
        replenishment: {policy: base_stock, level: 1}
        """
    )
    res = run(cfg, [cust(1), cust(4), cust(8)], horizon=12)
    assert rows(res, "order", "deliver") == [
        order(1, 0, 1, 3, 3, "fast"),
        deliver(3, 0, 1, name="fast"),
        order(4, 1, 1, 6, 6, "fast"),
        deliver(6, 1, 1, name="fast"),
        order(8, 2, 1, 10, 10, "fast"),
        deliver(10, 2, 1, name="fast"),
    ]
    k = kpis(res, cfg)
    assert (k["orders@fast"], k["units@fast"], k["mean_lead_time@fast"], k["cost@fast"]) == (3, 3, 2.0, 9.0)
    assert (k["orders@cheap"], k["units@cheap"], k["cost@cheap"]) == (0, 0, 0.0)
    assert math.isnan(k["mean_lead_time@cheap"])


def test_single_defaults_to_the_first_supplier() -> None:
    cfg = model(
        """
        demand: {rate: 1}
        suppliers: [{name: cheap, lead_time: 4}, {name: fast, lead_time: 2}]
        replenishment: {policy: base_stock, level: 1}
        """
    )
    res = run(cfg, [cust(1), cust(2)], horizon=10)
    assert {supplier_of(r) for r in rows(res, "order")} == {"cheap"}
    assert len(rows(res, "order")) == 2


# --------------------------------------------------------------------------- split


@pytest.mark.parametrize(
    ("qty", "shares", "parts"),
    [
        (10, [0.7, 0.3], [7, 3]),
        (5, [0.7, 0.3], [4, 1]),  # docs/model.md: 3.5 and 1.5, equal fractions → the first
        (1, [0.7, 0.3], [1, 0]),
        (5, [0.5, 0.5], [3, 2]),  # a tie: the extra unit goes to the first
        (7, [0.5, 0.3, 0.2], [4, 2, 1]),  # quotas 3.5, 2.1, 1.4: the largest remainder (0.5) gets it
        (10, [1 / 3, 1 / 3, 1 / 3], [4, 3, 3]),
        (2, [0.45, 0.45, 0.1], [1, 1, 0]),
        (1, [0.2, 0.8], [0, 1]),
        (3, [0.0, 1.0], [0, 3]),
    ],
)
def test_split_quantity_is_hamilton(qty: int, shares: list[float], parts: list[int]) -> None:
    assert split_quantity(qty, shares) == parts


@pytest.mark.parametrize("qty", range(0, 60))
def test_split_quantity_respects_quotas(qty: int) -> None:
    """Parts sum to the order and each is its quota rounded down or up (the quota property)."""
    shares = [0.37, 0.21, 0.29, 0.13]
    parts = split_quantity(qty, shares)
    assert sum(parts) == qty
    for part, w in zip(parts, shares, strict=True):
        assert math.floor(qty * w + 1e-9) <= part <= math.ceil(qty * w - 1e-9)


SPLIT = """
    demand: {rate: 1}
    suppliers:
      - {name: a, lead_time: 4, unit_cost: 2, order_cost: 5}
      - {name: b, lead_time: 2, unit_cost: 3, order_cost: 1}
    sourcing: {rule: split, shares: {a: SHARE_A, b: SHARE_B}, by: quantity}
    replenishment: {policy: rQ, reorder_point: 0, order_quantity: Q}
    """


def test_split_by_quantity_routes_parts() -> None:
    """rQ r=0, Q=10 (initial stock 10): the customer at t=1 takes 10 → order 10 = 7 to a + 3 to b."""
    cfg = model(SPLIT.replace("SHARE_A", "0.7").replace("SHARE_B", "0.3").replace("Q}", "10}"))
    res = run(cfg, [cust(1, 10)], horizon=10)
    assert rows(res, "order", "deliver") == [
        order(1, 0, 7, 5, 5, "a"),
        order(1, 0, 3, 3, 3, "b"),
        deliver(3, 0, 3, name="b"),
        deliver(5, 0, 7, name="a"),
    ]
    k = kpis(res, cfg)
    assert (k["orders@a"], k["units@a"], k["mean_lead_time@a"], k["cost@a"]) == (1, 7, 4.0, 5 + 2 * 7)
    assert (k["orders@b"], k["units@b"], k["mean_lead_time@b"], k["cost@b"]) == (1, 3, 2.0, 1 + 3 * 3)
    assert (k["orders_placed"], k["units_ordered"], k["ordering_cost"]) == (2, 10, 29.0)
    assert res.final_on_hand == 10


def test_split_by_quantity_breaks_ties_towards_the_first() -> None:
    """Q=5 split 0.5/0.5: 2.5 each → 3 to a (listed first in the shares), 2 to b."""
    cfg = model(SPLIT.replace("SHARE_A", "0.5").replace("SHARE_B", "0.5").replace("Q}", "5}"))
    res = run(cfg, [cust(1, 5)], horizon=10)
    assert rows(res, "order") == [order(1, 0, 3, 5, 5, "a"), order(1, 0, 2, 3, 3, "b")]


@pytest.mark.parametrize("shares", [(0.5, 0.3, 0.2), (0.75, 0.25, 0.0), (0.6, 0.25, 0.15)])
def test_split_by_orders_keeps_every_prefix_within_one_order_of_its_share(shares: tuple[float, ...]) -> None:
    """Whole orders in turn: after n orders supplier i has had n·wᵢ orders, rounded either way.

    base stock 1, a sale at every whole time, lead time 0.5: one order of 1 unit per sale.
    """
    names = ("a", "b", "c")
    cfg = model(
        f"""
        demand: {{rate: 1}}
        suppliers: [{{name: a, lead_time: 0.5}}, {{name: b, lead_time: 0.5}}, {{name: c, lead_time: 0.5}}]
        sourcing: {{rule: split, by: orders, shares: {{a: {shares[0]}, b: {shares[1]}, c: {shares[2]}}}}}
        replenishment: {{policy: base_stock, level: 1}}
        """
    )
    n_orders = 200
    res = run(cfg, [cust(t) for t in range(1, n_orders + 1)], horizon=n_orders + 1)
    route = [supplier_of(r) for r in rows(res, "order")]
    assert len(route) == n_orders
    for i, w in zip(names, shares, strict=True):
        for n in range(1, n_orders + 1):
            got = route[:n].count(i)
            assert abs(got - n * w) < 1.0, f"after {n} orders {i} has {got}, share {w} → {n * w:g}"
        assert route.count(i) == round(n_orders * w)
    assert res.counters.served_immediately == n_orders


def test_split_by_orders_documented_rotation() -> None:
    """docs/model.md: shares 0.7 / 0.3 give a b a a b a a a b a, then the same again."""
    cfg = model(
        """
        demand: {rate: 1}
        suppliers: [{name: a, lead_time: 0.5}, {name: b, lead_time: 0.5}]
        sourcing: {rule: split, by: orders, shares: {a: 0.7, b: 0.3}}
        replenishment: {policy: base_stock, level: 1}
        """
    )
    res = run(cfg, [cust(t) for t in range(1, 21)], horizon=21)
    assert " ".join(supplier_of(r) for r in rows(res, "order")) == " ".join(["a b a a b a a a b a"] * 2)


# --------------------------------------------------------------------------- fallback


FALLBACK = """
    demand: {rate: 1}
    suppliers:
      - {name: a, lead_time: 2, disruptions: {windows: [{start: 10, end: 20}, {start: 30, end: 35}]}}
      - {name: b, lead_time: 3}
    sourcing: {rule: fallback}
    replenishment: {policy: base_stock, level: 1}
    """


def test_fallback_uses_the_backup_exactly_while_the_primary_is_down() -> None:
    """A sale every half time unit (including the window edges 10, 20, 30, 35): each reorders one
    unit; orders placed in [10, 20) ∪ [30, 35) go to b, all others to a."""
    cfg = model(FALLBACK)
    times = [0.5 * k for k in range(1, 91)]
    res = run(cfg, [cust(t) for t in times], horizon=50)
    placed = rows(res, "order")
    assert [r[0] for r in placed] == times
    for r in placed:
        down = 10 <= r[0] < 20 or 30 <= r[0] < 35
        assert supplier_of(r) == ("b" if down else "a"), r
    k = kpis(res, cfg)
    assert k["orders@b"] == 20 + 10
    assert k["orders@a"] == 90 - 30
    assert k["down_fraction@a"] == 15 / 50


def test_fallback_uses_the_first_when_all_are_down() -> None:
    """a down on [10, 20), b on [12, 14). t=5: a. t=11: a down → b. t=13: both down → the first, a.
    t=15: b. t=21: a again."""
    cfg = model(
        """
        demand: {rate: 1}
        suppliers:
          - {name: a, lead_time: 2, disruptions: {windows: [{start: 10, end: 20}]}}
          - {name: b, lead_time: 3, disruptions: {windows: [{start: 12, end: 14}]}}
        sourcing: {rule: fallback, order: [a, b]}
        replenishment: {policy: base_stock, level: 1}
        """
    )
    res = run(cfg, [cust(5), cust(11), cust(13), cust(15), cust(21)], horizon=30)
    assert [supplier_of(r) for r in rows(res, "order")] == ["a", "b", "a", "b", "a"]
    # with the preference reversed, b is used whenever it is up and also when both are down
    cfg = model(
        """
        demand: {rate: 1}
        suppliers:
          - {name: a, lead_time: 2, disruptions: {windows: [{start: 10, end: 20}]}}
          - {name: b, lead_time: 3, disruptions: {windows: [{start: 12, end: 14}]}}
        sourcing: {rule: fallback, order: [b, a]}
        replenishment: {policy: base_stock, level: 1}
        """
    )
    res = run(cfg, [cust(5), cust(11), cust(13), cust(15), cust(21)], horizon=30)
    assert [supplier_of(r) for r in rows(res, "order")] == ["b"] * 5


@pytest.mark.parametrize("clock", ["continue", "pause"])
def test_fallback_never_orders_from_a_supplier_that_is_down(clock: str) -> None:
    """Random outages of the primary (rebuilt from its streams): every order placed while it is
    down goes to the backup, every other order to the primary."""
    every = {"dist": "exponential", "mean": 3.0}
    duration = {"dist": "exponential", "mean": 1.0}
    cfg = model(
        f"""
        demand: {{rate: 2}}
        suppliers:
          - {{name: a, lead_time: {{dist: exponential, mean: 4}},
              disruptions: {{every: {{dist: exponential, mean: 3}}, duration: {{dist: exponential, mean: 1}},
                             clock: {clock}}}}}
          - {{name: b, lead_time: 1}}
        sourcing: {{rule: fallback}}
        replenishment: {{policy: base_stock, level: 4}}
        """
    )
    bad = []
    n_down = n_up = 0
    for rep in range(3):
        res = simulate(cfg, seed=2, replication=rep, horizon=300, trace=True)
        down = merge(outages(2, rep, "a", every, duration, 300))
        for r in rows(res, "order"):
            is_down = down_at(down, r[0]) is not None
            n_down += is_down
            n_up += not is_down
            if supplier_of(r) != ("b" if is_down else "a"):
                bad.append((rep, r, down_at(down, r[0])))
    assert n_down > 50 and n_up > 50, "precondition: orders both while up and while down"
    assert not bad, f"{len(bad)} misrouted orders, e.g. {bad[:3]}"


# --------------------------------------------------------------------------- expedite


@pytest.mark.parametrize("n", [0, 1, 3])
def test_expedite_fires_above_the_backorder_threshold(n: int) -> None:
    """base stock 0, no stock: each customer is backordered and reorders one unit at once, with k
    customers waiting (lead times too long for any delivery meanwhile). backorders_above n: the
    orders placed with 1…n waiting go to the primary, with n+1 or more to the fast supplier."""
    cfg = model(
        f"""
        demand: {{rate: 1}}
        suppliers: [{{name: slow, lead_time: 64}}, {{name: fast, lead_time: 32}}]
        sourcing: {{rule: expedite, primary: slow, expedite_to: fast, backorders_above: {n}}}
        replenishment: {{policy: base_stock, level: 0}}
        """
    )
    res = run(cfg, [cust(t) for t in range(1, 7)], horizon=20)
    assert len(rows(res, "backorder")) == 6
    routed = [supplier_of(r) for r in rows(res, "order")]
    assert routed == ["slow"] * n + ["fast"] * (6 - n)


def test_expedite_counts_only_live_waiting_customers() -> None:
    """Periodic review every 4 (order up to 0), backorders_above 2. Customers at 1 (cancels at 2),
    1.5 and 3: at the review at 4 two customers still wait (three joined) → not above 2 → slow.
    Customers at 5 and 6: four wait at the review at 8 (IP 2 − 4) → 2 units from fast."""
    cfg = model(
        """
        demand: {rate: 1}
        suppliers: [{name: slow, lead_time: 64}, {name: fast, lead_time: 32}]
        sourcing: {rule: expedite, primary: slow, expedite_to: fast, backorders_above: 2}
        replenishment: {policy: periodic, review_period: 4, order_up_to: 0}
        """
    )
    customers = [(1.0, 1, 0, 0.0, 1.0, INF), cust(1.5), cust(3), cust(5), cust(6)]
    res = run(cfg, customers, horizon=10)
    assert rows(res, "cancel") == [row(2.0, "cancel", 0, 1, "")]
    assert [(r[0], r[3], supplier_of(r)) for r in rows(res, "order")] == [(4, 2, "slow"), (8, 2, "fast")]


@pytest.mark.parametrize(("second", "expected"), [(3.0, "primary"), (4.0, "primary"), (2.75, "fast"), (2.0, "fast")])
def test_expedite_fires_above_the_quoted_wait_threshold(second: float, expected: str) -> None:
    """lost_sales, base stock 2, primary L=8, quoted_wait_above 6.

    t=1: a sale leaves 1 on hand → reorder 1 (a new customer would be served at once: quote 0 →
    primary, due 9). Second sale at t=x empties the shelf → reorder 1; a new 1-unit customer would
    get the unit due at 9: quote 9 − x, expedited iff 9 − x > 6 ⇔ x < 3.
    """
    cfg = model(
        """
        demand: {rate: 1}
        suppliers: [{name: primary, lead_time: 8}, {name: fast, lead_time: 1}]
        sourcing: {rule: expedite, primary: primary, expedite_to: fast, quoted_wait_above: 6}
        store: {stockout: lost_sales}
        replenishment: {policy: base_stock, level: 2}
        """
    )
    res = run(cfg, [cust(1), cust(second)], horizon=20)
    assert [supplier_of(r) for r in rows(res, "order")] == ["primary", expected]


# --------------------------------------------------------------------------- disruptions: exact timing


@pytest.mark.parametrize(
    ("lead", "windows", "clock", "arrival", "delayed"),
    [
        (10, [(4, 6)], "continue", 10, 0),  # due after the outage: unaffected
        (10, [(4, 6)], "pause", 12, 1),  # 2 time units of work lost
        (5, [(4, 6)], "continue", 6, 1),  # due inside the outage: arrives at its end
        (5, [(4, 6)], "pause", 7, 1),  # 4 done before, 1 after
        (10, [(2, 3), (5, 7)], "pause", 13, 1),
        (10, [(2, 3), (9, 12)], "continue", 12, 1),
        (10, [(4, 6), (5, 8)], "pause", 14, 1),  # overlapping windows merge into [4, 8)
        (4, [(0, 2)], "continue", 4, 0),  # placed while down, due after: on time
        (4, [(0, 2)], "pause", 6, 1),  # placed while down: work starts at 2
        (6, [(6, 7)], "continue", 7, 1),  # due exactly at the start of an outage: [s, e) is down
        (6, [(5, 6)], "continue", 6, 0),  # due exactly at its end: up again
    ],
)
def test_outage_delays_an_order_exactly(
    lead: float, windows: list[tuple[float, float]], clock: str, arrival: float, delayed: int
) -> None:
    """rQ r=0, Q=1 with no stock: one order at t=0; fixed outages of the only supplier."""
    spec = ", ".join(f"{{start: {s}, end: {e}}}" for s, e in windows)
    cfg = model(
        f"""
        demand: {{rate: 1}}
        supplier: {{lead_time: {lead}, disruptions: {{windows: [{spec}], clock: {clock}}}}}
        store: {{initial_stock: 0}}
        replenishment: {{policy: rQ, reorder_point: 0, order_quantity: 1}}
        """
    )
    res = run(cfg, [], horizon=20)
    assert rows(res, *Event) == [order(0, 0, 1, arrival, lead), deliver(arrival, 0, 1)]  # every row
    k = kpis(res, cfg)
    assert k["orders_delayed@supplier"] == delayed
    assert k["down_fraction@supplier"] == sum(e - s for s, e in merge(windows)) / 20


def test_outage_delays_an_order_placed_during_an_outage_under_pause_and_continue() -> None:
    """An order placed at 4.5 inside [4, 6) with L=1: continue → due 5.5 is down → 6; pause → 6 + 1 = 7."""
    for clock, arrival in (("continue", 6.0), ("pause", 7.0)):
        cfg = model(
            f"""
            demand: {{rate: 1}}
            supplier: {{lead_time: 1, disruptions: {{windows: [{{start: 4, end: 6}}], clock: {clock}}}}}
            replenishment: {{policy: base_stock, level: 1}}
            """
        )
        res = run(cfg, [cust(4.5)], horizon=10)
        assert rows(res, "order", "deliver") == [order(4.5, 0, 1, arrival, 5.5), deliver(arrival, 0, 1)], clock


@pytest.mark.parametrize(
    ("windows", "continue_at", "pause_at"),
    [([(15, 25)], 30, 40), ([(25, 35)], 35, 40), ([(5, 12)], 30, 32)],
)
def test_documented_worked_example(windows: list[tuple[float, float]], continue_at: float, pause_at: float) -> None:
    """docs/model.md, Disruptions: an order placed at t = 10 with L = 20 (due at 30)."""
    for clock, arrival in (("continue", continue_at), ("pause", pause_at)):
        spec = ", ".join(f"{{start: {s}, end: {e}}}" for s, e in windows)
        cfg = model(
            f"""
            demand: {{rate: 1}}
            supplier: {{lead_time: 20, disruptions: {{windows: [{spec}], clock: {clock}}}}}
            replenishment: {{policy: base_stock, level: 1}}
            """
        )
        res = run(cfg, [cust(10)], horizon=50)
        assert rows(res, "deliver") == [deliver(arrival, 0, 1)], (windows, clock)


@pytest.mark.parametrize(
    ("capacity", "clock", "arrivals"),
    [
        # A at 0 (L=5, due 5, in [4, 6)); B at 1 (L=2)
        ("servers: 1", "continue", [6, 7]),  # the server is free at 5 (work done): B runs 5 → 7
        ("servers: 1", "pause", [7, 9]),  # A's work stops during the outage: A at 7, B runs 7 → 9
        ("no_crossing: true", "continue", [6, 6]),  # B due 3 waits for A (after the outage delay)
        ("no_crossing: false", "continue", [6, 3]),
    ],
)
def test_outages_with_servers_and_no_crossing(capacity: str, clock: str, arrivals: list[float]) -> None:
    cfg = model(
        f"""
        demand: {{rate: 1}}
        supplier: {{lead_time: 1, {capacity}, disruptions: {{windows: [{{start: 4, end: 6}}], clock: {clock}}}}}
        replenishment: {{policy: base_stock, level: 2}}
        """
    )
    res = run(cfg, [cust(0), cust(1)], horizon=20, lead_times=[5, 2])
    assert {r[2]: r[0] for r in rows(res, "deliver")} == {0: arrivals[0], 1: arrivals[1]}


@pytest.mark.parametrize(
    ("every", "duration", "windows", "warmup", "horizon", "fraction"),
    [
        (8, 2, [], 0, 100, 0.2),  # down [8, 10), [18, 20), …, [98, 100)
        (8, 2, [(9, 15)], 0, 100, 0.25),  # the window adds [10, 15) once
        (8, 2, [], 5, 100, 0.2),  # window [5, 105): [8, 10) … [98, 100); [108, 110) is after it
        (8, 2, [(103, 107)], 5, 100, 0.22),  # + [103, 105) of the fixed window
        (3, 1, [(0, 1)], 0, 10, 0.3),  # [0, 1) fixed, [3, 4), [7, 8)
        (3, 1, [(3.5, 5)], 0, 10, 0.3),  # merged [3, 5), then [7, 8)
    ],
)
def test_down_fraction_is_exact_for_constant_outages(
    every: float, duration: float, windows: list[tuple[float, float]], warmup: float, horizon: float, fraction: float
) -> None:
    extra = (", windows: [" + ", ".join(f"{{start: {s}, end: {e}}}" for s, e in windows) + "]") if windows else ""
    cfg = model(
        f"""
        demand: {{rate: 0.5}}
        supplier: {{lead_time: 1, disruptions: {{every: {every}, duration: {duration}{extra}}}}}
        replenishment: {{policy: base_stock, level: 2}}
        """
    )
    res = simulate(cfg, seed=1, replication=0, horizon=horizon, warmup=warmup)
    assert kpis(res, cfg)["down_fraction@supplier"] == pytest.approx(fraction, abs=1e-12)


# --------------------------------------------------------------------------- disruptions: statistics


@pytest.mark.slow
def test_down_fraction_matches_renewal_theory_exponential() -> None:
    """Exponential up (mean 8) and down (mean 2) times, starting up at 0: P(down at t) =
    p (1 − e^{−(α+β)t}) with α = 1/8, β = 1/2, p = α/(α+β) = 0.2, so the expected down fraction
    of [0, H) is p − p (1 − e^{−(α+β)H}) / ((α+β) H) — the stationary 0.2 less the start-up transient."""
    H = 1000.0
    cfg = model(
        """
        demand: {rate: 0.05}
        supplier:
          lead_time: 1
          disruptions: {every: {dist: exponential, mean: 8}, duration: {dist: exponential, mean: 2}}
        replenishment: {policy: base_stock, level: 1}
        """
    )
    a, b = 1 / 8, 1 / 2
    p = a / (a + b)
    theory = p - p * (1 - math.exp(-(a + b) * H)) / ((a + b) * H)
    values = [kpis(simulate(cfg, seed=4, replication=r, horizon=H), cfg)["down_fraction@supplier"] for r in range(200)]
    assert_mean(values, theory, "down fraction (exponential)", precision=0.01)


@pytest.mark.slow
def test_down_fraction_matches_renewal_theory_general_laws() -> None:
    """Gamma up times (mean 6, cv 0.5) and uniform outages on [1, 3] (mean 2): the stationary fraction
    E[duration]/(E[every] + E[duration]) = 2/8 = 0.25, after a warm-up of 50 cycles (transient gone)."""
    cfg = model(
        """
        demand: {rate: 0.05}
        supplier:
          lead_time: 1
          disruptions: {every: {dist: gamma, mean: 6, cv: 0.5}, duration: {dist: uniform, low: 1, high: 3}}
        replenishment: {policy: base_stock, level: 1}
        """
    )
    values = [
        kpis(simulate(cfg, seed=8, replication=r, horizon=1000.0, warmup=400.0), cfg)["down_fraction@supplier"]
        for r in range(200)
    ]
    assert_mean(values, 0.25, "down fraction (gamma/uniform)", precision=0.01)


# --------------------------------------------------------------------------- disruptions: nothing ships while down


CAPACITY: dict[str, dict[str, Any]] = {
    "unlimited": {},
    "one server": {"servers": 1},
    "two servers": {"servers": 2},
    "no crossing": {"no_crossing": True},
}


@pytest.mark.parametrize("capacity", sorted(CAPACITY))
@pytest.mark.parametrize("clock", ["continue", "pause"])
def test_no_delivery_while_the_supplier_is_down(clock: str, capacity: str) -> None:
    """Random outages (rebuilt from the streams) plus a fixed window: no delivery in any [s, e),
    and no order arrives before its own lead time has passed since placement (outages only delay)."""
    every = {"dist": "exponential", "mean": 4.0}
    duration = {"dist": "exponential", "mean": 1.0}
    cfg = ModelConfig.model_validate(
        {
            "demand": {"rate": 2.0},
            "supplier": {
                "lead_time": {"dist": "exponential", "mean": 3.0},
                "disruptions": {
                    "every": every,
                    "duration": duration,
                    "windows": [{"start": 50, "end": 60}],
                    "clock": clock,
                },
                **CAPACITY[capacity],
            },
            "replenishment": {"policy": "base_stock", "level": 6},
        }
    )
    horizon = 300.0
    problems = []
    n_delivered = 0
    for rep in range(3):
        res = simulate(cfg, seed=1, replication=rep, horizon=horizon, trace=True)
        down = merge([*outages(1, rep, "supplier", every, duration, horizon + 100), (50.0, 60.0)])
        leads = Streams(1, rep).draws("lead_time/supplier", cfg.all_suppliers[0].lead_time)
        placed = {r.id: (r.time, next(leads)) for r in rows(res, "order")}
        for t, oid in ((r.time, r.id) for r in rows(res, "deliver")):
            n_delivered += 1
            hit = down_at(down, t)
            if hit is not None:
                problems.append(f"rep {rep}: order {oid} delivered at {t:.4f}, inside the outage {hit}")
            start, lead = placed[oid]
            if t < start + lead - 1e-9:
                problems.append(f"rep {rep}: order {oid} placed {start:.4f} + lead {lead:.4f} arrived early at {t:.4f}")
    assert n_delivered > 150
    assert not problems, f"{len(problems)} problems, e.g.\n" + "\n".join(problems[:5])


@pytest.mark.parametrize("clock", ["continue", "pause"])
def test_no_delivery_inside_fixed_windows(clock: str) -> None:
    """Fixed windows only (no random outages), random lead times: no delivery in any window and
    none before placement + lead time."""
    windows = [(5.0, 9.0), (20.0, 21.5), (21.0, 30.0), (60.0, 90.0)]
    cfg = ModelConfig.model_validate(
        {
            "demand": {"rate": 2.0},
            "supplier": {
                "lead_time": {"dist": "exponential", "mean": 3.0},
                "disruptions": {"windows": [{"start": s, "end": e} for s, e in windows], "clock": clock},
            },
            "replenishment": {"policy": "base_stock", "level": 6},
        }
    )
    down = merge(windows)
    for rep in range(3):
        res = simulate(cfg, seed=5, replication=rep, horizon=120.0, trace=True)
        leads = Streams(5, rep).draws("lead_time/supplier", cfg.all_suppliers[0].lead_time)
        placed = {r.id: r.time + next(leads) for r in rows(res, "order")}
        delivered = rows(res, "deliver")
        assert len(delivered) > 100
        assert not [(r.time, down_at(down, r.time)) for r in delivered if down_at(down, r.time)]
        assert not [(r.id, r.time, placed[r.id]) for r in delivered if r.time < placed[r.id] - 1e-9]


@pytest.mark.parametrize("clock", ["continue", "pause"])
def test_outage_arrival_times_follow_the_clock_rule(clock: str) -> None:
    """Unlimited supplier, random outages rebuilt from the streams: each order's arrival is exactly
    continue → due, or the end of the outage covering due; pause → the time at which L of up time
    has passed since placement."""
    every = {"dist": "exponential", "mean": 4.0}
    duration = {"dist": "uniform", "low": 0.5, "high": 2.0}
    cfg = model(
        f"""
        demand: {{rate: 2}}
        supplier:
          lead_time: {{dist: exponential, mean: 3}}
          disruptions: {{every: {{dist: exponential, mean: 4}}, duration: {{dist: uniform, low: 0.5, high: 2}},
                         clock: {clock}}}
        replenishment: {{policy: base_stock, level: 6}}
        """
    )
    horizon = 200.0
    res = simulate(cfg, seed=3, replication=0, horizon=horizon, trace=True)
    down = merge(outages(3, 0, "supplier", every, duration, horizon + 100))
    leads = Streams(3, 0).draws("lead_time/supplier", cfg.all_suppliers[0].lead_time)
    expected: dict[int, float] = {}
    delayed = 0
    for t, oid in ((r.time, r.id) for r in rows(res, "order")):
        lead = next(leads)
        if clock == "continue":
            hit = down_at(down, t + lead)
            expected[oid] = hit[1] if hit else t + lead
        else:
            now, work = t, lead
            for s, e in down:
                if e <= now:
                    continue
                if s <= now:
                    now = e
                    continue
                if now + work <= s:
                    break
                work -= s - now
                now = e
            expected[oid] = now + work
        delayed += expected[oid] > t + lead
    got = {r.id: r.time for r in rows(res, "deliver")}
    wrong = {oid: (got[oid], expected[oid]) for oid in got if got[oid] != pytest.approx(expected[oid], abs=1e-9)}
    assert len(got) > 300
    assert not wrong, f"{len(wrong)} of {len(got)} arrivals differ (got, expected), e.g. {list(wrong.items())[:4]}"
    assert kpis(res, cfg)["orders_delayed@supplier"] == delayed


# --------------------------------------------------------------------------- yield


def test_constant_yield_half_delivers_rounded_halves_and_reorders_the_shortfall() -> None:
    """base stock 4, yield 0.5, L=2: a customer takes 4 at t=1 → order 4 (int(0.5·4 + 0.5) = 2 will
    arrive). t=3: 2 arrive, IP 2 < 4 → order 2 (1 will arrive). t=5: 1 arrives → order 1
    (int(0.5 + 0.5) = 1 arrives in full). t=7: IP back to 4."""
    cfg = model(
        """
        demand: {rate: 1}
        supplier: {lead_time: 2, yield: 0.5}
        replenishment: {policy: base_stock, level: 4}
        """
    )
    res = run(cfg, [cust(1, 4)], horizon=10)
    assert rows(res, "order", "deliver") == [
        order(1, 0, 4, 3, 3, extra=", 2 of 4 will arrive"),
        deliver(3, 0, 2, "4 ordered"),
        order(3, 1, 2, 5, 5, extra=", 1 of 2 will arrive"),
        deliver(5, 1, 1, "2 ordered"),
        order(5, 2, 1, 7, 7),
        deliver(7, 2, 1),
    ]
    c = res.counters
    assert (c.units_ordered, c.total_received, c.units_shipped, res.final_on_hand) == (7, 4, 4, 4)
    assert cfg.initial_stock + c.total_received == c.total_shipped + res.final_on_hand


def test_short_delivery_triggers_the_reorder_point() -> None:
    """rQ r=8, Q=10, yield 0.5, initial 9: a customer takes 6 at t=1 → IP 3 → order 10 (IP 13).
    t=3: 5 of 10 arrive, IP 13 − 5 = 8 ≤ 8 → reorder 10 at once (IP 18); t=5: 5 arrive, IP 13 > 8."""
    cfg = model(
        """
        demand: {rate: 1}
        supplier: {lead_time: 2, yield: 0.5}
        store: {initial_stock: 9}
        replenishment: {policy: rQ, reorder_point: 8, order_quantity: 10}
        """
    )
    res = run(cfg, [cust(1, 6)], horizon=10)
    assert rows(res, "order", "deliver") == [
        order(1, 0, 10, 3, 3, extra=", 5 of 10 will arrive"),
        deliver(3, 0, 5, "10 ordered"),
        order(3, 1, 10, 5, 5, extra=", 5 of 10 will arrive"),
        deliver(5, 1, 5, "10 ordered"),
    ]
    assert res.final_on_hand == 13


@pytest.mark.parametrize(("qty", "received"), [(1, 0), (2, 1), (3, 1), (5, 2), (7, 2), (10, 3), (11, 3)])
def test_yield_rounding_rule(qty: int, received: int) -> None:
    """Delivered = int(f·q + 0.5) for a constant fraction f = 0.3 (one order of q at t=0, L=1)."""
    cfg = model(
        f"""
        demand: {{rate: 1}}
        supplier: {{lead_time: 1, yield: 0.3}}
        store: {{initial_stock: 0}}
        replenishment: {{policy: rQ, reorder_point: 0, order_quantity: {qty}}}
        """
    )
    res = run(cfg, [], horizon=1.5)
    assert rows(res, "order", "deliver")[:2] == [
        order(0, 0, qty, 1, 1, extra=f", {received} of {qty} will arrive"),
        deliver(1, 0, received, f"{qty} ordered"),
    ]


def test_random_yield_is_drawn_per_order_and_clipped() -> None:
    """yield uniform on [0.2, 1.4] (clipped to 1): order k delivers int(min(1, fₖ)·q + 0.5) with fₖ the
    k-th draw of the stream yield/supplier; conservation holds."""
    cfg = model(
        """
        demand: {rate: 3, quantity: {dist: poisson, mean: 3, shift: 1}}
        supplier: {lead_time: {dist: exponential, mean: 2}, yield: {dist: uniform, low: 0.2, high: 1.4}}
        replenishment: {policy: sS, reorder_point: 5, order_up_to: 30}
        """
    )
    res = simulate(cfg, seed=6, replication=1, horizon=200, trace=True)
    draws = Streams(6, 1).draws("yield/supplier", cfg.all_suppliers[0].yield_)
    promised = {r[2]: int(min(1.0, max(0.0, next(draws))) * r[3] + 0.5) for r in rows(res, "order")}
    ordered = {r[2]: r[3] for r in rows(res, "order")}
    delivered = {r[2]: r[3] for r in rows(res, "deliver")}
    assert len(delivered) > 30
    assert any(delivered[o] < ordered[o] for o in delivered), "precondition: some short deliveries"
    assert any(delivered[o] == ordered[o] for o in delivered), "precondition: some draws above 1 (clipped)"
    assert all(delivered[o] == promised[o] for o in delivered)
    c = res.counters
    assert cfg.initial_stock + c.total_received == c.total_shipped + res.final_on_hand


# --------------------------------------------------------------------------- validation

HEAD = "name: t\nhorizon: 10\ndemand: {rate: 1}\nreplenishment: {policy: base_stock, level: 2}\n"
TWO = "suppliers: [{name: cheap, lead_time: 4}, {name: fast, lead_time: 1}]\n"


def _error(text: str) -> str:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, file="s.yaml")
    return str(err.value)


def _location(msg: str) -> str:
    """The key path the first line of a message points at (after ``file:line:col: ``)."""
    return msg.splitlines()[0].split(": ", 1)[1]


INVALID_SUPPLY = pytest.mark.parametrize(
    ("body", "line", "path", "words"),
    [
        # the supplier's own keys
        ("supplier: {lead_time: 2, yield: 1.5}\n", 5, "supplier.yield", ["fraction in (0, 1]", "1.5"]),
        ("supplier: {lead_time: 2, yield: 0}\n", 5, "supplier.yield", ["fraction in (0, 1]"]),
        (TWO.replace("lead_time: 1}", "lead_time: 1, yield: 2}"), 5, "suppliers[1].yield", ["2"]),
        ("supplier: {lead_time: 2, disruptions: {every: 5}}\n", 5, "supplier.disruptions", ["`duration`"]),
        ("supplier: {lead_time: 2, disruptions: {duration: 5}}\n", 5, "supplier.disruptions", ["`every`"]),
        ("supplier: {lead_time: 2, disruptions: {}}\n", 5, "supplier.disruptions", ["windows"]),
        (
            "supplier: {lead_time: 2, disruptions: {windows: [{start: 4, end: 2}]}}\n",
            5,
            "supplier.disruptions.windows[0]",
            ["end (2) must be after start (4)"],
        ),
        (
            "supplier: {lead_time: 2, disruptions: {windows: [{start: 1, end: 2}], clock: stop}}\n",
            5,
            "supplier.disruptions.clock",
            ["'continue' or 'pause'", "stop"],
        ),
        # sourcing rules
        (TWO + "sourcing: {rule: split, shares: {cheap: 0.7, fast: 0.4}}\n", 6, "sourcing.shares", ["sum to 1", "1.1"]),
        (TWO + "sourcing: {rule: expedite, primary: cheap, expedite_to: fast}\n", 6, "sourcing", ["backorders_above"]),
        (TWO + "sourcing: {rule: rotate}\n", 6, "sourcing.rule", ["'rotate'", "split"]),
        # cross-key rules
        (TWO + "sourcing: {rule: single, supplier: chep}\n", 6, "sourcing", ["'chep'", "did you mean 'cheap'?"]),
        (TWO + "sourcing: {rule: fallback, order: [cheap, fats]}\n", 6, "sourcing", ["'fats'", "did you mean 'fast'?"]),
        (
            TWO + "sourcing: {rule: expedite, primary: cheap, expedite_to: cheap, backorders_above: 2}\n",
            6,
            "sourcing",
            ["different"],
        ),
        (
            "suppliers: [{name: a, lead_time: 1}, {name: a, lead_time: 2}]\n",
            5,
            "suppliers",
            ["unique", "['a']"],
        ),
        (
            "suppliers: [{lead_time: 1}, {lead_time: 2}]\n",
            5,
            "suppliers",
            ["unique", "['supplier']", "`name`"],
        ),
    ],
    ids=[
        "yield-1.5",
        "yield-0",
        "suppliers-yield-2",
        "every-without-duration",
        "duration-without-every",
        "empty-disruptions",
        "window-end-before-start",
        "unknown-clock",
        "split-shares-sum",
        "expedite-without-threshold",
        "unknown-rule",
        "single-unknown-supplier",
        "fallback-unknown-supplier",
        "expedite-to-itself",
        "duplicate-names",
        "duplicate-default-names",
    ],
)


@INVALID_SUPPLY
def test_invalid_supply_keys_explain_the_problem(body: str, line: int, path: str, words: list[str]) -> None:
    """Each message says what is wrong (and suggests the name meant, where one is close)."""
    msg = _error(HEAD + body)
    for w in words:
        assert w in msg, (w, msg)


@INVALID_SUPPLY
def test_invalid_supply_keys_are_located(body: str, line: int, path: str, words: list[str]) -> None:
    """Each message points at the offending key: its line in the file and its key path as written
    (no union tag such as `split`, no synthetic `policies.base` for a scenario without policies)."""
    msg = _error(HEAD + body)
    assert msg.splitlines()[0].startswith(f"s.yaml:{line}:"), msg
    assert _location(msg) == path, msg


@pytest.mark.parametrize("body", ["supplier: {lead_time: 2}\n" + TWO, ""])
def test_exactly_one_of_supplier_and_suppliers(body: str) -> None:
    msg = _error(HEAD + body)
    assert "`supplier:`" in msg and "`suppliers:`" in msg and "not both or neither" in msg


def test_sourcing_in_a_policy_names_the_policy() -> None:
    msg = _error(HEAD + TWO + "policies:\n  base: {}\n  odd: {sourcing: {rule: single, supplier: fasst}}\n")
    assert msg.startswith("s.yaml:8:") and msg.splitlines()[0].endswith("policies.odd.sourcing"), msg
    assert "'fasst'" in msg and "did you mean 'fast'?" in msg


# --------------------------------------------------------------------------- quote estimates


@settings(max_examples=300, deadline=None)
@given(
    spec=st.sampled_from(
        [
            {"dist": "gamma", "mean": 7.0, "cv": 0.5},
            {"dist": "lognormal", "mean": 3.0, "sd": 4.5},
            {"dist": "weibull", "shape": 0.7, "scale": 3.0},
            {"dist": "uniform", "low": 2.0, "high": 9.0},
            {"dist": "empirical", "values": [1.0, 2.0, 2.0, 8.0]},
        ]
    ),
    age=st.one_of(
        st.floats(min_value=-1.0, max_value=200.0, allow_nan=False),
        st.sampled_from([0.0, 1e-300, 5e-324]),
    ),
    on_a_knot=st.booleans(),
)
def test_residual_table_interpolates_as_numpy_does(spec: dict[str, Any], age: float, on_a_knot: bool) -> None:
    """The quote's residual life m(age) is computed without arrays; it must be, to the last bit,
    what ``numpy.interp`` gives on the same table (the quotes, hence every number, stay the same),
    at ages between knots, on knots, before the first and past the last."""
    dist = TypeAdapter(Duration).validate_python(spec)
    table = ResidualLeadTime(dist)
    if on_a_knot:
        age = float(table.ages[bisect.bisect_left(table.ages.tolist(), max(age, 0.0)) % len(table.ages)])
    expected = float(np.interp(age, table.ages, table.values))
    assert table.interp(age) == expected


@pytest.mark.parametrize("supplier", ["{}", "{servers: 3}", "{no_crossing: true}", "{quoted_lead_time: 20}"])
def test_estimates_are_the_same_with_and_without_arrays(monkeypatch: pytest.MonkeyPatch, supplier: str) -> None:
    """A supplier estimates its orders' arrivals in plain Python up to FEW_ORDERS orders and with
    NumPy above; forcing either way for every quote must leave every trace row and indicator as it
    was, in a model that quotes with dozens of orders out (base stock, long lead times)."""
    cfg = model(
        f"""
        demand: {{rate: 2}}
        supplier: {{lead_time: {{dist: gamma, mean: 20, cv: 0.5}}, {supplier[1:-1]}}}
        replenishment: {{policy: base_stock, level: 38}}
        store: {{stockout: backorder, max_quoted_wait: 12}}
        """
    )
    seen: list[int] = []
    few = supplier_module.FEW_ORDERS
    real = supplier_module.Supplier._estimates

    def counting(self: Any, now: float, starts: list[float]) -> list[float]:
        seen.append(len(starts))
        return real(self, now, starts)

    monkeypatch.setattr(supplier_module.Supplier, "_estimates", counting)
    outcomes = []
    for forced in (0, 10**9):
        monkeypatch.setattr(supplier_module, "FEW_ORDERS", forced)
        result = simulate(cfg, seed=5, replication=0, horizon=400.0, warmup=0.0, trace=True)
        outcomes.append((result.trace, kpis(result, cfg)))
    assert sum(n > few for n in seen) > 50, "the model must quote with more orders out than FEW_ORDERS"
    assert outcomes[0] == outcomes[1]
