"""A supplier: when an order placed now will arrive, and what the store can promise.

Three capacity models (``docs/model.md``):

* unlimited (default): arrival = placement + L, independently, so orders may cross;
* ``servers: n``: orders are processed first come first served by n servers, each
  order's lead time being its processing time. Its start is
  max(placement, earliest free server), known at placement (the Kiefer–Wolfowitz
  recursion for FIFO multi-server queues), so one event per order suffices;
* ``no_crossing``: arrival = max(own arrival, previous order's arrival).

For quotes the supplier estimates when each outstanding order will arrive,
given what the store can see at that moment (``docs/model.md``, "Quoted wait"):

* with ``quoted_lead_time`` set, the supplier's promise: placement (or service
  start) + quoted lead time, and "any moment now" once overdue;
* otherwise the conditional expectation given that the order has not arrived
  yet: now + m(age), with m the mean residual life of the lead-time law
  (E[L − a | L > a]); orders still queued at a ``servers`` supplier start when
  a server is expected to free up and then take the mean lead time;
* with ``no_crossing``, each estimate is at least the previous order's.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterator

import numpy as np
from simpy.events import Event

from supplysim.distributions import ContinuousDistribution
from supplysim.scenario import Supplier as SupplierConfig
from supplysim.sim.clock import DELIVERY, Clock

__all__ = ["Order", "ResidualLeadTime", "Supplier", "UnlimitedSupplier", "build_supplier"]


class ResidualLeadTime:
    """m(a) = E[L − a | L > a] of a lead-time law, tabulated on 257 ages and interpolated."""

    def __init__(self, dist: ContinuousDistribution) -> None:
        upper = _upper(dist)
        self._ages = np.linspace(0.0, upper, 257).tolist()
        self._values = dist.residual_mean(np.asarray(self._ages)).tolist()

    def __call__(self, age: float) -> float:
        ages, values = self._ages, self._values
        if age <= 0.0:
            return float(values[0])
        i = bisect.bisect_right(ages, age)
        if i >= len(ages):
            return float(values[-1])
        a0, a1 = ages[i - 1], ages[i]
        return float(values[i - 1] + (values[i] - values[i - 1]) * (age - a0) / (a1 - a0))


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


_TABLES: dict[str, ResidualLeadTime] = {}


def residual_lead_time(dist: ContinuousDistribution) -> ResidualLeadTime:
    """The residual-life table of ``dist``, cached per process by the distribution's parameters."""
    key = dist.model_dump_json()
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = ResidualLeadTime(dist)
    return table


class Order(Event):
    """A replenishment order in transit; it is also the event of its delivery."""

    def __init__(
        self, env: Clock, on_delivery: Callable[[Order], None], id: int, qty: int, start: float, due: float
    ) -> None:
        # Inlined from Event.__init__, as simpy.Timeout does, for speed.
        self.env = env
        self.callbacks = [on_delivery]
        self._value = None
        self._ok = True
        env.schedule(self, DELIVERY, due - env._now)  # type: ignore[arg-type]
        self.id = id
        """Order number, in order of placement."""
        self.qty = qty
        """Units ordered."""
        self.start = start
        """When the supplier starts working on it (= placement without ``servers``)."""
        self.due = due
        """Actual arrival time."""


class Supplier:
    """Runtime state of one supplier (any capacity model; see :class:`UnlimitedSupplier`)."""

    def __init__(self, cfg: SupplierConfig, lead_times: Iterator[float]) -> None:
        self.cfg = cfg
        self.unit_cost = cfg.unit_cost
        self.order_cost = cfg.order_cost
        self.promised_lead = cfg.promised_lead_time
        self._lead = lead_times
        self._servers = cfg.servers
        self._free: list[float] = [0.0] * (cfg.servers or 0)
        self._no_crossing = cfg.no_crossing
        self._last_due = 0.0
        self._next_id = 0
        self._residual: ResidualLeadTime | None = None
        """Built on the first quote (scenarios without quotes never need it)."""
        self.outstanding: dict[int, Order] = {}
        """Orders placed and not yet delivered, in order of placement."""
        self._env: Clock | None = None
        self._on_delivery: Callable[[Order], None] | None = None

    def connect(self, env: Clock, on_delivery: Callable[[Order], None]) -> None:
        """Deliver orders on ``env`` to ``on_delivery`` (the store's receiving dock)."""
        self._env = env
        self._on_delivery = on_delivery

    def place(self, now: float, qty: int) -> Order:
        """Record an order placed at ``now`` and return it with its arrival time."""
        lead = next(self._lead)
        if self._servers is None:
            start = now
        else:
            start = max(now, heapq.heappop(self._free))
            heapq.heappush(self._free, start + lead)
        due = start + lead
        if self._no_crossing:
            due = max(due, self._last_due)
            self._last_due = due
        ident = self._next_id
        self._next_id = ident + 1
        order = self.outstanding[ident] = Order(self._env, self._on_delivery, ident, qty, start, due)  # type: ignore[arg-type]
        return order

    def expected_arrivals(self, now: float, new_order_at: float) -> tuple[list[tuple[float, int]], float]:
        """Estimated arrivals of the outstanding orders, sorted, and of one placed at ``new_order_at``.

        Returns ``([(time, units), …], time of the new order)``; see the module docstring.
        """
        quoted = self.cfg.quoted_lead_time is not None
        residual = self._residual
        if residual is None:
            residual = self._residual = residual_lead_time(self.cfg.lead_time)
        lead = self.promised_lead
        out: list[tuple[float, int]] = []
        queued: list[Order] = []
        busy: list[float] = []
        last = now
        for order in self.outstanding.values():
            if order.start > now:
                queued.append(order)
                continue
            if quoted:
                e = max(order.start + lead, now)
            else:
                e = now + residual(now - order.start)
            if self._servers is not None:
                busy.append(e)
            if self._no_crossing:
                e = last = max(e, last)
            out.append((e, order.qty))
        free = busy + [now] * ((self._servers or 0) - len(busy))
        heapq.heapify(free)
        for order in queued:
            start = heapq.heappop(free)
            e = start + lead
            heapq.heappush(free, e)
            if self._no_crossing:
                e = last = max(e, last)
            out.append((e, order.qty))
        if self._servers is None:
            new = new_order_at + lead
        else:
            new = max(new_order_at, heapq.heappop(free)) + lead
        if self._no_crossing:
            new = max(new, last)
        out.sort()
        return out, new


class UnlimitedSupplier(Supplier):
    """The default supplier: every order's lead time starts at placement, orders may cross."""

    def place(self, now: float, qty: int) -> Order:
        """Record an order placed at ``now``; it arrives after one lead-time draw."""
        ident = self._next_id
        self._next_id = ident + 1
        order = self.outstanding[ident] = Order(
            self._env,  # type: ignore[arg-type]
            self._on_delivery,  # type: ignore[arg-type]
            ident,
            qty,
            now,
            now + next(self._lead),
        )
        return order


def build_supplier(cfg: SupplierConfig, lead_times: Iterator[float]) -> Supplier:
    """The runtime supplier for a configuration (chosen by its capacity model)."""
    if cfg.servers is None and not cfg.no_crossing:
        return UnlimitedSupplier(cfg, lead_times)
    return Supplier(cfg, lead_times)
