"""Small, fast scenarios shared by the tests: TINY (the CLI, API, sweep and Dask tests) and SHOP
(the catalog tests).

Three policies (backorder, out-of-stock, a hybrid) on an (s, S) store with two
segments, so that balking, quotes, patience and lost sales all happen in 30 days.
"""

from __future__ import annotations

import re

__all__ = ["SUMMARY_COLUMNS", "TINY", "tiny", "without_policy"]

TINY = """\
name: tiny
description: a small, fast scenario for the tests
horizon: 30
warmup: 5
replications: 3
seed: 5
product:
  price: 10
  holding_cost: 0.1
  backorder_cost: 0.2
  lost_sale_cost: 1
demand:
  rate: 4
  quantity: {dist: choice, values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}
segments:
  - name: patient
    share: 0.6
    accept_backorder: 0.9
    max_wait: {dist: triangular, low: 1, mode: 3, high: 8}
    patience: {dist: normal, mean: 5, sd: 2}
  - name: impulse
    share: 0.4
    accept_backorder: 0.3
    patience: {dist: exponential, mean: 1}
supplier:
  lead_time: {dist: uniform, low: 1, high: 4}
  unit_cost: 4
  order_cost: 5
store:
  initial_stock: 15
  stockout: backorder
replenishment:
  policy: sS
  reorder_point: 8
  order_up_to: 20
policies:
  backorder: {}
  out_of_stock:
    store: {stockout: lost_sales}
  hybrid:
    store: {max_quoted_wait: 1.5}
"""


def tiny(**header: object) -> str:
    """:data:`TINY` with top-level keys (name, horizon, warmup, replications, seed, …) replaced."""
    text = TINY
    for key, value in header.items():
        text, n = re.subn(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.M)
        assert n == 1, key
    return text


def without_policy(text: str, policy: str) -> str:
    """``text`` without the policy ``policy`` (a two-line body under ``policies:``)."""
    out = re.sub(rf"^  {policy}:\n    .*\n", "", text, count=1, flags=re.M)
    assert out != text, policy
    return out


SUMMARY_COLUMNS = [
    "policy",
    "kpi",
    "mean",
    "sd",
    "ci95_half_width",
    "n",
    "diff_vs_baseline",
    "diff_ci95_low",
    "diff_ci95_high",
]
"""Columns of ``summary.csv`` and of ``Results.summary()`` (the contract's cli.md)."""


SHOP = """\
name: shop
horizon: 20
warmup: 0
replications: 4
seed: 11
product: {price: 10, holding_cost: 0.05, backorder_cost: 0.1, lost_sale_cost: 2}
demand: {rate: 3}
segments:
  - {name: all, share: 1, accept_backorder: 0.8, patience: {dist: exponential, mean: 4}}
supplier: {lead_time: {dist: exponential, mean: 2}, unit_cost: 4, order_cost: 5}
store: {initial_stock: 8, stockout: backorder}
replenishment: {policy: rQ, reorder_point: 4, order_quantity: 8}
policies:
  backorder: {}
  out_of_stock: {store: {stockout: lost_sales}}
"""
"""The small catalog template of the catalog tests: two stockout policies, 20 days (docs/catalog.md)."""
