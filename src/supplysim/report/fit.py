"""The figures and the page of ``supplysim fit --report DIR`` (``docs/fit.md#the-report``).

Four figures, each holding the data against the fitted model:

* ``demand`` — orders per in-stock day, week by week, against the fitted rate, with the
  stockout share of each week;
* ``weekly`` — each weekday's rate n_k / e_k with its Garwood interval, against the flat rate;
* ``lead_time`` — the histogram of the lead times (as a density) against the fitted density;
* ``patience`` — the Kaplan–Meier survival of patience (Greenwood band) against the fitted survival.

The page says what was fitted, from how many records and how well, in the style of the run page.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from supplysim.analysis.fit.demand import garwood
from supplysim.analysis.fit.durations import DurationFit, kaplan_meier
from supplysim.analysis.fit.fitting import FitResult
from supplysim.records import UNIT_SECONDS
from supplysim.report.figures import _PALETTE, _tidy, literal
from supplysim.report.fit_text import describe_law, fit_lines
from supplysim.report.html import _e, _figure, _lines_html, _shell, png_bytes
from supplysim.scenario.specs import Scenario

__all__ = [
    "FIT_FIGURES",
    "demand_figure",
    "fit_files",
    "fit_html",
    "lead_time_figure",
    "patience_figure",
    "weekly_figure",
]

FIT_FIGURES = ("demand", "weekly", "lead_time", "patience")
"""The figures of the page, written as ``<name>.png`` (those that have data)."""

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DATA, _MODEL, _SHADE = _PALETTE[0], _PALETTE[1], "#e8a6a0"


def _figure_of(width: float = 6.4, height: float = 3.4) -> Figure:
    fig = Figure(figsize=(width, height))
    fig.set_facecolor("white")
    return fig


def demand_figure(result: FitResult) -> Figure:
    """Orders per in-stock day, week by week, with the fitted rate; bars of stockout share below."""
    w = result.window
    unit = result.records.time_unit
    start, end = w.window
    week = 7 * UNIT_SECONDS["day"] / UNIT_SECONDS[unit]  # one point a week, in the time unit
    if (end - start) / week > 400 or (end - start) / week < 2:  # too many or too few weeks: 30 points
        week = max((end - start) / 30, 1e-9)
    edges = np.arange(start, end + week, week)
    edges[-1] = min(edges[-1], end)
    lo, hi = w.lo, w.hi
    t = result.records.orders.created
    t = t[w.contains(t)]
    counts = np.histogram(t, bins=edges)[0]
    ins = np.array(
        [float(np.sum(np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0, None))) for a, b in itertools.pairwise(edges)]
    )
    span = np.diff(edges)
    mid = (edges[:-1] + edges[1:]) / 2
    ok = ins > 0
    fig = _figure_of(6.8, 3.8)
    ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    rate = np.where(ok, counts / np.where(ok, ins, 1.0), np.nan)
    errs = np.array(
        [garwood(int(c), float(e)) if e > 0 else (math.nan, math.nan) for c, e in zip(counts, ins, strict=True)]
    )
    ax.errorbar(
        mid[ok],
        rate[ok],
        yerr=[rate[ok] - errs[ok, 0], errs[ok, 1] - rate[ok]],
        fmt="o",
        ms=3.5,
        color=_DATA,
        ecolor="#9db7cf",
        lw=1,
        label=f"orders per in-stock {unit}, each week (95% interval)",
    )
    fitted, ci = result.demand_rate
    ax.axhline(result.rate.rate, color=_MODEL, lw=1.6, label=f"fitted rate {result.rate.rate:.3g}")
    ax.axhspan(result.rate.ci95[0], result.rate.ci95[1], color=_MODEL, alpha=0.15, lw=0)
    ax.set_ylabel(f"orders / in-stock {unit}")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    _tidy(ax)
    share = 1 - ins / span
    ax2.bar(mid, share * 100, width=span * 0.9, color=_SHADE)
    ax2.set_ylabel("% out\nof stock", fontsize=8)
    ax2.set_ylim(0, max(5.0, float(np.nanmax(share * 100)) * 1.15 if len(share) else 5.0))
    ax2.set_xlabel(f"{unit}s since {result.records.origin:%Y-%m-%d} (a Monday)")
    _tidy(ax2)
    ax.set_title("Demand on in-stock time", fontsize=10, loc="left")
    fig.tight_layout()
    del fitted, ci
    return fig


def weekly_figure(result: FitResult) -> Figure | None:
    """Each weekday's rate with its Garwood interval, against the flat rate (None without days)."""
    wk = result.weekly
    if wk is None:
        return None
    fig = _figure_of(6.4, 3.2)
    ax = fig.subplots()
    x = np.arange(7)
    lam = np.array([n / e if e > 0 else math.nan for n, e in zip(wk.counts, wk.exposure, strict=True)])
    cis = np.array(
        [garwood(n, e) if e > 0 else (math.nan, math.nan) for n, e in zip(wk.counts, wk.exposure, strict=True)]
    )
    ax.bar(x, lam, color=_DATA if wk.kept else "#9db7cf", width=0.6, label="orders per in-stock day")
    ax.errorbar(
        x,
        lam,
        yerr=[lam - cis[:, 0], cis[:, 1] - lam],
        fmt="none",
        ecolor="#333333",
        capsize=3,
        lw=1,
        label="95% interval (Garwood)",
    )
    ax.axhline(result.rate.rate, color=_MODEL, lw=1.5, ls="--", label=f"flat week {result.rate.rate:.3g}")
    ax.set_xticks(x, _DAYS)
    ax.set_ylabel("orders / in-stock day")
    ax.set_ylim(bottom=0, top=float(np.nanmax(cis[:, 1])) * 1.25)
    verdict = "kept" if wk.kept else "not kept"
    ax.set_title(f"Day of the week: profile {verdict} (likelihood-ratio p = {wk.p_value:.2g})", fontsize=10, loc="left")
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)
    _tidy(ax)
    fig.tight_layout()
    return fig


def _law_of(f: DurationFit) -> Any:
    """The scipy law of the chosen fit (None for constant and empirical)."""
    for lf in f.fits:
        if lf.law.name == f.dist:
            return lf.dist
    return None


def lead_time_figure(result: FitResult) -> Figure | None:
    """The lead times' histogram (density) against the fitted density of each supplier (None without receipts)."""
    if not result.lead_times:
        return None
    r = result.records.receipts
    assert r is not None
    unit = result.records.time_unit
    n = len(result.lead_times)
    fig = _figure_of(6.4, 3.0 * n)
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    done = ~np.isnan(r.received)
    for ax, lt in zip(axes, result.lead_times, strict=True):
        mask = (
            done
            if lt.supplier is None or r.supplier is None or len(set(r.supplier)) == 1
            else (done & np.array([s == lt.supplier for s in r.supplier]))
        )
        x = r.received[mask] - r.ordered[mask]
        f = lt.fit
        step = f.step
        if step is not None and (x.max() - x.min()) / step <= 60:  # whole days: one bar per day
            bins = np.arange(x.min() - step / 2, x.max() + step, step)
        else:
            bins = np.histogram_bin_edges(x, bins="fd" if len(x) > 30 else 10)
            if len(bins) > 61:
                bins = np.histogram_bin_edges(x, bins=60)
        ax.hist(x, bins=bins, density=True, color="#9db7cf", edgecolor="white", label=f"{len(x):,} lead times")
        law = _law_of(f)
        if law is not None:
            grid = np.linspace(0, max(float(x.max()) * 1.15, float(law.ppf(0.995))), 400)
            ax.plot(grid, law.pdf(grid), color=_MODEL, lw=1.8, label=f"fitted {describe_law(f.spec)}")
        who = f" — {literal(lt.supplier)}" if lt.supplier and n > 1 else ""
        gof = f", KS p = {f.ks_p:.2f}" if f.ks_p is not None else ""
        ax.set_title(f"Lead time{who}: {f.dist}{gof}", fontsize=10, loc="left")
        ax.set_xlabel(f"{unit}s from order to receipt")
        ax.set_ylabel("density")
        ax.set_xlim(left=0)
        ax.legend(fontsize=8, frameon=False)
        _tidy(ax)
    fig.tight_layout()
    return fig


def patience_figure(result: FitResult) -> Figure | None:
    """Kaplan–Meier survival of patience with Greenwood's band, against the fitted survival."""
    p = result.patience
    d = result.patience_data
    if p is None or len(d.events) == 0:
        return None
    unit = result.records.time_unit
    times, surv, se = kaplan_meier(d.events, d.censored)
    fig = _figure_of(6.4, 3.4)
    ax = fig.subplots()
    st = np.concatenate([[0.0], times])
    ss = np.concatenate([[1.0], surv])
    band = np.concatenate([[0.0], se])
    ax.fill_between(
        st, np.clip(ss - 1.96 * band, 0, 1), np.clip(ss + 1.96 * band, 0, 1), step="post", color=_DATA, alpha=0.15, lw=0
    )
    ax.step(
        st,
        ss,
        where="post",
        color=_DATA,
        lw=1.5,
        label=f"Kaplan–Meier ({p.events:,} cancellations, {p.censored:,} censored)",
    )
    law = _law_of(p)
    top = float(max(d.events.max(), np.quantile(d.censored, 0.95) if len(d.censored) else 0.0))
    if law is not None:
        grid = np.linspace(0, top * 1.05, 400)
        ax.plot(grid, law.sf(grid), color=_MODEL, lw=1.8, label=f"fitted {describe_law(p.spec)}")
    ax.set_xlim(0, top * 1.05)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"{unit}s waiting for a backorder")
    ax.set_ylabel("share still willing to wait")
    ax.set_title(f"Patience: {p.dist}, median {p.median:.3g} {unit}s", fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False)
    _tidy(ax)
    fig.tight_layout()
    return fig


def fit_images(result: FitResult) -> dict[str, bytes]:
    """The figures that have data, as PNG bytes by name."""
    makers = {
        "demand": demand_figure,
        "weekly": weekly_figure,
        "lead_time": lead_time_figure,
        "patience": patience_figure,
    }
    out = {}
    for name, make in makers.items():
        fig = make(result)
        if fig is not None:
            out[name] = png_bytes(fig)
    return out


_CAPTIONS = {
    "demand": (
        "Demand",
        "Each point is one week's orders divided by that week's in-stock time; the line is the fitted rate "
        "and its 95% interval; the bars below show how much of each week was out of stock (no orders could be placed).",
    ),
    "weekly": (
        "Day of the week",
        "Orders per in-stock day on each weekday with exact 95% intervals. The profile is written to the "
        "scenario only when the likelihood-ratio test rejects a flat week at 5%.",
    ),
    "lead_time": (
        "Lead times",
        "The observed lead times against the density of the law chosen by AIC; the KS p-value comes from a "
        "parametric bootstrap (the parameters are estimated from the same data).",
    ),
    "patience": (
        "Patience",
        "Kaplan–Meier estimate of the share of backordered customers still willing to wait (95% band), "
        "against the fitted survival. Fulfilled and still-open orders are censored: they were still waiting.",
    ),
}


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    head = "<tr><th>key</th><th>fitted</th><th>95% interval</th><th>from</th></tr>"
    body = "".join(
        f"<tr><td><code>{_e(k)}</code></td><td>{_e(v)}</td><td>{_e(c)}</td><td>{_e(n)}</td></tr>" for k, v, c, n in rows
    )
    return f'<table class="cmp">{head}{body}</table>'


def _rows(result: FitResult) -> list[tuple[str, str, str, str]]:
    unit = result.records.time_unit
    rate, ci = result.demand_rate
    rows = [
        (
            "demand.rate",
            f"{rate:.4g} orders/{unit}",
            f"{ci[0]:.4g}–{ci[1]:.4g}",
            f"{result.rate.n:,} orders, {result.rate.in_stock:,.1f} in-stock {unit}s",
        )
    ]
    if result.weekly is not None:
        wk = result.weekly
        rows.append(
            (
                "demand.weekly",
                ", ".join(f"{f:.2f}" for f in wk.factors) if wk.kept else "none (flat week)",
                "",
                f"p = {wk.p_value:.2g}",
            )
        )
    if result.trend.tested:
        t = result.trend
        rows.append(
            (
                "demand.trend",
                f"{t.trend:+.3g}/{unit}" if t.kept else "0 (no trend)",
                f"{t.ci95[0]:+.3g} to {t.ci95[1]:+.3g}",
                f"p = {t.p_value:.2g}",
            )
        )
    q = result.quantity
    rows.append(
        ("demand.quantity", describe_law(q.spec), f"mean {q.ci95_mean[0]:.3g}–{q.ci95_mean[1]:.3g}", f"{q.n:,} orders")
    )
    for lt in result.lead_times:
        f = lt.fit
        gof = f", KS p = {f.ks_p:.2f}" if f.ks_p is not None else ""
        rows.append(
            (
                lt.key,
                describe_law(f.spec),
                f"mean {f.ci95_mean[0]:.3g}–{f.ci95_mean[1]:.3g}",
                f"{f.events:,} receipts{gof}",
            )
        )
    if result.patience is not None:
        p = result.patience
        rows.append(
            (
                "segments.*.patience",
                describe_law(p.spec),
                f"median {p.ci95_median[0]:.3g}–{p.ci95_median[1]:.3g}",
                f"{p.events:,} cancellations, {p.censored:,} censored",
            )
        )
    return rows


def _ranking(result: FitResult) -> str:
    """ΔAIC of every candidate law of each fitted duration (0 = chosen by AIC)."""
    blocks = []
    named = [(lt.key, lt.fit) for lt in result.lead_times]
    if result.patience is not None:
        named.append(("patience", result.patience))
    for key, f in named:
        if not f.aic:
            continue
        best = min(f.aic.values())
        cells = "".join(
            f'<tr><td style="padding-right:1.5em">{_e(law)}</td><td style="text-align:right">{aic - best:.1f}</td></tr>'
            for law, aic in sorted(f.aic.items(), key=lambda kv: kv[1])
        )
        blocks.append(
            f'<table class="cmp" style="width:auto;display:inline-table;margin-right:2.5em;vertical-align:top">'
            f'<tr><th style="padding-right:1.5em">{_e(key)}</th><th>ΔAIC</th></tr>{cells}</table>'
        )
    if not blocks:
        return ""
    return (
        "<p>Every candidate law, by AIC above the best (a difference below 2 means the data hardly "
        "tell them apart; above 10, the worse law is clearly worse).</p>" + "".join(blocks)
    )


def fit_html(result: FitResult, scenario: Scenario, images: Mapping[str, bytes]) -> str:
    """The page: what was fitted, from how many records, how well."""
    rec = result.records
    lines = fit_lines(result)
    notes = [s for s in lines if s.startswith("note: ")]
    said = [s for s in lines if not s.startswith("note: ")]
    facts = [
        ("product", rec.sku or "(one product)"),
        ("orders", f"{len(rec.orders):,}"),
        ("receipts", f"{len(rec.receipts):,}" if rec.receipts is not None else "none"),
        ("stockout spells", f"{len(rec.stockouts):,}" if rec.stockouts is not None else "none"),
        ("history", f"{rec.to_datetime(rec.start):%Y-%m-%d} to {rec.exported_at:%Y-%m-%d %H:%M} UTC"),
        ("in stock", f"{result.rate.in_stock / max(result.rate.calendar, 1e-12):.0%} of the time"),
    ]
    sections = [
        ("found", "What the records say", _lines_html(said)),
        (
            "keys",
            "The fitted keys",
            _table(_rows(result))
            + f"<p>Written to the scenario <code>{_e(scenario.name)}</code>; every other key is the template's.</p>",
        ),
    ]
    figs = "".join(_figure(n, images[n], *_CAPTIONS[n]) for n in FIT_FIGURES if n in images)
    if figs:
        sections.append(("figures", "How well the model fits", figs))
    ranking = _ranking(result)
    if ranking:
        sections.append(("laws", "Candidate laws", ranking))
    if notes:
        sections.append(("notes", "Notes", "<ul>" + "".join(f"<li>{_e(s[6:])}</li>" for s in notes) + "</ul>"))
    sections.append(
        (
            "unseen",
            "What the records cannot show",
            "<p>Customers who were offered a backorder and declined never placed an order, so they are "
            "not in the records: the share who accept (<code>accept_backorder</code>) stays the "
            "template's. Patience assumes that being served does not depend on how patient a customer "
            "is (independent censoring); demand assumes Poisson arrivals.</p>",
        )
    )
    footer = (
        "Rates: exact Poisson (Garwood) intervals on in-stock time. Laws: maximum likelihood, chosen by AIC. "
        "Patience: censored maximum likelihood; interval of the median by the delta method. See docs/fit.md."
    )
    return _shell(f"Fitted: {scenario.name}", "Fit", None, facts, sections, _e(footer))


def fit_files(result: FitResult, scenario: Scenario, fitted_yaml: str) -> dict[str, bytes | str]:
    """The files of the report folder: ``index.html``, the figures and ``fitted.yaml``."""
    images = fit_images(result)
    files: dict[str, bytes | str] = {f"{name}.png": data for name, data in images.items()}
    files["index.html"] = fit_html(result, scenario, images)
    files["fitted.yaml"] = fitted_yaml
    return files
