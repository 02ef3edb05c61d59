"""Do the books balance? The accounting identities every replication must satisfy.

Checked once at the end of every replication (:meth:`Store.check_invariants
<supplysim.sim.store.Store.check_invariants>`), over a read-only view of the
store, against a count of arrivals made independently by the driver loop:

1. **Outcome identity**: every customer of the window has exactly one outcome –
   served immediately + served after waiting + lost + cancelled + expired +
   pending (+ served from another store, in a network) = customers = arrivals − potential customers lost to goodwill;
   waitlist recoveries never exceed waitlist joins.
2. **Unit conservation** over the whole run: initial stock + units received =
   units shipped + units on hand.
3. **Queue bookkeeping**: the live entries of the backorder queue number
   ``waiting`` and owe ``backordered`` units.
4. **Stock bookkeeping**: on hand = available + reserved, available ≥ 0, and
   nothing is available while a customer waits (nobody overtakes).
5. **On-order bookkeeping**: ``on_order`` = the units of the suppliers'
   outstanding orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from supplysim.sim.ports import StockState
from supplysim.sim.stats import Counters
from supplysim.sim.supplier import Supplier

__all__ = ["Books", "QueueEntry", "check_books"]


class QueueEntry(Protocol):
    """A backorder-queue entry as the identities read it."""

    @property
    def alive(self) -> bool: ...
    @property
    def owed(self) -> int: ...
    @property
    def reserved(self) -> int: ...


class Books(StockState, Protocol):
    """The store's state and counters, read-only (on hand, backordered, on order and
    waiting as in :class:`~supplysim.sim.ports.StockState`)."""

    @property
    def counters(self) -> Counters: ...
    @property
    def initial_stock(self) -> int: ...
    @property
    def available(self) -> int: ...
    @property
    def queue(self) -> Iterable[QueueEntry]: ...
    @property
    def suppliers(self) -> Sequence[Supplier]: ...


def check_books(books: Books, arrivals: int) -> None:
    """Raise :class:`AssertionError` naming the first identity that is broken (see the module docstring).

    Args:
        books: the store at the end of the run.
        arrivals: customers that arrived in the window, counted by the driver loop.
    """
    c = books.counters
    outcomes = (
        c.served_immediately + c.served_after_wait + c.lost + c.cancelled + c.expired + c.pending + c.transshipped
    )
    if not outcomes == c.customers == arrivals - c.goodwill_lost:
        raise AssertionError(
            f"outcome identity broken: {arrivals} arrivals ({c.goodwill_lost} lost to goodwill), "
            f"{c.customers} customers, {outcomes} outcomes"
        )
    if c.waitlist_recovered > c.waitlist_joined:
        raise AssertionError(f"{c.waitlist_recovered} waitlist recoveries for {c.waitlist_joined} joined")
    if books.initial_stock + c.total_received != c.total_shipped + books.on_hand:
        raise AssertionError(
            f"units not conserved: initial {books.initial_stock} + received {c.total_received} != "
            f"shipped {c.total_shipped} + on hand {books.on_hand}"
        )
    live = [e for e in books.queue if e.alive]
    if len(live) != books.waiting or sum(e.owed for e in live) != books.backordered:
        raise AssertionError("backorder queue bookkeeping broken")
    reserved = sum(e.reserved for e in live)
    available = books.available
    if books.on_hand != available + reserved or available < 0 or (available and live):
        raise AssertionError(
            f"stock bookkeeping broken: on_hand {books.on_hand}, available {available}, reserved {reserved}"
        )
    if books.on_order != sum(o.qty for s in books.suppliers for o in s.outstanding):
        raise AssertionError("on-order bookkeeping broken")
