"""Which supplier gets a replenishment order? The sourcing rules (several suppliers).

One small base, one subclass per rule, chosen once from the configuration's
type. ``place`` sends an order of ``qty`` units; ``quote_supplier`` names the
supplier whose lead time a quote assumes for an order not yet placed. A rule
that looks at the store (expedite) sees it through
:class:`~supplysim.sim.ports.StoreView`, given at construction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from supplysim.scenario import ExpediteSourcing, FallbackSourcing, SingleSourcing, Sourcing, SplitSourcing
from supplysim.sim.ports import StoreView
from supplysim.sim.supplier import Supplier

__all__ = ["Expedite", "Fallback", "Single", "SourcingRule", "SplitByOrders", "SplitByQuantity", "build_sourcing"]


class SourcingRule:
    """Base of every rule."""

    def place(self, now: float, qty: int) -> None:
        """Send an order of ``qty`` units."""
        raise NotImplementedError

    def quote_supplier(self, now: float) -> Supplier:
        """The supplier a quote assumes for the next order."""
        raise NotImplementedError


class Single(SourcingRule):
    """All orders to one supplier."""

    def __init__(self, supplier: Supplier) -> None:
        self.supplier = supplier
        self.place = supplier.place  # type: ignore[assignment,method-assign]

    def quote_supplier(self, now: float) -> Supplier:
        return self.supplier


class SplitByQuantity(SourcingRule):
    """Each order split in parts proportional to the shares (largest-remainder rounding)."""

    def __init__(self, suppliers: Sequence[Supplier], shares: Sequence[float]) -> None:
        self.suppliers = list(suppliers)
        self.shares = list(shares)

    def place(self, now: float, qty: int) -> None:
        for supplier, part in zip(self.suppliers, split_quantity(qty, self.shares), strict=True):
            if part > 0:
                supplier.place(now, part)

    def quote_supplier(self, now: float) -> Supplier:
        # the order is complete when its slowest part arrives
        used = (s for s, w in zip(self.suppliers, self.shares, strict=True) if w > 0)
        return max(used, key=lambda s: s.promised_lead)


def split_quantity(qty: int, shares: Sequence[float]) -> list[int]:
    """Integer parts of ``qty`` proportional to ``shares``, summing to ``qty`` (Hamilton's method)."""
    exact = [qty * w for w in shares]
    parts = [int(x) for x in exact]
    rest = qty - sum(parts)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


class SplitByOrders(SourcingRule):
    """Whole orders in turn, each supplier getting its share of the orders (smooth weighted round robin)."""

    def __init__(self, suppliers: Sequence[Supplier], shares: Sequence[float]) -> None:
        self.suppliers = list(suppliers)
        self.shares = list(shares)
        self.credit = [0.0] * len(self.suppliers)

    def _next(self) -> int:
        credit = self.credit
        for i, w in enumerate(self.shares):
            credit[i] += w
        best = max(range(len(credit)), key=lambda i: (credit[i], -i))
        credit[best] -= 1.0
        return best

    def place(self, now: float, qty: int) -> None:
        self.suppliers[self._next()].place(now, qty)

    def quote_supplier(self, now: float) -> Supplier:
        # the supplier that would get the next order, without consuming the turn
        saved = list(self.credit)
        chosen = self.suppliers[self._next()]
        self.credit = saved
        return chosen


class Fallback(SourcingRule):
    """The first supplier (by preference) that is not down; the first if all are down."""

    def __init__(self, suppliers: Sequence[Supplier]) -> None:
        self.suppliers = list(suppliers)

    def choose(self, now: float) -> Supplier:
        for supplier in self.suppliers:
            if not supplier.is_down(now):
                return supplier
        return self.suppliers[0]

    def place(self, now: float, qty: int) -> None:
        self.choose(now).place(now, qty)

    def quote_supplier(self, now: float) -> Supplier:
        return self.choose(now)


class Expedite(SourcingRule):
    """Primary supplier, except while the backorder queue or the quoted wait is above its threshold."""

    def __init__(
        self,
        primary: Supplier,
        fast: Supplier,
        backorders_above: int | None,
        quoted_wait_above: float | None,
        store: StoreView,
    ) -> None:
        self.primary = primary
        self.fast = fast
        self.backorders_above = backorders_above
        self.quoted_wait_above = quoted_wait_above
        self.store = store
        """The store whose queue and quote decide."""

    def urgent(self, now: float) -> bool:
        """True when the next order should be expedited."""
        store = self.store
        if self.backorders_above is not None and store.waiting > self.backorders_above:
            return True
        return self.quoted_wait_above is not None and store.quote(now, 1) > self.quoted_wait_above

    def place(self, now: float, qty: int) -> None:
        (self.fast if self.urgent(now) else self.primary).place(now, qty)

    def quote_supplier(self, now: float) -> Supplier:
        return self.primary


def build_sourcing(cfg: Sourcing, suppliers: Sequence[Supplier], store: StoreView) -> SourcingRule:
    """The rule for a validated sourcing section, over the runtime suppliers (in listed order),
    for the store that will place the orders."""
    by_name = {s.name: s for s in suppliers}
    builders: dict[type, Callable[[Any], SourcingRule]] = {
        SingleSourcing: lambda c: Single(by_name[c.supplier] if c.supplier else suppliers[0]),
        SplitSourcing: lambda c: (SplitByQuantity if c.by == "quantity" else SplitByOrders)(
            [by_name[n] for n in c.shares], list(c.shares.values())
        ),
        FallbackSourcing: lambda c: Fallback([by_name[n] for n in c.order] if c.order else suppliers),
        ExpediteSourcing: lambda c: Expedite(
            by_name[c.primary], by_name[c.expedite_to], c.backorders_above, c.quoted_wait_above, store
        ),
    }
    return builders[type(cfg)](cfg)
