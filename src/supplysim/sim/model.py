"""One replication of one model: build the components, run, return the counts.

The run protocol (compare desmod): build the component tree from the validated
configuration → run the driver loop → close the window → check the accounting
identities → hand the counters to :mod:`supplysim.indicators`.
"""

from __future__ import annotations

from dataclasses import dataclass

from supplysim.scenario import ModelConfig
from supplysim.sim.clock import REVIEW, WARMUP, Clock, Timer
from supplysim.sim.customers import CustomerSource
from supplysim.sim.replenishment import build_rule
from supplysim.sim.stats import Counters, WaitSketch
from supplysim.sim.store import Store, TraceRow, build_stockout
from supplysim.sim.streams import Streams
from supplysim.sim.supplier import Supplier

__all__ = ["ReplicationResult", "simulate"]


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication produced."""

    counters: Counters
    waits: WaitSketch
    horizon: float
    final_on_hand: int
    trace: list[TraceRow] | None


def simulate(
    cfg: ModelConfig,
    *,
    seed: int,
    replication: int,
    horizon: float,
    warmup: float = 0.0,
    trace: bool = False,
) -> ReplicationResult:
    """Run replication ``replication`` of model ``cfg`` over [0, warmup + horizon).

    Raises:
        AssertionError: if the outcome identity or unit conservation fails.
    """
    streams = Streams(seed, replication)
    env = Clock()
    counters = Counters()
    waits = WaitSketch()
    rows: list[TraceRow] | None = [] if trace else None
    supplier = Supplier(cfg.supplier, streams.draws(f"lead_time/{cfg.supplier.name}", cfg.supplier.lead_time))
    rule = build_rule(cfg.replenishment)
    store = Store(env, cfg, rule, supplier, build_stockout(cfg), counters, waits, rows)
    end = warmup + horizon

    if warmup > 0:
        Timer(env, warmup, WARMUP, lambda ev: store.start_window(env.now))
    else:
        store.measuring = True

    if rule.review_period is not None:
        period = rule.review_period

        def review(ev: Timer) -> None:
            store.review(env.now)
            Timer(env, period, REVIEW, review)

        Timer(env, rule.review_offset, REVIEW, review)
    else:
        ip = store.inventory_position
        if ip <= store.trigger:
            store.replenish(0.0, ip)

    env.run_arrivals(CustomerSource(cfg, streams), store.arrive, end)
    env.run_before(end, -1)
    env.advance_to(end)
    store.finish(end)
    store.check_invariants()
    return ReplicationResult(counters, waits, horizon, store.on_hand, rows)
