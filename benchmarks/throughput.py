"""Throughput and memory of the simulator against the textbook SimPy formulation (the reference model).

What it measures
----------------
The benchmark model (``docs/performance.md``): Poisson arrivals λ = 20/day, one
unit per customer, base stock S = 50, exponential lead times of mean 2 days from
an unlimited supplier (orders may cross), one segment that accepts a backorder
with probability 0.8 and cancels after an exponential patience of mean 1 day,
20,000 days (≈ 400,000 customers), no warm-up.

Two implementations of that model run here:

* **simulator** – ``supplysim.sim.simulate`` on the model parsed from the YAML
  text :data:`SCENARIO_YAML` by ``supplysim.scenario.load.parse_scenario``;
* **reference** – ``supplysim.sim.reference.simulate`` on the same model, the
  textbook SimPy formulation: one process per customer and per replenishment
  order, a ``simpy.Container`` for the stock (strictly first come first served,
  so nobody overtakes a waiting customer), patience as
  ``yield request | env.timeout(patience)`` with the request cancelled when
  patience wins, and the inventory position tracked explicitly (order S − IP
  whenever IP < S, checked after every change of IP). It was this benchmark's
  own "naive" model before it became the package's reference model, so the
  ratio keeps its meaning across the history in ``docs/performance.md``.

How
---
1. Throughput: customers simulated per CPU-second (``time.process_time``, which
   ignores other load on the shared machine better than wall-clock time). The
   runs are interleaved – simulator, reference, simulator, reference, … – so a
   slow spell hits both alike; each figure is the median of ``--repeats`` runs,
   and the ratio simulator/reference of the medians is the number to quote.
2. Sanity check: both fill rates (served immediately / customers) are printed;
   they must agree up to simulation noise.
3. Memory: the simulator's peak traced allocation (``tracemalloc``) during one
   run at the horizon and at four times the horizon (20,000 and 80,000 days by
   default). Statistics are accumulated as the run goes, so the peak should not
   grow with the horizon.
4. The network line: the simulator on :data:`NETWORK_YAML`, a warehouse and
   :data:`NETWORK_STORES` stores, each store the benchmark model above (its
   supplier replaced by the warehouse, transit exponential of mean 2 days), timed
   in the same interleaved loop over a third of the horizon (so a network run
   simulates about as many customers as a single-store run). Reported: its
   customers (all stores) per CPU-second, and its ratio to the single-store
   simulator's figure of the same run; also its peak memory at both horizons.

Usage::

    .venv/bin/python benchmarks/throughput.py            # full run, a few minutes
    .venv/bin/python benchmarks/throughput.py --quick    # smoke run, seconds
    .venv/bin/python benchmarks/throughput.py --repeats 3 --horizon 5000
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from supplysim.scenario import ModelConfig
from supplysim.scenario.load import parse_scenario
from supplysim.sim import reference, simulate

RATE = 20.0
"""Arrival rate λ [customers/day]."""
BASE_STOCK = 50
"""Base-stock level S [units]; also the initial stock."""
LEAD_TIME_MEAN = 2.0
"""Mean of the exponential lead time [days]."""
ACCEPT_BACKORDER = 0.8
"""Probability that a customer who finds no stock accepts a backorder."""
PATIENCE_MEAN = 1.0
"""Mean of the exponential patience of a backordered customer [days]."""
HORIZON = 20_000.0
"""Simulated days per run (no warm-up)."""
SEED = 2024
"""Seed of every run (the same work is timed in every repeat)."""

SCENARIO_YAML = f"""\
name: throughput-benchmark
description: The benchmark model of benchmarks/throughput.py.
time_unit: day
horizon: {HORIZON:g}
warmup: 0
replications: 1
seed: {SEED}
demand:
  rate: {RATE:g}
  quantity: 1
segments:
  - name: everyone
    share: 1.0
    accept_backorder: {ACCEPT_BACKORDER:g}
    patience: {{dist: exponential, mean: {PATIENCE_MEAN:g}}}
supplier:
  lead_time: {{dist: exponential, mean: {LEAD_TIME_MEAN:g}}}
store:
  stockout: backorder
replenishment:
  policy: base_stock
  level: {BASE_STOCK}
"""


NETWORK_STORES = 3
"""Stores of the network line, each the benchmark model."""
WAREHOUSE_LEVEL = 160
"""The warehouse's base-stock level [units]: demand on it is 3λ = 60/day over a mean supplier lead
time of 2 days, 120 units on average, so it runs out now and then (store orders wait there)."""

NETWORK_YAML = (
    SCENARIO_YAML.replace("name: throughput-benchmark", "name: throughput-network")
    + f"""network:
  warehouse:
    name: dc
    replenishment: {{policy: base_stock, level: {WAREHOUSE_LEVEL}}}
  stores:
"""
    + "".join(
        f"    s{k}: {{transit_time: {{dist: exponential, mean: {LEAD_TIME_MEAN:g}}}}}\n"
        for k in range(1, NETWORK_STORES + 1)
    )
)
"""The network line: the benchmark model at every store, a base-stock warehouse fed by its supplier."""


def network_config() -> ModelConfig:
    """The network model, parsed from :data:`NETWORK_YAML`."""
    scenario = parse_scenario(NETWORK_YAML, file="<throughput.py>")
    return scenario.policies[scenario.baseline]


def benchmark_config() -> ModelConfig:
    """The benchmark model, parsed from :data:`SCENARIO_YAML`."""
    scenario = parse_scenario(SCENARIO_YAML, file="<throughput.py>")
    return scenario.policies[scenario.baseline]


# ---------------------------------------------------------------------------- the two implementations


@dataclass
class Outcome:
    """What one run produced: enough to compare the two implementations."""

    customers: int
    served_immediately: int

    @property
    def fill_rate(self) -> float:
        """Served immediately / customers."""
        return self.served_immediately / self.customers if self.customers else math.nan


def run_simulator(cfg: ModelConfig, seed: int, horizon: float, replication: int = 0) -> Outcome:
    """One replication of the simulator."""
    result = simulate(cfg, seed=seed, replication=replication, horizon=horizon)
    c = result.counters
    return Outcome(c.customers, c.served_immediately)


def run_reference(cfg: ModelConfig, seed: int, horizon: float) -> reference.ReferenceResult:
    """One run of the reference model, ``supplysim.sim.reference`` (seed → independent streams)."""
    return reference.simulate(cfg, seed=seed, horizon=horizon)


def run_reference_outcome(cfg: ModelConfig, seed: int, horizon: float) -> Outcome:
    """One run of the reference model, as an :class:`Outcome`."""
    result = run_reference(cfg, seed, horizon)
    return Outcome(result.customers, result.served_immediately)


# ---------------------------------------------------------------------------- measurements


def timed(run: Callable[[], Outcome]) -> tuple[Outcome, float]:
    """Run once; return the outcome and the CPU seconds it took (garbage collected before)."""
    gc.collect()
    start = time.process_time()
    outcome = run()
    return outcome, time.process_time() - start


def peak_memory(cfg: ModelConfig, horizon: float) -> float:
    """Peak traced memory [MiB] of one simulator run over ``horizon``."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run_simulator(cfg, SEED, horizon)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def fill_rate_se(outcome: Outcome) -> float:
    """Binomial standard error of a fill rate – a lower bound: stockouts come in spells."""
    p, n = outcome.fill_rate, outcome.customers
    return math.sqrt(p * (1.0 - p) / n) if n else math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each implementation (default 5)")
    parser.add_argument("--horizon", type=float, default=HORIZON, help=f"days per run (default {HORIZON:g})")
    parser.add_argument("--quick", action="store_true", help="smoke run: horizon 2000, 1 repeat")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    args = parser.parse_args(argv)
    if args.quick:
        args.horizon, args.repeats = 2000.0, 1
    if args.repeats < 1 or not args.horizon > 0:
        parser.error("--repeats must be ≥ 1 and --horizon > 0")

    cfg = benchmark_config()
    net = network_config()
    net_horizon = args.horizon / NETWORK_STORES
    print(
        f"Python {platform.python_version()}, SimPy {simpy.__version__}, NumPy {np.__version__}, "
        f"{platform.machine()}, {_cpus()} CPU(s)"
    )
    print(
        f"benchmark model: λ = {RATE:g}/day, unit demand, base stock {BASE_STOCK}, "
        f"exponential lead time mean {LEAD_TIME_MEAN:g} d, accept {ACCEPT_BACKORDER:g}, "
        f"patience exponential mean {PATIENCE_MEAN:g} d, horizon {args.horizon:g} d, {args.repeats} repeat(s)"
    )

    print(
        f"network line: warehouse (base stock {WAREHOUSE_LEVEL}) + {NETWORK_STORES} stores, each the benchmark "
        f"model, exponential transit mean {LEAD_TIME_MEAN:g} d, horizon {net_horizon:g} d"
    )

    run_simulator(cfg, SEED, 50.0)  # warm-up: imports, caches
    run_reference_outcome(cfg, SEED, 50.0)
    run_simulator(net, SEED, 50.0)

    sim_rates: list[float] = []
    ref_rates: list[float] = []
    net_rates: list[float] = []
    sim_out = ref_out = net_out = Outcome(0, 0)
    for i in range(args.repeats):
        sim_out, sim_cpu = timed(lambda: run_simulator(cfg, SEED, args.horizon))
        ref_out, ref_cpu = timed(lambda: run_reference_outcome(cfg, SEED, args.horizon))
        net_out, net_cpu = timed(lambda: run_simulator(net, SEED, net_horizon))
        sim_rates.append(sim_out.customers / sim_cpu)
        ref_rates.append(ref_out.customers / ref_cpu)
        net_rates.append(net_out.customers / net_cpu)
        print(
            f"  run {i + 1}: simulator {sim_out.customers} customers in {sim_cpu:.2f} CPU-s, "
            f"reference {ref_out.customers} customers in {ref_cpu:.2f} CPU-s, "
            f"network {net_out.customers} customers in {net_cpu:.2f} CPU-s",
            flush=True,
        )

    sim_med = statistics.median(sim_rates)
    ref_med = statistics.median(ref_rates)
    net_med = statistics.median(net_rates)
    print()
    print(f"{'implementation':<18}{'customers':>12}{'fill rate':>12}{'customers/CPU-s (median)':>28}")
    rows = (("simulator", sim_out, sim_med), ("reference SimPy", ref_out, ref_med), ("network", net_out, net_med))
    for name, out, rate in rows:
        print(f"{name:<18}{out.customers:>12}{out.fill_rate:>12.4f}{rate:>28,.0f}")
    print(f"ratio simulator / reference: {sim_med / ref_med:.2f}x (target ≥ 5x)")
    print(f"ratio network / simulator: {net_med / sim_med:.2f}x (target ≥ 0.8x)")
    diff = sim_out.fill_rate - ref_out.fill_rate
    se = math.hypot(fill_rate_se(sim_out), fill_rate_se(ref_out))
    print(f"fill-rate difference: {diff:+.4f} (binomial s.e. {se:.4f}, an underestimate: stockouts come in spells)")

    if not args.no_memory:
        print()
        print("simulator peak memory (tracemalloc):")
        for horizon in (args.horizon, 4 * args.horizon):
            print(f"  horizon {horizon:>8g} days: {peak_memory(cfg, horizon):6.2f} MiB", flush=True)
        print("network peak memory (tracemalloc):")
        for horizon in (net_horizon, 4 * net_horizon):
            print(f"  horizon {horizon:>8g} days: {peak_memory(net, horizon):6.2f} MiB", flush=True)
    return 0


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
