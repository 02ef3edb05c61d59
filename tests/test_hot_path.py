"""The simulator's hot-path shortcuts give exactly what the plain formulation gives.

* The network merges its locations' customers in batches (:func:`merged_arrivals`):
  the order must be ``heapq.merge``'s over the tagged streams, ties included, and the
  window counts must be the customers in [warmup, end) of each stream.
* Base stock and (s, S) orders are sized inline from the rule's ``up_to``: the same as
  ``order_size`` wherever the review triggers.
* A supplier with random outages only finds the outage covering a time without the
  merged-interval generator: the same answer.
* The routed driver (:meth:`Clock.run_routed_arrivals`) hands each customer to its
  location, numbered across locations, interleaved with the queued events.
* The warehouse's counts of store orders, derived from the links' numbering, are the trace's.
* The callbacks list shared by an unlimited supplier's orders (and a link's whole shipments)
  is left as it was built.
"""

from __future__ import annotations

import heapq
import importlib.util
import itertools
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supplysim.scenario import Disruptions, ModelConfig, parse_scenario
from supplysim.sim import network
from supplysim.sim.clock import DELIVERY, Clock, Timer
from supplysim.sim.network import NetworkReplication, merged_arrivals
from supplysim.sim.outages import OutageSchedule
from supplysim.sim.replenishment import BaseStockRule, PeriodicRule, ReplenishmentRule, RQRule, SSRule
from supplysim.sim.trace import Event


def _stream(rng: random.Random, n: int, k: int) -> list[tuple[float, int, str]]:
    """Non-decreasing times on a coarse grid (many ties, within and across streams)."""
    t, out = 0.0, []
    for i in range(n):
        t += rng.choice([0.0, 0.0, 0.5, 1.0])
        out.append((t, rng.randrange(3), f"{k}:{i}"))
    return out


def _tagged(k: int, source: list[Any]) -> Iterator[tuple[float, int, Any]]:
    for customer in source:
        yield (customer[0], k, customer)


@pytest.mark.parametrize("chunk", [1, 3, 7, 4096])
def test_the_batched_merge_is_heapq_merge_ties_included(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "MERGE_CHUNK", chunk)
    rng = random.Random(chunk)
    for _ in range(20):
        sources = [_stream(rng, rng.randrange(0, 60), k) for k in range(rng.randrange(1, 5))]
        expected = list(heapq.merge(*(_tagged(k, s) for k, s in enumerate(sources))))
        counts = [0] * len(sources)
        warmup, end = 3.0, 12.0
        got = list(itertools.chain.from_iterable(merged_arrivals(sources, warmup, end, counts)))
        assert got == expected
        assert counts == [sum(warmup <= c[0] < end for c in s) for s in sources]


def test_the_batched_merge_reads_endless_sources_lazily() -> None:
    def endless(k: int) -> Iterator[tuple[float, int]]:
        return ((i + k / 10, k) for i in itertools.count())

    merged = itertools.chain.from_iterable(merged_arrivals([endless(0), endless(1)], 0.0, 5.0, [0, 0]))
    first = list(itertools.islice(merged, 6))
    assert [c[0] for c in first] == [0.0, 0.1, 1.0, 1.1, 2.0, 2.1]


def test_the_routed_driver_numbers_customers_across_locations_between_events() -> None:
    env = Clock()
    seen: list[str] = []
    Timer(env, 1.5, DELIVERY, lambda ev: seen.append(f"event at {env.now:g}"))
    Timer(env, 2.0, DELIVERY, lambda ev: seen.append(f"event at {env.now:g}"))
    arrive = [lambda c, n: seen.append(f"a{n} {c}"), lambda c, n: seen.append(f"b{n} {c}")]
    items = [(1.0, 0, "x"), (2.0, 1, "y"), (2.0, 0, "z"), (7.0, 1, "late")]
    assert env.run_routed_arrivals(items, arrive, 5.0) == 3
    assert seen == ["a0 x", "event at 1.5", "event at 2", "b1 y", "a2 z"]


@pytest.mark.parametrize(
    "rule",
    [BaseStockRule(7), BaseStockRule(0), SSRule(3, 10), SSRule(-2, 0), RQRule(4, 6), PeriodicRule(1.0, 9, 2, 0.0)],
    ids=["base_stock_7", "base_stock_0", "sS_3_10", "sS_-2_0", "rQ_4_6", "periodic"],
)
def test_the_inline_order_size_is_the_rules(rule: ReplenishmentRule) -> None:
    """Where a rule sets ``up_to``, the store orders ``up_to − IP`` when the review triggers: that
    must be exactly what ``order_size`` asks for at every triggering position."""
    positions = range(-30, 31)
    triggered = [ip for ip in positions if ip <= rule.trigger]
    if rule.up_to is None:
        assert isinstance(rule, RQRule | PeriodicRule)
        return
    assert triggered
    assert [rule.up_to - ip for ip in triggered] == [rule.order_size(ip) for ip in triggered]
    assert all(rule.order_size(ip) > 0 for ip in triggered)


def test_the_outage_fast_path_is_the_merged_schedules_answer() -> None:
    """Without fixed windows, ``down_until`` walks the random outages directly; it must give what
    the merged-interval generator gives, also where outages touch (an up time of exactly 0)."""
    cfg = Disruptions.model_validate({"every": 5, "duration": 2})
    rng = random.Random(3)
    ups = [rng.choice([0.0, 0.0, 0.5, rng.expovariate(0.5)]) for _ in range(4000)]
    downs = [rng.choice([0.0, 1.0, rng.expovariate(1.0)]) for _ in range(4000)]
    fast = OutageSchedule(cfg, iter(ups), iter(downs))
    slow = OutageSchedule(cfg, iter(ups), iter(downs))
    answers = 0
    for k in range(3000):
        t = k * 0.37 + rng.choice([0.0, 0.5, 1.0])
        generic = next(((e if s <= t else None) for s, e in slow._intervals_from(t)), None)
        assert fast.down_until(t) == generic, t
        answers += generic is not None
    assert 100 < answers < 2900  # both answers were met often


def _throughput_network() -> ModelConfig:
    """The network line of ``benchmarks/throughput.py`` (3 stores), its warehouse's base stock lowered
    from 160 to 125 units, so that store orders often wait there."""
    name = "supplysim_benchmark_throughput"
    module = sys.modules.get(name)
    if module is None:
        path = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    text = module.NETWORK_YAML.replace(f"level: {module.WAREHOUSE_LEVEL}}}", "level: 125}")
    assert text != module.NETWORK_YAML
    scenario = parse_scenario(text)
    return scenario.policies[scenario.baseline]


def test_the_warehouses_counts_of_store_orders_are_the_traces() -> None:
    """The warehouse derives its counts of store orders from the links' numbering: they must be the
    orders the trace shows in the window, and those of them that waited."""
    cfg = _throughput_network()
    warmup, horizon = 10.0, 150.0
    rep = NetworkReplication(cfg, seed=3, replication=0, trace=True)
    result = rep.run(horizon, warmup)
    assert result.trace is not None and result.network is not None
    window = [r for r in result.trace if r.time >= warmup]
    placed = {(r.note, r.id) for r in window if r.event is Event.ORDER and r.note.endswith(": to dc")}  # by store
    waited = [r for r in window if r.event is Event.BACKORDER and r.note.endswith("order waits")]
    w = result.network.warehouse
    assert w.orders == len(placed) > 1000
    assert w.filled_at_once == w.orders - len(waited) and waited
    assert sum(rep.links[name].orders for name in rep.links) == w.orders


def test_the_shared_callback_lists_are_left_as_built() -> None:
    """Every order of an unlimited supplier, and every whole shipment of a link, is given one list
    of callbacks shared by all of them (nobody waits on such an order, so nobody adds to it):
    a run must leave each list as it was built, or later orders would call what an earlier one
    added."""
    cfg = _throughput_network()
    rep = NetworkReplication(cfg, seed=3, replication=0)
    links = list(rep.links.values())
    lists = [link._callbacks for link in links] + [link._measured_callbacks for link in links]
    lists += [supplier._callbacks for supplier in rep.warehouse.suppliers]
    built = [list(callbacks) for callbacks in lists]
    assert all(len(callbacks) == 2 for callbacks in built)
    result = rep.run(60.0, 10.0)
    assert result.network is not None and result.network.warehouse.orders > 500
    assert lists == built
