"""One replication of one model: build the components, run, return the counts.

The run protocol (compare desmod): build the component tree from the validated
configuration → run the driver loop → close the window → check the accounting
identities → hand the counters to :mod:`supplysim.indicators`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from supplysim.scenario import ModelConfig
from supplysim.sim.clock import REVIEW, WARMUP, Clock, Timer
from supplysim.sim.customers import Customer, CustomerSource
from supplysim.sim.replenishment import PeriodicRule, build_rule
from supplysim.sim.stats import Counters, WaitSketch
from supplysim.sim.store import Store, TraceRow, build_stockout
from supplysim.sim.streams import Streams
from supplysim.sim.supplier import build_supplier

__all__ = ["Replication", "ReplicationResult", "simulate"]


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication produced."""

    counters: Counters
    waits: WaitSketch
    horizon: float
    final_on_hand: int
    trace: list[TraceRow] | None


class Replication:
    """The component tree of one replication: build from the configuration, then :meth:`run`.

    ``customers`` and ``lead_times`` replace the random sources (scripted runs for
    exact tests and teaching); by default they come from the replication's streams.
    """

    def __init__(
        self,
        cfg: ModelConfig,
        *,
        seed: int,
        replication: int,
        trace: bool = False,
        lead_times: Iterator[float] | None = None,
    ) -> None:
        self.cfg = cfg
        self.streams = Streams(seed, replication)
        self.env = Clock()
        self.counters = Counters()
        self.waits = WaitSketch()
        self.rows: list[TraceRow] | None = [] if trace else None
        if lead_times is None:
            lead_times = self.streams.draws(f"lead_time/{cfg.supplier.name}", cfg.supplier.lead_time)
        self.supplier = build_supplier(cfg.supplier, lead_times)
        self.rule = build_rule(cfg.replenishment)
        self.store = Store(
            self.env, cfg, self.rule, self.supplier, build_stockout(cfg), self.counters, self.waits, self.rows
        )

    def run(
        self, horizon: float, warmup: float = 0.0, customers: Iterable[Customer] | None = None
    ) -> ReplicationResult:
        """Simulate [0, warmup + horizon), measuring [warmup, warmup + horizon).

        Raises:
            AssertionError: if the outcome identity or unit conservation fails.
        """
        env, store, rule = self.env, self.store, self.rule
        end = warmup + horizon
        if warmup > 0:
            Timer(env, warmup, WARMUP, lambda ev: store.start_window(env.now))
        else:
            store.measuring = True

        if isinstance(rule, PeriodicRule):
            period = rule.review_period

            def review(ev: Timer) -> None:
                rule.next_review = env.now + period
                store.review(env.now)
                Timer(env, period, REVIEW, review)

            rule.next_review = rule.review_offset
            Timer(env, rule.review_offset, REVIEW, review)
        else:
            ip = store.inventory_position
            if ip <= store.trigger:
                store.replenish(0.0, ip)

        stream = iter(customers if customers is not None else CustomerSource(self.cfg, self.streams))
        # Two passes over the same stream, so the window's arrivals are counted
        # independently of the store's own counters (checked below).
        boundary: list[Customer] = []

        def before_window() -> Iterator[Customer]:
            for customer in stream:
                if customer[0] >= warmup:
                    boundary.append(customer)
                    return
                yield customer

        early = env.run_arrivals(before_window(), store.arrive, end) if warmup > 0 else 0
        arrivals = env.run_arrivals(itertools.chain(boundary, stream), store.arrive, end, first=early)
        env.run_before(end, -1)
        env.advance_to(end)
        store.finish(end)
        store.check_invariants(arrivals)
        return ReplicationResult(self.counters, self.waits, horizon, store.on_hand, self.rows)


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
    return Replication(cfg, seed=seed, replication=replication, trace=trace).run(horizon, warmup)
