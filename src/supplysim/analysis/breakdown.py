"""Why profits differ: a policy's profit difference from the baseline, component by component.

Profit is, in every replication (``docs/model.md``, Economics),

    profit = revenue − ordering_cost − holding_cost − backorder_cost − lost_sale_cost,

minus ``transshipment_cost`` in a network with lateral transshipment (``docs/network.md``),
so the paired difference of profit is the sum of the paired differences of its components,
each with the sign it has in profit: Δprofit = Δrevenue − Δordering − Δholding − Δbackorder −
Δlost-sale (− Δtransshipment). The means add up exactly (up to floating-point rounding); each contribution has
its own paired-t interval (Law 2015, §10.2.1), and those half-widths do not add. Units sold
(revenue / price) say how much of the revenue difference is volume.

Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.intervals import Difference, paired_difference

__all__ = [
    "COMPONENTS",
    "TRANSSHIPMENT",
    "Component",
    "Contribution",
    "ProfitBreakdown",
    "components",
    "profit_breakdown",
]


@dataclass(frozen=True)
class Component:
    """A term of profit: the indicator, a name a manager reads, and its sign in profit (+1 or −1)."""

    kpi: str
    label: str
    sign: int


COMPONENTS: tuple[Component, ...] = (
    Component("revenue", "revenue", +1),
    Component("ordering_cost", "purchases", -1),
    Component("holding_cost", "holding", -1),
    Component("backorder_cost", "waiting", -1),
    Component("lost_sale_cost", "penalty", -1),
)
"""The terms of profit, in the order of ``docs/model.md``'s Economics table."""

TRANSSHIPMENT = Component("transshipment_cost", "lateral shipping", -1)
"""The term a network with lateral transshipment adds: the cost of the units shipped between stores."""


def components(exp: Experiment) -> tuple[Component, ...]:
    """The terms of profit in ``exp``: :data:`COMPONENTS`, and :data:`TRANSSHIPMENT` when one of its
    policies ships between stores (its indicators include ``transshipment_cost``)."""
    return (*COMPONENTS, TRANSSHIPMENT) if "transshipment_cost" in exp.kpis else COMPONENTS


@dataclass(frozen=True)
class Contribution:
    """What one component adds to the profit difference: sign × (policy − baseline), paired [money]."""

    component: Component
    diff: Difference


@dataclass(frozen=True)
class ProfitBreakdown:
    """A policy's profit difference from the baseline, and where it comes from."""

    policy: str
    baseline: str
    profit: Difference
    """Paired difference of profit [money]."""
    parts: tuple[Contribution, ...]
    """One per term of :func:`components`, in order; their means add up to ``profit.diff``."""
    units_sold: Difference
    """Paired difference of units sold (revenue / price) [units]; NaN when a price is 0."""


def _units_sold(exp: Experiment, policy: str) -> list[float]:
    price = exp.scenario.policies[policy].product.price
    return [v / price if price > 0 else math.nan for v in exp.series(policy, "revenue")]


def profit_breakdown(exp: Experiment, policy: str) -> ProfitBreakdown:
    """The profit difference of ``policy`` from the baseline, split into its :func:`components`."""
    base = exp.baseline
    parts = tuple(
        Contribution(
            c,
            paired_difference(
                [c.sign * v for v in exp.series(policy, c.kpi)], [c.sign * v for v in exp.series(base, c.kpi)]
            ),
        )
        for c in components(exp)
    )
    return ProfitBreakdown(
        policy,
        base,
        exp.difference(policy, "profit"),
        parts,
        paired_difference(_units_sold(exp, policy), _units_sold(exp, base)),
    )
