"""Figures of a run: indicators per policy, stock trajectories, waits, the profit/service trade-off, sweeps.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no display, no
global state), so it can be saved (``fig.savefig("x.png")``), shown in a notebook, or embedded in
the HTML report (:mod:`supplysim.report.html`). Each policy keeps the same colour in every figure; the
baseline is drawn hatched and named "(baseline)".

The trajectories and waits come from the event trace of one replication (the experiment's first,
replication 0 by default) re-simulated per policy with ``trace=True``: the same customers and
supplier delays as in the experiment (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.kpis import HEADLINE, REGISTRY, NumberFormat, Unit, display_name, format_value, lookup
from supplysim.analysis.samples import PolicySample
from supplysim.report.outcome import Outcome, experiment_of
from supplysim.scenario import BaseStock, ModelConfig, Periodic

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "HEADLINE_KPIS",
    "LABELS",
    "indicators_figure",
    "is_rate",
    "policy_colors",
    "reorder_level",
    "sweep_figure",
    "tradeoff_figure",
    "trajectories_figure",
    "waits_figure",
]

HEADLINE_KPIS: tuple[str, ...] = HEADLINE

LABELS: dict[str, str] = {k.kind: k.label for k in REGISTRY}
"""Plain-words names of the indicators, by name (the kind before ``@`` for per-supplier ones);
read from the registry, :mod:`supplysim.analysis.kpis`."""

_PALETTE = ("#1f5a8c", "#d1742a", "#3a9a5b", "#8e4fa3", "#c23b4a", "#6b7d8f", "#b8902e", "#2d9aa6")
"""Muted, colour-blind-tolerant qualitative palette; the baseline takes the first colour."""

_DPI = 110


def _style(fig: Figure) -> None:
    fig.set_facecolor("white")


def _caption(fig: Figure, text: str) -> None:
    """The figure's caption line, top left, in the light grey of every figure."""
    fig.suptitle(text, fontsize=9, color="#555555", x=0.01, y=0.995, va="top", ha="left")


def _new_figure(
    width: float,
    height: float,
    *,
    left: float = 0.8,
    right: float = 0.2,
    top: float = 0.62,
    bottom: float = 0.5,
    wspace: float = 0.75,
    hspace: float = 0.75,
) -> Figure:
    """A white figure of ``width`` × ``height`` inches whose subplots leave fixed margins
    [inches] for tick labels, titles and the caption line.

    Fixed margins rather than a layout engine: a constrained layout measures every text
    before drawing, which made the figures cost more than the simulation of a small run.
    ``wspace``/``hspace`` are the gaps between panels [inches].
    """
    fig = Figure(figsize=(width, height), dpi=_DPI)
    _style(fig)
    fig.subplots_adjust(
        left=left / width,
        right=1.0 - right / width,
        top=1.0 - top / height,
        bottom=bottom / height,
        wspace=wspace / max(width / 3.0, 1e-9),
        hspace=hspace / max(height / 3.0, 1e-9),
    )
    return fig


def _tidy(ax: Axes) -> None:
    """Light axes: no top/right spines, faint grid behind the data."""
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.spines["left"].set_color("#888888")
    ax.spines["bottom"].set_color("#888888")
    ax.tick_params(colors="#333333", labelsize=8.5)
    ax.grid(True, axis="y", color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)


def policy_colors(policies: Sequence[str]) -> dict[str, str]:
    """A colour per policy, stable across figures (in the scenario's order)."""
    return {p: _PALETTE[i % len(_PALETTE)] for i, p in enumerate(policies)}


def is_rate(kpi: str) -> bool:
    """True for indicators shown as percentages (as in the terminal table)."""
    return lookup(kpi).format is NumberFormat.PERCENT


def _label(kpi: str, time_unit: str | None = None) -> str:
    text = display_name(kpi)
    if lookup(kpi).unit is Unit.TIME and time_unit:
        text += f" [{time_unit}s]"
    return text


def _policy_label(policy: str, baseline: str) -> str:
    return f"{policy}\n(baseline)" if policy == baseline else policy


def _money(x: float, _pos: object = None) -> str:
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.1f}M"
    if a >= 1e4:
        return f"{x / 1e3:.0f}k"
    return f"{x:,.0f}"


# ---------------------------------------------------------------- indicators


def indicators_figure(results: Outcome, kpis: Sequence[str] = HEADLINE_KPIS) -> Figure:
    """One panel per indicator: a bar per policy (mean) with its 95% confidence interval.

    Rates are shown in %; the baseline's bar is hatched. Indicators undefined for a policy
    (e.g. the mean wait when nobody waits) are marked "n/a" instead of a bar.
    """
    exp = experiment_of(results)
    sc = exp.scenario
    policies = list(sc.policies)
    colors = policy_colors(policies)
    kpis = [k for k in kpis if k in exp.kpis]
    ncols = min(3, max(1, len(kpis)))
    nrows = max(1, math.ceil(len(kpis) / ncols))
    fig = _new_figure(3.05 * ncols + 0.25, 2.7 * nrows + 0.3)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(kpis) :]:
        fig.delaxes(ax)
    x = np.arange(len(policies))
    for ax, kpi in zip(axes, kpis, strict=False):
        _tidy(ax)
        scale = 100.0 if is_rate(kpi) else 1.0
        means, errs = [], []
        for p in policies:
            s = exp.summary(p, kpi)
            means.append(s.mean * scale if s.n else math.nan)
            errs.append(s.ci95_half_width * scale if s.n > 1 and math.isfinite(s.ci95_half_width) else 0.0)
        heights = [m if math.isfinite(m) else 0.0 for m in means]
        bars = ax.bar(
            x,
            heights,
            width=0.62,
            color=[colors[p] for p in policies],
            edgecolor=["#1b1b1b" if p == sc.baseline else "none" for p in policies],
            linewidth=0.8,
            yerr=errs,
            error_kw={"ecolor": "#222222", "elinewidth": 1.1, "capsize": 4, "capthick": 1.1},
            zorder=2,
        )
        for bar, p in zip(bars, policies, strict=True):
            if p == sc.baseline:
                bar.set_hatch("///")
                bar.set_alpha(0.85)
        top = max([h + e for h, e in zip(heights, errs, strict=True)] + [0.0])
        bottom = min([h - e for h, e in zip(heights, errs, strict=True)] + [0.0])
        span = (top - bottom) or 1.0
        for xi, m, e in zip(x, means, errs, strict=True):
            if not math.isfinite(m):
                ax.text(xi, bottom + 0.04 * span, "n/a", ha="center", va="bottom", fontsize=8.5, color="#777777")
                continue
            text = format_value(kpi, m / scale)
            y = m + e if m >= 0 else m - e
            ax.text(
                xi,
                y + (0.03 if m >= 0 else -0.03) * span,
                text,
                ha="center",
                va="bottom" if m >= 0 else "top",
                fontsize=8,
                color="#222222",
            )
        ax.set_ylim(bottom - (0.14 * span if bottom < 0 else 0), top + 0.16 * span)
        ax.set_xticks(x, [_policy_label(p, sc.baseline) for p in policies], fontsize=8.5)
        ax.axhline(0, color="#888888", linewidth=0.8)
        if scale == 100.0:
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
        elif kpi in {"profit", "revenue", "lost_revenue"} or kpi.endswith("_cost"):
            ax.yaxis.set_major_formatter(FuncFormatter(_money))
        ax.set_title(_label(kpi, sc.time_unit), fontsize=10, loc="left", color="#111111")
    _caption(
        fig,
        f"Mean over {exp.summary(sc.baseline, kpis[0]).n if kpis else 0} replications, with 95% confidence intervals",
    )
    return fig


# ---------------------------------------------------------------- recorded replication


def _samples(exp: Experiment) -> dict[str, PolicySample]:
    if set(exp.samples) != set(exp.scenario.policies):
        raise ValueError(
            "these results hold no recorded sample paths: run with record=True "
            "(supplysim.run records them unless told not to)"
        )
    return exp.samples


def reorder_level(cfg: ModelConfig) -> tuple[float, str]:
    """The level at which the rule orders, and its name: rQ/sS reorder point r (order when
    IP ≤ r), periodic reorder point s or else the order-up-to level S, base stock S − 1."""
    rule = cfg.replenishment
    if isinstance(rule, BaseStock):
        return rule.level - 1, f"reorder level S − 1 = {rule.level - 1}"
    if isinstance(rule, Periodic):
        if rule.reorder_point is not None:
            return rule.reorder_point, f"reorder point s = {rule.reorder_point}"
        return rule.order_up_to, f"order-up-to S = {rule.order_up_to}"
    point = int(rule.reorder_point)
    return point, f"reorder point r = {point}"


def trajectories_figure(results: Outcome, days: float | None = None, start: float | None = None) -> Figure:
    """On-hand (above zero) and backordered units (below zero) over time, one panel per policy.

    Shows the path recorded in the experiment's first replication (by default
    :data:`~supplysim.analysis.samples.DISPLAY_SPAN` time units starting a little before the end
    of the warm-up, sampled on a fine grid); ``start`` and ``days`` zoom into that window. The
    rule's reorder level is a dashed line — it applies to the inventory position (on hand + on
    order − backordered), so the shelf may sit below it while an order is on its way. The
    warm-up is shaded.
    """
    exp = experiment_of(results)
    sc = exp.scenario
    policies = list(sc.policies)
    colors = policy_colors(policies)
    samples = _samples(exp)
    w0, w1 = samples[policies[0]].window
    t0 = w0 if start is None else min(max(start, w0), w1)
    t1 = w1 if days is None else min(w1, t0 + days)
    fig = _new_figure(9.4, 0.9 + 2.1 * len(policies))
    axes = fig.subplots(len(policies), 1, sharex=True, squeeze=False).ravel()
    hi, lo = 1.0, 0.0
    shown: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}
    for p in policies:
        smp = samples[p]
        # The state at t0 is the last sample at or before t0; then every sample in (t0, t1),
        # held until t1.
        k0 = max(0, int(np.searchsorted(smp.times, t0, side="right")) - 1)
        k1 = max(k0 + 1, int(np.searchsorted(smp.times, t1, side="left")))
        t = np.concatenate(([t0], smp.times[k0 + 1 : k1], [t1]))
        oh = np.concatenate((smp.on_hand[k0:k1], smp.on_hand[k1 - 1 : k1]))
        bo = np.concatenate((smp.backordered[k0:k1], smp.backordered[k1 - 1 : k1]))
        shown[p] = (t, oh, bo)
        hi = max(hi, float(oh.max()), reorder_level(sc.policies[p])[0])
        lo = max(lo, float(bo.max()))
    for ax, p in zip(axes, policies, strict=True):
        _tidy(ax)
        t, oh, bo = shown[p]
        color = colors[p]
        ax.fill_between(t, 0, oh, step="post", color=color, alpha=0.18, linewidth=0)
        ax.step(t, oh, where="post", color=color, linewidth=1.2, label="on hand")
        if lo > 0:
            ax.fill_between(t, 0, -bo, step="post", color="#c23b4a", alpha=0.35, linewidth=0)
            ax.step(t, -bo, where="post", color="#c23b4a", linewidth=1.2, label="backordered (shown below 0)")
        level, name = reorder_level(sc.policies[p])
        ax.axhline(level, color="#333333", linestyle=(0, (5, 3)), linewidth=1.0, label=name)
        ax.axhline(0, color="#888888", linewidth=0.8)
        if t0 < sc.warmup < t1:
            ax.axvspan(t0, sc.warmup, color="#9a9a9a", alpha=0.14, linewidth=0)
            ax.axvline(sc.warmup, color="#666666", linewidth=0.9, linestyle=":")
            ax.text(
                sc.warmup,
                1.3 * hi,
                " measurement starts",
                ha="left",
                va="top",
                fontsize=7.5,
                color="#555555",
            )
        ax.set_ylim(-1.15 * lo - 0.04 * hi, 1.36 * hi)
        ax.set_xlim(t0, t1)
        ax.yaxis.set_major_locator(MaxNLocator(6, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):,.0f}"))
        ax.set_ylabel("units", fontsize=8.5, color="#444444")
        title = p + (" (baseline)" if p == sc.baseline else "")
        ax.set_title(title, fontsize=10, loc="left", color="#111111")
        ax.legend(loc="upper right", fontsize=7.5, frameon=False, ncol=3)
    axes[-1].set_xlabel(f"time [{sc.time_unit}s]", fontsize=9, color="#444444")
    _caption(
        fig,
        f"Units on the shelf and units owed to waiting customers — replication {exp.first}, "
        f"{sc.time_unit}s {t0:g} to {t1:g}",
    )
    return fig


# ---------------------------------------------------------------- waits


def waits_figure(results: Outcome) -> Figure:
    """Histogram of backorder waits (customers served after waiting) in the experiment's first
    replication, one panel per policy.

    Only customers who arrived in the measured window count. The mean and 90th percentile are
    marked. The waits come from the replication's wait sketch: exact up to a few thousand waits,
    then binned within 0.2% (far finer than the 30 bars drawn).
    """
    exp = experiment_of(results)
    sc = exp.scenario
    policies = list(sc.policies)
    colors = policy_colors(policies)
    samples = _samples(exp)
    longest = max((float(smp.wait_values.max()) for smp in samples.values() if len(smp.wait_values)), default=1.0)
    bins = np.linspace(0.0, longest * 1.0001, 31)
    ncols = min(3, len(policies))
    nrows = math.ceil(len(policies) / ncols)
    fig = _new_figure(3.05 * ncols + 0.25, 2.6 * nrows + 0.3)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True).ravel()
    for ax in axes[len(policies) :]:
        fig.delaxes(ax)
    for ax, p in zip(axes, policies, strict=False):
        _tidy(ax)
        smp = samples[p]
        title = p + (" (baseline)" if p == sc.baseline else "")
        ax.set_title(title, fontsize=10, loc="left", color="#111111")
        ax.set_xlabel(f"wait [{sc.time_unit}s]", fontsize=8.5, color="#444444")
        if smp.served_after_wait == 0:
            takes = sc.policies[p].store.stockout == "backorder"
            why = "nobody waited in this replication" if takes else "no backorders: shortages are lost sales"
            extra = f"\n{smp.gave_up} gave up waiting" if smp.gave_up else ""
            ax.text(
                0.5, 0.55, why + extra, transform=ax.transAxes, ha="center", va="center", fontsize=9, color="#555555"
            )
            ax.set_yticks([])
            ax.set_xlim(0, bins[-1])
            continue
        ax.hist(
            smp.wait_values,
            bins=bins,
            weights=smp.wait_weights,
            color=colors[p],
            alpha=0.85,
            edgecolor="white",
            linewidth=0.5,
        )
        mean, p90 = smp.mean_wait, smp.p90_wait
        ax.axvline(mean, color="#222222", linewidth=1.1, label=f"mean {mean:.1f}")
        ax.axvline(p90, color="#222222", linewidth=1.0, linestyle="--", label=f"90% within {p90:.1f}")
        ax.legend(loc="upper right", fontsize=7.5, frameon=False)
        ax.text(
            0.98,
            0.62,
            f"{smp.served_after_wait} served after a wait\n{smp.gave_up} gave up",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7.5,
            color="#444444",
        )
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_ylabel("customers", fontsize=8.5, color="#444444")
    _caption(
        fig,
        f"How long backordered customers waited — replication {exp.first}, measured window",
    )
    return fig


# ---------------------------------------------------------------- trade-off


def tradeoff_figure(results: Outcome, x_kpi: str = "fill_rate", y_kpi: str = "profit") -> Figure:
    """Profit against fill rate: one faint dot per replication, the mean with 95% intervals
    (a cross) per policy, named in the legend."""
    exp = experiment_of(results)
    sc = exp.scenario
    policies = list(sc.policies)
    colors = policy_colors(policies)
    fig = _new_figure(8.0, 4.6)
    ax = fig.subplots()
    _tidy(ax)
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    xs = 100.0 if is_rate(x_kpi) else 1.0
    ys = 100.0 if is_rate(y_kpi) else 1.0
    for p in policies:
        x = np.asarray(exp.series(p, x_kpi), dtype=float) * xs
        y = np.asarray(exp.series(p, y_kpi), dtype=float) * ys
        ok = np.isfinite(x) & np.isfinite(y)
        ax.scatter(x[ok], y[ok], s=16, color=colors[p], alpha=0.35, linewidths=0, zorder=2)
        sx, sy = exp.summary(p, x_kpi), exp.summary(p, y_kpi)
        if sx.n == 0 or sy.n == 0:
            continue
        ex = sx.ci95_half_width * xs if math.isfinite(sx.ci95_half_width) else 0.0
        ey = sy.ci95_half_width * ys if math.isfinite(sy.ci95_half_width) else 0.0
        ax.errorbar(
            sx.mean * xs,
            sy.mean * ys,
            xerr=ex,
            yerr=ey,
            fmt="o",
            color=colors[p],
            markersize=7,
            markeredgecolor="#1b1b1b" if p == sc.baseline else "white",
            elinewidth=1.6,
            capsize=4,
            zorder=3,
            label=p + (" (baseline)" if p == sc.baseline else ""),
        )
    ax.legend(loc="best", fontsize=8.5, frameon=True, framealpha=0.9, edgecolor="#dddddd")
    if xs == 100.0:
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=None))
    if ys == 100.0:
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
    elif y_kpi in {"profit", "revenue"}:
        ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_xlabel(_label(x_kpi, sc.time_unit), fontsize=9, color="#444444")
    ax.set_ylabel(_label(y_kpi, sc.time_unit), fontsize=9, color="#444444")
    _caption(
        fig,
        "Each dot is one replication; crosses are means with 95% confidence intervals — up and right is better",
    )
    return fig


# ---------------------------------------------------------------- sweeps


def sweep_figure(table: pd.DataFrame, parameter: str, kpi: str) -> Figure:
    """An indicator against a swept parameter: one line per policy with its 95% interval band.

    Args:
        table: tidy rows with columns ``parameter``, "policy", "kpi", "mean", "ci95_low", "ci95_high"
            (other parameter columns, if any, should be fixed beforehand).
        parameter: the column on the x axis (e.g. "store.max_quoted_wait").
        kpi: the indicator on the y axis.
    """
    rows = table[table["kpi"] == kpi]
    from pandas.api.types import is_numeric_dtype

    numeric = is_numeric_dtype(rows[parameter])
    categories = list(dict.fromkeys(rows[parameter].astype(str)))  # in sweep order, for text values
    policies = list(dict.fromkeys(rows["policy"]))
    colors = policy_colors(policies)
    scale = 100.0 if is_rate(kpi) else 1.0
    fig = _new_figure(7.5, 4.2)
    ax = fig.subplots()
    _tidy(ax)
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    for p in policies:
        part = rows[rows["policy"] == p]
        if numeric:
            part = part.sort_values(parameter)
            x = part[parameter].to_numpy(dtype=float)
        else:
            x = part[parameter].astype(str).map(categories.index).to_numpy(dtype=float)
        mean = part["mean"].to_numpy(dtype=float) * scale
        lo = part["ci95_low"].to_numpy(dtype=float) * scale
        hi = part["ci95_high"].to_numpy(dtype=float) * scale
        ax.fill_between(x, lo, hi, color=colors[p], alpha=0.18, linewidth=0)
        ax.plot(x, mean, marker="o", markersize=4, color=colors[p], linewidth=1.6, label=p)
    if scale == 100.0:
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
    elif kpi in {"profit", "revenue", "lost_revenue"} or kpi.endswith("_cost"):
        ax.yaxis.set_major_formatter(FuncFormatter(_money))
    if not numeric:
        ax.set_xticks(range(len(categories)), categories)
    ax.set_xlabel(parameter, fontsize=9, color="#444444")
    ax.set_ylabel(_label(kpi), fontsize=9, color="#444444")
    ax.set_title(f"{_label(kpi)} vs {parameter}", fontsize=10, loc="left", color="#111111")
    if policies:
        ax.legend(fontsize=8, frameon=False)
    return fig
