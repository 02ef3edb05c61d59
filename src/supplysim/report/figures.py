"""Figures of a run: indicators per policy, paired differences, stock trajectories, waits, the
profit/service trade-off, sweeps and optimisations.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no display, no
global state), so it can be saved (``fig.savefig("x.png")``), shown in a notebook, or embedded in
the HTML report (:mod:`supplysim.report.html`). Each policy keeps the same colour in every figure; the
baseline is drawn hatched and named "(baseline)".

What an interval is, is written on the figure: a mean's 95% Student-t interval over the
replications (Law 2015, eq. 4.12) or the paired-t interval of a difference on common random
numbers (Law 2015, §10.2.1) — the one the verdicts test. Intervals are clipped to the range the
quantity can take (shares in [0, 1], amounts, counts and times ≥ 0; see
:attr:`supplysim.analysis.kpis.Kpi.bounds`), and the number of replications is written next to
an interval that fewer than five of them define. Colours say "better" or "worse" only for
indicators whose registry entry has a direction (:class:`~supplysim.analysis.kpis.Better`):
those that move with volume (ordering cost, units ordered) are drawn in a neutral colour.

Every string that comes from the user (policy, scenario, supplier and parameter names, the time
unit) is drawn literally: its ``$`` are escaped, so matplotlib's mathtext never reads it.

The trajectories and waits come from the sample paths recorded in one replication (the
experiment's first, replication 0 by default): the same customers and supplier delays under
every policy (common random numbers).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator, PercentFormatter

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.intervals import Difference, paired_difference
from supplysim.analysis.kpis import (
    HEADLINE,
    REGISTRY,
    Better,
    NumberFormat,
    Unit,
    display_name,
    format_interval,
    format_pm,
    format_value,
    lookup,
)
from supplysim.analysis.samples import PolicySample, StatePath
from supplysim.report.outcome import Outcome, experiment_of
from supplysim.scenario import BaseStock, ModelConfig, Periodic, Replenishment, Scenario

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from supplysim.experiments.optimize import Candidate, OptimizeResult

__all__ = [
    "FEW_REPLICATIONS",
    "HEADLINE_KPIS",
    "LABELS",
    "differences_figure",
    "indicators_figure",
    "is_rate",
    "literal",
    "optimize_figure",
    "policy_colors",
    "reorder_level",
    "sweep_best_figure",
    "sweep_differences_figure",
    "sweep_figure",
    "tradeoff_figure",
    "trajectories_figure",
    "waits_figure",
    "warehouse_figure",
    "wrap_name",
]

HEADLINE_KPIS: tuple[str, ...] = HEADLINE

LABELS: dict[str, str] = {k.kind: k.label for k in REGISTRY}
"""Plain-words names of the indicators, by name (the kind before ``@`` for per-supplier ones);
read from the registry, :mod:`supplysim.analysis.kpis`."""

FEW_REPLICATIONS = 5
"""Below this many replications an interval is labelled with its n (it is wide and rough)."""

_PALETTE = ("#1f5a8c", "#d1742a", "#3a9a5b", "#8e4fa3", "#2d9aa6", "#6b7d8f", "#b8902e", "#c2639a")
"""Muted, colour-blind-tolerant qualitative palette; the baseline takes the first colour. No
red: red is kept for units owed to waiting customers and for a difference that is worse."""

_GOOD, _BAD, _NEUTRAL, _NOISE = "#1e7b45", "#b3261e", "#1f5a8c", "#8a949e"
"""Tones of a difference: better, worse, real but without a better direction, within the noise."""

_DPI = 110
_TICK_PT = 8.5
_CHAR_IN = 0.075
"""Width budget of one tick-label character at 8.5 pt [inches] (DejaVu Sans averages ~0.065)."""


def literal(text: object) -> str:
    """``text`` as matplotlib should draw it, character for character: ``$`` escaped, so a
    name such as ``a$^$`` or ``$\\frac$`` is never parsed as mathtext."""
    return str(text).replace("$", r"\$")


def _style(fig: Figure) -> None:
    fig.set_facecolor("white")


def _caption(fig: Figure, text: str) -> None:
    """The figure's caption, top left, in the light grey of every figure, wrapped to the
    figure's width; the panels move down if the caption needs more lines than the margin holds.

    ``text`` is the figure's own wording; user-supplied parts must already be :func:`literal`.
    """
    width = fig.get_figwidth()
    chars = max(30, math.floor((width - 0.25) / (9 / 72 * 0.56)))
    lines = [line for paragraph in text.split("\n") for line in textwrap.wrap(paragraph, chars) or [""]]
    fig.suptitle("\n".join(lines), fontsize=9, color="#555555", x=0.01, y=0.995, va="top", ha="left", linespacing=1.3)
    height = fig.get_figheight()
    needed = 0.1 + 0.165 * len(lines) + 0.42  # the caption, then a panel title above the first axes
    top = fig.subplotpars.top
    if (1.0 - top) * height < needed:
        fig.subplots_adjust(top=1.0 - needed / height)


@dataclass(frozen=True)
class _Grid:
    """A grid of equal panels with margins and gaps in inches (exact, unlike ``_new_figure``)."""

    ncols: int
    nrows: int
    axes_width: float
    axes_height: float
    left: float = 0.8
    right: float = 0.25
    top: float = 0.75
    bottom: float = 0.5
    gap_width: float = 0.8
    gap_height: float = 0.8

    @property
    def width(self) -> float:
        return self.left + self.right + self.ncols * self.axes_width + (self.ncols - 1) * self.gap_width

    @property
    def height(self) -> float:
        return self.top + self.bottom + self.nrows * self.axes_height + (self.nrows - 1) * self.gap_height

    def figure(self, panels: int) -> tuple[Figure, list[Axes]]:
        """The figure and the axes of its first ``panels`` cells, row by row (the other cells
        stay empty: no axes is made for them)."""
        fig = Figure(figsize=(self.width, self.height), dpi=_DPI)
        _style(fig)
        fig.subplots_adjust(
            left=self.left / self.width,
            right=1.0 - self.right / self.width,
            top=1.0 - self.top / self.height,
            bottom=self.bottom / self.height,
            wspace=self.gap_width / self.axes_width,
            hspace=self.gap_height / self.axes_height,
        )
        cells = fig.add_gridspec(self.nrows, self.ncols)
        return fig, [fig.add_subplot(cells[i // self.ncols, i % self.ncols]) for i in range(panels)]


def _tidy(ax: Axes) -> None:
    """Light axes: no top/right spines, faint grid behind the data, tick values on both axes."""
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.spines["left"].set_color("#888888")
    ax.spines["bottom"].set_color("#888888")
    ax.tick_params(colors="#333333", labelsize=_TICK_PT, labelbottom=True, labelleft=True)
    ax.grid(True, axis="y", color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)


def policy_colors(policies: Sequence[str]) -> dict[str, str]:
    """A colour per policy, stable across figures (in the scenario's order)."""
    return {p: _PALETTE[i % len(_PALETTE)] for i, p in enumerate(policies)}


def is_rate(kpi: str) -> bool:
    """True for indicators shown as percentages (as in the terminal table)."""
    return lookup(kpi).format is NumberFormat.PERCENT


def _scale(kpi: str) -> float:
    return 100.0 if is_rate(kpi) else 1.0


def _label(kpi: str, time_unit: str | None = None, currency: str | None = None) -> str:
    """The indicator's name for a title or an axis, drawn literally, with its unit: the time unit
    for durations, the currency (``product.currency``, when one is named) for money."""
    text = display_name(kpi)
    unit = lookup(kpi).unit
    money = currency if currency and currency != "money" else None
    if unit is Unit.TIME and time_unit:
        text += f" [{time_unit}s]"
    elif unit is Unit.MONEY and money:
        text += f" [{money}]"
    elif unit is Unit.MONEY_PER_TIME and money and time_unit:
        text += f" [{money}/{time_unit}]"
    return literal(text)


class _MoneyFormatter(Formatter):
    """Money tick values in one style per axis: thousands ("45k") once a tick reaches 10,000,
    millions from 1,000,000, whole numbers otherwise; ``signed`` puts "+" before gains."""

    def __init__(self, signed: bool = False) -> None:
        self.signed = signed
        self._ticks: list[float] = []

    def set_locs(self, locs: Sequence[float]) -> None:
        self._ticks = [float(v) for v in locs]

    def __call__(self, x: float, pos: int | None = None) -> str:
        top = max((abs(v) for v in self._ticks), default=abs(x))
        sign = "+" if self.signed and x > 0 else ""
        if x == 0:
            return "0"
        if top >= 1e6:
            return f"{sign}{x / 1e6:.1f}M"
        if top >= 1e4:
            return f"{sign}{x / 1e3:,.0f}k"
        return f"{sign}{x:,.0f}"


def _value_axis(ax: Axes, kpi: str, *, axis: str = "y", difference: bool = False) -> None:
    """Tick values of an indicator's axis by the registry's unit: % for shares (percentage
    points for differences), thousands for money, plain numbers otherwise."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    unit = lookup(kpi).unit
    target.set_major_locator(MaxNLocator(6))
    if is_rate(kpi):
        if difference:
            target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:+g} pp" if v else "0"))
        else:
            target.set_major_formatter(PercentFormatter(decimals=None))
    elif unit is Unit.MONEY:
        target.set_major_formatter(_MoneyFormatter(signed=difference))
    elif unit in (Unit.COUNT, Unit.UNITS) and not difference:
        target.set_major_locator(MaxNLocator(6, integer=True))


def _bounds(kpi: str, *, difference: bool = False) -> tuple[float, float]:
    """The range of a value (or of a difference of two values) on the drawn scale (% for shares)."""
    lo, hi = lookup(kpi).bounds
    if difference:
        lo, hi = lo - hi, hi - lo
    s = _scale(kpi)
    return lo * s, hi * s


def _clip(kpi: str, low: float, high: float, *, difference: bool = False) -> tuple[float, float]:
    """An interval [low, high] (drawn scale) clipped to the quantity's range."""
    lo, hi = _bounds(kpi, difference=difference)
    return max(low, lo), min(high, hi)


def _trim_ticks(ax: Axes, kpi: str, *, axis: str = "y", difference: bool = False) -> None:
    """Drop tick values outside the quantity's range (no "110%" or "−5 days" on the axis)."""
    lo, hi = _bounds(kpi, difference=difference)
    limits = ax.get_ylim() if axis == "y" else ax.get_xlim()
    ticks = ax.get_yticks() if axis == "y" else ax.get_xticks()
    kept = [float(t) for t in ticks if lo - 1e-9 <= t <= hi + 1e-9 and min(limits) - 1e-9 <= t <= max(limits) + 1e-9]
    if axis == "y":
        ax.set_yticks(kept)
    else:
        ax.set_xticks(kept)


def _diff_text(kpi: str, d: float, half: float | None = None) -> str:
    """A difference as a person reads it: rates in percentage points, signed."""
    if is_rate(kpi):
        text = f"{d * 100:+.2f} pp"
        return text if half is None else f"{text}\n± {half * 100:.2f}"
    if half is None:
        return format_value(kpi, d, signed=True)
    text, pm = format_pm(kpi, d, half, signed=True)
    return f"{text}\n± {pm}"


def _tone(kpi: str, d: Difference) -> str:
    """The colour of a difference: by the registry's direction when the interval excludes 0."""
    if not (d.n > 1 and d.significant):
        return _NOISE
    better = lookup(kpi).better
    if better is Better.NEITHER:
        return _NEUTRAL
    return _GOOD if better.value * d.diff > 0 else _BAD


def _n_note(n: int, total: int) -> str:
    """ "n = 2" next to an interval that fewer than :data:`FEW_REPLICATIONS` replications define
    and fewer than the ``total`` the caption states (the indicator is undefined in the others,
    e.g. a mean wait in a replication where nobody waited); "" otherwise."""
    return f"n = {n}" if 0 < n < FEW_REPLICATIONS and n < total else ""


def _few_note(n: int) -> str:
    """The caption's warning when the experiment itself has few replications."""
    return f" Only {n} replications: the intervals are wide and rough." if 0 < n < FEW_REPLICATIONS else ""


# ---------------------------------------------------------------- category ticks


def wrap_name(name: str, width: int, max_lines: int = 4) -> list[str]:
    """``name`` broken into lines of at most ``width`` characters, after ``_``, ``-``, ``.``
    or a space where possible, else inside a word; more than ``max_lines`` lines end in "…"."""
    width = max(3, width)
    tokens = re.findall(r"[^_\-.\s]*[_\-.\s]|[^_\-.\s]+$", name) or [name]
    lines: list[str] = []
    cur = ""
    for tok in tokens:
        if cur and len(cur) + len(tok.rstrip()) > width:
            lines.append(cur.rstrip())
            cur = ""
        while len(cur) + len(tok) > width and len(tok.rstrip()) > width:
            lines.append(tok[:width])
            tok = tok[width:]
        cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][: max(1, width - 1)] + "…"]
    return lines or [name]


def _slot_chars(slot_width: float) -> int:
    """Characters of a tick label that fit a slot ``slot_width`` inches wide, with a gap."""
    return max(4, math.floor((slot_width - 0.1) / _CHAR_IN))


def _category_labels(names: Sequence[str], baseline: str | None, slot_width: float) -> list[str]:
    """Tick labels for one slot each: wrapped to the slot's width, "(baseline)" on its own line."""
    chars = _slot_chars(slot_width)
    out = []
    for p in names:
        lines = wrap_name(p, chars)
        if p == baseline:
            lines.append("(baseline)" if chars >= 10 else "(base)")
        out.append(literal("\n".join(lines)))
    return out


def _policy_grid(panels: int, categories: int, labels_lines: int, *, axes_height: float = 2.2) -> _Grid:
    """A grid for one slot per category (policy) in every panel: slots at least 0.95 in wide
    (eleven characters of a tick label), the figure at most 12 in across."""
    axes_width = max(3.0, 0.95 * categories)
    ncols = max(1, min(3, panels, math.floor((12.0 - 1.1 + 0.85) / (axes_width + 0.85))))
    nrows = max(1, math.ceil(panels / ncols))
    label_height = 0.16 * labels_lines
    return _Grid(
        ncols,
        nrows,
        axes_width,
        axes_height,
        bottom=0.3 + label_height,
        gap_height=0.75 + label_height,
        gap_width=0.85,
        left=0.85,
    )


def _lines_needed(names: Sequence[str], baseline: str | None, slot_width: float) -> int:
    return max((s.count("\n") + 1 for s in _category_labels(names, baseline, slot_width)), default=1)


# ---------------------------------------------------------------- indicators


def _replications(exp: Experiment) -> int:
    """Replications of the experiment (the length of the baseline's series)."""
    return len(exp.values[exp.baseline]) if exp.values else 0


def indicators_figure(results: Outcome, kpis: Sequence[str] = HEADLINE_KPIS) -> Figure:
    """One panel per indicator: a bar per policy (mean) with its 95% t-interval over the
    replications, clipped to the quantity's range.

    Rates are shown in %; the baseline's bar is hatched. Indicators undefined for a policy
    (e.g. the mean wait when nobody waits) are marked "n/a" instead of a bar; an interval that
    fewer than :data:`FEW_REPLICATIONS` replications define is labelled with its n. These
    intervals are each policy's own (unpaired): whether two policies differ is read from
    :func:`differences_figure`, not from whether their whiskers overlap.
    """
    exp = experiment_of(results)
    sc = exp.scenario
    policies = list(sc.policies)
    colors = policy_colors(policies)
    kpis = [k for k in kpis if k in exp.kpis]
    total = _replications(exp)
    grid = _policy_grid(len(kpis), len(policies), 1)
    slot = grid.axes_width / max(1, len(policies))
    lines = _lines_needed(policies, sc.baseline, slot)
    grid = _policy_grid(len(kpis), len(policies), lines)
    fig, axes = grid.figure(max(1, len(kpis)))
    labels = _category_labels(policies, sc.baseline, slot)
    x = np.arange(len(policies))
    for ax, kpi in zip(axes, kpis, strict=False):
        _tidy(ax)
        scale = _scale(kpi)
        means, lows, highs, ns = [], [], [], []
        for p in policies:
            s = exp.summary(p, kpi)
            m = s.mean * scale if s.n else math.nan
            hw = s.ci95_half_width * scale if s.n > 1 and math.isfinite(s.ci95_half_width) else 0.0
            lo, hi = _clip(kpi, m - hw, m + hw) if math.isfinite(m) else (math.nan, math.nan)
            means.append(m)
            lows.append(lo)
            highs.append(hi)
            ns.append(s.n)
        heights = [m if math.isfinite(m) else 0.0 for m in means]
        yerr = np.array(
            [
                [max(0.0, h - lo) if math.isfinite(lo) else 0.0 for h, lo in zip(heights, lows, strict=True)],
                [max(0.0, hi - h) if math.isfinite(hi) else 0.0 for h, hi in zip(heights, highs, strict=True)],
            ]
        )
        bars = ax.bar(
            x,
            heights,
            width=0.62,
            color=[colors[p] for p in policies],
            edgecolor=["#1b1b1b" if p == sc.baseline else "none" for p in policies],
            linewidth=0.8,
            yerr=yerr,
            error_kw={"ecolor": "#222222", "elinewidth": 1.1, "capsize": 4, "capthick": 1.1},
            zorder=2,
        )
        for bar, p in zip(bars, policies, strict=True):
            if p == sc.baseline:
                bar.set_hatch("///")
                bar.set_alpha(0.85)
        top = max([h for h in highs if math.isfinite(h)] + heights + [0.0])
        bottom = min([lo for lo in lows if math.isfinite(lo)] + heights + [0.0])
        span = (top - bottom) or 1.0
        for xi, m, lo, hi, n in zip(x, means, lows, highs, ns, strict=True):
            if not math.isfinite(m):
                ax.text(float(xi), bottom + 0.04 * span, "n/a", ha="center", va="bottom", fontsize=8.5, color="#777777")
                continue
            text = format_value(kpi, m / scale)
            note = _n_note(n, total)
            if note:
                text += f"\n{note}"
            up = m >= 0
            ax.text(
                float(xi),
                (hi if up else lo) + (0.03 if up else -0.03) * span,
                text,
                ha="center",
                va="bottom" if up else "top",
                fontsize=8,
                color="#222222",
            )
        ax.set_ylim(bottom - (0.2 * span if bottom < 0 else 0), top + 0.24 * span)
        ax.set_xlim(-0.6, len(policies) - 0.4)
        ax.set_xticks(x, labels, fontsize=_TICK_PT)
        ax.axhline(0, color="#888888", linewidth=0.8)
        _value_axis(ax, kpi)
        _trim_ticks(ax, kpi)
        ax.set_title(_label(kpi, sc.time_unit, sc.currency), fontsize=10, loc="left", color="#111111")
    _caption(
        fig,
        f"Mean of each policy over {total} replications with its 95% t-interval, clipped to the possible range; "
        f"n is written where fewer replications define it.{_few_note(total)}\n"
        "Each policy's own interval: whether two policies differ is the paired test of the differences figure.",
    )
    return fig


def differences_figure(results: Outcome, kpis: Sequence[str] = HEADLINE_KPIS) -> Figure:
    """One panel per indicator: every policy's paired difference from the baseline, Δ = policy −
    baseline, with its 95% paired-t interval over the replications (common random numbers;
    Law 2015, §10.2.1) — the interval the verdict and the comparison table test.

    A zero line; a filled marker when the interval excludes 0 (a real difference), green when
    the registry calls that direction better, red when worse, blue for an indicator without a
    better direction (it moves with volume); a hollow grey marker within the noise. Rates are
    differences in percentage points. n is written when fewer than :data:`FEW_REPLICATIONS`
    replications define the interval.

    Raises:
        ValueError: when the scenario has only the baseline (nothing to compare).
    """
    exp = experiment_of(results)
    sc = exp.scenario
    others = [p for p in sc.policies if p != sc.baseline]
    if not others:
        raise ValueError("one policy only: there is no difference from the baseline to draw")
    kpis = [k for k in kpis if k in exp.kpis]
    total = _replications(exp)
    grid = _policy_grid(len(kpis), len(others), 1)
    slot = grid.axes_width / len(others)
    lines = _lines_needed(others, None, slot)
    grid = _policy_grid(len(kpis), len(others), lines)
    grid = _Grid(**{**grid.__dict__, "bottom": grid.bottom + 0.35})  # the marker key below
    fig, axes = grid.figure(max(1, len(kpis)))
    labels = _category_labels(others, None, slot)
    x = np.arange(len(others))
    for ax, kpi in zip(axes, kpis, strict=False):
        _tidy(ax)
        scale = _scale(kpi)
        lows: list[float] = []
        highs: list[float] = []
        above = below = False
        for xi, p in zip(x, others, strict=True):
            d = exp.difference(p, kpi)
            if d.n == 0 or not math.isfinite(d.diff):
                ax.text(float(xi), 0.0, "n/a", ha="center", va="bottom", fontsize=8.5, color="#777777")
                continue
            m = d.diff * scale
            lo, hi = (
                _clip(kpi, d.ci95_low * scale, d.ci95_high * scale, difference=True)
                if d.n > 1 and math.isfinite(d.ci95_low)
                else (m, m)
            )
            tone = _tone(kpi, d)
            real = tone != _NOISE
            ax.errorbar(
                [xi],
                [m],
                yerr=[[m - lo], [hi - m]],
                fmt="o",
                markersize=7.5,
                color=tone,
                markerfacecolor=tone if real else "white",
                markeredgewidth=1.6,
                elinewidth=2.0 if real else 1.4,
                capsize=5,
                capthick=1.4,
                zorder=3,
            )
            half = (d.ci95_high - d.ci95_low) / 2 if d.n > 1 and math.isfinite(d.ci95_low) else None
            text = _diff_text(kpi, d.diff, half)
            base = exp.summary(sc.baseline, kpi).mean
            if lookup(kpi).unit is Unit.MONEY and base and math.isfinite(base) and half is not None:
                text += f"\n({d.diff / abs(base) * 100:+.1f}% ± {half / abs(base) * 100:.1f}%)"
            note = _n_note(d.n, total)
            if note:
                text += f"\n{note}"
            up = d.diff >= 0
            ax.annotate(
                text,
                (xi, hi if up else lo),
                xytext=(0, 5 if up else -5),
                textcoords="offset points",
                ha="center",
                va="bottom" if up else "top",
                fontsize=7.8,
                color=tone if real else "#555555",
                fontweight="bold" if real else "normal",
            )
            lows.append(lo)
            highs.append(hi)
            below = below or not up
            above = above or up
        top = max([*highs, 0.0])
        bottom = min([*lows, 0.0])
        span = (top - bottom) or 1.0
        ax.axhline(0, color="#333333", linewidth=1.0, zorder=1)
        ax.set_ylim(bottom - (0.45 if below else 0.12) * span, top + (0.45 if above else 0.12) * span)
        ax.set_xlim(-0.6, len(others) - 0.4)
        ax.set_xticks(x, labels, fontsize=_TICK_PT)
        _value_axis(ax, kpi, difference=True)
        _trim_ticks(ax, kpi, difference=True)
        ax.set_title("Δ " + _label(kpi, sc.time_unit, sc.currency), fontsize=10, loc="left", color="#111111")
    key = [
        Line2D([], [], marker="o", linestyle="none", color=_GOOD, markersize=7, label="real difference, better"),
        Line2D([], [], marker="o", linestyle="none", color=_BAD, markersize=7, label="real difference, worse"),
        Line2D([], [], marker="o", linestyle="none", color=_NEUTRAL, markersize=7, label="real, no better direction"),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            color=_NOISE,
            markerfacecolor="white",
            markersize=7,
            label="within the noise (interval includes 0)",
        ),
    ]
    fig.legend(
        handles=key,
        loc="lower left",
        bbox_to_anchor=(0.01, 0.005),
        ncol=2 if grid.width < 8 else 4,
        fontsize=8,
        frameon=False,
        handletextpad=0.3,
        columnspacing=1.2,
    )
    _caption(
        fig,
        f"Difference from the baseline {literal(sc.baseline)} (policy − baseline), mean over {total} replications "
        "with its 95% paired t-interval (paired: the same customers and supplier delays under every policy, "
        f"common random numbers); rates in percentage points.{_few_note(total)}",
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


def reorder_level(cfg: ModelConfig | Replenishment) -> tuple[float, str]:
    """The level at which the rule (a model's, or a rule itself) orders, and its name: rQ/sS
    reorder point r (order when IP ≤ r), periodic reorder point s or else the order-up-to level S,
    base stock S − 1."""
    rule = cfg.replenishment if isinstance(cfg, ModelConfig) else cfg
    if isinstance(rule, BaseStock):
        return rule.level - 1, f"reorder level S − 1 = {rule.level - 1}"
    if isinstance(rule, Periodic):
        if rule.reorder_point is not None:
            return rule.reorder_point, f"reorder point s = {rule.reorder_point}"
        return rule.order_up_to, f"order-up-to S = {rule.order_up_to}"
    point = int(rule.reorder_point)
    return point, f"reorder point r = {point}"


def _panel_title(policy: str, baseline: str, width_in: float, fontsize: float = 10.0) -> str:
    """A policy's panel title, wrapped to the panel's width, drawn literally."""
    name = policy + (" (baseline)" if policy == baseline else "")
    chars = max(8, math.floor(width_in / (fontsize / 72 * 0.62)))
    return literal("\n".join(wrap_name(name, chars, max_lines=2)))


def trajectories_figure(
    results: Outcome, days: float | None = None, start: float | None = None, location: str | None = None
) -> Figure:
    """On-hand (above zero) and backordered units (below zero) over time, one panel per policy.

    Shows the path recorded in the experiment's first replication (by default
    :data:`~supplysim.analysis.samples.DISPLAY_SPAN` time units starting a little before the end
    of the warm-up, sampled on a fine grid); ``start`` and ``days`` zoom into that window. The
    rule's reorder level is a dashed line — it applies to the inventory position (on hand + on
    order − backordered), so the shelf may sit below it while an order is on its way. The
    warm-up is shaded. Every panel has its time values; the legend is to the right, outside
    the data.

    ``location`` (a network's store) draws that store's path, with the reorder level of its own
    resolved model (:meth:`~supplysim.scenario.network.Network.store_model`) under each policy;
    a network needs one.
    """
    exp = experiment_of(results)
    sc = exp.scenario
    samples = _samples(exp)
    policies = list(sc.policies)
    paths: dict[str, _Path] = {}
    levels: dict[str, tuple[float, str]] = {}
    for p in policies:
        net = sc.policies[p].network
        if location is None:
            if net is not None:
                raise ValueError("a network's stock is drawn per location: name a store (location=...)")
            smp = samples[p]
            paths[p] = _Path(smp.times, smp.on_hand, smp.backordered, smp.inventory_position)
            levels[p] = reorder_level(sc.policies[p])
        else:
            if net is None or location not in net.stores:
                stores = list(net.stores) if net is not None else []
                raise ValueError(f"{location!r} is not a store of this scenario (stores: {stores})")
            state = _location_path(samples[p], location)
            paths[p] = _Path(state.times, state.on_hand, state.backordered, state.inventory_position)
            levels[p] = reorder_level(net.store_model(location))
    where = "" if location is None else f" at {literal(location)}"
    caption = "Units on the shelf and units owed to waiting customers" + where
    return _stock_figure(exp, samples[policies[0]].window, paths, levels, days, start, caption, "backordered")


def warehouse_figure(results: Outcome, days: float | None = None, start: float | None = None) -> Figure:
    """A network's warehouse over time, one panel per policy: units on hand (above zero), units
    owed to stores (below zero: store orders not yet shipped, and the warehouse's own waiting
    customers when it has any), its inventory position IP₀ = on hand + on order − owed (a thin
    line; Axsäter 2015, §5.3) and the warehouse rule's reorder level (dashed), which applies to
    IP₀. Recorded in the experiment's first replication, as :func:`trajectories_figure`.
    """
    exp = experiment_of(results)
    sc = exp.scenario
    samples = _samples(exp)
    policies = list(sc.policies)
    paths: dict[str, _Path] = {}
    levels: dict[str, tuple[float, str]] = {}
    name = ""
    for p in policies:
        net = sc.policies[p].network
        if net is None:
            raise ValueError("only a network has a warehouse")
        name = net.warehouse.name
        state = _location_path(samples[p], name)
        paths[p] = _Path(state.times, state.on_hand, state.backordered, state.inventory_position)
        levels[p] = reorder_level(net.warehouse.replenishment)
    caption = f"The warehouse {literal(name)}: units on hand, units owed to stores and its inventory position"
    return _stock_figure(
        exp, samples[policies[0]].window, paths, levels, days, start, caption, "owed to stores", position=True
    )


@dataclass(frozen=True)
class _Path:
    """One policy's recorded path at one location [time; units]."""

    times: np.ndarray[Any, Any]
    on_hand: np.ndarray[Any, Any]
    owed: np.ndarray[Any, Any]
    position: np.ndarray[Any, Any]


def _location_path(sample: PolicySample, location: str) -> StatePath:
    try:
        return sample.locations[location]
    except KeyError:
        raise ValueError(
            f"these results hold no recorded path of {location!r}: run the network with record=True"
        ) from None


def _window_of(path: _Path, t0: float, t1: float) -> tuple[np.ndarray[Any, Any], ...]:
    """The steps of ``path`` on [t0, t1]: the state at t0 is the last sample at or before t0, then
    every sample in (t0, t1), the last held until t1 (times, on hand, owed, position)."""
    k0 = max(0, int(np.searchsorted(path.times, t0, side="right")) - 1)
    k1 = max(k0 + 1, int(np.searchsorted(path.times, t1, side="left")))
    t = np.concatenate(([t0], path.times[k0 + 1 : k1], [t1]))
    held = [np.concatenate((a[k0:k1], a[k1 - 1 : k1])) for a in (path.on_hand, path.owed, path.position)]
    return (t, *held)


def _stock_figure(
    exp: Experiment,
    window: tuple[float, float],
    paths: Mapping[str, _Path],
    levels: Mapping[str, tuple[float, str]],
    days: float | None,
    start: float | None,
    caption: str,
    owed_label: str,
    *,
    position: bool = False,
) -> Figure:
    """One panel per policy of a location's recorded stock: on hand above zero, units owed below,
    the reorder level dashed, and (``position``) the inventory position as a thin line."""
    sc = exp.scenario
    policies = list(paths)
    colors = policy_colors(policies)
    w0, w1 = window
    t0 = w0 if start is None else min(max(start, w0), w1)
    t1 = w1 if days is None else min(w1, t0 + days)
    grid = _Grid(1, len(policies), 7.6, 1.55, left=0.75, right=2.45, top=0.6, bottom=0.55, gap_height=0.75)
    fig, axes = grid.figure(len(policies))
    for ax in axes[1:]:
        ax.sharex(axes[0])
    hi, lo = 1.0, 0.0
    shown = {p: _window_of(paths[p], t0, t1) for p in policies}
    for p in policies:
        _t, oh, bo, ip = shown[p]
        hi = max(hi, float(oh.max()), levels[p][0], float(ip.max()) if position else 0.0)
        lo = max(lo, float(bo.max()), float(-ip.min()) if position else 0.0)
    unit = literal(sc.time_unit)
    for ax, p in zip(axes, policies, strict=True):
        _tidy(ax)
        t, oh, bo, ip = shown[p]
        color = colors[p]
        ax.fill_between(t, 0, oh, step="post", color=color, alpha=0.18, linewidth=0)
        ax.step(t, oh, where="post", color=color, linewidth=1.2, label="on hand")
        if lo > 0:
            ax.fill_between(t, 0, -bo, step="post", color="#c23b4a", alpha=0.35, linewidth=0)
            ax.step(t, -bo, where="post", color="#c23b4a", linewidth=1.2, label=f"{owed_label}\n(shown below 0)")
        if position:
            ax.step(t, ip, where="post", color="#6b7d8f", linewidth=1.8, alpha=0.9, label="inventory position")
        level, name = levels[p]
        ax.axhline(level, color="#333333", linestyle=(0, (5, 3)), linewidth=1.0, label=name)
        ax.axhline(0, color="#888888", linewidth=0.8)
        if t0 < sc.warmup < t1:
            ax.axvspan(t0, sc.warmup, color="#9a9a9a", alpha=0.14, linewidth=0, label="warm-up (not measured)")
            ax.axvline(sc.warmup, color="#666666", linewidth=0.9, linestyle=":")
        ax.set_ylim(-1.15 * lo - 0.04 * hi, 1.12 * hi)
        ax.set_xlim(t0, t1)
        ax.yaxis.set_major_locator(MaxNLocator(6, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):,.0f}"))
        ax.set_ylabel("units", fontsize=8.5, color="#444444")
        ax.set_title(_panel_title(p, sc.baseline, grid.axes_width), fontsize=10, loc="left", color="#111111")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7.5, frameon=False, borderaxespad=0)
    axes[-1].set_xlabel(f"time [{unit}s]", fontsize=9, color="#444444")
    _caption(fig, f"{caption} — replication {exp.first}, {unit}s {t0:g} to {t1:g}")
    return fig


# ---------------------------------------------------------------- waits


def waits_figure(results: Outcome) -> Figure:
    """Histogram of backorder waits (customers served after waiting) in the experiment's first
    replication, one panel per policy.

    Only customers who arrived in the measured window count. The mean (solid line) and 90th
    percentile (dashed) are marked and written above the panel, outside the data. The waits
    come from the replication's wait sketch: exact up to a few thousand waits, then binned
    within 0.2% (far finer than the 30 bars drawn). A policy under which nobody waited gets a
    panel with the reason instead of an empty histogram.
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
    width = max(2.7, 7.2 / ncols - 0.6) if ncols < 3 else 2.7
    grid = _Grid(ncols, nrows, width, 1.8, top=1.35, bottom=0.55, gap_height=1.4, gap_width=0.8, left=0.75)
    fig, axes = grid.figure(len(policies))
    unit = literal(sc.time_unit)
    for ax, p in zip(axes, policies, strict=True):
        _tidy(ax)
        smp = samples[p]
        ax.set_title(_panel_title(p, sc.baseline, grid.axes_width), fontsize=10, loc="left", color="#111111", pad=30)
        ax.set_xlabel(f"wait [{unit}s]", fontsize=8.5, color="#444444")
        ax.set_xlim(0, bins[-1])
        if smp.served_after_wait == 0:
            takes = sc.policies[p].store.stockout == "backorder"
            why = "nobody waited in this replication" if takes else "no backorders:\nshortages are lost sales"
            extra = f"\n{smp.gave_up} gave up waiting" if smp.gave_up else ""
            ax.text(
                0.5, 0.55, why + extra, transform=ax.transAxes, ha="center", va="center", fontsize=9, color="#555555"
            )
            ax.set_ylim(0, 1)
            ax.yaxis.set_major_locator(MaxNLocator(1, integer=True))
            ax.set_ylabel("customers", fontsize=8.5, color="#444444")
            continue
        ax.hist(
            smp.wait_values,
            bins=bins.tolist(),
            weights=smp.wait_weights,
            color=colors[p],
            alpha=0.85,
            edgecolor="white",
            linewidth=0.5,
        )
        mean, p90 = smp.mean_wait, smp.p90_wait
        ax.axvline(mean, color="#222222", linewidth=1.1, label=f"mean {mean:.1f}")
        ax.axvline(p90, color="#222222", linewidth=1.0, linestyle="--", label=f"90% within {p90:.1f}")
        ax.text(
            0.0,
            1.02,
            f"mean {mean:.1f} (solid), 90% within {p90:.1f} (dashed)\n"
            f"{smp.served_after_wait} served after a wait, {smp.gave_up} gave up",
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=7.5,
            color="#444444",
        )
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_ylabel("customers", fontsize=8.5, color="#444444")
    _caption(fig, f"How long backordered customers waited — replication {exp.first}, measured window")
    return fig


# ---------------------------------------------------------------- trade-off


def tradeoff_figure(results: Outcome, x_kpi: str = "fill_rate", y_kpi: str = "profit") -> Figure:
    """Profit against fill rate: one faint dot per replication, the mean with its 95%
    t-intervals (a cross, clipped to the possible range) per policy, named in a legend to the
    right of the data."""
    exp = experiment_of(results)
    sc = exp.scenario
    policies = list(sc.policies)
    colors = policy_colors(policies)
    names = [literal(p + (" (baseline)" if p == sc.baseline else "")) for p in policies]
    legend_width = min(3.8, 1.0 + 0.068 * max(len(n) for n in names))
    grid = _Grid(1, 1, 6.6, 3.6, left=0.95, right=legend_width + 0.2, top=0.65, bottom=0.6)
    fig, (ax,) = grid.figure(1)
    _tidy(ax)
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    xs, ys = _scale(x_kpi), _scale(y_kpi)
    total = _replications(exp)
    for p, name in zip(policies, names, strict=True):
        x = np.asarray(exp.series(p, x_kpi), dtype=float) * xs
        y = np.asarray(exp.series(p, y_kpi), dtype=float) * ys
        ok = np.isfinite(x) & np.isfinite(y)
        ax.scatter(x[ok], y[ok], s=16, color=colors[p], alpha=0.35, linewidths=0, zorder=2)
        sx, sy = exp.summary(p, x_kpi), exp.summary(p, y_kpi)
        if sx.n == 0 or sy.n == 0:
            continue
        mx, my = sx.mean * xs, sy.mean * ys
        ex = sx.ci95_half_width * xs if math.isfinite(sx.ci95_half_width) else 0.0
        ey = sy.ci95_half_width * ys if math.isfinite(sy.ci95_half_width) else 0.0
        xl, xh = _clip(x_kpi, mx - ex, mx + ex)
        yl, yh = _clip(y_kpi, my - ey, my + ey)
        ax.errorbar(
            mx,
            my,
            xerr=[[mx - xl], [xh - mx]],
            yerr=[[my - yl], [yh - my]],
            fmt="o",
            color=colors[p],
            markersize=7,
            markeredgecolor="#1b1b1b" if p == sc.baseline else "white",
            elinewidth=1.6,
            capsize=4,
            zorder=3,
            label=name + (f" (n = {min(sx.n, sy.n)})" if _n_note(min(sx.n, sy.n), total) else ""),
        )
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=8.5,
        frameon=False,
        borderaxespad=0,
        title="policy (mean ± 95%)",
        title_fontsize=8,
    )
    _value_axis(ax, x_kpi, axis="x")
    _value_axis(ax, y_kpi)
    _trim_ticks(ax, x_kpi, axis="x")
    _trim_ticks(ax, y_kpi)
    ax.set_xlabel(_label(x_kpi, sc.time_unit, sc.currency), fontsize=9, color="#444444")
    ax.set_ylabel(_label(y_kpi, sc.time_unit, sc.currency), fontsize=9, color="#444444")
    _caption(
        fig,
        f"Each dot is one replication; crosses are means with 95% t-intervals over {total} replications — "
        f"up and right is better.{_few_note(total)}",
    )
    return fig


# ---------------------------------------------------------------- sweeps


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _positions(values: Sequence[Any]) -> tuple[list[float], list[str] | None]:
    """x positions of swept values: the numbers themselves, or 0, 1, … for text values (with
    their tick labels, in sweep order)."""
    if all(_is_number(v) for v in values):
        return [float(v) for v in values], None
    categories = list(dict.fromkeys(str(v) for v in values))
    return [float(categories.index(str(v))) for v in values], categories


def _legend_right(ax: Axes, title: str | None = None) -> None:
    """The legend to the right of the axes, outside the data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=8,
            frameon=False,
            borderaxespad=0,
            title=title,
            title_fontsize=8,
        )


def _legend_room(labels: Sequence[str]) -> float:
    """Inches to the right of the axes for a legend of ``labels`` (8 pt)."""
    return min(4.2, 0.95 + 0.075 * max((len(s) for s in labels), default=4))


def sweep_figure(
    table: pd.DataFrame, parameter: str, kpi: str, time_unit: str | None = None, currency: str | None = None
) -> Figure:
    """An indicator against a swept parameter: one line per policy with its 95% t-interval band
    (each point's own interval over its replications, clipped to the quantity's range; n is
    written where fewer than :data:`FEW_REPLICATIONS` replications define it).

    Args:
        table: tidy rows with columns ``parameter``, "policy", "kpi", "mean", "ci95_low", "ci95_high"
            and optionally "n" (other parameter columns, if any, should be fixed beforehand).
        parameter: the column on the x axis (e.g. "store.max_quoted_wait").
        kpi: the indicator on the y axis.
        time_unit: the scenario's time unit, for indicators measured in time.
        currency: the scenario's currency label, for money.
    """
    rows = table[table["kpi"] == kpi]
    total = int(rows["n"].max()) if "n" in rows and len(rows) else 0
    values = list(dict.fromkeys(rows[parameter]))
    _, categories = _positions(values)
    policies = list(dict.fromkeys(rows["policy"]))
    colors = policy_colors(policies)
    scale = _scale(kpi)
    labels = [literal(p) for p in policies]
    grid = _Grid(1, 1, 6.2, 3.4, left=0.95, right=_legend_room(labels), top=0.75, bottom=0.6)
    fig, (ax,) = grid.figure(1)
    _tidy(ax)
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    for p, label in zip(policies, labels, strict=True):
        part = rows[rows["policy"] == p]
        if categories is None:
            part = part.sort_values(parameter)
            x = part[parameter].to_numpy(dtype=float)
        else:
            x = part[parameter].astype(str).map(categories.index).to_numpy(dtype=float)
        mean = part["mean"].to_numpy(dtype=float) * scale
        lo_b, hi_b = _bounds(kpi)
        lo = np.clip(part["ci95_low"].to_numpy(dtype=float) * scale, lo_b, hi_b)
        hi = np.clip(part["ci95_high"].to_numpy(dtype=float) * scale, lo_b, hi_b)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.fill_between(x[ok], lo[ok], hi[ok], color=colors[p], alpha=0.18, linewidth=0)
        ax.plot(x, mean, marker="o", markersize=4, color=colors[p], linewidth=1.6, label=label)
        if "n" in part:
            for xi, yi, n in zip(x, mean, part["n"].to_numpy(dtype=int), strict=True):
                note = _n_note(int(n), total)
                if note and math.isfinite(yi):
                    ax.annotate(note, (xi, yi), xytext=(4, 4), textcoords="offset points", fontsize=7, color="#555555")
    _value_axis(ax, kpi)
    _trim_ticks(ax, kpi)
    if categories is not None:
        ax.set_xticks(range(len(categories)), [literal(c) for c in categories])
    ax.set_xlabel(literal(parameter), fontsize=9, color="#444444")
    ax.set_ylabel(_label(kpi, time_unit, currency), fontsize=9, color="#444444")
    ax.set_title(
        f"{_label(kpi, time_unit, currency)} vs {literal(parameter)}", fontsize=10, loc="left", color="#111111"
    )
    _legend_right(ax)
    over = str(total) if total else "the"
    _caption(
        fig,
        f"Mean and 95% t-interval over {over} replications at each point (n written where fewer define it), "
        "each policy's own band, unpaired: the paired differences the summary tests are in vs_best.png and "
        f"differences.png.{_few_note(total)}",
    )
    return fig


def _point_groups(points: Sequence[Mapping[str, Any]], parameter: str) -> list[tuple[str, list[int]]]:
    """The points in lines along ``parameter``: one line per combination of the other swept
    parameters (its label, and the point indices in sweep order)."""
    others = [k for k in (points[0] if points else {}) if k != parameter]
    groups: dict[str, list[int]] = {}
    for j, pt in enumerate(points):
        groups.setdefault(", ".join(f"{o}={pt[o]}" for o in others), []).append(j)
    return list(groups.items())


def _difference_line(
    ax: Axes,
    kpi: str,
    xs: Sequence[float],
    diffs: Sequence[Difference],
    color: str,
    label: str,
    total: int,
) -> None:
    """Δ against the swept parameter with its paired band; filled markers where the interval
    excludes 0, hollow where it includes 0; n written where few replications define it."""
    scale = _scale(kpi)
    order = np.argsort(np.asarray(xs, dtype=float), kind="stable")
    x = np.asarray(xs, dtype=float)[order]
    ds = [diffs[i] for i in order]
    m = np.array([d.diff * scale if d.n else math.nan for d in ds])
    lo_hi = [
        _clip(kpi, d.ci95_low * scale, d.ci95_high * scale, difference=True)
        if d.n > 1 and math.isfinite(d.ci95_low)
        else (math.nan, math.nan)
        for d in ds
    ]
    lo = np.array([a for a, _ in lo_hi])
    hi = np.array([b for _, b in lo_hi])
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.fill_between(x[ok], lo[ok], hi[ok], color=color, alpha=0.18, linewidth=0)
    ax.plot(x, m, color=color, linewidth=1.5, label=label, zorder=2)
    real = np.array([d.n > 1 and d.significant for d in ds])
    ax.plot(x[real], m[real], "o", color=color, markersize=5.5, zorder=3)
    ax.plot(x[~real], m[~real], "o", color=color, markerfacecolor="white", markersize=5.5, zorder=3)
    for xi, yi, d in zip(x, m, ds, strict=True):
        note = _n_note(d.n, total)
        if note and math.isfinite(yi):
            ax.annotate(note, (xi, yi), xytext=(4, 4), textcoords="offset points", fontsize=7, color="#555555")


def _marker_key(fig: Figure, y: float = 0.005) -> None:
    key = [
        Line2D([], [], marker="o", linestyle="none", color="#444444", markersize=6, label="interval excludes 0"),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            color="#444444",
            markerfacecolor="white",
            markersize=6,
            label="interval includes 0 (not distinguishable)",
        ),
    ]
    fig.legend(handles=key, loc="lower left", bbox_to_anchor=(0.01, y), ncol=2, fontsize=8, frameon=False)


def sweep_differences_figure(
    points: Sequence[Mapping[str, Any]],
    experiments: Sequence[Experiment],
    parameter: str,
    kpis: Sequence[str] = HEADLINE_KPIS,
) -> Figure:
    """Δ of every policy from the baseline at the same point (policy − baseline) against a swept
    parameter, one panel per indicator, with its 95% paired t-interval band (common random
    numbers; Law 2015, §10.2.1). One line per policy (and combination of the other swept
    parameters); filled markers where the interval excludes 0.

    Raises:
        ValueError: when the sweep has only one policy.
    """
    sc = experiments[0].scenario
    base = sc.baseline
    others = [p for p in sc.policies if p != base]
    if not others:
        raise ValueError("one policy only: there is no difference from the baseline to draw")
    kpis = [k for k in kpis if k in experiments[0].kpis]
    groups = _point_groups(points, parameter)
    colors = policy_colors(list(sc.policies))
    x_all, categories = _positions([pt[parameter] for pt in points])
    labels = [literal(p + (f" ({g})" if g else "")) for p in others for g, _ in groups]
    ncols = 2 if len(kpis) > 1 else 1
    grid = _Grid(
        ncols,
        math.ceil(len(kpis) / ncols),
        4.3,
        2.5,
        left=0.95,
        right=_legend_room(labels),
        top=0.85,
        bottom=0.95,
        gap_width=0.95,
        gap_height=0.95,
    )
    fig, axes = grid.figure(len(kpis))
    n = _replications(experiments[0])
    for ax, kpi in zip(axes, kpis, strict=True):
        _tidy(ax)
        ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
        for i, p in enumerate(others):
            for gi, (g, idx) in enumerate(groups):
                diffs = [experiments[j].difference(p, kpi) for j in idx]
                color = colors[p] if len(groups) == 1 else _PALETTE[(i * len(groups) + gi) % len(_PALETTE)]
                label = literal(p + (f" ({g})" if g else ""))
                _difference_line(ax, kpi, [x_all[j] for j in idx], diffs, color, label, n)
        ax.axhline(0, color="#333333", linewidth=1.0, zorder=1)
        _value_axis(ax, kpi, difference=True)
        if categories is not None:
            ax.set_xticks(range(len(categories)), [literal(c) for c in categories])
        ax.set_xlabel(literal(parameter), fontsize=8.5, color="#444444")
        ax.set_title("Δ " + _label(kpi, sc.time_unit, sc.currency), fontsize=10, loc="left", color="#111111")
    _legend_right(axes[ncols - 1] if len(axes) >= ncols else axes[0], title=f"vs {literal(base)}")
    _marker_key(fig)
    _caption(
        fig,
        f"Difference from the baseline {literal(base)} at the same point (policy − baseline): mean over {n} "
        "replications with its 95% paired t-interval (common random numbers); rates in percentage points."
        + _few_note(n),
    )
    return fig


def sweep_best_figure(
    points: Sequence[Mapping[str, Any]],
    experiments: Sequence[Experiment],
    parameter: str,
    kpi: str,
    best: tuple[int, str],
    policies: Sequence[str],
) -> Figure:
    """Δ ``kpi`` of every point from the best one (point − best), the comparison a sweep's
    summary makes: each (point, policy) against the best (point, policy) on the same
    replications, with its 95% paired t-interval band. The best point is a star at 0; a hollow
    marker is a point not distinguishable from the best, a filled one is worse with 95%
    confidence.

    Args:
        best: (point index, policy) of the best point (:meth:`SweepResults.best`).
        policies: the policies compared with the best (the sweep's affected ones).
    """
    sc = experiments[0].scenario
    k, top = best
    reference = experiments[k].series(top, kpi)
    n = _replications(experiments[k])
    groups = _point_groups(points, parameter)
    colors = policy_colors(list(sc.policies))
    x_all, categories = _positions([pt[parameter] for pt in points])
    labels = [literal(p + (f" ({g})" if g else "")) for p in policies for g, _ in groups]
    grid = _Grid(1, 1, 6.2, 3.4, left=0.95, right=_legend_room(labels), top=0.85, bottom=0.95)
    fig, (ax,) = grid.figure(1)
    _tidy(ax)
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    for i, p in enumerate(policies):
        for gi, (g, idx) in enumerate(groups):
            diffs = [paired_difference(experiments[j].series(p, kpi), reference) for j in idx]
            color = colors[p] if len(groups) == 1 else _PALETTE[(i * len(groups) + gi) % len(_PALETTE)]
            label = literal(p + (f" ({g})" if g else ""))
            _difference_line(ax, kpi, [x_all[j] for j in idx], diffs, color, label, n)
    ax.axhline(0, color="#333333", linewidth=1.0, zorder=1)
    ax.plot(
        [x_all[k]],
        [0.0],
        marker="*",
        markersize=15,
        color="#b8902e",
        markeredgecolor="#1b1b1b",
        zorder=4,
        linestyle="none",
        label="best",
    )
    _value_axis(ax, kpi, difference=True)
    if categories is not None:
        ax.set_xticks(range(len(categories)), [literal(c) for c in categories])
    ax.set_xlabel(literal(parameter), fontsize=9, color="#444444")
    ax.set_title(
        f"Δ {_label(kpi, sc.time_unit, sc.currency)} from the best point", fontsize=10, loc="left", color="#111111"
    )
    _legend_right(ax)
    _marker_key(fig)
    where = ", ".join(f"{name} = {value}" for name, value in points[k].items())
    _caption(
        fig,
        f"Each point minus the best ({literal(top)} at {literal(where)}): mean over {n} replications with its 95% "
        "paired t-interval (the same replications at every point, common random numbers), the test behind the "
        "summary." + _few_note(n),
    )
    return fig


# ---------------------------------------------------------------- optimisation


_LABEL_ROOM = 0.22
"""Share of the objective axis's height kept free above the data for the chosen point's label
(two lines of 7.5 pt, 14 pt above the star, on axes 3.1 in high: ≈ 36 of 223 pt)."""


def optimize_figure(results: Sequence[OptimizeResult]) -> Figure:
    """The objective against the (first) searched parameter at every screened point, with its
    95% t-interval over that point's replications (the screening's, or the selection's for a
    finalist), one line per optimised policy (and combination of the other parameters); a
    hollow marker where the point misses a constraint on its means, a star at the chosen point.

    Below, when there are other finalists: the paired difference chosen − finalist with its
    simultaneous (Bonferroni) interval, the comparison behind "beats every other finalist" or
    "statistically tied".
    """
    first = results[0]
    kpi = first.objective
    params = list(first.ranges)
    parameter = params[0]
    gaps = [(r, gap) for r in results for gap in sorted(r.gaps, key=lambda g: tuple(g["point"].values()))]
    policies = [r.policy for r in results]
    colors = policy_colors(policies)
    labels: list[str] = []
    series: list[tuple[str, str, list[Candidate], OptimizeResult]] = []
    for r in results:
        screened = sorted(r.screened or r.finalists, key=lambda c: tuple(c.point[p] for p in params))
        groups = _point_groups([c.point for c in screened], parameter)
        for gi, (g, idx) in enumerate(groups):
            label = literal(r.policy + (f" ({g})" if g else ""))
            color = colors[r.policy] if len(groups) == 1 else _PALETTE[gi % len(_PALETTE)]
            labels.append(label)
            series.append((label, color, [screened[j] for j in idx], r))
    rows = 2 if gaps else 1
    grid = _Grid(
        1, rows, 6.4, 3.1, left=1.0, right=_legend_room([*labels, "chosen point"]), top=0.85, bottom=1.0, gap_height=1.2
    )
    fig, axes = grid.figure(rows)
    ax = axes[0]
    _tidy(ax)
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    scale = _scale(kpi)
    values = first.ranges[parameter]
    low_x, high_x = float(values[0]), float(values[-1])
    annotated = False
    for label, color, cands, r in series:
        x = np.array([float(c.point[parameter]) for c in cands])
        stats = [c.experiment.summary(r.policy, kpi) for c in cands]
        m = np.array([s.mean * scale for s in stats])
        lims = [
            _clip(kpi, (s.mean - s.ci95_half_width) * scale, (s.mean + s.ci95_half_width) * scale)
            if s.n > 1 and math.isfinite(s.ci95_half_width)
            else (s.mean * scale, s.mean * scale)
            for s in stats
        ]
        feasible = np.array([all(k.holds(c.mean(r.policy, k.kpi)) for k in r.constraints) for c in cands])
        ax.plot(x, m, color=color, linewidth=1.3, label=label, zorder=2)
        yerr = np.array(
            [
                [mi - lo for mi, (lo, _) in zip(m, lims, strict=True)],
                [hi - mi for mi, (_, hi) in zip(m, lims, strict=True)],
            ]
        )
        ax.errorbar(x, m, yerr=yerr, fmt="none", ecolor=color, elinewidth=1.0, capsize=2.5, alpha=0.8, zorder=2)
        ax.plot(x[feasible], m[feasible], "o", color=color, markersize=4.5, zorder=3)
        ax.plot(x[~feasible], m[~feasible], "o", color=color, markerfacecolor="white", markersize=4.5, zorder=3)
        if r.chosen is not None and r.chosen in cands:
            s = r.chosen.experiment.summary(r.policy, kpi)
            ax.plot(
                [float(r.chosen.point[parameter])],
                [s.mean * scale],
                marker="*",
                markersize=16,
                color="#b8902e",
                markeredgecolor="#1b1b1b",
                linestyle="none",
                zorder=4,
                label="chosen point" if r is results[0] else None,
            )
            if len(results) > 1:  # several policies' chosen points may coincide: the page's table gives them
                continue
            at = float(r.chosen.point[parameter])
            where = (at - low_x) / (high_x - low_x) if high_x > low_x else 0.5
            ax.annotate(  # aligned so that it stays over the axes at either end of the range
                literal(", ".join(f"{k} = {v}" for k, v in r.chosen.point.items()))
                + f"\n{format_interval(kpi, s.mean, s.ci95_half_width)} (n = {s.n})",
                (at, s.mean * scale),
                xytext=(0, 14),
                textcoords="offset points",
                fontsize=7.5,
                ha="left" if where < 1 / 3 else "right" if where > 2 / 3 else "center",
                va="bottom",
                color="#333333",
            )
            annotated = True
    if annotated:  # headroom for the two lines above the star, which may be the highest point (maximise)
        bottom, top = ax.get_ylim()
        ax.set_ylim(bottom, top + (top - bottom) * _LABEL_ROOM / (1 - _LABEL_ROOM))
    _value_axis(ax, kpi)
    _trim_ticks(ax, kpi)
    ax.set_xlabel(literal(parameter), fontsize=9, color="#444444")
    sc0 = _scenario(results)
    unit, money = (sc0.time_unit, sc0.currency) if sc0 is not None else ("day", None)
    ax.set_title(f"{_label(kpi, unit, money)} at every screened point", fontsize=10, loc="left")
    ax.plot([], [], "o", color="#444444", markerfacecolor="white", markersize=4.5, label="misses a constraint")
    _legend_right(ax)
    if gaps:
        gx = axes[1]
        _tidy(gx)
        names = [
            literal((f"{r.policy}: " if len(results) > 1 else "") + ", ".join(str(v) for v in gap["point"].values()))
            for r, gap in gaps
        ]
        for i, (_, gap) in enumerate(gaps):
            sure = gap["low"] > 0
            tone = _NEUTRAL if sure else _NOISE
            lo, hi = gap["low"] * scale, gap["high"] * scale
            d = gap["diff"] * scale
            gx.errorbar(
                [i],
                [d],
                yerr=[[d - lo], [hi - d]],
                fmt="o",
                color=tone,
                markerfacecolor=tone if sure else "white",
                markersize=6.5,
                elinewidth=1.6,
                capsize=4,
                zorder=3,
            )
            if not gap["feasible"]:
                gx.annotate(
                    "misses a constraint",
                    (i, hi),
                    xytext=(0, 4),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                    color="#555555",
                )
        gx.axhline(0, color="#333333", linewidth=1.0, zorder=1)
        gx.set_xticks(range(len(gaps)), names, fontsize=8)
        gx.set_xlim(-0.6, len(gaps) - 0.4)
        _value_axis(gx, kpi, difference=True)
        gx.set_xlabel("other finalist (" + literal(", ".join(params)) + ")", fontsize=9, color="#444444")
        level = gaps[0][1].get("confidence", 0.95)
        sign = "chosen − finalist" if first.sense == "max" else "finalist − chosen"
        gx.set_title(
            f"How much better the chosen point is ({sign}): paired intervals at {level:.1%} each, "
            "95% together (Bonferroni)",
            fontsize=10,
            loc="left",
        )
    n1 = min((c.experiment.summary(r.policy, kpi).n for r in results for c in (r.screened or r.finalists)), default=0)
    n2 = max((c.experiment.summary(r.policy, kpi).n for r in results for c in r.finalists), default=0)
    constraints = (
        "subject to " + " and ".join(str(c) for c in first.constraints) if first.constraints else "with no constraint"
    )
    _caption(
        fig,
        f"{'Maximise' if first.sense == 'max' else 'Minimise'} {literal(kpi)} {literal(constraints)}: "
        f"mean and 95% t-interval of every screened point ({n1} replications; finalists {n2})\n"
        "Paired comparisons use the same replications at every point (common random numbers)",
    )
    return fig


def _scenario(results: Sequence[OptimizeResult]) -> Scenario | None:
    """The scenario of the first experiment of the results (None when nothing was run)."""
    for r in results:
        for c in [*r.screened, *r.finalists]:
            return c.experiment.scenario
    return None
