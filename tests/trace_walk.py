"""Reading a replication's event trace independently of the simulator's own bookkeeping.

The conformance batteries (replenishment, stockout, sourcing) check a rule against
what it did, event by event. They rebuild the store's state from the trace alone,
by two independent routes:

* the inventory position IP = on_hand + on_order − backordered (Zipkin 2000, §2.2),
  moved by the events that change it (a sale from the shelf, a backorder, a recovered
  sale, a cancellation or expiry, an order);
* its three components, each moved by its own events (shipments and deliveries for
  on_hand, orders and deliveries for on_order, backorders, shipments to waiting
  customers, cancellations and expiries for the units owed).

:func:`kind` is the only function that reads the wording of a trace row; everything
else works on the kinds it returns. Short deliveries (a supplier ``yield`` below 1)
are not supported: the row does not carry the ordered quantity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["OrderBatch", "State", "in_window", "kind", "order_batches", "outcomes", "supplier_of", "walk"]

Row = tuple[Any, ...]
"""(time, event, id, qty, note), as in ``ReplicationResult.trace``."""


def kind(row: Row) -> str:
    """What a trace row records, as one word.

    ``arrive``, ``serve`` (from the shelf at arrival), ``partial`` (part of a request
    shipped to a waiting customer), ``serve_waited`` (the last units of a waiting
    customer), ``recover`` (a waitlisted customer buys), ``lost``, ``backorder``,
    ``cancel``, ``expire``, ``reserve``, ``release``, ``order``, ``deliver`` (complete),
    ``short_delivery``, ``review``, ``window`` (the measured window begins), ``waitlist_join``,
    ``waitlist_leave`` (left or declined), ``goodwill_lost``.
    """
    event, note = str(row[1]), str(row[5])
    if event == "ship":
        if note == "served immediately":
            return "serve"
        if note == "partial shipment":
            return "partial"
        if note == "waitlist: recovered sale":
            return "recover"
        if note.startswith("served after waiting"):
            return "serve_waited"
        raise AssertionError(f"unknown shipment {row}")
    if event == "deliver" and note:
        return "short_delivery"
    if event == "waitlist":
        return "waitlist_join" if note == "joined" else "waitlist_leave"
    return {"window starts": "window", "goodwill lost": "goodwill_lost"}.get(event, event)


def supplier_of(row: Row) -> str:
    """The supplier of an ``order`` row (``supplier``, the default name, when the note names none)."""
    head = str(row[5]).split(":", 1)[0]
    return "supplier" if head.startswith("due ") else head


def in_window(rows: Sequence[Row]) -> Sequence[Row]:
    """The rows from the start of the measured window on (all of them without a warm-up)."""
    start = next((i for i, r in enumerate(rows) if kind(r) == "window"), 0)
    return rows[start:]


OUTCOMES = {
    ("serve",): "served_immediately",
    ("lost",): "lost",
    ("backorder",): "pending",
    ("backorder", "serve_waited"): "served_after_wait",
    ("backorder", "cancel"): "cancelled",
    ("backorder", "expire"): "expired",
}
"""A customer's outcome from its sequence of decisive events."""


def outcomes(rows: Sequence[Row]) -> Counter[str]:
    """How many customers of the measured window had each outcome, counted customer by customer.

    Keys are the names of the counters (``served_immediately``, ``served_after_wait``,
    ``lost``, ``cancelled``, ``expired``, ``pending``).

    Raises:
        AssertionError: if a customer arrives twice, has an event before it arrived, or a
            sequence of events that is not exactly one outcome (e.g. lost, then waiting).
    """
    events: dict[int, list[str]] = {}
    counted: set[int] = set()
    window = not any(kind(r) == "window" for r in rows)  # no warm-up: every customer counts
    for row in rows:
        k = kind(row)
        if k == "window":
            window = True
        elif k == "arrive":
            assert row[2] not in events, f"customer {row[2]} arrives twice"
            events[row[2]] = []
            if window:
                counted.add(row[2])
        elif k in ("serve", "lost", "backorder", "serve_waited", "cancel", "expire"):
            assert row[2] in events, f"{row} before the customer arrived"
            events[row[2]].append(k)
    tally: Counter[str] = Counter()
    for cid in counted:
        seq = tuple(events[cid])
        assert seq in OUTCOMES, f"customer {cid} has not exactly one outcome: {seq}"
        tally[OUTCOMES[seq]] += 1
    return tally


_IP_STEP = {"serve": -1, "backorder": -1, "recover": -1, "cancel": 1, "expire": 1, "order": 1}
"""Sign of each kind's effect on IP, in units of the row's quantity (other kinds leave IP alone)."""


@dataclass(frozen=True)
class State:
    """The store after one trace row, rebuilt from the trace."""

    row: Row
    ip: int
    """Inventory position, by the IP route [units]."""
    on_hand: int
    on_order: int
    owed: int
    """Units owed to waiting customers [units]."""
    waiting: int
    """Live customers in the backorder queue."""


def walk(rows: Sequence[Row], initial_stock: int) -> Iterator[State]:
    """The state after every row, from a start with ``initial_stock`` on hand and nothing else.

    Raises:
        AssertionError: if the two routes to IP disagree, or a count goes negative.
    """
    ip = on_hand = initial_stock
    on_order = owed = waiting = 0
    for row in rows:
        k = kind(row)
        assert k != "short_delivery", f"{row}: the walk needs complete deliveries (yield 1)"
        qty = int(row[3])
        ip += _IP_STEP.get(k, 0) * qty
        if k in ("serve", "partial", "serve_waited", "recover"):
            on_hand -= qty
        if k in ("partial", "serve_waited", "cancel", "expire"):
            owed -= qty
        if k == "backorder":
            owed += qty
            waiting += 1
        elif k in ("serve_waited", "cancel", "expire"):
            waiting -= 1
        elif k == "order":
            on_order += qty
        elif k == "deliver":
            on_hand += qty
            on_order -= qty
        assert ip == on_hand + on_order - owed, f"IP {ip} != {on_hand} + {on_order} − {owed} after {row}"
        assert min(on_hand, on_order, owed, waiting) >= 0, (row, on_hand, on_order, owed, waiting)
        yield State(row, ip, on_hand, on_order, owed, waiting)


@dataclass(frozen=True)
class OrderBatch:
    """The orders placed by one decision of the replenishment rule (consecutive ``order`` rows)."""

    time: float
    ip_before: int
    """Inventory position just before the decision [units]."""
    waiting: int
    """Live customers in the backorder queue when the orders were placed."""
    parts: tuple[tuple[str, int], ...]
    """(supplier, units) of each order, as placed."""

    @property
    def qty(self) -> int:
        """Units ordered by the decision."""
        return sum(q for _, q in self.parts)

    @property
    def ip_after(self) -> int:
        """Inventory position just after the decision [units]."""
        return self.ip_before + self.qty


def order_batches(rows: Sequence[Row], initial_stock: int) -> list[OrderBatch]:
    """Every replenishment decision of a run, with the state it was taken in."""
    out: list[OrderBatch] = []
    before: State | None = None
    parts: list[tuple[str, int]] = []
    start: State | None = None
    for state in walk(rows, initial_stock):
        if kind(state.row) == "order":
            if not parts:
                start = before
            parts.append((supplier_of(state.row), int(state.row[3])))
        elif parts:
            out.append(_batch(start, parts, initial_stock, before))
            parts = []
        before = state
    if parts:
        out.append(_batch(start, parts, initial_stock, before))
    return out


def _batch(start: State | None, parts: list[tuple[str, int]], initial_stock: int, last: State | None) -> OrderBatch:
    assert last is not None
    ip, waiting = (start.ip, start.waiting) if start is not None else (initial_stock, 0)
    return OrderBatch(float(last.row[0]), ip, waiting, tuple(parts))
