"""The warehouse of a supply network: stock, its FCFS queue of store orders, and the links to the stores.

The warehouse (``docs/network.md``) keeps, in units:

* ``on_hand`` – physically at the warehouse;
* ``on_order`` – ordered from its supplier(s) and not yet delivered;
* ``backordered`` – units owed to stores: ordered by a store, not yet shipped.

Its inventory position is IP₀ = on_hand + on_order − backordered (Axsäter 2015, §5.3),
and its replenishment rule works on it exactly as a store's does. Store orders are
served **first come, first served**: an order ships whole as soon as the units are on
hand and every earlier order has shipped; with ``partial_shipments`` the head of the
queue takes whatever is on hand and waits for the rest. Nobody overtakes: while an
order waits, a later one waits too, even if it is smaller.

A store sees the warehouse through a :class:`WarehouseLink`, a
:class:`~supplysim.sim.supplier.Supplier` whose ``place`` sends the order to the
warehouse and whose deliveries are the shipments, each reaching the store after its own
transit-time draw (crossing allowed unless ``no_crossing``). Everything runs on
callbacks and events of the clock; no process per order.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np

from supplysim.scenario import ModelConfig, Replenishment
from supplysim.scenario import Supplier as SupplierConfig
from supplysim.sim.clock import DELIVERY, Clock, Timer, always_ok
from supplysim.sim.customers import QTY, SEGMENT, TIME, Customer
from supplysim.sim.ports import StoreView
from supplysim.sim.quotes import Outlook
from supplysim.sim.replenishment import build_rule
from supplysim.sim.sourcing import SourcingRule
from supplysim.sim.stats import Counters, WaitSketch
from supplysim.sim.stockout import StockoutPolicy, build_stockout, give_up_timer
from supplysim.sim.supplier import Order, Supplier, residual_lead_time
from supplysim.sim.trace import NO_WAIT, Event, Trace, TraceRow

__all__ = ["NetworkResult", "Shipment", "StoreOrder", "StoreResult", "Warehouse", "WarehouseLink", "WarehouseStats"]


class StoreOrder:
    """A store's order at the warehouse: ``qty`` is the units not yet shipped (the link's on-order share)."""

    __slots__ = ("arrived", "counted", "id", "in_transit", "link", "ordered", "qty")

    def __init__(self, link: WarehouseLink, id: int, qty: int, arrived: float, counted: bool) -> None:
        self.link = link
        self.id = id
        self.ordered = qty
        """Units ordered."""
        self.qty = qty
        """Units not yet shipped by the warehouse."""
        self.arrived = arrived
        """When the order reached the warehouse (= placed: orders travel instantly)."""
        self.in_transit = 0
        """Shipments of this order on their way to the store."""
        self.counted = counted
        """Placed inside the measured window."""

    alive = True
    """A store order never gives up (the queue's entries share this flag with :class:`DirectOrder`)."""


class DirectOrder:
    """One of the warehouse's own customers waiting in its FCFS queue (with the store orders)."""

    __slots__ = ("alive", "arrived", "counted", "id", "qty")

    def __init__(self, id: int, arrived: float, qty: int, counted: bool) -> None:
        self.id = id
        self.arrived = arrived
        self.qty = qty
        """Units not yet shipped."""
        self.counted = counted
        self.alive = True
        """False once served, cancelled or expired (the queue drops dead entries lazily)."""


@always_ok
class Shipment(Order):
    """Units of one store order travelling from the warehouse to the store (its arrival event).

    Built without a constructor call (:func:`~supplysim.sim.clock.always_ok`): ``callbacks``,
    ``supplier``, ``id``, ``qty``, ``received``, ``placed`` and ``due`` are set, ``start`` is not
    (a shipment starts when it is placed: :meth:`WarehouseLink.outlook` reads ``placed``).
    """

    __slots__ = ("request",)

    request: StoreOrder
    """The store order it belongs to (not set on a whole order shipped at once, :meth:`WarehouseLink.place`)."""


_new_shipment = Shipment.__new__


class WarehouseLink(Supplier):
    """The warehouse as one store's supplier: orders go to the warehouse, shipments come back after transit.

    Window statistics: ``orders``/``units`` (placed by the store), ``lead_sum``/``completed``
    (realised warehouse → store lead time, wait + transit, of the window's orders whose last
    unit has arrived), ``shipped`` (units that left the warehouse for this store; the transport
    cost is charged on these).
    """

    def __init__(
        self,
        cfg: SupplierConfig,
        env: Clock,
        on_delivery: Callable[[Order], None],
        transit_times: Iterator[float],
        warehouse: Warehouse,
        store_name: str,
        trace: Trace | None = None,
    ) -> None:
        super().__init__(cfg, env, on_delivery, transit_times, trace=trace)
        self.warehouse = warehouse
        self.store_name = store_name
        self.transport_cost = cfg.unit_cost
        self.measuring = False
        self._store_receive = on_delivery
        self._push = env.push
        self._ids = env.event_ids
        self._whole_arrived: Callable[[Order], None] = self._on_whole_arrival
        self._measured_callbacks: list[Callable[[Order], None]] = [self._whole_arrived, on_delivery]
        """The callbacks of every whole shipment of the window, one list shared by all (as
        :attr:`Supplier._callbacks` before the window)."""
        warehouse.links.append(self)

    def reset_window(self) -> None:
        super().reset_window()
        self.completed = 0
        self.shipped = 0
        self.measuring = True

    @property
    def cost(self) -> float:
        """Transport cost of the window: transport_cost × units shipped to the store."""
        return self.transport_cost * self.shipped

    def place(self, now: float, qty: int) -> None:  # type: ignore[override]
        """The store orders ``qty`` units: the order reaches the warehouse at once.

        If nobody waits there and the warehouse has the units, the order ships whole at once
        (FCFS: the warehouse's rule, :meth:`Warehouse.receive_order`). That is the hot path of a
        network – one store order per customer under base stock – so it is done here, in one
        frame: the warehouse's books, the shipment (after one transit-time draw) and the
        warehouse's continuous review, in that order. No :class:`StoreOrder` is made: the
        shipment is the whole order. Otherwise the warehouse queues the order.
        """
        ident = self._next_id
        self._next_id = ident + 1
        self.units += qty
        if self.trace is not None:
            self.trace.append(TraceRow(now, Event.ORDER, ident, qty, NO_WAIT, f"to {self.warehouse.name}", self.name))
        w = self.warehouse
        on_hand = w.on_hand
        if w.backordered or on_hand < qty:
            w.receive_order(now, self, ident, qty, self.measuring)
            return
        dt = now - w.t_last  # the warehouse's books (its counts of store orders are derived: Warehouse.orders)
        if dt > 0.0:  # nobody waits: only the on-hand integral moves
            w.area_on_hand += on_hand * dt
            w.t_last = now
        on_hand = w.on_hand = on_hand - qty
        w.total_shipped += qty
        w.shipped_to_stores += qty
        if w.trace is not None:
            w.log(now, Event.SHIP, ident, qty, f"to {self.store_name}")
        due = now + next(self._lead)  # the shipment: dispatch, inlined
        if self._no_crossing:
            due = max(due, self._last_due)
            self._last_due = due
        shipment = _new_shipment(Shipment)
        if self.measuring:
            shipment.callbacks = self._measured_callbacks
            self.shipped += qty
        else:
            shipment.callbacks = self._callbacks
        shipment.supplier = self
        shipment.id = ident
        shipment.qty = shipment.received = qty
        shipment.placed = now
        shipment.due = due
        self._push((due, DELIVERY, next(self._ids), shipment))
        self.outstanding[shipment] = None
        ip = on_hand + w.on_order  # the warehouse's review_position and replenish, inlined
        if ip <= w.trigger:
            up_to = w._up_to
            order = up_to - ip if up_to is not None else w._order_size(ip)
            if order > 0:
                w._place(now, order)
                w.on_order += order

    def _on_whole_arrival(self, event: Order) -> None:
        """A whole order of the window, shipped at once, has reached the store: its lead time is this shipment's."""
        del self.outstanding[event]
        self.completed += 1
        self.lead_sum += event.due - event.placed

    def dispatch(self, now: float, request: StoreOrder, qty: int) -> None:
        """The warehouse ships ``qty`` units of ``request``: they arrive after one transit-time draw."""
        due = now + next(self._lead)
        if self._no_crossing:
            due = max(due, self._last_due)
            self._last_due = due
        left = request.qty = request.qty - qty
        request.in_transit += 1
        if not left:
            self.outstanding.pop(request, None)  # type: ignore[call-overload]
        shipment = _new_shipment(Shipment)
        shipment.callbacks = [self._arrived, self._store_receive]
        shipment.supplier = self
        shipment.id = request.id
        shipment.qty = shipment.received = qty
        shipment.placed = now
        shipment.due = due
        shipment.request = request
        self._push((due, DELIVERY, next(self._ids), shipment))
        self.outstanding[shipment] = None
        if self.measuring:
            self.shipped += qty

    def _arrived(self, event: Order) -> None:
        shipment = cast(Shipment, event)
        del self.outstanding[shipment]
        request = shipment.request
        request.in_transit -= 1
        if not request.qty and not request.in_transit and request.counted:
            self.completed += 1
            self.lead_sum += shipment.due - request.arrived

    def outlook(self, now: float, when: float) -> Outlook:
        """Estimated arrivals at the store of its outstanding units, and of a new order placed at ``when``.

        In transit: now + the mean residual transit time given its age (as for a supplier).
        Still at the warehouse: now + the warehouse's expected delay for it
        (:meth:`Warehouse.expected_delay`) + the mean transit time. A new order: when + the
        expected delay of one more unit + the mean transit time. With ``no_crossing``, each
        estimate is at least the previous one.
        """
        residual = self._residual
        if residual is None:
            residual = self._residual = residual_lead_time(self.cfg.lead_time)
        mean_transit = self.cfg.lead_time.mean
        delays = self.warehouse.expected_delays(now)
        times: list[float] = []
        units: list[int] = []
        for piece in self.outstanding:
            if isinstance(piece, Shipment):
                times.append(now + residual(now - piece.placed))
            else:
                times.append(now + delays.get(cast(StoreOrder, piece), 0.0) + mean_transit)
            units.append(piece.qty)
        if self._no_crossing:
            times = list(itertools.accumulate(times, max))  # each estimate at least the previous one
        new = max(when, now + self.warehouse.expected_delay_of_new(now, 1)) + mean_transit
        return Outlook(times, units, new)


class Warehouse:
    """Stock, the FCFS queue of store orders, and the rule that buys from the outside supplier(s)."""

    def __init__(
        self,
        env: Clock,
        name: str,
        replenishment: Replenishment,
        initial_stock: int,
        partial: bool,
        trace: Trace | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.rule = build_rule(replenishment)
        self.trigger = self.rule.trigger
        self._order_size = self.rule.order_size
        self._up_to = self.rule.up_to
        self.partial = partial
        self.trace = trace
        self.initial_stock = initial_stock
        self.on_hand = initial_stock
        self.on_order = 0
        self.backordered = 0
        self.queue: deque[StoreOrder | DirectOrder] = deque()
        self.waiting = 0
        """Live entries of the queue: store orders and the warehouse's own customers waiting."""
        self.suppliers: list[Supplier] = []
        self.sourcing: SourcingRule | None = None
        self.links: list[WarehouseLink] = []
        """The stores' links (each adds itself): every store order is numbered by its link."""
        self.total_received = 0
        self.total_shipped = 0
        """Units shipped over the run, to stores and to the warehouse's own customers."""
        self.shipped_to_stores = 0
        self.counters = Counters()
        """The warehouse's own customers (without them, all zero)."""
        self.waits = WaitSketch()
        self.direct: StockoutPolicy | None = None
        self.direct_partial = False
        self.expire_after = math.inf
        self.direct_owed = 0
        """Units owed to the warehouse's own waiting customers (part of ``backordered``)."""
        self.t_last = 0.0
        self.measuring = False
        self.reset_window()

    def serve_directly(self, cfg: ModelConfig) -> None:
        """The warehouse also has its own customers (web orders), with ``cfg``'s stockout rules."""
        self.direct = build_stockout(cfg)
        self.direct_partial = cfg.store.partial_shipments
        self.expire_after = cfg.store.expire_after if cfg.store.expire_after is not None else math.inf

    def attach(self, suppliers: list[Supplier], sourcing: SourcingRule) -> None:
        """The outside supplier(s) (delivering to :meth:`on_delivery`) and the sourcing rule over them."""
        self.suppliers = suppliers
        self.sourcing = sourcing
        self._place = sourcing.place

    # ------------------------------------------------------------------ as the sourcing rules see it

    @property
    def available(self) -> int:
        """Units on hand that nobody waits for (all of them when nobody waits, else 0: FCFS)."""
        return self.on_hand if not self.backordered else 0

    @property
    def tracing(self) -> bool:
        return self.trace is not None

    def view(self) -> StoreView:
        """The warehouse as the sourcing rules see a stocking point (expedite reads ``waiting`` and ``quote``)."""
        return cast(StoreView, self)

    # ------------------------------------------------------------------ bookkeeping

    @property
    def inventory_position(self) -> int:
        """IP₀ = on_hand + on_order − backordered [units]."""
        return self.on_hand + self.on_order - self.backordered

    def reset_window(self) -> None:
        """Zero the window statistics (at the end of the warm-up)."""
        self.waited = 0
        """Store orders of the window that could not ship whole at arrival."""
        self.done_after_wait = 0
        """Of those, orders whose last unit has left the warehouse."""
        self.delay_sum = 0.0
        """Their total delay at the warehouse [time]."""
        self.area_on_hand = 0.0
        self.area_backorders = 0.0

    @property
    def orders(self) -> int:
        """Store orders that arrived in the window: the orders the links numbered in it."""
        return sum(link.orders for link in self.links)

    @property
    def filled_at_once(self) -> int:
        """Store orders of the window shipped whole at arrival."""
        return self.orders - self.waited

    @property
    def delayed_done(self) -> int:
        """Store orders of the window whose last unit has left the warehouse (at once or after a wait)."""
        return self.filled_at_once + self.done_after_wait

    def start_window(self, now: float) -> None:
        self._integrate(now)
        self.reset_window()
        self.counters.reset_window()
        self.waits.reset()
        for supplier in self.suppliers:
            supplier.reset_window()
        self.measuring = True

    def _integrate(self, now: float) -> None:
        dt = now - self.t_last
        if dt > 0.0:
            self.area_on_hand += self.on_hand * dt
            self.area_backorders += (self.backordered - self.direct_owed) * dt
            if self.direct is not None:
                c = self.counters
                c.area_backorders += self.direct_owed * dt
                if self.on_hand == 0:
                    c.stockout_time += dt
            self.t_last = now

    def log(self, now: float, event: Event, ident: int, qty: int, note: str = "") -> None:
        if self.trace is not None:
            self.trace.append(TraceRow(now, event, ident, qty, NO_WAIT, note, self.name))

    # ------------------------------------------------------------------ store orders

    def receive_order(self, now: float, link: WarehouseLink, ident: int, qty: int, counted: bool) -> None:
        """Store order ``ident`` of ``qty`` units from ``link``'s store arrives (``counted``: placed in the
        window) and cannot ship whole at once (someone waits, or too little on hand): it waits, FCFS,
        shipping what it can at once under partial shipments.

        An order that can ship whole at once is shipped by its link (:meth:`WarehouseLink.place`,
        the network's hot path) without coming here.
        """
        if counted:
            self.waited += 1
        request = StoreOrder(link, ident, qty, now, counted)
        self._integrate(now)
        first = not self.backordered
        self.backordered += qty
        self.waiting += 1
        self.queue.append(request)
        request.link.outstanding[request] = None  # type: ignore[index]
        self.log(now, Event.BACKORDER, request.id, qty, f"{request.link.store_name} order waits")
        if first and self.on_hand > 0:
            self._allocate(now)
        self.review_position(now)

    def _ship(self, now: float, request: StoreOrder, qty: int) -> None:
        self.on_hand -= qty
        self.total_shipped += qty
        self.shipped_to_stores += qty
        self.log(now, Event.SHIP, request.id, qty, f"to {request.link.store_name}")
        request.link.dispatch(now, request, qty)

    def _allocate(self, now: float) -> None:
        """Ship to the queue in FCFS order as stock allows (dead entries are dropped as they are met)."""
        queue = self.queue
        while queue and self.on_hand > 0:
            head = queue[0]
            if not head.alive:
                queue.popleft()
                continue
            direct = isinstance(head, DirectOrder)
            if head.qty > self.on_hand:
                if not (self.direct_partial if direct else self.partial):
                    return
                n = self.on_hand
                self.backordered -= n
                if isinstance(head, DirectOrder):
                    self._ship_direct(now, head, n)
                else:
                    self._ship(now, head, n)
                return
            n = head.qty
            self.backordered -= n
            self.waiting -= 1
            queue.popleft()
            if isinstance(head, DirectOrder):
                self._ship_direct(now, head, n)
                continue
            if head.counted:
                self.done_after_wait += 1
                self.delay_sum += now - head.arrived
            self._ship(now, head, n)
        while queue and not queue[0].alive:
            queue.popleft()

    # ------------------------------------------------------------------ the warehouse's own customers

    def arrive(self, customer: Customer, cid: int) -> None:
        """One of the warehouse's own customers arrives: served at once if nobody waits and on hand
        covers it (FCFS with the store orders), else the stockout policy of its model."""
        now = customer[TIME]
        qty = customer[QTY]
        self._integrate(now)
        c = self.counters
        self.log(now, Event.ARRIVE, cid, qty, f"segment {customer[SEGMENT]}")
        if not self.backordered and self.on_hand >= qty:
            self.on_hand -= qty
            self.total_shipped += qty
            c.served_immediately += 1
            c.immediate_units += qty
            self.log(now, Event.SHIP, cid, qty, "served immediately")
            self.review_position(now)
            return
        assert self.direct is not None
        self.direct.on_shortage(self.view(), customer, cid)

    def _ship_direct(self, now: float, entry: DirectOrder, qty: int) -> None:
        self.on_hand -= qty
        self.total_shipped += qty
        entry.qty -= qty
        self.direct_owed -= qty
        self.counters.shipped_from_queue += qty
        if entry.qty:
            self.log(now, Event.SHIP, entry.id, qty, "partial shipment")
            return
        entry.alive = False
        wait = now - entry.arrived
        if entry.counted:
            self.counters.served_after_wait += 1
            self.waits.add(wait)
        if self.trace is not None:
            note = f"served after waiting {wait:g}"
            self.trace.append(TraceRow(now, Event.SHIP, entry.id, qty, wait, note, self.name))

    def quote(self, now: float, qty: int) -> float:
        """The wait quoted to a new customer of the warehouse (or the expedite rule's view) [time]."""
        return self.expected_delay_of_new(now, qty)

    def lose(self, now: float, cid: int, qty: int, why: str) -> None:
        self.counters.lost += 1
        self.counters.lost_units += qty
        self.log(now, Event.LOST, cid, qty, why)

    def turn_away(self, customer: Customer, cid: int, why: str) -> None:
        self.lose(customer[TIME], cid, customer[QTY], why)

    def backorder(self, now: float, cid: int, qty: int, patience: float) -> None:
        """The customer joins the warehouse's FCFS queue, behind every store order already there."""
        c = self.counters
        entry = DirectOrder(cid, now, qty, self.measuring)
        c.backordered += 1
        c.backordered_units += qty
        first = not self.backordered
        self.backordered += qty
        self.direct_owed += qty
        self.waiting += 1
        self.queue.append(entry)
        self.log(now, Event.BACKORDER, cid, qty, "")
        if first and self.direct_partial and self.on_hand > 0:
            n = self.on_hand
            self.on_hand -= n
            self.total_shipped += n
            entry.qty -= n
            self.backordered -= n
            self.direct_owed -= n
            c.partial_units += n
            self.log(now, Event.SHIP, cid, n, "partial shipment")
        give_up_timer(self.env, patience, self.expire_after, self._on_give_up, entry)
        self.review_position(now)

    def _on_give_up(self, event: Timer) -> None:
        entry: DirectOrder
        entry, cancelled = event.item
        if not entry.alive:
            return
        now = self.env.now
        self._integrate(now)
        entry.alive = False
        self.waiting -= 1
        self.backordered -= entry.qty
        self.direct_owed -= entry.qty
        if entry.counted:
            self.counters.count_give_up(cancelled, entry.qty)
        self.log(now, Event.CANCEL if cancelled else Event.EXPIRE, entry.id, entry.qty, "")
        self._allocate(now)  # the entry may have held up the queue
        self.review_position(now)

    def ship_recovered(self, now: float, cid: int, qty: int, counted: bool) -> None:
        raise AssertionError("the warehouse's own customers have no waitlist (refused by the scenario)")

    def count_waitlist_join(self) -> None:
        raise AssertionError("the warehouse's own customers have no waitlist (refused by the scenario)")

    def expected_delays(self, now: float) -> dict[StoreOrder | DirectOrder, float]:
        """Expected remaining wait at the warehouse of each queued order [time]: the order's last unit
        is the k-th still to arrive, k = (units owed up to and including it) − on hand, and arrives
        when the warehouse's outstanding orders bring it (the rule of
        :func:`~supplysim.sim.quotes.quoted_wait`, for the whole queue at once)."""
        live = [r for r in self.queue if r.alive]
        if not live:
            return {}
        needs = np.cumsum([r.qty for r in live]) - self.on_hand
        return dict(zip(live, self._arrivals(now, needs).tolist(), strict=True))

    def expected_delay_of_new(self, now: float, qty: int) -> float:
        """Expected wait at the warehouse of a new store order of ``qty`` units [time]."""
        need = self.backordered + qty - self.on_hand
        if need <= 0:
            return 0.0
        return float(self._arrivals(now, np.array([need]))[0])

    def _arrivals(self, now: float, needs: np.ndarray) -> np.ndarray:
        """Expected time until the ``needs``-th units still to arrive are here (0 for needs ≤ 0) [time]."""
        when = self.rule.next_order_time(now)
        outlooks = [s.outlook(now, when) for s in self.suppliers]
        assert self.sourcing is not None
        new = outlooks[self.suppliers.index(self.sourcing.quote_supplier(now))].new_arrival
        times = np.array([t for o in outlooks for t in o.times], dtype=float)
        units = np.array([u for o in outlooks for u in o.units], dtype=np.int64)
        order = np.argsort(times, kind="stable")
        covered = np.cumsum(units[order])
        idx = np.searchsorted(covered, needs)
        sorted_times = np.append(times[order], new)
        out = sorted_times[np.minimum(idx, len(order))] - now
        return np.where(needs <= 0, 0.0, out)

    # ------------------------------------------------------------------ replenishment

    def review_position(self, now: float) -> None:
        ip = self.on_hand + self.on_order - self.backordered
        if ip <= self.trigger:
            self.replenish(now, ip)

    def replenish(self, now: float, ip: int) -> None:
        qty = self._order_size(ip)
        if qty <= 0:
            return
        self._place(now, qty)
        self.on_order += qty

    def review(self, now: float) -> None:
        ip = self.inventory_position
        self.log(now, Event.REVIEW, -1, ip)
        self.replenish(now, ip)

    def on_delivery(self, order: Order) -> None:
        """An outside supplier's order arrives: stock up, ship to the queue."""
        now = order.due
        dt = now - self.t_last
        if dt > 0.0:
            if self.backordered or self.direct is not None:
                self._integrate(now)
            else:  # nobody waits: only the on-hand integral moves (_integrate, inlined on this hot path)
                self.area_on_hand += self.on_hand * dt
                self.t_last = now
        received = order.received
        self.on_hand += received
        self.on_order -= order.qty
        self.total_received += received
        if self.trace is not None:
            self.log(now, Event.DELIVER, order.id, received, "" if received == order.qty else f"{order.qty} ordered")
        if self.queue:
            self._allocate(now)
        if received != order.qty:
            self.review_position(now)

    # ------------------------------------------------------------------ end

    def finish(self, now: float) -> None:
        """Close the window: integrals up to ``now``, own customers still waiting counted as pending."""
        self._integrate(now)
        c = self.counters
        for entry in self.queue:
            if isinstance(entry, DirectOrder) and entry.alive and entry.counted:
                c.pending += 1
                c.pending_units += entry.qty

    def check(self) -> None:
        """Raise :class:`AssertionError` if the warehouse's books do not balance."""
        if self.initial_stock + self.total_received != self.on_hand + self.total_shipped:
            raise AssertionError(
                f"warehouse units not conserved: initial {self.initial_stock} + received {self.total_received} != "
                f"on hand {self.on_hand} + shipped {self.total_shipped}"
            )
        live = [r for r in self.queue if r.alive]
        if sum(r.qty for r in live) != self.backordered or len(live) != self.waiting or self.on_hand < 0:
            raise AssertionError("warehouse queue bookkeeping broken")
        if live and self.on_hand >= live[0].qty:
            raise AssertionError("an order waits while the warehouse holds its units")
        c = self.counters
        outcomes = c.served_immediately + c.served_after_wait + c.lost + c.cancelled + c.expired + c.pending
        if outcomes != c.customers:
            raise AssertionError(f"warehouse customers: {c.customers} customers, {outcomes} outcomes")
        if self.on_order != sum(o.qty for s in self.suppliers for o in s.outstanding):
            raise AssertionError("warehouse on-order bookkeeping broken")


@dataclass(frozen=True)
class StoreResult:
    """One store's window: its own counters and waits, and its orders to the warehouse."""

    counters: Counters
    waits: WaitSketch
    orders: int
    """Orders the store placed with the warehouse in the window."""
    units: int
    """Units it ordered."""
    lead_sum: float
    """Sum of the realised warehouse → store lead times (wait + transit) of the window's completed orders [time]."""
    completed: int
    """Orders of the window whose last unit reached the store."""
    shipped: int
    """Units the warehouse shipped to it in the window."""
    transport: float
    """Transport cost of those units [money]."""


@dataclass(frozen=True)
class WarehouseStats:
    """The warehouse's window."""

    orders: int
    """Store orders that arrived in the window."""
    filled_at_once: int
    """Of those, shipped whole at arrival."""
    done: int
    """Of those, shipped completely by the end of the window."""
    delay_sum: float
    """Their total wait at the warehouse [time]."""
    area_on_hand: float
    """∫ on_hand dt [unit·time]."""
    area_backorders: float
    """∫ units owed to stores dt [unit·time]."""
    direct: StoreResult | None = None
    """The warehouse's own customers (``network.warehouse.demand``), if any."""


@dataclass(frozen=True)
class NetworkResult:
    """What a network replication adds to a :class:`~supplysim.sim.replication.ReplicationResult`."""

    stores: dict[str, StoreResult]
    warehouse: WarehouseStats
