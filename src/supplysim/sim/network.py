"""One replication of a supply network: a warehouse and its stores on one clock (``docs/network.md``).

The composition root of a ``network:`` model, as :class:`~supplysim.sim.replication.Replication`
is of a single store: the warehouse (:class:`~supplysim.sim.warehouse.Warehouse`) buys from
the top-level supplier(s), built exactly as a single store's; each store is an unchanged
:class:`~supplysim.sim.store.Store` whose only supplier is a
:class:`~supplysim.sim.warehouse.WarehouseLink`. The stores' customers are merged into one
driver loop in time order (ties: stores in listed order).

Random streams are named by location (``north/arrivals``, ``north/transit``,
``dc/lead_time/supplier``): a store's draws do not depend on which other stores exist or
what they do, so common random numbers hold across policies and across networks.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter

from supplysim.scenario import ModelConfig
from supplysim.scenario import Supplier as SupplierConfig
from supplysim.sim.clock import WARMUP, Clock, Timer
from supplysim.sim.customers import MAX_WAIT, QTY, TIME, Customer, CustomerSource
from supplysim.sim.ports import StockState, StoreView
from supplysim.sim.recorder import LocationsRecorder, PathWindow
from supplysim.sim.replenishment import build_rule
from supplysim.sim.results import ReplicationResult, SupplierStats
from supplysim.sim.sourcing import Single, SourcingRule, build_sourcing
from supplysim.sim.stats import Counters, WaitSketch
from supplysim.sim.stockout import StockoutPolicy, build_stockout
from supplysim.sim.store import Store
from supplysim.sim.streams import Streams
from supplysim.sim.supplier import Order, Supplier, build_suppliers
from supplysim.sim.trace import TraceRow
from supplysim.sim.waitlist import Goodwill, Waitlist
from supplysim.sim.warehouse import (
    NetworkResult,
    Shipment,
    StoreResult,
    Warehouse,
    WarehouseLink,
    WarehouseStats,
)

__all__ = ["NetworkReplication", "Transshipping"]


class _Located(list[TraceRow]):
    """A location's view of the shared trace: every row it appends is tagged with the location."""

    def __init__(self, shared: list[TraceRow], location: str) -> None:
        super().__init__()
        self.shared = shared
        self.location = location

    def append(self, row: TraceRow) -> None:
        self.shared.append(row._replace(note=f"{self.location}: {row.note}" if row.note else self.location))


class Transshipping(StockoutPolicy):
    """Lateral transshipment before the store's own stockout policy (``network.transshipment``).

    A customer the store cannot serve from its own available stock is offered the units from
    another store: the one with the most available units among those that can cover the whole
    request (ties: the store listed first). The customer accepts unless the transshipment time
    exceeds its segment's ``max_wait``; the units leave the other store at once and the customer
    has them after ``time``. Otherwise the store's own policy (backorder or lost sales) applies.
    """

    def __init__(self, inner: StockoutPolicy, name: str, stores: dict[str, Store], time: float) -> None:
        self.inner = inner
        self.name = name
        self.stores = stores
        """Every store of the network, in listed order (filled as they are built)."""
        self.time = time

    def on_shortage(self, store: StoreView, customer: Customer, cid: int) -> None:
        qty = customer[QTY]
        if customer[MAX_WAIT] >= self.time:
            best: tuple[str, Store] | None = None
            for name, other in self.stores.items():
                if name == self.name or other.available < qty:
                    continue
                if best is None or other.available > best[1].available:
                    best = (name, other)
            if best is not None:
                now = customer[TIME]
                best[1].send_lateral(now, cid, qty, self.name)
                self.stores[self.name].sell_lateral(now, cid, qty, best[0], self.time)
                return
        self.inner.on_shortage(store, customer, cid)


class NetworkReplication:
    """The component tree of one network replication: build from the configuration, then :meth:`run`.

    ``lead_times`` replaces the warehouse's first supplier's lead-time draws and ``transit_times``
    (by store) the transit draws, for scripted runs; ``run(customers=...)`` takes each store's customers.
    """

    def __init__(
        self,
        cfg: ModelConfig,
        *,
        seed: int,
        replication: int,
        trace: bool = False,
        lead_times: Iterator[float] | None = None,
        transit_times: dict[str, Iterator[float]] | None = None,
    ) -> None:
        net = cfg.network
        assert net is not None
        self.cfg = cfg
        self.network = net
        self.streams = Streams(seed, replication)
        env = self.env = Clock()
        self.rows: list[TraceRow] | None = [] if trace else None
        w = net.warehouse
        self.warehouse = Warehouse(
            env, w.name, w.replenishment, net.warehouse_initial_stock, w.partial_shipments, self._trace(w.name)
        )
        suppliers = build_suppliers(
            cfg, env, self.streams.located(w.name), self.warehouse.on_delivery, self._trace(w.name), lead_times
        )
        self.warehouse.attach(suppliers, build_sourcing(cfg.sourcing, suppliers, self.warehouse.view()))
        self.direct = net.direct_model()
        """The model of the warehouse's own customers, if it has any."""
        if self.direct is not None:
            self.warehouse.serve_directly(self.direct)
        self.links: dict[str, WarehouseLink] = {}
        self.stores: dict[str, Store] = {}
        self.models: dict[str, ModelConfig] = {}
        scripted = transit_times or {}
        for name, spec in net.stores.items():
            model = self.models[name] = net.store_model(name)
            streams = self.streams.located(name)
            link_cfg = SupplierConfig.model_validate(
                {
                    "name": w.name,
                    "lead_time": spec.transit_time.model_dump(mode="json", by_alias=True),
                    "no_crossing": spec.no_crossing,
                    "unit_cost": spec.transport_cost,
                }
            )
            transit = scripted.get(name) or streams.draws("transit", spec.transit_time)
            self.stores[name] = Store(
                env,
                model,
                build_rule(model.replenishment),
                self._supply(name, link_cfg, transit),
                self._stockout(name, model),
                trace=self._trace(name),
                waitlist=Waitlist(model.store.waitlist) if model.store.waitlist is not None else None,
                goodwill=Goodwill(model.demand.goodwill) if model.demand.goodwill is not None else None,
            )

    def _stockout(self, name: str, model: ModelConfig) -> StockoutPolicy:
        policy = build_stockout(model)
        lateral = self.network.transshipment
        return Transshipping(policy, name, self.stores, lateral.time) if lateral is not None else policy

    def _trace(self, location: str) -> list[TraceRow] | None:
        return _Located(self.rows, location) if self.rows is not None else None

    def _supply(
        self, name: str, link_cfg: SupplierConfig, transit: Iterator[float]
    ) -> Callable[[StoreView, Callable[[Order], None]], tuple[list[Supplier], SourcingRule]]:
        def supply(store: StoreView, receive: Callable[[Order], None]) -> tuple[list[Supplier], SourcingRule]:
            link = WarehouseLink(link_cfg, self.env, receive, transit, self.warehouse, name, self._trace(name))
            self.links[name] = link
            return [link], Single(link)

        return supply

    # ------------------------------------------------------------------ run

    def _start_window(self, now: float) -> None:
        self.warehouse.start_window(now)
        for store in self.stores.values():
            store.start_window(now)  # resets its link too

    def run(
        self,
        horizon: float,
        warmup: float = 0.0,
        customers: dict[str, Iterable[Customer]] | None = None,
        path: PathWindow | None = None,
    ) -> ReplicationResult:
        """Simulate [0, warmup + horizon), measuring [warmup, warmup + horizon) (``path``: sample the
        state of every store and of the warehouse, for the figures).

        Raises:
            AssertionError: if an outcome identity or the network's unit conservation fails.
        """
        env, warehouse = self.env, self.warehouse
        stores = list(self.stores.values())
        end = warmup + horizon
        recorder = None
        if path is not None:
            located: dict[str, StockState] = {**self.stores, warehouse.name: warehouse}
            recorder = LocationsRecorder(env, located, path)
        for supplier in warehouse.suppliers:
            if supplier.outages is not None:
                supplier.outages.window_start = warmup
                supplier.outages.window_end = end
        if warmup > 0:
            Timer(env, warmup, WARMUP, lambda ev: self._start_window(env.now))
        else:
            warehouse.measuring = True
            for store in stores:
                store.measuring = True
            for link in self.links.values():
                link.measuring = True
        warehouse.rule.start(env, warehouse)
        for store in stores:
            store.rule.start(env, store)

        names = list(self.stores)
        models = dict(self.models)
        arrives = [s.arrive if s.goodwill is None else s.arrive_if_goodwill for s in stores]
        if self.direct is not None:  # the warehouse's own customers: one more location, listed last
            names.append(warehouse.name)
            models[warehouse.name] = self.direct
            arrives.append(warehouse.arrive)
        sources: list[Iterable[Customer]] = [
            customers.get(name, ())
            if customers is not None
            else CustomerSource(models[name], self.streams.located(name), end)
            for name in names
        ]
        counts = [0] * len(names)
        merged = itertools.chain.from_iterable(merged_arrivals(sources, warmup, end, counts))
        env.run_routed_arrivals(merged, arrives, end)
        env.run_before(end, -1)
        env.advance_to(end)
        warehouse.finish(end)
        if self.direct is not None and warehouse.counters.customers != counts[-1]:
            raise AssertionError(f"warehouse: {counts[-1]} arrivals, {warehouse.counters.customers} customers")
        for store, n in zip(stores, counts, strict=False):
            store.finish(end)
            store.check_invariants(n)
        warehouse.check()
        self._check_conservation()
        return self._result(horizon, end, recorder)

    def in_transit(self) -> int:
        """Units shipped by the warehouse and not yet at their store."""
        return sum(p.qty for link in self.links.values() for p in link.outstanding if isinstance(p, Shipment))

    def _check_conservation(self) -> None:
        """Initial stock everywhere + received from suppliers = on hand everywhere + in transit + shipped
        to customers."""
        w = self.warehouse
        stores = self.stores.values()
        start = w.initial_stock + sum(s.initial_stock for s in stores)
        on_hand = w.on_hand + sum(s.on_hand for s in stores)
        sold = sum(s.counters.total_shipped for s in stores) + w.total_shipped - w.shipped_to_stores
        moving = self.in_transit()
        if start + w.total_received != on_hand + moving + sold:
            raise AssertionError(
                f"network units not conserved: initial {start} + received {w.total_received} != on hand {on_hand} "
                f"+ in transit {moving} + shipped to customers {sold}"
            )
        if sum(s.counters.total_received for s in stores) != w.shipped_to_stores - moving:
            raise AssertionError("units shipped by the warehouse and received by the stores differ")

    def _result(self, horizon: float, end: float, recorder: LocationsRecorder | None) -> ReplicationResult:
        w = self.warehouse
        paths = recorder.paths() if recorder is not None else None
        per_store = {
            name: StoreResult(
                store.counters,
                store.waits,
                self.links[name].orders,
                self.links[name].units,
                self.links[name].lead_sum,
                self.links[name].completed,
                self.links[name].shipped,
                self.links[name].cost,
            )
            for name, store in self.stores.items()
        }
        waits = WaitSketch()
        for store in self.stores.values():
            waits.add_all(store.waits)
        counters = [s.counters for s in self.stores.values()]
        direct = None
        if self.direct is not None:
            waits.add_all(w.waits)
            counters.append(w.counters)
            direct = StoreResult(w.counters, w.waits, 0, 0, 0.0, 0, 0, 0.0)
        stats = {
            s.name: SupplierStats(
                s.orders, s.units, s.cost, s.lead_sum, s.delayed, s.outages.finish(end) if s.outages else None
            )
            for s in w.suppliers
        }
        return ReplicationResult(
            Counters.total(counters),
            waits,
            horizon,
            w.on_hand + sum(s.on_hand for s in self.stores.values()),
            self.rows,
            stats,
            paths[next(iter(self.stores))] if paths is not None else None,
            NetworkResult(
                per_store,
                WarehouseStats(
                    w.orders,
                    w.filled_at_once,
                    w.delayed_done,
                    w.delay_sum,
                    w.area_on_hand,
                    w.area_backorders,
                    direct,
                ),
            ),
            paths,
        )


MERGE_CHUNK = 1024
"""Customers taken from each location's source at a time by :func:`merged_arrivals`."""

_TIME_KEY = itemgetter(0)


def merged_arrivals(
    sources: Sequence[Iterable[Customer]], warmup: float, end: float, counts: list[int]
) -> Iterator[list[tuple[float, int, Customer]]]:
    """The customers of every location in one time order, in batches of ``(time, location, customer)``.

    The order is that of ``heapq.merge`` over the locations' streams tagged with their index:
    by time, ties by location in listed order, and within one location in its own order. It is
    made a batch at a time: every source's buffer is filled :data:`MERGE_CHUNK` customers at a
    time, the customers before the earliest last buffered time of the sources not yet exhausted
    are taken from every buffer, and sorted (stable, by time and location) in C. Customers at
    that time itself wait for the next batch, so that a later customer of the same instant and
    location cannot be put before an earlier one of another location.

    ``counts[k]`` is raised by the number of location k's customers arriving in [warmup, end),
    counted from the stream itself (independently of the stores' counters).
    """
    streams = [iter(source) for source in sources]
    buffers: list[list[Customer]] = [[] for _ in streams]
    live = list(range(len(streams)))

    def refill(k: int) -> None:
        chunk = list(itertools.islice(streams[k], MERGE_CHUNK))
        if chunk:
            buffers[k].extend(chunk)
        else:
            live.remove(k)

    for k in range(len(streams)):
        refill(k)
    while True:
        cutoff = min((buffers[k][-1][0] for k in live), default=math.inf)
        batch: list[tuple[float, int, Customer]] = []
        for k, buffer in enumerate(buffers):
            if not buffer:
                continue
            j = bisect_left(buffer, cutoff, key=_TIME_KEY)
            if not j:
                continue
            taken = buffer[:j]
            del buffer[:j]
            counts[k] += bisect_left(taken, end, key=_TIME_KEY) - bisect_left(taken, warmup, key=_TIME_KEY)
            batch += [(customer[0], k, customer) for customer in taken]
        batch.sort(key=_TIME_KEY)  # stable: ties keep the location order of the concatenation
        yield batch
        if cutoff == math.inf:
            return
        for k in list(live):
            if not buffers[k] or buffers[k][-1][0] <= cutoff:
                refill(k)
