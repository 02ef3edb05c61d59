"""What does the event trace record? The typed rows of one replication's trace.

The trace is optional (teaching and debugging): with ``trace=True`` every state
change of a replication appends one :class:`TraceRow`. Each row is typed data –
an :class:`Event`, the customer or order number, the units, the wait of a
customer served after waiting, the supplier of an order – plus a note for the
human reader. Nothing reads data out of a note: whatever a program needs is a
field. The event values and notes are those documented in
``docs/indicators.md`` ("Traces").
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import NamedTuple

__all__ = ["NO_WAIT", "Event", "Trace", "TraceRow"]


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


Trace = list[TraceRow]
"""A replication's trace, in the order the events happened."""
