"""What does the event trace record? The typed rows of one replication's trace.

The trace is optional (teaching and debugging): with ``trace=True`` every state
change of a replication appends one :class:`TraceRow`. Each row is typed data –
an :class:`Event`, the customer or order number, the units, the wait of a
customer served after waiting, the supplier of an order, the segment of an
arriving customer, the quote a backordered customer accepted, and the store's
state *after* the event (on hand, available, backordered, on order; the
inventory position follows) – plus a note for the human reader. Nothing reads
data out of a note: whatever a program needs is a field.

The state columns obey, on every row (tested):

* IP = on_hand + on_order − backordered (Zipkin 2000, §2.2);
* on_hand changes only on ``ship`` (down by qty) and ``deliver`` (up by qty) rows;
* on_order changes only on ``order`` (up by qty) and ``deliver`` rows (down by the
  units ordered: a short delivery brings fewer);
* backordered changes only on ``backorder`` (up by qty), ``ship`` to a waiting
  customer, ``cancel`` and ``expire`` (down by qty) rows;
* available ≤ on_hand, and available > 0 only when nobody waits. The event values and notes are those documented in
``docs/indicators.md`` ("Traces").
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import NamedTuple

__all__ = ["NO_QUOTE", "NO_WAIT", "Event", "Trace", "TraceRow"]


class Event(StrEnum):
    """The kinds of trace rows; each value is the text written to the trace CSV."""

    WINDOW_STARTS = "window starts"
    """The warm-up ends and measuring begins (id −1, qty 0)."""
    ARRIVE = "arrive"
    """A customer arrives (id: customer number, qty: units wanted)."""
    SHIP = "ship"
    """Units leave the store for a customer (served at once, partially, after waiting, or from the waitlist)."""
    LOST = "lost"
    """A customer leaves without ordering (shown "out of stock", refused, or balked)."""
    BACKORDER = "backorder"
    """A customer joins the backorder queue (qty: units wanted)."""
    RESERVE = "reserve"
    """Units on hand set aside for the head of the backorder queue."""
    RELEASE = "release"
    """Reserved units freed by their customer's cancellation or expiry."""
    CANCEL = "cancel"
    """A waiting customer's patience ran out (qty: units still owed)."""
    EXPIRE = "expire"
    """The store's ``expire_after`` ended a backorder (qty: units still owed)."""
    ORDER = "order"
    """A replenishment order is placed (id: order number at its supplier)."""
    DELIVER = "deliver"
    """A replenishment order arrives (qty: units received)."""
    WAITLIST = "waitlist"
    """A "notify me" list change: joined, left (interest ended) or declined (notified, did not buy)."""
    GOODWILL_LOST = "goodwill lost"
    """A potential customer went to a competitor (goodwill)."""
    REVIEW = "review"
    """A periodic review epoch (id −1, qty: inventory position)."""


NO_WAIT = math.nan
"""The ``wait`` of every row that is not the shipment completing a waiting customer's order."""

NO_QUOTE = NO_WAIT
"""The ``quote`` of every row that is not a ``backorder`` row (the same NaN object as :data:`NO_WAIT`,
so rows built with the defaults compare equal)."""


class TraceRow(NamedTuple):
    """One row of the trace."""

    time: float
    """When it happened [time]."""
    event: Event
    """What happened."""
    id: int
    """Customer number (customer events), order number at its supplier (order, deliver), or −1."""
    qty: int
    """Units (see :class:`Event` for what they count)."""
    wait: float = NO_WAIT
    """For the shipment that completes a backordered customer's order: time since it joined the
    queue [time]; NaN for every other row."""
    note: str = ""
    """Free text for the reader (see ``docs/indicators.md``); never parsed."""
    supplier: str = ""
    """The supplier of an order or delivery; empty for every other row."""
    segment: str = ""
    """The segment's name on ``arrive`` rows; empty for every other row (a customer's other rows
    share its ``id``)."""
    quote: float = NO_QUOTE
    """On ``backorder`` rows: the wait the store quoted and the customer accepted [time]
    (``docs/model.md``, "The quoted wait"); NaN for every other row."""
    on_hand: int = 0
    """Units on hand after the event, reserved ones included [units]."""
    available: int = 0
    """Units on hand and not reserved for a waiting customer, after the event [units]."""
    backordered: int = 0
    """Units owed to waiting customers after the event [units]."""
    on_order: int = 0
    """Units ordered and not yet delivered, after the event [units]."""

    @property
    def inventory_position(self) -> int:
        """IP = on_hand + on_order − backordered after the event [units] (Zipkin 2000, §2.2)."""
        return self.on_hand + self.on_order - self.backordered


Trace = list[TraceRow]
"""A replication's trace, in the order the events happened."""
