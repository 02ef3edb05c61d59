"""When will an order arrive? A supplier's orders, capacity, outages and estimates.

Three capacity models (``docs/model.md``):

* unlimited (default): arrival = placement + L, independently, so orders may cross;
* ``servers: n``: orders are processed first come first served by n servers, each
  order's lead time being its processing time. Its start is
  max(placement, earliest free server), known at placement (the Kiefer–Wolfowitz
  recursion for FIFO multi-server queues), so one event per order suffices;
* ``no_crossing``: arrival = max(own arrival, previous order's arrival).

A supplier is built whole: the clock, the store's receiving dock and the trace
are given to its constructor. For quotes it returns one :class:`Outlook
<supplysim.sim.quotes.Outlook>` snapshot (:meth:`Supplier.outlook`): when each
outstanding order, and one more order, is estimated to arrive, given what the
store can see at that moment (``docs/model.md``, "Quoted wait"):

* with ``quoted_lead_time`` set, the supplier's promise: placement (or service
  start) + quoted lead time, and "any moment now" once overdue;
* otherwise the conditional expectation given that the order has not arrived
  yet: now + m(age), with m the mean residual life of the lead-time law
  (E[L − a | L > a]); orders still queued at a ``servers`` supplier start when
  a server is expected to free up and then take the mean lead time;
* with ``no_crossing``, each estimate is at least the previous order's;
* outages are not foreseen: the store quotes as if the supplier stayed up.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterator

import numpy as np

from supplysim.scenario import ModelSections
from supplysim.scenario import Supplier as SupplierConfig
from supplysim.scenario.distributions import ContinuousDistribution
from supplysim.sim.clock import DELIVERY, Clock, Scheduled, always_ok
from supplysim.sim.outages import OutageSchedule
from supplysim.sim.quotes import Outlook
from supplysim.sim.streams import Streams
from supplysim.sim.trace import NO_WAIT, Trace, TraceRow
from supplysim.sim.trace import Event as TraceEvent

__all__ = ["Order", "ResidualLeadTime", "Supplier", "UnlimitedSupplier", "build_supplier", "build_suppliers"]


class ResidualLeadTime:
    """m(a) = E[L − a | L > a] of a lead-time law, tabulated and interpolated linearly.

    Ages are tabulated evenly up to the median (257 points) and geometrically
    from there to the 0.9999 quantile (257 points), so both light and heavy
    tails are resolved.
    """

    def __init__(self, dist: ContinuousDistribution) -> None:
        upper = _upper(dist)
        median = min(max(_median(dist), upper * 1e-6, 1e-12), upper)
        ages = np.unique(np.concatenate([np.linspace(0.0, median, 257), np.geomspace(median, upper, 257)]))
        self.ages = ages
        self.values = dist.residual_mean(ages)
        self._ages: list[float] = self.ages.tolist()
        self._values: list[float] = self.values.tolist()

    def __call__(self, age: float) -> float:
        ages, values = self._ages, self._values
        if age <= 0.0:
            return float(values[0])
        i = bisect.bisect_right(ages, age)
        if i >= len(ages):
            return float(values[-1])
        a0, a1 = ages[i - 1], ages[i]
        return float(values[i - 1] + (values[i] - values[i - 1]) * (age - a0) / (a1 - a0))

    def interp(self, age: float) -> float:
        """m(age) by linear interpolation, to the last bit what ``numpy.interp(age, ages, values)``
        returns (slope × (age − a₀) + m₀, the end values outside the table) without an array."""
        ages, values = self._ages, self._values
        if age <= ages[0]:
            return values[0]
        i = bisect.bisect_right(ages, age)
        if i >= len(ages):
            return values[-1]
        a0, v0 = ages[i - 1], values[i - 1]
        if age == a0:
            return v0
        return (values[i] - v0) / (ages[i] - a0) * (age - a0) + v0


def _upper(dist: ContinuousDistribution) -> float:
    values = getattr(dist, "values", None)
    if values is not None:
        return float(max(values)) or 1.0
    if dist.is_constant:
        return max(dist.mean, 1e-9)
    try:
        return float(dist.frozen().ppf(0.9999))
    except NotImplementedError:
        return dist.mean + 10 * dist.sd


def _median(dist: ContinuousDistribution) -> float:
    values = getattr(dist, "values", None)
    if values is not None or dist.is_constant:
        return dist.mean
    try:
        return float(dist.frozen().ppf(0.5))
    except NotImplementedError:
        return dist.mean


FEW_ORDERS = 16
"""Up to this many outstanding orders a supplier's estimates are computed without arrays."""

_TABLES: dict[str, ResidualLeadTime] = {}


def residual_lead_time(dist: ContinuousDistribution) -> ResidualLeadTime:
    """The residual-life table of ``dist``, cached per process by the distribution's parameters."""
    key = dist.model_dump_json()
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = ResidualLeadTime(dist)
    return table


class Order(Scheduled):
    """A replenishment order in transit; it is also the event of its delivery.

    Built as ``Order(env, due - placed, DELIVERY, [forget, on_delivery])`` (the
    :class:`~supplysim.sim.clock.Scheduled` constructor: it is queued at once), then its
    fields are set. On arrival the supplier forgets the order (a C call, no Python frame),
    then the store receives it.
    """

    __slots__ = ("due", "id", "placed", "qty", "received", "start", "supplier")

    supplier: Supplier
    """Who delivers it."""
    id: int
    """Order number at this supplier, in order of placement."""
    qty: int
    """Units ordered."""
    received: int
    """Units that will arrive (less than ``qty`` with an imperfect yield)."""
    placed: float
    """When it was placed."""
    start: float
    """When the supplier starts working on it (= placement without ``servers``)."""
    due: float
    """Arrival time."""


class Supplier:
    """Runtime state of one supplier: capacity, outages, yield, its orders and its statistics.

    :class:`UnlimitedSupplier` is the lean special case used when none of
    ``servers``, ``no_crossing``, ``disruptions`` or an imperfect ``yield`` is set.
    """

    def __init__(
        self,
        cfg: SupplierConfig,
        env: Clock,
        on_delivery: Callable[[Order], None],
        lead_times: Iterator[float],
        yields: Iterator[float] | None = None,
        outages: OutageSchedule | None = None,
        trace: Trace | None = None,
    ) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.unit_cost = cfg.unit_cost
        self.order_cost = cfg.order_cost
        self.promised_lead = cfg.promised_lead_time
        self.outages = outages
        self._env = env
        self._on_delivery = on_delivery
        """The store's receiving dock: called with each order when it arrives."""
        self.trace = trace
        self._lead = lead_times
        self._yields = yields
        self._servers = cfg.servers
        self._free: list[float] = [0.0] * (cfg.servers or 0)
        self._no_crossing = cfg.no_crossing
        self._last_due = 0.0
        self._next_id = 0
        self._residual: ResidualLeadTime | None = None
        """Built on the first quote (scenarios without quotes never need it)."""
        self.outstanding: dict[Order, None] = {}
        """Orders placed and not yet delivered, in order of placement (a dict as an ordered set)."""
        self._forget: Callable[[Order], None] = self.outstanding.pop
        """Removes an arrived order from :attr:`outstanding` (the first callback of every order)."""
        self._callbacks: list[Callable[[Order], None]] = [self._forget, on_delivery]
        """The callbacks of every order of :class:`UnlimitedSupplier`, one list shared by all: nobody
        waits on such an order, so nobody adds to it, and processing an event replaces the event's
        reference to the list by None without changing the list."""
        self.reset_window()

    def reset_window(self) -> None:
        """Zero the window statistics (at the end of the warm-up)."""
        self._first_in_window = self._next_id
        """Number of the first order placed in the window (orders are numbered in order of placement)."""
        self.units = 0
        """Units ordered in the window."""
        self.delayed = 0
        """Orders placed in the window whose arrival an outage postponed."""
        self.lead_sum = 0.0
        """Sum of the realised lead times (arrival − placement) of the window's orders [time]."""

    def is_down(self, now: float) -> bool:
        """True while an outage stops the supplier (``now``: the current time)."""
        if self.outages is None:
            return False
        self.outages.forget_before(now)
        return self.outages.down_until(now) is not None

    def place(self, now: float, qty: int) -> Order:
        """Record an order of ``qty`` units placed at ``now``; its arrival is known at once."""
        lead = next(self._lead)
        start = now if self._servers is None else max(now, heapq.heappop(self._free))
        due = start + lead
        if self.outages is not None:
            self.outages.forget_before(now)
            arrival = self.outages.arrival(start, due)
            if arrival > due:
                self.delayed += 1
            if self.outages.pause:
                due = arrival  # the work itself stopped: the server was held too
            if self._servers is not None:
                heapq.heappush(self._free, due)
            due = arrival
        elif self._servers is not None:
            heapq.heappush(self._free, due)
        if self._no_crossing:
            due = max(due, self._last_due)
            self._last_due = due
        received = qty
        if self._yields is not None:
            fraction = min(1.0, max(0.0, next(self._yields)))
            received = int(fraction * qty + 0.5)
        return self._record(now, qty, received, start, due)

    def _record(self, now: float, qty: int, received: int, start: float, due: float) -> Order:
        ident = self._next_id
        self._next_id = ident + 1
        order = Order(self._env, due - now, DELIVERY, [self._forget, self._on_delivery])
        order.supplier = self
        order.id = ident
        order.qty = qty
        order.received = received
        order.placed = now
        order.start = start
        order.due = due
        self.outstanding[order] = None
        self.units += qty
        self.lead_sum += due - now
        if self.trace is not None:
            self._log_order(order)
        return order

    def _log_order(self, order: Order) -> None:
        note = f"due {order.due:g}, promised {order.start + self.promised_lead:g}"
        if self.name != "supplier":
            note = f"{self.name}: {note}"
        if order.received != order.qty:
            note += f", {order.received} of {order.qty} will arrive"
        assert self.trace is not None
        self.trace.append(TraceRow(order.placed, TraceEvent.ORDER, order.id, order.qty, NO_WAIT, note, self.name))

    @property
    def orders(self) -> int:
        """Orders placed in the window (derived from the order numbers: nothing to count per order)."""
        return self._next_id - self._first_in_window

    @property
    def cost(self) -> float:
        """Ordering cost of the window's orders: order_cost per order + unit_cost × units ordered."""
        return self.order_cost * self.orders + self.unit_cost * self.units

    def outlook(self, now: float, when: float) -> Outlook:
        """Estimated arrivals of the outstanding orders, and of a new order placed at ``when`` ≥ ``now``
        (see the module docstring); a snapshot – the supplier keeps nothing of it."""
        lead = self.promised_lead
        orders = self.outstanding
        starts = [o.start for o in orders]
        units = [o.received for o in orders]
        times = self._estimates(now, starts)
        queued = [] if self._servers is None else [i for i, start in enumerate(starts) if start > now]
        if self._servers is None:
            new = when + lead
        else:
            waiting = set(queued)
            free = [t for i, t in enumerate(times) if i not in waiting]  # the started orders' arrivals
            free += [now] * max(0, self._servers - len(free))
            heapq.heapify(free)
            for i in queued:
                begin = heapq.heappop(free)
                times[i] = begin + lead
                heapq.heappush(free, times[i])
            new = max(when, free[0]) + lead  # the new order waits for the earliest free server
        if self._no_crossing:
            latest = now
            for i, t in enumerate(times):
                latest = times[i] = max(latest, t)
            new = max(new, latest)
        return Outlook(times, units, new)

    def _estimates(self, now: float, starts: list[float]) -> list[float]:
        """Estimated arrival of an order that started at each of ``starts`` and has not arrived by
        ``now`` [time]: the promise start + quoted lead time (now once overdue), or now + m(now − start).

        Below :data:`FEW_ORDERS` orders in plain Python, above it with one ``numpy.interp``: the two
        give the same bits (:meth:`ResidualLeadTime.interp`), the first costs less for a handful.
        """
        if self.cfg.quoted_lead_time is not None:
            lead = self.promised_lead
            return [max(start + lead, now) for start in starts]
        residual = self._residual
        if residual is None:
            residual = self._residual = residual_lead_time(self.cfg.lead_time)
        if len(starts) <= FEW_ORDERS:
            interp = residual.interp
            return [now + interp(now - start) for start in starts]
        ages = now - np.array(starts, dtype=float)
        estimates: list[float] = (now + np.interp(ages, residual.ages, residual.values)).tolist()
        return estimates


@always_ok
class PlainOrder(Order):
    """An order of an :class:`UnlimitedSupplier`: an :class:`Order` built without a constructor call
    (:func:`~supplysim.sim.clock.always_ok`; nobody fails or cancels it)."""

    __slots__ = ()


_new_plain_order = PlainOrder.__new__


class UnlimitedSupplier(Supplier):
    """The default supplier: every order's lead time starts at placement, orders may cross."""

    def place(self, now: float, qty: int) -> Order:
        """Record an order placed at ``now``; it arrives after one lead-time draw.

        The bookkeeping of :meth:`Supplier._record`, inlined, and the order queued as
        ``Scheduled`` would queue it, without its constructor: this is the hot path of
        the default model (one order per customer under base stock) and of a network's
        warehouse (one per store order).
        """
        ident = self._next_id
        self._next_id = ident + 1
        due = now + next(self._lead)
        lead = due - now  # the realised lead time (the draw, up to rounding)
        order = _new_plain_order(PlainOrder)
        order.callbacks = self._callbacks
        env = self._env
        env.push((env._now + lead, DELIVERY, next(env.event_ids), order))
        order.supplier = self
        order.id = ident
        order.qty = order.received = qty
        order.placed = order.start = now
        order.due = due
        self.outstanding[order] = None
        self.units += qty
        self.lead_sum += lead
        if self.trace is not None:
            self._log_order(order)
        return order


def build_supplier(
    cfg: SupplierConfig,
    env: Clock,
    on_delivery: Callable[[Order], None],
    lead_times: Iterator[float],
    yields: Iterator[float] | None = None,
    outages: OutageSchedule | None = None,
    trace: Trace | None = None,
) -> Supplier:
    """The runtime supplier for a configuration (chosen by what it needs), delivering on ``env`` to
    ``on_delivery`` (the store's receiving dock) and logging its orders to ``trace``."""
    if cfg.servers is None and not cfg.no_crossing and yields is None and outages is None:
        return UnlimitedSupplier(cfg, env, on_delivery, lead_times, trace=trace)
    return Supplier(cfg, env, on_delivery, lead_times, yields, outages, trace)


def build_suppliers(
    cfg: ModelSections,
    env: Clock,
    streams: Streams,
    receive: Callable[[Order], None],
    rows: Trace | None,
    lead_times: Iterator[float] | None = None,
) -> list[Supplier]:
    """The runtime suppliers of ``cfg`` (in listed order) delivering to ``receive``, each drawing
    from its own streams (``lead_time/NAME``, ``yield/NAME``, ``outage_up/NAME``, ``outage_down/NAME``);
    ``lead_times`` replaces the first supplier's lead-time draws (scripted runs)."""
    suppliers: list[Supplier] = []
    for i, sc in enumerate(cfg.all_suppliers):
        leads = lead_times if (i == 0 and lead_times is not None) else None
        if leads is None:
            leads = streams.draws(f"lead_time/{sc.name}", sc.lead_time)
        yields = None if sc.perfect_yield else streams.draws(f"yield/{sc.name}", sc.yield_)
        outages = None
        if sc.disruptions is not None:
            d = sc.disruptions
            up = streams.draws(f"outage_up/{sc.name}", d.every) if d.every is not None else None
            down = streams.draws(f"outage_down/{sc.name}", d.duration) if d.duration is not None else None
            outages = OutageSchedule(d, up, down)
        suppliers.append(build_supplier(sc, env, receive, leads, yields, outages, rows))
    return suppliers
