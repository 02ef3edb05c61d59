"""What may the store's collaborators see and ask? The narrow views they get of the store.

The stockout policies, the waitlist, the sourcing rules and the replenishment
rules never hold the :class:`~supplysim.sim.store.Store` class itself: each gets
a protocol listing the few numbers it reads and the intents it may state ("ship
these units to this waitlisted customer", "count a join"). The store changes its
own state and counters; nobody writes another object's counters or calls its
private methods. Compare SimPy's ``BaseResource``: small contracts, one owner of
the state.
"""

from __future__ import annotations

from typing import Protocol

from supplysim.sim.customers import Customer
from supplysim.sim.trace import Event

__all__ = ["ReviewedStore", "StockState", "StoreView"]


class StoreView(Protocol):
    """The store as the stockout policies, the waitlist and the sourcing rules see it."""

    @property
    def available(self) -> int:
        """Units on hand and not reserved for a waiting customer [units]."""
        ...

    @property
    def waiting(self) -> int:
        """Live customers in the backorder queue."""
        ...

    @property
    def measuring(self) -> bool:
        """True once the measured window has begun (after the warm-up)."""
        ...

    @property
    def tracing(self) -> bool:
        """True when the replication records a trace (notes worth formatting)."""
        ...

    def quote(self, now: float, qty: int) -> float:
        """The wait the store would quote now to a new customer wanting ``qty`` units [time]."""
        ...

    def turn_away(self, customer: Customer, cid: int, why: str) -> None:
        """Show "out of stock": the customer is lost (and may join the waitlist)."""
        ...

    def lose(self, now: float, cid: int, qty: int, why: str) -> None:
        """The customer leaves without ordering (it balked at the offer)."""
        ...

    def backorder(self, now: float, cid: int, qty: int, patience: float) -> None:
        """The customer joins the backorder queue, waiting at most ``patience`` [time]."""
        ...

    def ship_recovered(self, now: float, cid: int, qty: int, counted: bool) -> None:
        """A waitlisted customer buys ``qty`` units from available stock (``counted``: it arrived in
        the window)."""
        ...

    def count_waitlist_join(self) -> None:
        """A customer of the window joined the "notify me" list."""
        ...

    def log(self, now: float, event: Event, ident: int, qty: int, note: str = "") -> None:
        """Append a trace row (nothing happens without a trace)."""
        ...


class ReviewedStore(Protocol):
    """The store as a replenishment rule sees it when it schedules its reviews."""

    def review(self, now: float) -> None:
        """A periodic review epoch: order what the rule asks for at the current inventory position."""
        ...

    def review_position(self, now: float) -> None:
        """The continuous-review check: order if the inventory position is at or below the trigger."""
        ...


class StockState(Protocol):
    """What the recorder reads of the store [units]."""

    @property
    def on_hand(self) -> int: ...
    @property
    def backordered(self) -> int: ...
    @property
    def on_order(self) -> int: ...
    @property
    def waiting(self) -> int: ...
