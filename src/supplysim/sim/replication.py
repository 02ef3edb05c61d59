"""One replication of one model: build the components, run, return the counts.

The run protocol (compare desmod): build the component tree from the validated
configuration → run the driver loop → close the window → check the accounting
identities → hand the counters to :mod:`supplysim.analysis.indicators`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator

from supplysim.scenario import ModelConfig
from supplysim.sim.clock import WARMUP, Clock, Timer
from supplysim.sim.customers import TIME, Customer, CustomerSource
from supplysim.sim.ports import StoreView
from supplysim.sim.recorder import PathRecorder, PathWindow
from supplysim.sim.replay import CustomerReplay
from supplysim.sim.replenishment import build_rule
from supplysim.sim.results import ReplicationResult, SupplierStats
from supplysim.sim.sourcing import SourcingRule, build_sourcing
from supplysim.sim.stockout import build_stockout
from supplysim.sim.store import Store
from supplysim.sim.streams import Streams
from supplysim.sim.supplier import Order, Supplier, build_suppliers
from supplysim.sim.trace import TraceRow
from supplysim.sim.waitlist import Goodwill, Waitlist

__all__ = ["Replication", "ReplicationResult", "SupplierStats", "simulate"]


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
        self.rows: list[TraceRow] | None = [] if trace else None
        self._lead_times = lead_times
        self.rule = build_rule(cfg.replenishment)
        self.store = Store(
            self.env,
            cfg,
            self.rule,
            self._supply,
            build_stockout(cfg),
            trace=self.rows,
            waitlist=Waitlist(cfg.store.waitlist) if cfg.store.waitlist is not None else None,
            goodwill=Goodwill(cfg.demand.goodwill) if cfg.demand.goodwill is not None else None,
        )
        self.suppliers = self.store.suppliers
        self.sourcing = self.store.sourcing
        self.counters = self.store.counters
        self.waits = self.store.waits

    def _supply(self, store: StoreView, receive: Callable[[Order], None]) -> tuple[list[Supplier], SourcingRule]:
        """The suppliers (delivering to ``receive``) and the sourcing rule over them (for ``store``)."""
        suppliers = build_suppliers(self.cfg, self.env, self.streams, receive, self.rows, self._lead_times)
        return suppliers, build_sourcing(self.cfg.sourcing, suppliers, store)

    def run(
        self,
        horizon: float,
        warmup: float = 0.0,
        customers: Iterable[Customer] | None = None,
        path: PathWindow | None = None,
    ) -> ReplicationResult:
        """Simulate [0, warmup + horizon), measuring [warmup, warmup + horizon).

        With ``path``, the store's state is also sampled on that window's grid
        (:mod:`supplysim.sim.recorder`).

        Raises:
            AssertionError: if the outcome identity or unit conservation fails.
        """
        env, store, rule = self.env, self.store, self.rule
        end = warmup + horizon
        recorder = PathRecorder(env, store, path) if path is not None else None
        for supplier in self.suppliers:
            if supplier.outages is not None:
                supplier.outages.window_start = warmup
                supplier.outages.window_end = end
        if warmup > 0:
            Timer(env, warmup, WARMUP, lambda ev: store.start_window(env.now))
        else:
            store.measuring = True

        rule.start(env, store)

        stream = iter(customers if customers is not None else CustomerSource(self.cfg, self.streams, end))
        # Two passes over the same stream, so the window's arrivals are counted
        # independently of the store's own counters (checked below).
        boundary: list[Customer] = []

        def before_window() -> Iterator[Customer]:
            for customer in stream:
                if customer[TIME] >= warmup:
                    boundary.append(customer)
                    return
                yield customer

        arrive = store.arrive if store.goodwill is None else store.arrive_if_goodwill
        early = env.run_arrivals(before_window(), arrive, end) if warmup > 0 else 0
        arrivals = env.run_arrivals(itertools.chain(boundary, stream), arrive, end, first=early)
        env.run_before(end, -1)
        env.advance_to(end)
        store.finish(end)
        store.check_invariants(arrivals)
        stats = {
            s.name: SupplierStats(
                s.orders,
                s.units,
                s.cost,
                s.lead_sum,
                s.delayed,
                s.outages.finish(end) if s.outages is not None else None,
            )
            for s in self.suppliers
        }
        return ReplicationResult(
            self.counters,
            self.waits,
            horizon,
            store.on_hand,
            self.rows,
            stats,
            recorder.path() if recorder is not None else None,
        )


def simulate(
    cfg: ModelConfig,
    *,
    seed: int,
    replication: int,
    horizon: float,
    warmup: float = 0.0,
    trace: bool = False,
    path: PathWindow | None = None,
    replay: CustomerReplay | None = None,
) -> ReplicationResult:
    """Run replication ``replication`` of model ``cfg`` over [0, warmup + horizon)
    (``trace``: keep every event; ``path``: sample the state on that window; ``replay``: take
    the customers from it, which draws them once for the policies of one replication – the
    same numbers; not for a network).

    Raises:
        AssertionError: if the outcome identity or unit conservation fails.
    """
    if cfg.network is not None:
        from supplysim.sim.network import NetworkReplication  # it builds on this module

        return NetworkReplication(cfg, seed=seed, replication=replication, trace=trace).run(horizon, warmup, path=path)
    rep = Replication(cfg, seed=seed, replication=replication, trace=trace)
    customers = replay.customers(cfg, rep.streams, warmup + horizon) if replay is not None else None
    return rep.run(horizon, warmup, customers, path)
