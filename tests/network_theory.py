"""The exact two-echelon result the network tests compare with (Graves 1985; Axsäter §5.3).

One warehouse (0) and stores i = 1..N, one-for-one base stock everywhere (levels S₀, Sᵢ),
Poisson unit demand λᵢ at the stores, constant transit times: supplier → warehouse L₀,
warehouse → store i Lᵢ, full backordering, FCFS at the warehouse.

* Store orders form Poisson processes (one-for-one), so the warehouse sees demand λ₀ = Σ λᵢ
  and its outstanding orders O₀ ~ Poisson(λ₀L₀) (Palm's theorem); its on hand (S₀ − O₀)⁺, its
  backorders B₀ = (O₀ − S₀)⁺.
* Each unit of B₀ belongs to store i with probability λᵢ/λ₀, independently (the orders are a
  thinning of one Poisson stream), so store i's share of the warehouse backorders is a binomial
  mixture Bᵢ⁰ | B₀ ~ Bin(B₀, λᵢ/λ₀).
* Store i's outstanding orders at time t are its share of the warehouse's backorders at t − Lᵢ
  plus its demand in (t − Lᵢ, t], independent of it: IOᵢ = Bᵢ⁰ + Poisson(λᵢLᵢ). Its net
  inventory is Sᵢ − IOᵢ (Axsäter, *Inventory Control*, 2nd ed., §5.3.2, "exact evaluation").

By PASTA a store's customer is served at once with probability P(IOᵢ ≤ Sᵢ − 1), and a store
order is shipped at once with probability P(O₀ ≤ S₀ − 1). Little's law turns mean backorders
into mean waits: a store order waits E[B₀]/λ₀ at the warehouse on average, so the mean
warehouse → store lead time is Lᵢ + E[B₀]/λ₀; a store's customers wait E[Bᵢ]/λᵢ on average
over all of them, that is E[Bᵢ]/(λᵢ · P(a customer waits)) over those who wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["StoreTheory", "TwoEchelon", "WarehouseTheory", "two_echelon"]

_TAIL = 1e-14
"""Probability mass left out of every truncated distribution."""


@dataclass(frozen=True)
class WarehouseTheory:
    fill_rate: float
    """P(a store order is shipped at once, in full) = P(O₀ ≤ S₀ − 1)."""
    avg_on_hand: float
    """E[(S₀ − O₀)⁺] [units]."""
    avg_backorders: float
    """E[(O₀ − S₀)⁺] = E[B₀] [units owed to stores]."""
    mean_delay: float
    """E[B₀]/λ₀: mean wait of a store order at the warehouse [time]."""


@dataclass(frozen=True)
class StoreTheory:
    fill_rate: float
    """P(IOᵢ ≤ Sᵢ − 1): a customer served at once."""
    avg_on_hand: float
    """E[(Sᵢ − IOᵢ)⁺] [units]."""
    avg_backorders: float
    """E[(IOᵢ − Sᵢ)⁺] [units]."""
    mean_wait: float
    """Mean wait of the customers who wait: E[Bᵢ] / (λᵢ (1 − fill rate)) [time]."""
    mean_lead_time: float
    """Lᵢ + E[B₀]/λ₀: mean realised warehouse → store lead time [time]."""


@dataclass(frozen=True)
class TwoEchelon:
    warehouse: WarehouseTheory
    stores: tuple[StoreTheory, ...]


def _poisson_pmf(mean: float) -> np.ndarray:
    """P(X = k), k = 0..K, with K past the 1 − 1e-14 quantile."""
    top = int(stats.poisson(mean).ppf(1 - _TAIL)) + 10 if mean > 0 else 0
    return np.asarray(stats.poisson(mean).pmf(np.arange(top + 1)), dtype=float)


def _stock(pmf: np.ndarray, level: int) -> tuple[float, float, float]:
    """For outstanding orders X with ``pmf`` and base stock ``level``: P(X ≤ level − 1),
    E[(level − X)⁺], E[(X − level)⁺]."""
    k = np.arange(len(pmf))
    fill = float(pmf[:level].sum()) if level > 0 else 0.0
    on_hand = float(np.sum(np.clip(level - k, 0, None) * pmf))
    backorders = float(np.sum(np.clip(k - level, 0, None) * pmf))
    return fill, on_hand, backorders


def two_echelon(s0: int, lead0: float, stores: Sequence[tuple[float, int, float]]) -> TwoEchelon:
    """The exact steady state of the system for warehouse level ``s0``, supplier lead time
    ``lead0`` and ``stores`` as (λᵢ, Sᵢ, Lᵢ)."""
    lam0 = sum(lam for lam, _, _ in stores)
    o0 = _poisson_pmf(lam0 * lead0)
    fill0, on_hand0, back0 = _stock(o0, s0)
    # B₀ = (O₀ − S₀)⁺
    b0 = np.zeros(max(1, len(o0) - s0))
    b0[0] = o0[: s0 + 1].sum()
    b0[1:] = o0[s0 + 1 :]
    delay = back0 / lam0
    out = []
    for lam, level, lead in stores:
        p = lam / lam0
        n = np.arange(len(b0))
        # P(Bᵢ⁰ = j) = Σₙ P(B₀ = n) · Bin(n, p)(j)
        share = np.array([np.sum(b0 * stats.binom(n, p).pmf(j)) for j in range(len(b0))])
        io = np.convolve(share, _poisson_pmf(lam * lead))
        fill, on_hand, back = _stock(io, level)
        wait = back / (lam * (1.0 - fill)) if fill < 1.0 else 0.0
        out.append(StoreTheory(fill, on_hand, back, wait, lead + delay))
    return TwoEchelon(WarehouseTheory(fill0, on_hand0, back0, delay), tuple(out))
