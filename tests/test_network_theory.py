"""The exact two-echelon formulas of ``tests/network_theory.py`` reduce to the known special cases.

The network tests lean on these numbers, so they are checked first: a warehouse that never
runs out gives Palm's base-stock model at each store with lead time Lᵢ; a warehouse without
stock (S₀ = 0) gives the constant lead time L₀ + Lᵢ; the warehouse itself is Palm's model with
Poisson(λ₀L₀) outstanding orders; and the shares of the warehouse's backorders add up.
"""

from __future__ import annotations

import pytest
from scipy import stats

from network_theory import two_echelon

STORES = [(2.0, 6, 1.0), (3.0, 9, 2.0), (0.5, 3, 0.5)]


def palm(rate: float, level: int, lead: float) -> tuple[float, float, float]:
    d = stats.poisson(rate * lead)
    on_hand = sum((level - k) * d.pmf(k) for k in range(level))
    return float(d.cdf(level - 1)), float(on_hand), float(rate * lead - level + on_hand)


def test_a_warehouse_that_never_runs_out_gives_palm_at_each_store() -> None:
    t = two_echelon(200, 4.0, STORES)  # O₀ ~ Poisson(22): P(O₀ ≥ 200) is nil
    assert t.warehouse.fill_rate == pytest.approx(1.0, abs=1e-12)
    for (lam, level, lead), store in zip(STORES, t.stores, strict=True):
        fill, on_hand, back = palm(lam, level, lead)
        assert (store.fill_rate, store.avg_on_hand, store.avg_backorders) == pytest.approx(
            (fill, on_hand, back), abs=1e-10
        )
        assert store.mean_lead_time == pytest.approx(lead, abs=1e-10)


def test_a_warehouse_without_stock_adds_its_lead_time() -> None:
    t = two_echelon(0, 4.0, STORES)
    for (lam, level, lead), store in zip(STORES, t.stores, strict=True):
        fill, on_hand, back = palm(lam, level, 4.0 + lead)
        assert (store.fill_rate, store.avg_on_hand, store.avg_backorders) == pytest.approx(
            (fill, on_hand, back), abs=1e-10
        )
        assert store.mean_lead_time == pytest.approx(4.0 + lead, abs=1e-10)
    assert t.warehouse.avg_backorders == pytest.approx(5.5 * 4.0, rel=1e-10)  # every outstanding unit is owed


def test_the_warehouse_is_palm_and_its_backorders_split_by_demand() -> None:
    s0, lead0 = 20, 4.0
    t = two_echelon(s0, lead0, STORES)
    fill, on_hand, back = palm(5.5, s0, lead0)
    w = t.warehouse
    assert (w.fill_rate, w.avg_on_hand, w.avg_backorders) == pytest.approx((fill, on_hand, back), abs=1e-10)
    assert w.mean_delay == pytest.approx(back / 5.5)
    # Little: each store's mean outstanding orders = its share of B₀ + λᵢLᵢ = S − on hand + backorders
    for (lam, level, lead), store in zip(STORES, t.stores, strict=True):
        outstanding = lam / 5.5 * back + lam * lead
        assert level - store.avg_on_hand + store.avg_backorders == pytest.approx(outstanding, rel=1e-9)
        assert store.mean_lead_time == pytest.approx(lead + back / 5.5)
