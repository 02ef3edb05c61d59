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
    diff = statistics.mean(sim) - statistics.mean(ref)
    se = math.sqrt(statistics.variance(sim) / len(sim) + statistics.variance(ref) / len(ref))
    assert abs(diff) <= 5 * se, (
        f"simulator {statistics.mean(sim):.4f}, reference {statistics.mean(ref):.4f}, se {se:.4f}"
    )


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
