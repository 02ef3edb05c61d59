"""What happens when the shelf is empty? The stockout policies.

When the available stock cannot cover a customer's request, the store hands the
customer to its stockout policy (one small base, one subclass per policy, chosen
once from the configuration's ``store.stockout``):

* :class:`LostSales` – "out of stock" is shown; the customer is lost (and may
  join the "notify me" waitlist);
* :class:`Backorder` – the store offers to take the order with a quoted wait
  (``docs/model.md``, "Quoted wait"). It refuses – shows "out of stock" – when
  ``max_backorders`` customers already wait or the quote exceeds
  ``max_quoted_wait`` (the hybrid policy). Otherwise the customer accepts with
  its segment's probability, and only when the quote is within its own
  ``max_wait``; a customer who declines balks (lost, not shown "out of stock").

The policies see the store through :class:`~supplysim.sim.ports.StoreView`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

from supplysim.scenario import ModelConfig
from supplysim.sim.clock import CANCEL, Clock, Timer
from supplysim.sim.customers import ACCEPT_U, MAX_WAIT, PATIENCE, QTY, SEGMENT, TIME, Customer
from supplysim.sim.ports import StoreView

__all__ = ["Backorder", "LostSales", "SegmentRule", "StockoutPolicy", "build_stockout", "give_up_timer"]


def give_up_timer(
    env: Clock, patience: float, expire_after: float, on_give_up: Callable[[Timer], None], entry: object
) -> None:
    """Arm the end of a backordered customer's wait: after its ``patience`` it cancels, after the
    stockout's ``expire_after`` the store expires it, whichever comes first (a tie cancels);
    nothing when both are infinite [time]. ``on_give_up`` gets the timer, whose ``item`` is
    ``(entry, cancelled)``."""
    if patience <= expire_after:
        if patience < math.inf:
            Timer(env, patience, CANCEL, on_give_up, (entry, True))
    else:
        Timer(env, expire_after, CANCEL, on_give_up, (entry, False))


class SegmentRule:
    """A segment's reaction to a backorder offer."""

    __slots__ = ("accept", "has_max_wait", "name")

    def __init__(self, name: str, accept: float, has_max_wait: bool) -> None:
        self.name = name
        self.accept = accept
        """Probability that a customer of the segment accepts a backorder."""
        self.has_max_wait = has_max_wait
        """The segment's customers compare the quoted wait with their own ``max_wait``."""


class StockoutPolicy:
    """What a customer sees when available stock cannot cover the request."""

    kind: ClassVar[str]
    """The value of ``store.stockout`` that selects the policy."""

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> StockoutPolicy:
        """The policy for a validated model."""
        raise NotImplementedError

    def on_shortage(self, store: StoreView, customer: Customer, cid: int) -> None:
        """Customer number ``cid`` finds too little available stock."""
        raise NotImplementedError


class LostSales(StockoutPolicy):
    """ "Out of stock" is shown: the customer cannot order and is lost."""

    kind = "lost_sales"

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> LostSales:
        return cls()

    def on_shortage(self, store: StoreView, customer: Customer, cid: int) -> None:
        store.turn_away(customer, cid, "out of stock")


class Backorder(StockoutPolicy):
    """The store offers a backorder with a quoted wait; the customer may accept (see the module docstring)."""

    kind = "backorder"

    def __init__(self, max_backorders: int | None, max_quoted_wait: float | None, segments: list[SegmentRule]) -> None:
        self.max_backorders = max_backorders
        self.max_quoted_wait = max_quoted_wait
        """Refuse when the quote exceeds this [time]; None: no limit."""
        self.segments = segments

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> Backorder:
        return cls(
            cfg.store.max_backorders,
            cfg.store.max_quoted_wait,
            [SegmentRule(s.name, s.accept_backorder, s.max_wait is not None) for s in cfg.segments],
        )

    def on_shortage(self, store: StoreView, customer: Customer, cid: int) -> None:
        now = customer[TIME]
        qty = customer[QTY]
        if self.max_backorders is not None and store.waiting >= self.max_backorders:
            store.turn_away(customer, cid, "refused: backorder queue full")
            return
        rule = self.segments[customer[SEGMENT]]
        quote = math.nan
        if self.max_quoted_wait is not None or rule.has_max_wait:
            quote = store.quote(now, qty)
            if self.max_quoted_wait is not None and quote > self.max_quoted_wait:
                why = f"refused: quote {quote:g} > {self.max_quoted_wait:g}" if store.tracing else ""
                store.turn_away(customer, cid, why)
                return
        if customer[ACCEPT_U] >= rule.accept:
            store.lose(now, cid, qty, "balked")
            return
        max_wait = customer[MAX_WAIT]
        if quote > max_wait:  # NaN compares False: no limit
            why = f"balked: quote {quote:g} > max_wait {max_wait:g}" if store.tracing else ""
            store.lose(now, cid, qty, why)
            return
        store.backorder(now, cid, qty, customer[PATIENCE])


_POLICIES: dict[str, type[StockoutPolicy]] = {policy.kind: policy for policy in (LostSales, Backorder)}


def build_stockout(cfg: ModelConfig) -> StockoutPolicy:
    """The stockout policy of a model, chosen by ``store.stockout``."""
    return _POLICIES[cfg.store.stockout].from_config(cfg)
