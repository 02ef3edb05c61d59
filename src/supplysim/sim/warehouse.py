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

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np

from supplysim.scenario import Replenishment
from supplysim.scenario import Supplier as SupplierConfig
from supplysim.sim.clock import Clock
from supplysim.sim.ports import StoreView
from supplysim.sim.quotes import Outlook
from supplysim.sim.replenishment import build_rule
from supplysim.sim.sourcing import SourcingRule
from supplysim.sim.stats import Counters, WaitSketch
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


class Shipment(Order):
    """Units of one store order travelling from the warehouse to the store (its arrival event)."""

    request: StoreOrder


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
        """The store orders ``qty`` units: the order joins the warehouse's queue at once."""
        ident = self._next_id
        self._next_id = ident + 1
        self.units += qty
        request = StoreOrder(self, ident, qty, now, self.measuring)
        self.outstanding[request] = None  # type: ignore[index]
        if self.trace is not None:
            self.trace.append(TraceRow(now, Event.ORDER, ident, qty, NO_WAIT, f"to {self.warehouse.name}", self.name))
        self.warehouse.receive_order(now, request)

    def dispatch(self, now: float, request: StoreOrder, qty: int) -> None:
        """The warehouse ships ``qty`` units of ``request``: they arrive after one transit-time draw."""
        due = now + next(self._lead)
        if self._no_crossing:
            due = max(due, self._last_due)
            self._last_due = due
        request.qty -= qty
        request.in_transit += 1
        if not request.qty:
            del self.outstanding[request]  # type: ignore[arg-type]
        shipment = Shipment(self._env, self._arrived, self._store_receive, self, request.id, qty, qty, now, now, due)
        shipment.request = request
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
                times.append(now + residual(now - piece.start))
            else:
                times.append(now + delays.get(cast(StoreOrder, piece), 0.0) + mean_transit)
            units.append(piece.qty)
        t = np.asarray(times, dtype=float)
        if self._no_crossing and len(t):
            t = np.maximum.accumulate(t)
        new = max(when, now + self.warehouse.expected_delay_of_new(now, 1)) + mean_transit
        return Outlook(t, np.asarray(units, dtype=np.int64), new)


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
        self.partial = partial
        self.trace = trace
        self.initial_stock = initial_stock
        self.on_hand = initial_stock
        self.on_order = 0
        self.backordered = 0
        self.queue: deque[StoreOrder] = deque()
        self.suppliers: list[Supplier] = []
        self.sourcing: SourcingRule | None = None
        self.total_received = 0
        self.total_shipped = 0
        self.t_last = 0.0
        self.measuring = False
        self.reset_window()

    def attach(self, suppliers: list[Supplier], sourcing: SourcingRule) -> None:
        """The outside supplier(s) (delivering to :meth:`on_delivery`) and the sourcing rule over them."""
        self.suppliers = suppliers
        self.sourcing = sourcing
        self._place = sourcing.place

    # ------------------------------------------------------------------ as the sourcing rules see it

    @property
    def waiting(self) -> int:
        """Store orders waiting at the warehouse."""
        return len(self.queue)

    @property
    def available(self) -> int:
        return self.on_hand if not self.queue else 0

    def quote(self, now: float, qty: int) -> float:
        """Expected delay of a new store order of ``qty`` units [time] (the expedite rule reads it)."""
        return self.expected_delay_of_new(now, qty)

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
        self.orders = 0
        """Store orders that arrived in the window."""
        self.filled_at_once = 0
        """Of those, orders shipped whole at arrival."""
        self.delayed_done = 0
        """Orders of the window whose last unit has left the warehouse."""
        self.delay_sum = 0.0
        """Their total delay at the warehouse [time]."""
        self.area_on_hand = 0.0
        self.area_backorders = 0.0

    def start_window(self, now: float) -> None:
        self._integrate(now)
        self.reset_window()
        for supplier in self.suppliers:
            supplier.reset_window()
        self.measuring = True

    def _integrate(self, now: float) -> None:
        dt = now - self.t_last
        if dt > 0.0:
            self.area_on_hand += self.on_hand * dt
            self.area_backorders += self.backordered * dt
            self.t_last = now

    def log(self, now: float, event: Event, ident: int, qty: int, note: str = "") -> None:
        if self.trace is not None:
            self.trace.append(TraceRow(now, event, ident, qty, NO_WAIT, note, self.name))

    # ------------------------------------------------------------------ store orders

    def receive_order(self, now: float, request: StoreOrder) -> None:
        """A store order arrives: ship it now if it can go whole (or in part), else it waits (FCFS)."""
        self._integrate(now)
        counted = request.counted
        if counted:
            self.orders += 1
        qty = request.qty
        if not self.queue and self.on_hand >= qty:
            if counted:
                self.filled_at_once += 1
                self.delayed_done += 1
            self._ship(now, request, qty)
        else:
            self.backordered += qty
            self.queue.append(request)
            self.log(now, Event.BACKORDER, request.id, qty, f"{request.link.store_name} order waits")
            if self.partial and len(self.queue) == 1 and self.on_hand > 0:
                self._allocate(now)
        self.review_position(now)

    def _ship(self, now: float, request: StoreOrder, qty: int) -> None:
        self.on_hand -= qty
        self.total_shipped += qty
        self.log(now, Event.SHIP, request.id, qty, f"to {request.link.store_name}")
        request.link.dispatch(now, request, qty)

    def _allocate(self, now: float) -> None:
        """Ship to the queue in FCFS order as stock allows."""
        queue = self.queue
        while queue and self.on_hand > 0:
            head = queue[0]
            if head.qty > self.on_hand:
                if not self.partial:
                    return
                n = self.on_hand
                self.backordered -= n
                self._ship(now, head, n)
                return
            n = head.qty
            self.backordered -= n
            queue.popleft()
            if head.counted:
                self.delayed_done += 1
                self.delay_sum += now - head.arrived
            self._ship(now, head, n)

    def expected_delays(self, now: float) -> dict[StoreOrder, float]:
        """Expected remaining wait at the warehouse of each queued order [time]: the order's last unit
        is the k-th still to arrive, k = (units owed up to and including it) − on hand, and arrives
        when the warehouse's outstanding orders bring it (the rule of
        :func:`~supplysim.sim.quotes.quoted_wait`, for the whole queue at once)."""
        if not self.queue:
            return {}
        needs = np.cumsum([r.qty for r in self.queue]) - self.on_hand
        return dict(zip(self.queue, self._arrivals(now, needs).tolist(), strict=True))

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
        times = np.concatenate([o.times for o in outlooks]) if len(outlooks) > 1 else outlooks[0].times
        units = np.concatenate([o.units for o in outlooks]) if len(outlooks) > 1 else outlooks[0].units
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
        qty = self.rule.order_size(ip)
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
        self._integrate(now)
        received = order.received
        self.on_hand += received
        self.on_order -= order.qty
        self.total_received += received
        self.log(now, Event.DELIVER, order.id, received, "" if received == order.qty else f"{order.qty} ordered")
        if self.queue:
            self._allocate(now)
        if received != order.qty:
            self.review_position(now)

    # ------------------------------------------------------------------ end

    def finish(self, now: float) -> None:
        self._integrate(now)

    def check(self) -> None:
        """Raise :class:`AssertionError` if the warehouse's books do not balance."""
        if self.initial_stock + self.total_received != self.on_hand + self.total_shipped:
            raise AssertionError(
                f"warehouse units not conserved: initial {self.initial_stock} + received {self.total_received} != "
                f"on hand {self.on_hand} + shipped {self.total_shipped}"
            )
        if sum(r.qty for r in self.queue) != self.backordered or self.on_hand < 0:
            raise AssertionError("warehouse queue bookkeeping broken")
        if self.queue and not self.partial and self.on_hand >= self.queue[0].qty:
            raise AssertionError("a store order waits while the warehouse holds its units")
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


@dataclass(frozen=True)
class NetworkResult:
    """What a network replication adds to a :class:`~supplysim.sim.replication.ReplicationResult`."""

    stores: dict[str, StoreResult]
    warehouse: WarehouseStats
