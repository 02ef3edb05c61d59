"""Smoke test of ``benchmarks/throughput.py``: both implementations model the same thing.

The two are the simulator and the reference model (``supplysim.sim.reference``)
on the benchmark model; ``tests/test_reference.py`` cross-checks them in depth.

No timing is asserted here. Two checks, on short horizons:

* each implementation generates a Poisson number of customers, λ·H on average
  with standard deviation √(λ·H): the count must lie within 5 σ;
* the fill rates (served immediately / customers) of the two implementations
  agree. A single run's binomial standard error √(p(1 − p)/n) understates the
  noise badly – stockouts come in spells, so outcomes of neighbouring customers
  are correlated (the variance is 15–40 times the binomial one at this
  horizon) – so the tolerance comes from independent replications instead:
  the difference of the two means must lie within 5 standard errors
  √(s₁²/n₁ + s₂²/n₂).
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"
HORIZON = 500.0
REPLICATIONS = 8


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("supplysim_benchmark_throughput", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_both_generate_poisson_customer_counts(bench: ModuleType) -> None:
    expected = bench.RATE * HORIZON
    sigma = math.sqrt(expected)
    cfg = bench.benchmark_config()
    sim = bench.run_simulator(cfg, 3, HORIZON)
    ref = bench.run_reference(cfg, 3, HORIZON)
    assert abs(sim.customers - expected) <= 5 * sigma, sim.customers
    assert abs(ref.customers - expected) <= 5 * sigma, ref.customers


def test_the_heapq_ceiling_generates_poisson_counts_and_its_outcomes_add_up(bench: ModuleType) -> None:
    heap = bench._sibling("heapq_model").simulate(
        rate=bench.RATE,
        level=bench.BASE_STOCK,
        lead_time_mean=bench.LEAD_TIME_MEAN,
        accept=bench.ACCEPT_BACKORDER,
        patience_mean=bench.PATIENCE_MEAN,
        horizon=HORIZON,
        seed=4,
    )
    expected = bench.RATE * HORIZON
    assert abs(heap.customers - expected) <= 5 * math.sqrt(expected), heap.customers
    assert heap.served_immediately + heap.lost + heap.backordered == heap.customers
    assert heap.pending >= 0 and heap.served_after_wait > 0 and heap.cancelled > 0 and heap.lost > 0
    # base stock, one unit per customer: every customer who stays orders one unit, except that a
    # cancellation lifts IP above S and the next such customer then orders nothing
    served_or_waiting = heap.customers - heap.lost
    assert served_or_waiting - heap.cancelled <= heap.orders_placed <= served_or_waiting
    assert 0 < heap.area_on_hand / HORIZON < bench.BASE_STOCK and heap.area_backorders > 0


def _heapq_network(bench: ModuleType, seed: int, horizon: float, warehouse_level: int) -> Any:
    return bench._sibling("heapq_model").simulate_network(
        stores=bench.NETWORK_STORES,
        rate=bench.RATE,
        level=bench.BASE_STOCK,
        warehouse_level=warehouse_level,
        lead_time_mean=bench.LEAD_TIME_MEAN,
        transit_mean=bench.LEAD_TIME_MEAN,
        accept=bench.ACCEPT_BACKORDER,
        patience_mean=bench.PATIENCE_MEAN,
        horizon=horizon,
        seed=seed,
    )


@pytest.mark.parametrize("warehouse_level", [160, 110], ids=["rarely out", "often out"])
def test_the_heapq_network_generates_poisson_counts_and_its_outcomes_add_up(
    bench: ModuleType, warehouse_level: int
) -> None:
    horizon = HORIZON / bench.NETWORK_STORES
    net = _heapq_network(bench, 4, horizon, warehouse_level)
    expected = bench.NETWORK_STORES * bench.RATE * horizon
    assert abs(net.customers - expected) <= 5 * math.sqrt(expected), net.customers
    assert net.served_immediately + net.lost + net.backordered == net.customers
    assert net.pending >= 0 and net.served_after_wait > 0 and net.cancelled > 0 and net.lost > 0
    stayed = net.customers - net.lost
    assert stayed - net.cancelled <= net.store_orders <= stayed  # base stock at each store, as above
    assert net.supplier_orders == net.store_orders  # base stock at the warehouse: one unit per store order
    # a warehouse at 110 units against a lead-time demand of 3λ·L = 120 on average is often out
    assert (net.waited_at_warehouse > net.store_orders // 10) == (warehouse_level == 110)
    assert 0 < net.warehouse_area_on_hand / horizon < warehouse_level


def test_reference_outcomes_add_up(bench: ModuleType) -> None:
    counts = bench.run_reference(bench.benchmark_config(), 5, HORIZON)
    assert counts.served_immediately + counts.lost + counts.backordered == counts.customers
    assert counts.pending >= 0
    assert counts.served_after_wait > 0 and counts.cancelled > 0 and counts.lost > 0  # every path was taken


@pytest.mark.slow
def test_fill_rates_agree(bench: ModuleType) -> None:
    cfg = bench.benchmark_config()
    sim = [bench.run_simulator(cfg, 17, HORIZON, replication=r).fill_rate for r in range(REPLICATIONS)]
    ref = [bench.run_reference(cfg, 100 + r, HORIZON).fill_rate for r in range(REPLICATIONS)]
    heap = [bench.run_heapq(200 + r, HORIZON).fill_rate for r in range(REPLICATIONS)]
    for name, other in (("reference", ref), ("heapq", heap)):
        diff = statistics.mean(sim) - statistics.mean(other)
        se = math.sqrt(statistics.variance(sim) / len(sim) + statistics.variance(other) / len(other))
        assert abs(diff) <= 5 * se, (
            f"simulator {statistics.mean(sim):.4f}, {name} {statistics.mean(other):.4f}, se {se:.4f}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("warehouse_level", [160, 110], ids=["rarely out", "often out"])
def test_the_network_and_its_heap_loop_agree(bench: ModuleType, warehouse_level: int) -> None:
    """The heap loop of the network line models what the simulator's network runs: their fill rates
    over independent replications agree within 5 standard errors, with a warehouse that rarely
    runs out (the line's) and one that often does (store orders queue there)."""
    text = bench.NETWORK_YAML.replace(f"level: {bench.WAREHOUSE_LEVEL}}}", f"level: {warehouse_level}}}")
    scenario = bench.parse_scenario(text)
    cfg = scenario.policies[scenario.baseline]
    horizon = HORIZON / bench.NETWORK_STORES * 3
    sim = [bench.run_simulator(cfg, 17, horizon, replication=r).fill_rate for r in range(REPLICATIONS)]
    heap = [_heapq_network(bench, 300 + r, horizon, warehouse_level).fill_rate for r in range(REPLICATIONS)]
    diff = statistics.mean(sim) - statistics.mean(heap)
    se = math.sqrt(statistics.variance(sim) / len(sim) + statistics.variance(heap) / len(heap))
    assert abs(diff) <= 5 * se, f"simulator {statistics.mean(sim):.4f}, heapq {statistics.mean(heap):.4f}, se {se:.4f}"


def test_the_network_line_simulates_every_stores_customers(bench: ModuleType) -> None:
    """The network line's model has the benchmark model at each store: its customers are a Poisson
    count of mean stores·λ·H (within 5 σ), and it runs with the same code path as the timed loop."""
    cfg = bench.network_config()
    assert cfg.network is not None and len(cfg.network.stores) == bench.NETWORK_STORES
    horizon = HORIZON / bench.NETWORK_STORES
    expected = bench.NETWORK_STORES * bench.RATE * horizon
    out = bench.run_simulator(cfg, 3, horizon)
    assert abs(out.customers - expected) <= 5 * math.sqrt(expected), out.customers
    assert 0.0 < out.fill_rate < 1.0


def test_the_full_feature_line_uses_every_feature_it_names(bench: ModuleType) -> None:
    """Segments, the hybrid refusal, the waitlist and outages all act in the full-feature line."""
    from supplysim.sim import simulate

    result = simulate(bench.full_feature_config(), seed=3, replication=0, horizon=HORIZON, trace=True)
    c = result.counters
    assert c.backordered > 0 and c.cancelled > 0 and c.waitlist_joined > 0 and c.waitlist_recovered > 0
    notes = {row.note.split(" ")[0] + " " + row.note.split(" ")[1] for row in result.trace or [] if " " in row.note}
    assert {"refused: quote", "segment patient", "segment impulse"} <= notes
    assert result.suppliers["supplier"].delayed > 0  # an outage postponed some arrivals
