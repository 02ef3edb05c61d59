"""Throughput and memory of the simulator against a hand-written heap loop and the textbook SimPy formulation.

What it measures
----------------
The benchmark model (``docs/performance.md``): Poisson arrivals λ = 20/day, one
unit per customer, base stock S = 50, exponential lead times of mean 2 days from
an unlimited supplier (orders may cross), one segment that accepts a backorder
with probability 0.8 and cancels after an exponential patience of mean 1 day,
20,000 days (≈ 400,000 customers), no warm-up.

Three implementations of that model run here:

* **simulator** – ``supplysim.sim.simulate`` on the model parsed from the YAML
  text :data:`SCENARIO_YAML` by ``supplysim.scenario.load.parse_scenario``;
* **heapq** – ``benchmarks/heapq_model.py``, the same model as a plain
  hand-written ``heapq`` event loop in pure Python: the ceiling (and the
  network line's model the same way, **network heapq**, so that the network's
  ratio to the single store can be set against the same ratio between the ceilings);
* **naive** – ``supplysim.sim.reference.simulate`` on the same model, the
  textbook SimPy formulation (one process per customer and per order, a
  ``simpy.Container`` for the stock, ``request | timeout(patience)``). It was
  this benchmark's own "naive" model before it became the package's reference
  model, so the ratio keeps its meaning across the history in ``docs/performance.md``.

And two more lines of the simulator, each compared with the simulator's figure on
the benchmark model in the same round:

* **full-feature** (:data:`FULL_FEATURE_YAML`): the benchmark model with two
  segments (patience and ``max_wait``), the hybrid stockout policy
  (``max_quoted_wait``, ``max_backorders``), a "notify me" waitlist and supplier
  outages, gamma lead times (so quotes vary with the orders' ages);
* **network** (:data:`NETWORK_YAML`): a warehouse and :data:`NETWORK_STORES`
  stores, each the benchmark model (its supplier replaced by the warehouse,
  transit exponential of mean 2 days), over a third of the horizon, so it
  simulates about as many customers as a single-store run.

How
---
1. Throughput: customers per CPU-second (``time.process_time``). The runs are
   interleaved – simulator, heapq, naive, full-feature, network, network heapq, then again – so
   a slow spell hits all alike; each figure is the median of ``--repeats`` rounds,
   and the ratios of the medians (and the range of the per-round ratios) are the
   numbers to quote. The load average is printed at the start and end of every phase.
2. Sanity check: the fill rates (served immediately / customers) are printed;
   simulator, heapq and naive must agree up to simulation noise.
3. Memory: each simulator line's peak traced allocation (``tracemalloc``) over the
   horizon and four times the horizon; statistics are accumulated as the run
   goes, so the ratio should stay ≤ 1.1.
4. Process pool: wall-clock time of ``run_experiment`` on the benchmark model with
   :data:`POOL_REPLICATIONS` replications, 1 worker against 2 (interleaved,
   ``--pool-repeats`` times), and the speed-up.

Usage::

    .venv/bin/python benchmarks/throughput.py            # full run, a few minutes
    .venv/bin/python benchmarks/throughput.py --quick    # iterate: seconds (2,000 days, 1 round, no memory, no pool)
    .venv/bin/python benchmarks/throughput.py --repeats 3 --horizon 5000 --no-memory --no-pool
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

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


FULL_FEATURE_YAML = f"""\
name: throughput-full-feature
description: The benchmark model with segments, the hybrid policy, a waitlist and outages on.
time_unit: day
horizon: {HORIZON:g}
warmup: 0
replications: 1
seed: {SEED}
demand:
  rate: {RATE:g}
  quantity: 1
segments:
  - name: patient
    share: 0.6
    accept_backorder: 0.9
    patience: {{dist: exponential, mean: 1.5}}
    max_wait: {{dist: exponential, mean: 3}}
  - name: impulse
    share: 0.4
    accept_backorder: 0.6
    patience: {{dist: exponential, mean: 0.5}}
supplier:
  lead_time: {{dist: gamma, mean: {LEAD_TIME_MEAN:g}, cv: 0.5}}
  disruptions: {{every: {{dist: exponential, mean: 60}}, duration: {{dist: uniform, low: 1, high: 3}}}}
store:
  stockout: backorder
  max_quoted_wait: 0.7
  max_backorders: 12
  waitlist: {{join: 0.4, convert: 0.6, patience: {{dist: exponential, mean: 2}}}}
replenishment:
  policy: base_stock
  level: {BASE_STOCK}
"""
"""The full-feature line: every customer-facing feature of a single store on at once. A customer who
finds no stock gets a quote (about 0.65 days at a typical moment): the hybrid policy shows "out of
stock" above 0.7 days or beyond 12 waiting customers, and those customers may join the waitlist."""

LINES = {"reference": SCENARIO_YAML, "full-feature": FULL_FEATURE_YAML, "network": NETWORK_YAML}
"""The simulator's benchmark lines, by name (the YAML of each)."""

POOL_REPLICATIONS = 8
"""Replications of the process-pool measurement (tasks of about a second each at the default horizon)."""


def full_feature_config() -> ModelConfig:
    """The full-feature model, parsed from :data:`FULL_FEATURE_YAML`."""
    scenario = parse_scenario(FULL_FEATURE_YAML, file="<throughput.py>")
    return scenario.policies[scenario.baseline]


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


def _sibling(name: str) -> ModuleType:
    """A module of this folder (the benchmarks are scripts, not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def run_heapq(seed: int, horizon: float) -> Outcome:
    """One run of the hand-written heap loop (``benchmarks/heapq_model.py``), as an :class:`Outcome`."""
    result = _sibling("heapq_model").simulate(
        rate=RATE,
        level=BASE_STOCK,
        lead_time_mean=LEAD_TIME_MEAN,
        accept=ACCEPT_BACKORDER,
        patience_mean=PATIENCE_MEAN,
        horizon=horizon,
        seed=seed,
    )
    return Outcome(result.customers, result.served_immediately)


def run_heapq_network(seed: int, horizon: float) -> Outcome:
    """One run of the network line as a hand-written heap loop (``heapq_model.simulate_network``)."""
    result = _sibling("heapq_model").simulate_network(
        stores=NETWORK_STORES,
        rate=RATE,
        level=BASE_STOCK,
        warehouse_level=WAREHOUSE_LEVEL,
        lead_time_mean=LEAD_TIME_MEAN,
        transit_mean=LEAD_TIME_MEAN,
        accept=ACCEPT_BACKORDER,
        patience_mean=PATIENCE_MEAN,
        horizon=horizon,
        seed=seed,
    )
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


def load() -> str:
    """The 1-, 5- and 15-minute load averages (``os.getloadavg``), for the record of every figure."""
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not available
        return "load average unknown"


@dataclass
class Line:
    """One timed implementation: how to run it over a horizon, and what each round gave."""

    name: str
    run: Callable[[float], Outcome]
    horizon: float
    rates: list[float]
    outcome: Outcome = field(default_factory=lambda: Outcome(0, 0))

    def median(self) -> float:
        """The median customers per CPU-second."""
        return statistics.median(self.rates)


def _ratio(a: Line, b: Line) -> str:
    """a / b as the ratio of the medians, with the range of the per-round ratios."""
    per_round = [x / y for x, y in zip(a.rates, b.rates, strict=True)]
    return f"{a.median() / b.median():.2f}x (rounds {min(per_round):.2f}–{max(per_round):.2f})"


def pool_speedup(horizon: float, repeats: int) -> None:
    """Wall-clock time of ``run_experiment`` on the benchmark model, 1 worker against 2, interleaved."""
    from supplysim.experiments.runner import run_experiment

    text = SCENARIO_YAML.replace("replications: 1", f"replications: {POOL_REPLICATIONS}")
    scenario = parse_scenario(text.replace(f"horizon: {HORIZON:g}", f"horizon: {horizon:g}"), file="<throughput.py>")
    walls: dict[int, list[float]] = {1: [], 2: []}
    print(f"process pool: {POOL_REPLICATIONS} replications of {horizon:g} days, 1 vs 2 workers ({load()})")
    for i in range(repeats):
        for workers in (1, 2):
            gc.collect()
            start = time.perf_counter()
            run_experiment(scenario, workers=workers)
            walls[workers].append(time.perf_counter() - start)
        print(f"  round {i + 1}: 1 worker {walls[1][-1]:.2f} s, 2 workers {walls[2][-1]:.2f} s ({load()})", flush=True)
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    per_round = [a / b for a, b in zip(walls[1], walls[2], strict=True)]
    print(
        f"  median wall: 1 worker {one:.2f} s, 2 workers {two:.2f} s: speed-up {one / two:.2f}x "
        f"(rounds {min(per_round):.2f}–{max(per_round):.2f}; target ≥ 1.7x on a quiet machine)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--horizon", type=float, default=HORIZON, help=f"days per run (default {HORIZON:g})")
    parser.add_argument("--quick", action="store_true", help="iterate: horizon 2000, 1 round, no memory, no pool")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument("--no-pool", action="store_true", help="skip the process-pool measurement")
    parser.add_argument("--no-naive", action="store_true", help="skip the textbook SimPy model (the slowest)")
    parser.add_argument("--pool-repeats", type=int, default=3, help="rounds of the pool measurement (default 3)")
    args = parser.parse_args(argv)
    if args.quick:
        args.horizon, args.repeats, args.no_memory, args.no_pool = 2000.0, 1, True, True
    if args.repeats < 1 or not args.horizon > 0 or args.pool_repeats < 1:
        parser.error("--repeats and --pool-repeats must be ≥ 1 and --horizon > 0")

    cfg = benchmark_config()
    full = full_feature_config()
    net = network_config()
    net_horizon = args.horizon / NETWORK_STORES
    print(
        f"Python {platform.python_version()}, SimPy {simpy.__version__}, NumPy {np.__version__}, "
        f"{platform.machine()}, {_cpus()} CPU(s)"
    )
    print(
        f"benchmark model: λ = {RATE:g}/day, unit demand, base stock {BASE_STOCK}, "
        f"exponential lead time mean {LEAD_TIME_MEAN:g} d, accept {ACCEPT_BACKORDER:g}, "
        f"patience exponential mean {PATIENCE_MEAN:g} d, horizon {args.horizon:g} d, {args.repeats} round(s)"
    )
    print(
        f"network line: warehouse (base stock {WAREHOUSE_LEVEL}) + {NETWORK_STORES} stores, each the benchmark "
        f"model, exponential transit mean {LEAD_TIME_MEAN:g} d, horizon {net_horizon:g} d"
    )

    lines = [
        Line("simulator", lambda h: run_simulator(cfg, SEED, h), args.horizon, []),
        Line("heapq", lambda h: run_heapq(SEED, h), args.horizon, []),
        Line("naive SimPy", lambda h: run_reference_outcome(cfg, SEED, h), args.horizon, []),
        Line("full-feature", lambda h: run_simulator(full, SEED, h), args.horizon, []),
        Line("network", lambda h: run_simulator(net, SEED, h), net_horizon, []),
        Line("network heapq", lambda h: run_heapq_network(SEED, h), net_horizon, []),
    ]
    if args.no_naive:
        lines = [line for line in lines if line.name != "naive SimPy"]
    for line in lines:  # warm-up: imports, caches (residual lead-time tables)
        line.run(50.0)

    print(f"throughput ({load()}):")
    for i in range(args.repeats):
        parts = []
        for line in lines:
            line.outcome, cpu = timed(lambda line=line: line.run(line.horizon))  # type: ignore[misc]
            line.rates.append(line.outcome.customers / cpu)
            parts.append(f"{line.name} {cpu:.2f}")
        print(f"  round {i + 1}: CPU-s " + ", ".join(parts) + f" ({load()})", flush=True)

    print()
    print(f"{'implementation':<16}{'customers':>12}{'fill rate':>12}{'customers/CPU-s (median)':>28}")
    for line in lines:
        print(f"{line.name:<16}{line.outcome.customers:>12}{line.outcome.fill_rate:>12.4f}{line.median():>28,.0f}")
    by = {line.name: line for line in lines}
    sim = by["simulator"]
    print(f"simulator / heapq:          {_ratio(sim, by['heapq'])} (target ≥ 0.5x)")
    if "naive SimPy" in by:
        print(f"simulator / naive SimPy:    {_ratio(sim, by['naive SimPy'])}")
    print(f"full-feature / simulator:   {_ratio(by['full-feature'], sim)} (target ≥ 0.4x)")
    print(f"network / simulator:        {_ratio(by['network'], sim)} (target ≥ 0.4x)")
    print(f"network heapq / heapq:      {_ratio(by['network heapq'], by['heapq'])} (the ratio between the ceilings)")
    print(f"network / network heapq:    {_ratio(by['network'], by['network heapq'])}")
    for mine, other in (("simulator", "heapq"), ("simulator", "naive SimPy"), ("network", "network heapq")):
        if other in by:
            ours, out = by[mine].outcome, by[other].outcome
            diff = ours.fill_rate - out.fill_rate
            se = math.hypot(fill_rate_se(ours), fill_rate_se(out))
            print(
                f"fill rate {mine} − {other}: {diff:+.4f} (binomial s.e. {se:.4f}, an underestimate: "
                "stockouts come in spells)"
            )
    print(f"({load()})")

    if not args.no_memory:
        print()
        print(f"peak memory (tracemalloc), horizon vs 4 × horizon ({load()}):")
        for name, model, horizon in (
            ("simulator", cfg, args.horizon),
            ("full-feature", full, args.horizon),
            ("network", net, net_horizon),
        ):
            small, large = peak_memory(model, horizon), peak_memory(model, 4 * horizon)
            print(
                f"  {name:<14}{horizon:>8g} d: {small:6.2f} MiB, {4 * horizon:>8g} d: {large:6.2f} MiB, "
                f"ratio {large / small:.3f} (target ≤ 1.1)",
                flush=True,
            )
    if not args.no_pool:
        print()
        pool_speedup(args.horizon, args.pool_repeats)
    return 0


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
