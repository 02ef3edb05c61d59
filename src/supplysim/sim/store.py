"""What happens to stock and customers in the store? Stock, the backorder queue, receiving.

The store owns its state and its counters and changes them on four kinds of
event: an arrival (:meth:`Store.arrive`, the hot path; an untraced run takes
``Store._arrive_untraced``, the same books without the trace), a delivery, a customer
giving up, and a review. What a customer is offered when the shelf is empty is
the stockout policy's (:mod:`~supplysim.sim.stockout`), what the store promises
is :mod:`~supplysim.sim.quotes`, when to order is the replenishment rule's, and
the identities its books satisfy are :mod:`~supplysim.sim.invariants`.

State (all in units):

* ``on_hand`` – physically in the store, including units reserved for the head
  of the backorder queue;
* ``available`` – on hand and not reserved. Invariant: ``available > 0`` only
  when no live customer waits (nobody overtakes a waiting customer);
* ``backordered`` – units owed to waiting customers and not yet shipped;
* ``on_order`` – ordered and not yet delivered.

Inventory position IP = on_hand + on_order − backordered (Zipkin 2000, §2.2).

The backorder queue is a deque of :class:`Waiting` entries with lazy
cancellation: a patience or expiry timer marks its entry dead, and allocation
skips dead entries when it meets them at the head.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from supplysim.scenario import ModelConfig
from supplysim.sim.clock import WARMUP, Clock, Timer
from supplysim.sim.customers import (
    CONVERT_U,
    GOODWILL_U,
    JOIN_U,
    QTY,
    SEGMENT,
    TIME,
    WAITLIST_PATIENCE,
    Customer,
)
from supplysim.sim.invariants import check_books
from supplysim.sim.ports import StoreView
from supplysim.sim.quotes import quoted_wait
from supplysim.sim.replenishment import ReplenishmentRule
from supplysim.sim.sourcing import SourcingRule
from supplysim.sim.stats import Counters, WaitSketch
from supplysim.sim.stockout import StockoutPolicy, give_up_timer
from supplysim.sim.supplier import Order, Supplier
from supplysim.sim.trace import NO_QUOTE, NO_WAIT, Event, Trace, TraceRow
from supplysim.sim.waitlist import Goodwill, Waitlist

__all__ = ["Store", "Supply", "TraceRow", "Waiting"]


def _delay_to(now: float, when: float) -> float:
    """The delay d with now + d == when exactly in floating point (``when − now`` may miss by an ulp),
    so a timer lands at the very instant of the event it must precede."""
    delay = when - now
    while now + delay < when:
        delay = math.nextafter(delay, math.inf)
    while now + delay > when:
        delay = math.nextafter(delay, -math.inf)
    return delay


class Waiting:
    """A backordered customer."""

    __slots__ = ("alive", "arrived", "counted", "id", "owed", "qty", "reserved")

    def __init__(self, id: int, arrived: float, qty: int, owed: int, counted: bool) -> None:
        self.id = id
        self.arrived = arrived
        self.qty = qty
        self.owed = owed
        """Units not yet shipped."""
        self.reserved = 0
        """Units on hand set aside for this customer (head of the queue only)."""
        self.alive = True
        """False once served, cancelled or expired."""
        self.counted = counted
        """Arrived inside the measured window."""


Supply = Callable[[StoreView, Callable[[Order], None]], tuple[list[Supplier], SourcingRule]]
"""Builds the suppliers, delivering to the given receiving dock, and the sourcing rule over them,
placing orders for the given store (see :class:`Store`)."""


class Store:
    """Stock, backorder queue, and the handling of arrivals, deliveries and cancellations.

    The store is built whole: ``supply`` is called once, during construction, with the
    store's view and its receiving dock, and returns the suppliers and the sourcing rule.
    The store owns its :class:`~supplysim.sim.stats.Counters` and
    :class:`~supplysim.sim.stats.WaitSketch`; its collaborators only state intents
    (:class:`~supplysim.sim.ports.StoreView`).
    """

    def __init__(
        self,
        env: Clock,
        cfg: ModelConfig,
        rule: ReplenishmentRule,
        supply: Supply,
        stockout: StockoutPolicy,
        *,
        trace: Trace | None = None,
        waitlist: Waitlist | None = None,
        goodwill: Goodwill | None = None,
    ) -> None:
        self.env = env
        self.rule = rule
        self.trigger = rule.trigger
        self._order_size = rule.order_size
        self._up_to = rule.up_to
        self.stockout = stockout
        self.waitlist = waitlist
        self.goodwill = goodwill
        self.counters = Counters()
        self.waits = WaitSketch()
        self.trace = trace
        self.tracing = trace is not None
        """True when the replication records a trace."""
        self._segment_names = tuple(s.name for s in cfg.segments)
        """Segment names by index, for the trace's ``arrive`` rows."""
        self._period_end_due = False
        """True once a review has scheduled the end-of-period observation of the next review epoch."""
        self.partial = cfg.store.partial_shipments
        self.expire_after = cfg.store.expire_after if cfg.store.expire_after is not None else math.inf
        self.initial_stock = cfg.initial_stock
        self.on_hand = self.initial_stock
        self.available = self.initial_stock
        self.backordered = 0
        self.on_order = 0
        self.waiting = 0
        """Live customers in the backorder queue."""
        self.queue: deque[Waiting] = deque()
        self.measuring = False
        """True once the window has begun. Counters are zeroed when it begins, so
        events count unconditionally; only outcomes of customers who arrived
        before the window (``Waiting.counted`` false) are kept out."""
        self.t_last = 0.0
        self.suppliers, self.sourcing = supply(self, self._on_delivery)
        self._place = self.sourcing.place
        # Without a trace, arrivals take the untraced hot path (tests/test_traces.py pins its books to
        # the traced run's), unless a subclass replaces arrive.
        if trace is None and type(self).arrive is Store.arrive:
            self.arrive = self._arrive_untraced  # type: ignore[method-assign]

    # ------------------------------------------------------------------ bookkeeping

    @property
    def inventory_position(self) -> int:
        """IP = on_hand + on_order − backordered [units]."""
        return self.on_hand + self.on_order - self.backordered

    def _integrate(self, now: float) -> None:
        """Advance the time integrals of on-hand and backordered units to ``now``."""
        dt = now - self.t_last
        if dt > 0.0:
            c = self.counters
            on_hand = self.on_hand
            c.area_on_hand += on_hand * dt
            c.area_backorders += self.backordered * dt
            if on_hand == 0:
                c.stockout_time += dt
            self.t_last = now

    def start_window(self, now: float) -> None:
        """Begin measuring: discard everything counted during the warm-up."""
        self._integrate(now)
        self.counters.reset_window()
        self.waits.reset()
        for supplier in self.suppliers:
            supplier.reset_window()
        self.measuring = True
        self.log(now, Event.WINDOW_STARTS, -1, 0, "")

    def log(self, now: float, event: Event, ident: int, qty: int, note: str = "") -> None:
        """Append a trace row (nothing happens without a trace)."""
        if self.trace is not None:
            self.trace.append(self._row(now, event, ident, qty, note=note))

    def _row(
        self,
        now: float,
        event: Event,
        ident: int,
        qty: int,
        *,
        wait: float = NO_WAIT,
        note: str = "",
        supplier: str = "",
        segment: str = "",
        quote: float = NO_QUOTE,
    ) -> TraceRow:
        """A trace row with the store's state as it is now (call it once the event has changed the state)."""
        return TraceRow(
            now,
            event,
            ident,
            qty,
            wait,
            note,
            supplier,
            segment,
            quote,
            self.on_hand,
            self.available,
            self.backordered,
            self.on_order,
        )

    # ------------------------------------------------------------------ customers

    def arrive(self, customer: Customer, cid: int) -> None:
        """Customer number ``cid`` arrives; ``customer`` as made by the customer source.

        With a trace (or in a subclass); a run without one arrives through
        :meth:`_arrive_untraced`, the hot path, which keeps the same books."""
        now = customer[TIME]
        qty = customer[QTY]
        c = self.counters
        trace = self.trace
        if trace is not None:
            segment = self._segment_names[customer[SEGMENT]]
            trace.append(self._row(now, Event.ARRIVE, cid, qty, note=f"segment {segment}", segment=segment))
        available = self.available
        if available >= qty:
            # Nobody waits (available > 0), so backordered = 0 and on_hand > 0:
            # only the on-hand integral moves (_integrate, inlined on this hot path).
            dt = now - self.t_last
            if dt > 0.0:
                c.area_on_hand += self.on_hand * dt
                self.t_last = now
            self.available = available - qty
            on_hand = self.on_hand = self.on_hand - qty
            c.served_immediately += 1
            c.immediate_units += qty
            if trace is not None:
                trace.append(self._row(now, Event.SHIP, cid, qty, note="served immediately"))
            ip = on_hand + self.on_order  # review_position, inlined (backordered = 0 here)
            if ip <= self.trigger:
                self.replenish(now, ip)
            return
        self.stockout.on_shortage(self, customer, cid)

    def _arrive_untraced(self, customer: Customer, cid: int) -> None:
        """:meth:`arrive` in a run without a trace (bound as ``arrive`` then): the same books, with
        the order of an ``up_to`` rule (base stock, (s, S)) placed inline and the rest of a
        review left to :meth:`replenish`."""
        qty = customer[QTY]
        available = self.available
        if available < qty:
            self.stockout.on_shortage(self, customer, cid)
            return
        now = customer[TIME]
        c = self.counters
        on_hand = self.on_hand
        dt = now - self.t_last
        if dt > 0.0:  # nobody waits: only the on-hand integral moves (_integrate, inlined)
            c.area_on_hand += on_hand * dt
            self.t_last = now
        self.available = available - qty
        self.on_hand = on_hand = on_hand - qty
        c.served_immediately += 1
        c.immediate_units += qty
        ip = on_hand + self.on_order  # review_position, inlined (backordered = 0 here)
        if ip <= self.trigger:
            up_to = self._up_to
            if up_to is None:
                self.replenish(now, ip)
                return
            qty = up_to - ip  # > 0 wherever the review triggers (tests/test_hot_path.py)
            self._place(now, qty)
            self.on_order += qty

    def lose(self, now: float, cid: int, qty: int, why: str) -> None:
        """The customer leaves without ordering."""
        self.counters.lost += 1
        self.counters.lost_units += qty
        self.log(now, Event.LOST, cid, qty, why)
        if self.goodwill is not None:
            self.goodwill.disappoint(now)

    def turn_away(self, customer: Customer, cid: int, why: str) -> None:
        """The store shows "out of stock": the customer is lost, and may join the waitlist."""
        now = customer[TIME]
        qty = customer[QTY]
        self.lose(now, cid, qty, why)
        if self.waitlist is not None:
            self.waitlist.offer(self, now, cid, qty, customer[JOIN_U], customer[CONVERT_U], customer[WAITLIST_PATIENCE])

    def send_lateral(self, now: float, cid: int, qty: int, to: str) -> None:
        """Ship ``qty`` available units to another store's customer ``cid`` (lateral transshipment)."""
        self._integrate(now)
        self.available -= qty
        self.on_hand -= qty
        self.counters.lateral_out += qty
        self.log(now, Event.SHIP, cid, qty, f"to a customer of {to}")
        self.review_position(now)

    def sell_lateral(self, now: float, cid: int, qty: int, source: str, wait: float) -> None:
        """Customer ``cid`` buys ``qty`` units shipped from store ``source``, arriving after ``wait``."""
        self.counters.transshipped += 1
        self.counters.transshipped_units += qty
        self.log(now, Event.SHIP, cid, qty, f"from {source}, arrives after {wait:g}")

    def arrive_if_goodwill(self, customer: Customer, cid: int) -> None:
        """Goodwill thinning: a potential customer comes only with probability exp(−churn·D)."""
        assert self.goodwill is not None
        if self.goodwill.comes(customer[TIME], customer[GOODWILL_U]):
            self.arrive(customer, cid)
        else:
            self.counters.goodwill_lost += 1
            self.log(customer[TIME], Event.GOODWILL_LOST, cid, customer[QTY], "went to a competitor")

    def ship_recovered(self, now: float, cid: int, qty: int, counted: bool) -> None:
        """A waitlisted customer buys ``qty`` units from available stock."""
        self._integrate(now)
        self.available -= qty
        self.on_hand -= qty
        c = self.counters
        c.recovered_units += qty
        if counted:
            c.waitlist_recovered += 1
        self.log(now, Event.SHIP, cid, qty, "waitlist: recovered sale")
        self.review_position(now)

    def count_waitlist_join(self) -> None:
        """A customer of the window joined the "notify me" list."""
        self.counters.waitlist_joined += 1

    def backorder(self, now: float, cid: int, qty: int, patience: float) -> None:
        """The customer joins the backorder queue (shipping what it can now, if partial)."""
        # the quote the customer accepted, for the trace: the state is still the one it was quoted on
        quote = self.quote(now, qty) if self.trace is not None else NO_QUOTE
        self._integrate(now)
        c = self.counters
        counted = self.measuring
        entry = Waiting(cid, now, qty, qty, counted)
        c.backordered += 1
        c.backordered_units += qty
        self.backordered += qty
        self.waiting += 1
        self.queue.append(entry)
        if self.trace is not None:
            self.trace.append(self._row(now, Event.BACKORDER, cid, qty, quote=quote))
        a = self.available
        if a > 0:  # the queue was empty: the available units go to this customer
            self.available = 0
            if self.partial:
                self.on_hand -= a
                entry.owed -= a
                self.backordered -= a
                c.partial_units += a
                self.log(now, Event.SHIP, cid, a, "partial shipment")
            else:
                entry.reserved = a
                self.log(now, Event.RESERVE, cid, a, "")
        give_up_timer(self.env, patience, self.expire_after, self._on_give_up, entry)
        self.review_position(now)

    def _on_give_up(self, event: Timer) -> None:
        entry: Waiting
        cancelled: bool
        entry, cancelled = event.item
        if not entry.alive:
            return
        now = self.env.now
        self._integrate(now)
        entry.alive = False
        self.waiting -= 1
        self.backordered -= entry.owed
        if entry.counted:
            self.counters.count_give_up(cancelled, entry.owed)
        self.log(now, Event.CANCEL if cancelled else Event.EXPIRE, entry.id, entry.owed, "")
        if self.goodwill is not None:
            self.goodwill.disappoint(now)
        if entry.reserved:
            self.available += entry.reserved
            self.log(now, Event.RELEASE, entry.id, entry.reserved, "")
            entry.reserved = 0
            self.allocate(now)
        self.review_position(now)

    def allocate(self, now: float) -> None:
        """Give available units to waiting customers in FIFO order."""
        queue = self.queue
        c = self.counters
        while queue and self.available > 0:
            head = queue[0]
            if not head.alive:
                queue.popleft()
                continue
            if self.partial:
                n = min(head.owed, self.available)
                self.available -= n
                self.on_hand -= n
                head.owed -= n
                self.backordered -= n
                c.shipped_from_queue += n
                if head.owed:
                    self.log(now, Event.SHIP, head.id, n, "partial shipment")
                    return
                shipped = n
            else:
                need = head.owed - head.reserved
                if self.available < need:
                    reserved = self.available
                    head.reserved += reserved
                    self.available = 0
                    self.log(now, Event.RESERVE, head.id, reserved, "")
                    return
                shipped = head.owed
                self.available -= need
                self.on_hand -= shipped
                self.backordered -= shipped
                head.reserved = 0
                head.owed = 0
                c.shipped_from_queue += shipped
            queue.popleft()
            head.alive = False
            self.waiting -= 1
            if head.counted:
                c.served_after_wait += 1
                self.waits.add(now - head.arrived)
            if self.trace is not None:
                wait = now - head.arrived
                self.trace.append(
                    self._row(now, Event.SHIP, head.id, shipped, wait=wait, note=f"served after waiting {wait:g}")
                )
        while queue and not queue[0].alive:
            queue.popleft()

    # ------------------------------------------------------------------ quotes

    def quote(self, now: float, qty: int) -> float:
        """Quoted wait for a new customer wanting ``qty`` units [time] (:func:`~supplysim.sim.quotes.quoted_wait`)."""
        need = self.backordered + qty - self.on_hand
        if need <= 0:
            return 0.0
        when = self.rule.next_order_time(now)
        suppliers = self.suppliers
        outlooks = [supplier.outlook(now, when) for supplier in suppliers]
        via = suppliers.index(self.sourcing.quote_supplier(now))
        return quoted_wait(now, need, outlooks, outlooks[via].new_arrival)

    # ------------------------------------------------------------------ replenishment

    def review_position(self, now: float) -> None:
        """The continuous-review check: order when IP = on_hand + on_order − backordered ≤ trigger.

        Called after every change that may lower the inventory position; :meth:`arrive`
        inlines it on the immediate-service path (``tests/test_traces.py`` pins the two
        to the same result). Periodic rules have trigger −∞: they order only at reviews.
        """
        ip = self.on_hand + self.on_order - self.backordered
        if ip <= self.trigger:
            self.replenish(now, ip)

    def replenish(self, now: float, ip: int) -> None:
        """Ask the rule for an order at inventory position ``ip`` and place it."""
        qty = self._order_size(ip)
        if qty <= 0:
            return
        trace = self.trace
        if trace is None:
            self._place(now, qty)
            self.on_order += qty
            return
        first = len(trace)
        self._place(now, qty)
        # the suppliers logged their order rows (several under a split) before on_order moved:
        # give each the state after it, on_order counting the parts logged so far
        on_order = self.on_order
        for i in range(first, len(trace)):
            on_order += trace[i].qty
            trace[i] = trace[i]._replace(
                on_hand=self.on_hand, available=self.available, backordered=self.backordered, on_order=on_order
            )
        self.on_order += qty

    def _on_delivery(self, order: Order) -> None:
        now = order.due  # the clock's time: this event fires at the order's due time
        c = self.counters
        dt = now - self.t_last
        if dt > 0.0:  # _integrate, inlined on this hot path
            on_hand = self.on_hand
            c.area_on_hand += on_hand * dt
            backordered = self.backordered
            if backordered:  # adding 0 · dt would leave the integral as it is
                c.area_backorders += backordered * dt
            if on_hand == 0:
                c.stockout_time += dt
            self.t_last = now
        received = order.received
        self.on_hand += received
        self.available += received
        self.on_order -= order.qty
        c.total_received += received
        if self.trace is not None:
            note = "" if received == order.qty else f"{order.qty} ordered"
            self.trace.append(
                self._row(now, Event.DELIVER, order.id, received, note=note, supplier=order.supplier.name)
            )
        if self.queue:
            self.allocate(now)
        if self.waitlist is not None and self.available > 0:
            self.waitlist.notify(self, now)
        if received != order.qty:  # a short delivery lowers the inventory position
            self.review_position(now)

    def review(self, now: float) -> None:
        """A periodic review epoch: order what the rule asks for at the current inventory position.

        Also observes the end-of-period stock (``docs/model.md``, "End-of-period indicators"):
        the state just before this epoch, before the deliveries due at it. The first review
        observes it itself (no order is out yet, so nothing was delivered at this instant);
        each review schedules the observation of the next epoch at the class of the warm-up
        end, which comes before deliveries at the same instant.
        """
        if not self._period_end_due:
            self._observe_period_end(now)
            self._period_end_due = True
        ip = self.inventory_position
        self.log(now, Event.REVIEW, -1, ip)
        self.replenish(now, ip)
        Timer(self.env, _delay_to(now, self.rule.next_order_time(now)), WARMUP, self._on_period_end)

    def _on_period_end(self, event: Timer) -> None:
        self._observe_period_end(self.env.now)

    def _observe_period_end(self, now: float) -> None:
        """Count the stock at the end of a review period (inside the window only)."""
        if self.measuring:
            c = self.counters
            c.period_ends += 1
            c.on_hand_at_period_ends += self.on_hand
            c.backorders_at_period_ends += self.backordered

    # ------------------------------------------------------------------ end

    def finish(self, now: float) -> None:
        """Close the window: integrals up to ``now``, pending customers counted, orders summed."""
        self._integrate(now)
        c = self.counters
        c.orders_placed = sum(s.orders for s in self.suppliers)
        c.units_ordered = sum(s.units for s in self.suppliers)
        c.ordering_cost = sum(s.cost for s in self.suppliers)
        for entry in self.queue:
            if entry.alive and entry.counted:
                c.pending += 1
                c.pending_units += entry.owed

    def check_invariants(self, arrivals: int) -> None:
        """Raise :class:`AssertionError` if an accounting identity is broken (see :mod:`~supplysim.sim.invariants`).

        ``arrivals`` is the number of customers that arrived in the window, as
        counted by the driver loop (independently of the store's counters).
        """
        check_books(self, arrivals)
