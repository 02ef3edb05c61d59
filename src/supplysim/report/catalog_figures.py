"""Figures of a catalog run: the portfolio's gains, the choices by ABC class, gain against revenue.

Each function takes a :class:`~supplysim.report.catalog_view.CatalogView` (the run's output
data; nothing is simulated here) and returns a :class:`matplotlib.figure.Figure` built without
pyplot, in the style of :mod:`supplysim.report.figures`: the same policy colours, axis labels
from the indicator registry with the currency, user-supplied names drawn literally.

Intervals are those of the files: a product's paired-t interval of best − baseline (Law 2015,
§10.2.1) and the portfolio's totals over independent products with Welch–Satterthwaite degrees
of freedom (``docs/catalog.md``, "The portfolio").
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from supplysim.report.catalog_view import CatalogView, Gain
from supplysim.report.figures import _caption, _Grid, _label, _tidy, _value_axis, literal, policy_colors

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CATALOG_FIGURES", "choices_figure", "gains_figure", "revenue_figure", "tally"]

CATALOG_FIGURES: tuple[str, ...] = ("gains", "choices", "revenue")
"""The figures of a catalog page, written as ``plots/<name>.png``."""

_GOOD, _BAD, _NOISE = "#1e7b45", "#b3261e", "#8a949e"
TIED_HATCH = "////"
"""How the tied share of a bar is drawn (lighter, hatched)."""


def _gain_color(g: Gain) -> str:
    if not g.real:
        return _NOISE
    return _GOOD if g.diff > 0 else _BAD


def _errorbar_row(ax: Axes, y: float, g: Gain, color: str, filled: bool) -> None:
    lo = g.diff - g.low if math.isfinite(g.low) else 0.0
    hi = g.high - g.diff if math.isfinite(g.high) else 0.0
    ax.errorbar(
        g.diff,
        y,
        xerr=[[max(0.0, lo)], [max(0.0, hi)]],
        fmt="o",
        color=color,
        markerfacecolor=color if filled else "white",
        markeredgecolor=color,
        markersize=7,
        elinewidth=1.6,
        capsize=4,
        zorder=3,
    )


def gains_figure(view: CatalogView) -> Figure:
    """Two panels of horizontal intervals on the objective: left, the per-product choice against
    each policy used for every product (the portfolio's ``gain``); right, the choice against the
    baseline within each ABC class. Filled when the 95% interval excludes 0 (green a gain, red
    a loss), hollow grey within the noise."""
    obj = view.objective
    sc = view.scenario
    others = view.policies
    classes = view.classes
    rows = max(len(others), len(classes), 1)
    grid = _Grid(2, 1, 3.9, 0.42 * rows + 0.6, left=1.45, right=0.3, top=0.95, bottom=0.75, gap_width=1.2)
    fig, (left, right) = grid.figure(2)
    for ax in (left, right):
        _tidy(ax)
        ax.grid(False, axis="y")
        ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
        ax.axvline(0, color="#888888", linewidth=0.9, zorder=1)
    for i, p in enumerate(others):
        g = view.gain_over(p)
        if g.defined:
            _errorbar_row(left, i, g, _gain_color(g), g.real)
    left.set_yticks(range(len(others)), [literal(p + (" (baseline)" if p == view.baseline else "")) for p in others])
    left.set_ylim(len(others) - 0.5, -0.5)
    left.set_title(literal("The choice per product vs one policy for all"), fontsize=10, loc="left")
    for i, c in enumerate(classes):
        g = view.class_gain(c)
        if g.defined:
            _errorbar_row(right, i, g, _gain_color(g), g.real)
    right.set_yticks(range(len(classes)), [literal(f"{c} ({view.class_count(c)} products)") for c in classes])
    right.set_ylim(len(classes) - 0.5, -0.5)
    right.set_title(literal(f"… vs {view.baseline} for all, by class"), fontsize=10, loc="left")
    for ax in (left, right):
        _value_axis(ax, obj, axis="x", difference=True)
        ax.set_xlabel("Gain in " + _label(obj, sc.time_unit, sc.currency), fontsize=9, color="#444444")
        low, high = ax.get_xlim()
        span = max(abs(low), abs(high)) or 1.0
        if low > -0.05 * span:
            ax.set_xlim(left=-0.05 * span)
        if high < 0.05 * span:
            ax.set_xlim(right=0.05 * span)
    _caption(
        fig,
        f"Total gain over all products of choosing each product's best policy, with its 95% interval "
        f"({view.replications} replications per product; products are independent, so the variances add). "
        "Filled: the interval excludes 0; hollow grey: within the noise.",
    )
    return fig


def tally(view: CatalogView, klass: str | None = None) -> dict[tuple[str, bool], int]:
    """How many products (of one class, or all) have each best policy, split by tied: ``{(policy, tied): n}``.
    Products without a feasible policy count under ``("infeasible", False)``."""
    return view.tally(klass)


def _dark(color: str) -> bool:
    """Whether white text reads better than black on ``color`` (relative luminance below 0.4, WCAG 2)."""
    from matplotlib.colors import to_rgb

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in to_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4


def choices_figure(view: CatalogView) -> Figure:
    """One horizontal bar per ABC class (and one for the whole catalog): the products by best
    policy in the policy's colour, the tied ones as a lighter hatched part of the same colour."""
    policies = view.policies
    colors = policy_colors(policies) | {"infeasible": "#444444"}
    groups = [*view.classes, None]
    labels = [literal(f"class {c}") if c is not None else "all products" for c in groups]
    grid = _Grid(1, 1, 6.2, 0.45 * len(groups) + 0.5, left=1.25, right=2.4, top=0.95, bottom=0.65)
    fig, (ax,) = grid.figure(1)
    _tidy(ax)
    ax.grid(False, axis="y")
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    keys = [(p, t) for p in [*policies, "infeasible"] for t in (False, True)]
    for y, c in enumerate(groups):
        counts = tally(view, c)
        start = 0
        for p, tied in keys:
            n = counts.get((p, tied), 0)
            if not n:
                continue
            ax.barh(
                y,
                n,
                left=start,
                height=0.62,
                color=colors[p],
                alpha=0.45 if tied else 1.0,
                hatch=TIED_HATCH if tied else None,
                edgecolor="white",
                linewidth=0.8,
                zorder=2,
                gid=f"{p}|{'tied' if tied else 'decided'}",
            )
            if n >= 0.04 * max(1, view.products if c is None else sum(counts.values())):
                ink = "white" if not tied and _dark(colors[p]) else "#111111"  # readable on the segment
                ax.text(start + n / 2, y, str(n), ha="center", va="center", fontsize=8, color=ink, zorder=3)
            start += n
    ax.set_yticks(range(len(groups)), labels)
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.set_xlim(0, max(1, view.products) * 1.02)
    ax.set_xlabel("products", fontsize=9, color="#444444")
    handles: list[Patch | Line2D] = [Patch(facecolor=colors[p], label=literal(p)) for p in policies]
    handles.append(Patch(facecolor="#bbbbbb", hatch=TIED_HATCH, edgecolor="white", label="lighter, hatched: tied"))
    if view.infeasible:
        handles.append(Patch(facecolor=colors["infeasible"], label="no policy meets\nthe constraints"))
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=8.5,
        frameon=False,
        title="best policy",
        title_fontsize=8,
    )
    _caption(
        fig,
        "The best policy of each product, counted per ABC class. Tied: the best is not distinguishable "
        f"from the runner-up with {view.replications} replications (the choice barely matters, or more "
        "replications are needed to tell).",
    )
    return fig


def _dots(view: CatalogView) -> str:
    pts = view.points
    if not pts.sampled:
        return "One dot per product"
    return f"A uniform sample of {len(pts.revenue):,} of the {pts.eligible:,} products, one dot each"


def revenue_figure(view: CatalogView) -> Figure:
    """Each product's gain of its best policy over the baseline (with its paired 95% interval)
    against its revenue under the baseline (log scale): filled in the best policy's colour when
    the best is decided, hollow when tied. Beyond
    :data:`~supplysim.report.catalog_view.MAX_FIGURE_POINTS` products, a seeded uniform sample of them."""
    sc = view.scenario
    obj = view.objective
    policies = view.policies
    colors = policy_colors(policies)
    grid = _Grid(1, 1, 6.4, 3.6, left=1.0, right=2.4, top=0.75, bottom=0.65)
    fig, (ax,) = grid.figure(1)
    _tidy(ax)
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    ax.axhline(0, color="#888888", linewidth=0.9, zorder=1)
    for p in policies:
        for tied in (False, True):
            x, y, lo, hi = view.points.of(p, tied)
            if not len(x):
                continue
            ax.errorbar(
                x,
                y,
                yerr=[np.maximum(lo, 0), np.maximum(hi, 0)],
                fmt="none",
                ecolor=colors[p],
                elinewidth=0.7,
                alpha=0.35,
                zorder=2,
            )
            ax.scatter(
                x,
                y,
                s=22,
                facecolors="white" if tied else colors[p],
                edgecolors=colors[p],
                linewidths=1.0,
                zorder=3,
                label=literal(p) + (" (tied)" if tied else ""),
                gid=f"{p}|{'tied' if tied else 'decided'}",
            )
    if view.any_revenue:
        ax.set_xscale("log")
    _value_axis(ax, obj, difference=True)
    ax.set_xlabel(
        _label("revenue", sc.time_unit, sc.currency) + f" under {literal(view.baseline)}", fontsize=9, color="#444444"
    )
    ax.set_ylabel("Gain in " + _label(obj, sc.time_unit, sc.currency), fontsize=9, color="#444444")
    ax.legend(
        loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.5, frameon=False, title="best policy", title_fontsize=8
    )
    _caption(
        fig,
        _dots(view) + f": the gain of its best policy over {literal(view.baseline)} (0 when the baseline "
        "is best) with its 95% paired interval, against its revenue. Hollow: tied with the runner-up. Where "
        "the big gains sit tells where the decision is worth a look.",
    )
    return fig
