"""Statistics accumulated while a replication runs (memory independent of the horizon)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["Counters", "WaitSketch"]


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

    @property
    def mean(self) -> float:
        """Mean wait, NaN without observations."""
        return self.total / self.count if self.count else math.nan

    def quantile(self, p: float) -> float:
        """The ``p``-quantile of the waits, NaN without observations."""
        if not self.count:
            return math.nan
        if self._exact is not None:
            return float(np.quantile(np.asarray(self._exact), p))
        assert self._bins is not None
        cum = np.cumsum(self._bins)
        i = int(np.searchsorted(cum, p * self.count, side="left"))
        if i == 0:
            return 0.0
        # geometric centre of bin i: [LOW·s^(i-1), LOW·s^i)
        return float(self.LOW * math.exp((i - 0.5) * self._log_step))


@dataclass(slots=True)
class Counters:
    """Everything a replication counts.

    Customer counts cover customers *arriving* in the window; time integrals,
    shipments and orders cover what *happens* in the window. ``total_*`` fields
    cover the whole run and serve the conservation check.
    """

    customers: int = 0
    units_demanded: int = 0
    served_immediately: int = 0
    units_at_arrival: int = 0
    """Units shipped at the moment of arrival (immediately or as the partial part)."""
    lost: int = 0
    lost_units: int = 0
    backordered: int = 0
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
    units_shipped: int = 0
    orders_placed: int = 0
    units_ordered: int = 0
    ordering_cost: float = 0.0

    total_received: int = 0
    total_shipped: int = 0

    def reset_window(self) -> None:
        """Zero every window quantity (at the end of the warm-up)."""
        for f in fields(self):
            if not f.name.startswith("total_"):
                setattr(self, f.name, type(getattr(self, f.name))())
