"""Statistics accumulated while a replication runs (memory independent of the horizon)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["Counters", "WaitSketch", "exact_quantile"]


def exact_quantile(values: list[float], p: float) -> float:
    """The ``p``-quantile of ``values`` (not empty) by linear interpolation between order
    statistics (Hyndman & Fan 1996, definition 7; NumPy's default ``method="linear"``): with
    x₍₀₎ ≤ … ≤ x₍ₙ₋₁₎ and h = (n − 1)·p, x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌊h⌋₊₁₎ − x₍⌊h⌋₎).

    Written in plain Python for the short lists of a small replication (NumPy's function costs
    tens of microseconds a call in set-up alone), with NumPy's floating-point steps: the index
    (n − 1)·p, the weight h − ⌊h⌋, x₍ₙ₋₁₎ from h ≥ n − 1 on, and the interpolation from the
    upper end when the weight is at least ½. So the result equals ``np.quantile(values, p)``
    to the last bit for finite values and 0 ≤ p ≤ 1 (tests/test_wait_sketch.py compares them),
    except that among values equal to 0 one sorted −0.0 may come out as 0.0 or the other way
    round; waits (a time minus an earlier one) are never −0.0.
    """
    n = len(values)
    ordered = sorted(values)
    h = (n - 1) * p
    if h >= n - 1:
        return float(ordered[-1])
    if h < 0:
        return float(ordered[0])
    low = math.floor(h)
    a, b = ordered[low], ordered[low + 1]
    weight = h - low
    step = b - a
    return float(b - step * (1 - weight) if weight >= 0.5 else a + step * weight)


class WaitSketch:
    """Mean and quantiles of waiting times in bounded memory.

    Up to ``exact_limit`` observations are kept and quantiles are exact (linear
    interpolation, NumPy's default). Beyond that, observations go to a histogram
    with geometrically spaced bins of relative width ``resolution`` from
    ``1e-9`` to ``1e9`` time units, whose quantiles are exact to that relative
    resolution. The mean is always exact.
    """

    __slots__ = ("_bins", "_exact", "_limit", "_log_step", "count", "total")

    LOW = 1e-9

    def __init__(self, exact_limit: int = 4096, resolution: float = 0.002) -> None:
        self._log_step = math.log1p(resolution)
        self._limit = exact_limit
        self.reset()

    def reset(self) -> None:
        """Forget every observation."""
        self.count = 0
        self.total = 0.0
        self._exact: list[float] | None = []
        self._bins: np.ndarray | None = None

    def add(self, wait: float) -> None:
        """Record one wait [time]."""
        self.count += 1
        self.total += wait
        exact = self._exact
        if exact is not None:
            exact.append(wait)
            if len(exact) > self._limit:
                self._to_histogram()
        else:
            self._bin(wait)

    def _n_bins(self) -> int:
        return int(math.log(1e18) / self._log_step) + 2

    def _bin(self, wait: float) -> None:
        assert self._bins is not None
        i = 0 if wait <= self.LOW else min(int(math.log(wait / self.LOW) / self._log_step) + 1, len(self._bins) - 1)
        self._bins[i] += 1

    def _to_histogram(self) -> None:
        exact, self._exact = self._exact, None
        self._bins = np.zeros(self._n_bins(), dtype=np.int64)
        for w in exact or ():
            self._bin(w)

    def add_all(self, other: WaitSketch) -> None:
        """Record every observation of ``other`` too (a network's stores together)."""
        if other._exact is not None:
            for w in other._exact:
                self.add(w)
            return
        assert other._bins is not None
        if self._exact is not None:
            self._to_histogram()
        assert self._bins is not None
        self._bins += other._bins
        self.count += other.count
        self.total += other.total

    @property
    def mean(self) -> float:
        """Mean wait, NaN without observations."""
        return self.total / self.count if self.count else math.nan

    def distribution(self) -> tuple[np.ndarray, np.ndarray]:
        """The observations as (values, weights) [time, count]: every wait with weight 1 while
        they are kept exactly, else the geometric centre of every non-empty histogram bin with
        its count (values within the sketch's relative resolution)."""
        if self._exact is not None:
            values = np.asarray(self._exact, dtype=float)
            return values, np.ones(len(values))
        assert self._bins is not None
        index = np.flatnonzero(self._bins)
        centres = np.where(index == 0, 0.0, self.LOW * np.exp((index - 0.5) * self._log_step))
        return centres, self._bins[index].astype(float)

    def quantile(self, p: float) -> float:
        """The ``p``-quantile of the waits, NaN without observations."""
        if not self.count:
            return math.nan
        if self._exact is not None:
            return exact_quantile(self._exact, p)
        assert self._bins is not None
        cum = np.cumsum(self._bins)
        i = int(np.searchsorted(cum, p * self.count, side="left"))
        if i == 0:
            return 0.0
        # geometric centre of bin i: [LOW·s^(i-1), LOW·s^i)
        return float(self.LOW * math.exp((i - 0.5) * self._log_step))


@dataclass(slots=True)
class Counters:
    """Everything a replication counts, as few increments per event as possible.

    Customer counts cover customers *arriving* in the window; time integrals,
    shipments and orders cover what *happens* in the window. A customer's fate
    at arrival is one of served immediately, lost or backordered, so the
    totals (``customers``, ``units_demanded``, shipments) are derived sums.
    """

    served_immediately: int = 0
    immediate_units: int = 0
    """Units of customers served immediately."""
    lost: int = 0
    lost_units: int = 0
    backordered: int = 0
    """Customers who entered the backorder queue."""
    backordered_units: int = 0
    """Units those customers wanted."""
    partial_units: int = 0
    """Units shipped at arrival to customers who then waited for the rest (partial shipments)."""
    cancelled: int = 0
    cancelled_units: int = 0
    expired: int = 0
    expired_units: int = 0
    served_after_wait: int = 0
    pending: int = 0
    pending_units: int = 0

    area_on_hand: float = 0.0
    """∫ on_hand dt over the window [unit·time]."""
    area_backorders: float = 0.0
    """∫ backordered units dt over the window [unit·time]."""
    stockout_time: float = 0.0
    """Time with on_hand = 0 in the window [time]."""
    shipped_from_queue: int = 0
    """Units shipped in the window to customers who had waited."""
    recovered_units: int = 0
    """Units shipped in the window to waitlisted customers (recovered sales)."""
    waitlist_joined: int = 0
    """Customers of the window who joined the "notify me" list."""
    waitlist_recovered: int = 0
    """Of those, customers who bought when stock returned."""
    goodwill_lost: int = 0
    """Potential customers of the window who went to competitors (goodwill)."""
    transshipped: int = 0
    """Customers served from another store's stock (a network's lateral transshipment)."""
    transshipped_units: int = 0
    """Units those customers bought (sold here, shipped from the other store)."""
    lateral_out: int = 0
    """Units this store shipped to another store's customers."""
    orders_placed: int = 0
    units_ordered: int = 0
    ordering_cost: float = 0.0
    period_ends: int = 0
    """Periodic review epochs in the window (the end-of-period observations)."""
    on_hand_at_period_ends: float = 0.0
    """Σ on_hand just before each of those epochs [units]."""
    backorders_at_period_ends: float = 0.0
    """Σ backordered units just before each of those epochs [units]."""

    total_received: int = 0
    """Units delivered over the whole run (conservation check)."""
    shipped_before_window: int = 0
    """Units shipped during the warm-up (conservation check)."""

    def count_give_up(self, cancelled: bool, units: int) -> None:
        """A customer of the window stopped waiting with ``units`` still owed: cancelled (its
        patience ran out) or expired (the stockout's ``expire_after``)."""
        if cancelled:
            self.cancelled += 1
            self.cancelled_units += units
        else:
            self.expired += 1
            self.expired_units += units

    @property
    def customers(self) -> int:
        """Arrivals in the window."""
        return self.served_immediately + self.lost + self.backordered + self.transshipped

    @property
    def units_demanded(self) -> int:
        """Units wanted by the window's arrivals."""
        return self.immediate_units + self.lost_units + self.backordered_units + self.transshipped_units

    @property
    def units_at_arrival(self) -> int:
        """Units shipped at the moment of arrival (whole requests and partial parts)."""
        return self.immediate_units + self.partial_units

    @property
    def units_shipped(self) -> int:
        """Units shipped in the window to this store's customers (revenue is booked on these)."""
        return (
            self.immediate_units
            + self.partial_units
            + self.shipped_from_queue
            + self.recovered_units
            + self.transshipped_units
        )

    @property
    def units_from_stock(self) -> int:
        """Units that left this store's stock in the window: its customers' (except those shipped
        from another store) and other stores' customers' (lateral transshipment)."""
        return self.units_shipped - self.transshipped_units + self.lateral_out

    @property
    def total_shipped(self) -> int:
        """Units that left the stock over the whole run (conservation check)."""
        return self.shipped_before_window + self.units_from_stock

    @staticmethod
    def total(parts: list[Counters]) -> Counters:
        """Every count of ``parts`` summed (a network's stores together)."""
        out = Counters()
        for f in fields(Counters):
            setattr(out, f.name, sum(getattr(c, f.name) for c in parts))
        return out

    def reset_window(self) -> None:
        """Zero every window quantity (at the end of the warm-up)."""
        before = self.total_shipped
        for f in fields(self):
            if f.name not in ("total_received", "shipped_before_window"):
                setattr(self, f.name, type(getattr(self, f.name))())
        self.shipped_before_window = before
