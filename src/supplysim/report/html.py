"""The results folder's figures and its one-page HTML report.

:func:`figures_and_report` renders the figures of :mod:`supplysim.report.figures` to PNG and writes
``report.html``: a single self-contained page (inline CSS, images as ``data:`` URIs, no
scripts, no external resources) that can be mailed or forwarded as it is. Every piece of
text taken from the scenario is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

from supplysim.analysis.breakdown import TRANSSHIPMENT, components, profit_breakdown
from supplysim.analysis.diagnostics import leaves
from supplysim.analysis.indicators import by_location
from supplysim.analysis.intervals import Difference, Interval, paired_difference
from supplysim.analysis.kpis import HEADLINE, Better, Unit, display_name, format_pm, lookup
from supplysim.analysis.provenance import supplysim_version
from supplysim.report import figures as plots
from supplysim.report.outcome import Outcome, experiment_of, precision_of
from supplysim.report.text import verdict_lines
from supplysim.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from supplysim.experiments.compare import CompareResult
    from supplysim.experiments.optimize import OptimizeResult
    from supplysim.experiments.sweep import SweepResults

__all__ = [
    "FIGURES",
    "figures_and_report",
    "location_figures",
    "optimize_files",
    "optimize_html",
    "png_bytes",
    "report_html",
    "sweep_files",
    "sweep_html",
    "sweep_images",
]

FIGURES: tuple[str, ...] = ("indicators", "differences", "trajectories", "waits", "tradeoff")
"""The figures of a run, written as ``plots/<name>.png`` (``differences`` only with two or more
policies: it draws every policy's paired difference from the baseline)."""

_DPI = 110


_UNHINTED = "none"
"""``text.hinting`` of the saved figures: unhinted glyphs, as browsers and macOS draw text. Text is
most of a figure's drawing, and unhinted glyphs take about a fifth less of it than Matplotlib's
default auto-hinting; at 110 dpi the difference is barely visible (docs/performance.md, "Start-up,
the report and memory of a whole command")."""


_PNG_LEVEL = 1
"""zlib level of the PNGs: flat-colour figures compress about as well at 1 as at the default 6
(2 % more bytes, measured on the flagship's five figures) in a tenth less of their saving time."""


def png_bytes(fig: Figure, dpi: int = _DPI) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"text.hinting": _UNHINTED}):
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white", pil_kwargs={"compress_level": _PNG_LEVEL})
    return buf.getvalue()


def location_figures(sc: Scenario) -> list[tuple[str, str | None]]:
    """The figures of a network's "Locations" section, ``(figure name, store)``: one
    ``trajectories-<store>`` per store in listed order, then ``warehouse`` (store None). Empty
    without ``network:``. A store's name is made safe for a file name (characters other than
    letters, digits, ``_ . -`` become ``_``; a clash gets the store's position appended)."""
    net = sc.policies[sc.baseline].network
    if net is None:
        return []
    out: list[tuple[str, str | None]] = []
    taken = {"warehouse", *FIGURES}
    for k, store in enumerate(net.stores, start=1):
        name = "trajectories-" + re.sub(r"[^A-Za-z0-9_.\-]", "_", store)
        if name in taken:
            name += f"-{k}"
        taken.add(name)
        out.append((name, store))
    out.append(("warehouse", None))
    return out


def figures_and_report(results: Outcome) -> dict[str, bytes | str]:
    """PNG files ``plots/<figure>.png`` and ``report.html``, by path relative to the results folder.

    A single store gets :data:`FIGURES`; a network gets the same but ``trajectories``, replaced by
    one figure per store and one for the warehouse (:func:`location_figures`).
    """
    sc = experiment_of(results).scenario
    figures: dict[str, Figure] = {"indicators": plots.indicators_figure(results)}
    if len(sc.policies) > 1:
        figures["differences"] = plots.differences_figure(results)
    located = location_figures(sc)
    if not located:
        figures["trajectories"] = plots.trajectories_figure(results)
    figures |= {"waits": plots.waits_figure(results), "tradeoff": plots.tradeoff_figure(results)}
    for name, store in located:
        figures[name] = (
            plots.warehouse_figure(results) if store is None else plots.trajectories_figure(results, location=store)
        )
    images = {name: png_bytes(fig) for name, fig in figures.items()}
    files: dict[str, bytes | str] = {f"plots/{name}.png": data for name, data in images.items()}
    files["report.html"] = report_html(results, images)
    return files


# ---------------------------------------------------------------- text helpers


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def describe(value: Any) -> str:
    """A configuration value in a few words: distributions as ``gamma(mean 7, cv 0.4)``,
    mappings as ``key value, …``, None as "not set"."""
    if value is None:
        return "not set"
    if isinstance(value, dict):
        if "dist" in value:
            args = ", ".join(f"{k} {describe(v)}" for k, v in value.items() if k != "dist" and v is not None)
            if value["dist"] == "constant" and set(value) - {"dist"} <= {"value"}:
                return describe(value.get("value"))
            return f"{value['dist']}({args})"
        return ", ".join(f"{k} {describe(v)}" for k, v in value.items() if v is not None and v != [])
    if isinstance(value, list):
        if all(isinstance(v, dict) for v in value) and value:
            return "; ".join(describe(v) for v in value)
        return "[" + ", ".join(describe(v) for v in value) + "]"
    return _num(value)


def _dump(sc: Scenario, policy: str) -> dict[str, Any]:
    return sc.policies[policy].model_dump(by_alias=True, mode="json")


def policy_changes(sc: Scenario, policy: str) -> list[tuple[str, str, str]]:
    """What ``policy`` changes with respect to the baseline: (setting, baseline value, policy value)."""
    base = dict(leaves(_dump(sc, sc.baseline)))
    mine = dict(leaves(_dump(sc, policy)))
    out = []
    whole: set[str] = set()  # named entries (a supplier, a segment) present on one side only
    for key in list(base) + [k for k in mine if k not in base]:
        a, b = base.get(key), mine.get(key)
        if a == b:
            continue
        entry = key[: key.index("]") + 1] if "]" in key else ""
        one_side = entry and (not any(k.startswith(entry) for k in base) or not any(k.startswith(entry) for k in mine))
        if not one_side:
            out.append((key, describe(a), describe(b)))
        elif entry not in whole:
            whole.add(entry)
            side = base if any(k.startswith(entry) for k in base) else mine
            text = ", ".join(
                f"{k[len(entry) + 1 :]} {describe(v)}" for k, v in side.items() if k.startswith(entry) and v is not None
            )
            out.append((entry, "not set", text) if side is mine else (entry, text, "removed"))
    return out


# ---------------------------------------------------------------- page parts


def _facts(results: Outcome) -> str:
    sc = experiment_of(results).scenario
    unit = sc.time_unit
    n = (
        experiment_of(results).summary(sc.baseline, experiment_of(results).kpis[0]).n
        if experiment_of(results).kpis
        else sc.replications
    )
    measured = f"{sc.horizon:g} {unit}s"
    if sc.warmup:
        measured += f" after a {sc.warmup:g}-{unit} warm-up"
    items = [
        ("Measured period", measured),
        ("Replications", f"{n} (seed {sc.seed})"),
        ("Policies", f"{len(sc.policies)} — baseline: {sc.baseline}"),
        ("Time unit", unit),
    ]
    precision = precision_of(results)
    if precision is not None:
        items.append(("Precision", precision.describe()))
    cells = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in items)
    return f'<dl class="facts">{cells}</dl>'


def _verdict(results: Outcome) -> str:
    lines = verdict_lines(experiment_of(results), precision=precision_of(results))
    policies = list(experiment_of(results).scenario.policies)
    head = [s for s in lines if not s.startswith("Under ") and "precision" not in s]
    rest = [s for s in lines if s not in head]
    parts = []
    if head:
        parts.append('<ul class="verdict-main">' + "".join(f"<li>{_e(s)}</li>" for s in head) + "</ul>")
    if rest:
        parts.append('<ul class="verdict-more">' + "".join(f"<li>{_e(s)}</li>" for s in rest) + "</ul>")
    if not parts:
        parts.append(f"<p>Only one policy ({_e(policies[0])}): nothing to compare.</p>")
    return "".join(parts)


def _policies(results: Outcome) -> str:
    sc = experiment_of(results).scenario
    rows = []
    for p in sc.policies:
        if p == sc.baseline:
            cfg = _dump(sc, p)
            rule = cfg["replenishment"]
            what = (
                "The reference the others are compared with: stockouts handled as "
                f"<b>{_e(cfg['store']['stockout'])}</b>; replenishment {_e(describe(rule))}."
            )
        else:
            changes = policy_changes(sc, p)
            if changes:
                what = "<ul>" + "".join(
                    f"<li><code>{_e(k)}</code>: {_e(a)} → <b>{_e(b)}</b></li>" for k, a, b in changes
                )
                what += "</ul>"
            else:
                what = "Same settings as the baseline."
        badge = ' <span class="badge">baseline</span>' if p == sc.baseline else ""
        rows.append(f'<tr><th scope="row">{_e(p)}{badge}</th><td>{what}</td></tr>')
    return (
        '<table class="policies"><thead><tr><th>Policy</th><th>What it changes</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


_SECTION_NAMES = {
    "product": "Product and costs",
    "demand": "Demand",
    "segments": "Customer segments",
    "supplier": "Supplier",
    "suppliers": "Suppliers",
    "sourcing": "Sourcing",
    "store": "Store",
    "replenishment": "Replenishment",
}


def _settings(results: Outcome) -> str:
    """The baseline model's settings, one row per section."""
    sc = experiment_of(results).scenario
    cfg = _dump(sc, sc.baseline)
    rows = []
    for key, value in cfg.items():
        if value is None or value == {} or value == []:
            continue
        if key == "sourcing" and value == {"rule": "single", "supplier": None}:
            continue
        if key == "supplier" and isinstance(value, dict) and value.get("name") == "supplier":
            value = {k: v for k, v in value.items() if k != "name"}  # the default name says nothing
        if key == "segments" and isinstance(value, list):
            text = "<br>".join(
                f"<b>{_e(s.get('name', ''))}</b>: "
                + _e(describe({k: v for k, v in s.items() if k != "name" and v is not None}))
                for s in value
            )
        elif key == "suppliers" and isinstance(value, list):
            text = "<br>".join(
                f"<b>{_e(s.get('name', ''))}</b>: " + _e(describe({k: v for k, v in s.items() if k != "name"}))
                for s in value
            )
        else:
            text = _e(describe(value))
        rows.append(f'<tr><th scope="row">{_e(_SECTION_NAMES.get(key, key))}</th><td>{text}</td></tr>')
    return '<table class="settings"><tbody>' + "".join(rows) + "</tbody></table>"


def _cell(kpi: str, s: Interval) -> str:
    if s.n == 0 or not math.isfinite(s.mean):
        return '<td class="num na">–</td>'
    value, hw = format_pm(kpi, s.mean, s.ci95_half_width)
    text = _e(value)
    if math.isfinite(s.ci95_half_width):
        text += f' <span class="pm">± {_e(hw)}</span>'
    return f'<td class="num">{text}</td>'


def _delta(kpi: str, d: Difference) -> str:
    if d.n == 0 or not math.isfinite(d.diff):
        return '<td class="num delta na">–</td>'
    value, hw = format_pm(kpi, d.diff, (d.ci95_high - d.ci95_low) / 2, signed=True)
    text = _e(value)
    if math.isfinite(d.ci95_high) and math.isfinite(d.ci95_low):
        text += f' <span class="pm">± {_e(hw)}</span>'
    if not d.significant:
        return f'<td class="num delta noise">{text}</td>'
    better = lookup(kpi).better
    tone = "neutral" if better is Better.NEITHER else ("better" if better.value * d.diff > 0 else "worse")
    mark = "▲" if d.diff > 0 else "▼"
    title = {"better": "real difference, better", "worse": "real difference, worse", "neutral": "real difference"}
    return f'<td class="num delta sig {tone}" title="{title[tone]}"><span class="mark">{mark}</span> {text}</td>'


def _comparison(results: Outcome) -> str:
    exp = experiment_of(results)
    sc = experiment_of(results).scenario
    names = list(sc.policies)
    head = ['<th scope="col" class="ind">Indicator</th>']
    for p in names:
        label = _e(p) + ('<span class="sub">baseline</span>' if p == sc.baseline else "")
        head.append(f'<th scope="col" class="num">{label}</th>')
        if p != sc.baseline:
            head.append(
                f'<th scope="col" class="num delta">Δ {_e(p)}<span class="sub">vs {_e(sc.baseline)}</span></th>'
            )
    width = len(head)
    body = []
    for _group, kpis, heading in by_location(exp.kpis, sc.policies.values()):
        body.append(f'<tr class="group"><th colspan="{width}" scope="colgroup">{_e(heading)}</th></tr>')
        for kpi in kpis:
            name = _e(display_name(kpi))
            unit = lookup(kpi).unit
            if unit is Unit.TIME:
                name += f' <span class="unit">[{_e(sc.time_unit)}s]</span>'
            elif sc.currency != "money" and unit in (Unit.MONEY, Unit.MONEY_PER_TIME):
                per = f"/{sc.time_unit}" if unit is Unit.MONEY_PER_TIME else ""
                name += f' <span class="unit">[{_e(sc.currency)}{_e(per)}]</span>'
            cells = [f'<th scope="row" class="ind" title="{_e(kpi)}">{name}</th>']
            for p in names:
                cells.append(_cell(kpi, exp.summary(p, kpi)))
                if p != sc.baseline:
                    cells.append(_delta(kpi, exp.difference(p, kpi)))
            body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="table-wrap"><table class="comparison" id="comparison">'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _why(results: Outcome) -> str:
    """Where each policy's profit difference from the baseline comes from: one column per policy,
    one row per component of profit (signed as in profit, so the rows add up to Δ profit), with
    paired 95% intervals; empty when there is nothing to compare."""
    exp = experiment_of(results)
    others = [p for p in exp.scenario.policies if p != exp.baseline]
    if not others or "profit" not in exp.kpis:
        return ""
    parts = [profit_breakdown(exp, p) for p in others]
    head = '<th scope="col" class="ind">Contribution to Δ profit</th>' + "".join(
        f'<th scope="col" class="num delta">Δ {_e(p)}<span class="sub">vs {_e(exp.baseline)}</span></th>'
        for p in others
    )
    rows = ['<tr><th scope="row" class="ind">Δ profit</th>' + "".join(_delta("profit", b.profit) for b in parts)]
    terms = components(exp)
    for i, c in enumerate(terms):
        label = _e(c.label) + ("" if c.sign > 0 else f' <span class="unit">(− {_e(display_name(c.kpi))})</span>')
        rows.append(
            f'<tr><th scope="row" class="ind">{label}</th>' + "".join(_delta("profit", b.parts[i].diff) for b in parts)
        )
    rows.append(
        '<tr><th scope="row" class="ind">Units sold</th>'
        + "".join(_delta("units_ordered", b.units_sold) for b in parts)
    )
    table = (
        '<div class="table-wrap"><table class="comparison" id="why-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{'</tr>'.join(rows)}</tr></tbody></table></div>"
    )
    lateral = " − lateral shipping (transshipment cost)" if TRANSSHIPMENT in terms else ""
    note = (
        "Profit = revenue − purchases (ordering cost) − holding − waiting (backorder cost) − penalty (lost-sale "
        f"cost){lateral} in every replication, so the paired differences of the components add up to the profit "
        "difference; each has its own paired 95% interval (those do not add up)."
    )
    return (
        f'<section id="why"><h2>Where the profit difference comes from</h2>{table}<p class="note">{note}</p></section>'
    )


def _figure(name: str, data: bytes, title: str, caption: str) -> str:
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return (
        f'<figure id="fig-{_e(name)}"><img src="{uri}" alt="{_e(title)}">'
        f"<figcaption><b>{_e(title)}.</b> {_e(caption)}</figcaption></figure>"
    )


def _captions(results: Outcome) -> dict[str, tuple[str, str]]:
    sc = experiment_of(results).scenario
    n = (
        experiment_of(results).summary(sc.baseline, experiment_of(results).kpis[0]).n
        if experiment_of(results).kpis
        else sc.replications
    )
    rep = experiment_of(results).first
    unit = sc.time_unit
    net = sc.policies[sc.baseline].network
    out = {
        "indicators": (
            "Headline indicators",
            f"Each bar is the mean over {n} replications and its whisker the 95% t-interval of that mean, "
            "clipped to the range the quantity can take (rates 0–100%, waits and amounts ≥ 0); the hatched "
            "bar is the baseline; n is written next to an interval that fewer than "
            f"{plots.FEW_REPLICATIONS} replications define. These are each policy's own intervals: two "
            "whiskers may overlap while the paired difference below is real. Rates are shares of customers "
            "who arrived in the measured period.",
        ),
        "differences": (
            f"Differences from {sc.baseline}",
            f"Each marker is a policy's mean difference from the baseline over {n} replications (policy − "
            f"baseline) and its whisker the 95% paired t-interval: paired, because replication i of every "
            "policy sees the same customers and supplier delays (common random numbers). This is the "
            "interval the verdict and the Δ columns of the table test. Filled when it excludes 0 (a real "
            "difference): green when better for the shop, red when worse, blue for indicators without a "
            "better direction; hollow grey when within the noise. Rates are in percentage points.",
        ),
        "trajectories": (
            "Stock over time",
            f"One replication (number {rep}, the same customers and supplier delays under every policy). "
            "The coloured area is stock on the shelf; the red area below zero is units owed to waiting "
            "customers. The dashed line is the level at which a new order is placed — it is checked against "
            "the inventory position (on hand + on order − owed), so the shelf can dip below it while an "
            "order is on its way. The shaded band is the warm-up, which is not measured.",
        ),
        "waits": (
            "How long backordered customers waited",
            f"Waits, in {unit}s, of customers who were served after waiting in replication {rep} (measured "
            "period only"
            + (", every store's customers together" if net is not None else "")
            + "), with the mean (solid) and the 90th percentile (dashed). Customers who gave up "
            "waiting are counted but have no wait to show.",
        ),
        "tradeoff": (
            "Profit against service",
            "Each faint dot is one replication of one policy; the crosses are the means with their 95% "
            f"t-intervals over {n} replications (each policy's own, clipped to 0–100% for the fill rate). "
            "Up is more profit, right is more customers served at once.",
        ),
    }
    if net is not None:
        out["indicators"] = (
            out["indicators"][0] + " of the network",
            "Network totals (every store, and the warehouse's own customers if it has any). " + out["indicators"][1],
        )
        out["differences"] = (out["differences"][0] + ", network totals", out["differences"][1])
        for name, store in location_figures(sc):
            if store is None:
                out[name] = (
                    f"The warehouse {net.warehouse.name}",
                    f"One replication (number {rep}, the same customers and delays under every policy). The "
                    "coloured area is stock at the warehouse; the red area below zero is units ordered by stores "
                    "(and by the warehouse's own customers, if any) and not yet shipped. The thick grey line is "
                    "the warehouse's inventory position (on hand + on order − owed), which its own rule keeps "
                    "above the dashed reorder level: when it falls to that level the warehouse orders from its "
                    "supplier (under base stock it stays at the level S, just above the dashed line S − 1). "
                    "The shaded band is the warm-up, which is not measured.",
                )
            else:
                out[name] = (
                    f"Stock over time at {store}",
                    f"Store {store} in replication {rep} (the same customers and delays under every policy). The "
                    "coloured area is stock on its shelf; the red area below zero is units owed to its waiting "
                    "customers. The dashed line is the store's own reorder level under each policy, checked "
                    "against its inventory position (on hand + on order − owed, where on order includes units "
                    "waiting at the warehouse and in transit). The shaded band is the warm-up.",
                )
    return out


_CSS = """
:root { --ink:#1d2733; --muted:#5b6672; --line:#dde3ea; --soft:#f4f6f9; --brand:#16324f;
  --accent:#1f5a8c; --good:#1e7b45; --bad:#b3261e; }
* { box-sizing: border-box; }
html { background:#eef1f5; }
body { margin:0; color:var(--ink); font:15px/1.55 "Segoe UI", -apple-system, "Helvetica Neue",
  Roboto, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
.page { max-width:1120px; margin:0 auto; background:#fff; box-shadow:0 1px 4px rgba(20,40,60,.08); }
header.top { background:var(--brand); color:#fff; padding:28px 40px 24px; }
header.top .eyebrow { text-transform:uppercase; letter-spacing:.08em; font-size:12px; opacity:.75; margin:0; }
header.top h1 { margin:6px 0 6px; font-size:28px; font-weight:600; letter-spacing:-.01em; }
header.top p.desc { margin:0; font-size:16px; opacity:.92; max-width:820px; }
dl.facts { display:flex; flex-wrap:wrap; gap:10px 36px; margin:20px 0 0; }
dl.facts div { min-width:120px; }
dl.facts dt { font-size:11px; text-transform:uppercase; letter-spacing:.07em; opacity:.7; }
dl.facts dd { margin:2px 0 0; font-size:15px; font-weight:600; }
main { padding:8px 40px 32px; }
section { margin-top:30px; }
h2 { font-size:19px; font-weight:600; color:var(--brand); margin:0 0 12px; padding-bottom:6px;
  border-bottom:2px solid var(--line); }
.verdict { background:var(--soft); border-left:4px solid var(--accent); padding:14px 20px; border-radius:2px; }
.verdict ul { margin:0; padding-left:20px; }
.verdict-main li { font-size:16.5px; font-weight:600; margin:4px 0; }
.verdict-more { margin-top:10px !important; color:#33404d; }
.verdict-more li { margin:3px 0; }
table { border-collapse:collapse; width:100%; }
table.policies th, table.policies td, table.settings th, table.settings td { text-align:left;
  vertical-align:top; padding:8px 12px; border-bottom:1px solid var(--line); }
table.policies thead th { font-size:12px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted);
  border-bottom:2px solid var(--line); }
table.policies tbody th { width:200px; white-space:nowrap; }
table.policies ul { margin:0; padding-left:18px; }
table.settings th { width:200px; font-weight:600; color:#33404d; white-space:nowrap; }
table.settings td { color:#33404d; font-size:14px; }
.badge { display:inline-block; font-size:11px; font-weight:600; color:var(--accent);
  border:1px solid var(--accent); border-radius:10px; padding:0 7px; margin-left:6px; vertical-align:1px;
  text-transform:uppercase; letter-spacing:.04em; }
code { font-family: "SFMono-Regular", Consolas, "DejaVu Sans Mono", monospace; font-size:12.5px;
  background:var(--soft); padding:1px 4px; border-radius:3px; }
.table-wrap { overflow-x:auto; }
table.comparison { font-size:14px; font-variant-numeric: tabular-nums; }
table.comparison thead th { position:sticky; top:0; background:#fff; font-weight:600; font-size:13.5px;
  border-bottom:2px solid var(--ink); padding:8px 10px; vertical-align:bottom; }
table.comparison .sub { display:block; font-weight:400; font-size:11.5px; color:var(--muted); }
table.comparison td, table.comparison tbody th { padding:5px 10px; border-bottom:1px solid var(--line); }
table.comparison th.ind { text-align:left; font-weight:500; }
table.comparison .num { text-align:right; white-space:nowrap; }
table.comparison .pm { color:var(--muted); font-size:12.5px; }
table.comparison td.delta, table.comparison th.delta { background:#fafbfc; }
table.comparison tr.group th { text-align:left; background:var(--soft); color:var(--brand); font-size:12px;
  text-transform:uppercase; letter-spacing:.07em; padding:7px 10px; border-bottom:1px solid var(--line); }
table.comparison td.noise { color:#8a949e; }
table.comparison td.noise .pm { color:#a5adb5; }
table.comparison td.sig { font-weight:600; }
table.comparison td.better { color:var(--good); background:#eef8f1; }
table.comparison td.worse { color:var(--bad); background:#fcf0ef; }
table.comparison td.neutral { color:var(--accent); }
table.comparison tr.point td { border-top:2px solid #c9d3dd; }
table.comparison td.sig .pm { color:inherit; opacity:.75; font-weight:400; }
table.comparison .mark { font-size:10px; vertical-align:1px; }
table.comparison .unit { color:var(--muted); font-size:12.5px; }
table.comparison td.na { color:#a5adb5; }
table.comparison tbody tr:hover td, table.comparison tbody tr:hover th.ind { background:#f7f9fb; }
p.note { color:var(--muted); font-size:13px; margin:8px 0 0; }
figure { margin:0 0 30px; }
figure img { display:block; max-width:100%; height:auto; margin:0 auto; border:1px solid var(--line); }
figcaption { color:#3a4652; font-size:14px; margin-top:8px; max-width:900px; }
footer { padding:16px 40px 28px; color:var(--muted); font-size:13px; border-top:1px solid var(--line); }
footer p { margin:4px 0; }
@media print { html { background:#fff; } .page { box-shadow:none; max-width:none; }
  header.top { -webkit-print-color-adjust:exact; print-color-adjust:exact; } figure, tr { break-inside:avoid; } }
"""


def report_html(results: Outcome, images: Mapping[str, bytes]) -> str:
    """The report page; ``images`` maps figure names (see :data:`FIGURES`) to PNG bytes."""
    sc = experiment_of(results).scenario
    n = (
        experiment_of(results).summary(sc.baseline, experiment_of(results).kpis[0]).n
        if experiment_of(results).kpis
        else sc.replications
    )
    captions = _captions(results)
    figures = "".join(_figure(name, images[name], *captions[name]) for name in FIGURES if name in images)
    located = "".join(
        _figure(name, images[name], *captions[name]) for name, _ in location_figures(sc) if name in images
    )
    where = f'<section id="locations"><h2>Locations</h2>{located}</section>' if located else ""
    desc = f'<p class="desc">{_e(sc.description)}</p>' if sc.description else ""
    legend = (
        f"Mean ± 95% confidence half-width over {n} replications. Δ is the paired difference from "
        f"{_e(sc.baseline)} on the same customers and supplier delays (common random numbers); "
        "differences of rates are in percentage points. <b>▲/▼ bold</b>: a real difference (its 95% "
        'interval excludes 0), <span style="color:var(--good)">green</span> when better for the shop, '
        '<span style="color:var(--bad)">red</span> when worse, <span style="color:var(--accent)">blue</span> '
        "for an indicator that is neither better nor worse when higher (stock on hand, orders, purchases that "
        "buy sales); grey: within "
        "the noise."
    )
    parts: Sequence[str] = (
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(sc.name)} — supplysim report</title>",
        f"<style>{_CSS}</style></head><body><div class='page'>",
        '<header class="top"><p class="eyebrow">Stockout policy report</p>',
        f"<h1>{_e(sc.name)}</h1>{desc}{_facts(results)}</header>",
        "<main>",
        f'<section id="verdict"><h2>In short</h2><div class="verdict">{_verdict(results)}</div></section>',
        f'<section id="policies"><h2>Policies compared</h2>{_policies(results)}</section>',
        f'<section id="table"><h2>Comparison</h2>{_comparison(results)}<p class="note">{legend}</p></section>',
        _why(results),
        f'<section id="figures"><h2>Figures</h2>{figures}</section>',
        *([where] if where else []),
        f'<section id="settings"><h2>Model settings (baseline)</h2>{_settings(results)}</section>',
        "</main>",
        "<footer>",
        f"<p>Simulated with supplysim {_e(supplysim_version())}: every policy sees the same customers and supplier "
        "delays in replication <i>i</i> (common random numbers); intervals are Student-t over replications, "
        "differences paired-t (Law 2015, <i>Simulation Modeling and Analysis</i>, §4.5 and §10.2).</p>",
        "<p>The resolved scenario is in <code>scenario.yaml</code> next to this page; per-replication "
        "numbers are in <code>replications.csv</code>.</p>",
        "</footer></div></body></html>",
    )
    return "\n".join(parts)


# ---------------------------------------------------------------- sweeps


def sweep_images(
    table: pd.DataFrame, parameters: Sequence[str], time_unit: str | None = None, currency: str | None = None
) -> dict[str, bytes]:
    """A sweep's figures, ``plots/<indicator>.png``: each headline indicator against the first
    swept parameter, one line per policy (and per combination of the other parameters, if any).

    Args:
        table: the sweep's tidy table (:meth:`supplysim.experiments.sweep.SweepResults.table`).
        parameters: the swept key paths, in the order given.
        time_unit: the scenario's time unit (the axis of the waits).
        currency: the scenario's currency label (the axis of money).
    """
    param = parameters[0]
    others = list(parameters[1:])
    if others:  # one line per policy and combination of the other parameters
        table = table.copy()
        table["policy"] = table["policy"] + table[others].apply(
            lambda r: " (" + ", ".join(f"{o}={r[o]}" for o in others) + ")", axis=1
        )
    out = {}
    for kpi in HEADLINE:
        if kpi not in set(table["kpi"]):
            continue
        out[f"plots/{kpi}.png"] = png_bytes(plots.sweep_figure(table, param, kpi, time_unit, currency))
    return out


def _shell(
    title: str,
    eyebrow: str,
    description: str | None,
    facts: Sequence[tuple[str, str]],
    sections: Sequence[tuple[str, str, str]],
    footer: str,
) -> str:
    """A page in the report's style: header with facts, then ``(id, heading, html)`` sections.

    ``title``, ``eyebrow``, ``description`` and the facts are plain text (escaped here); the
    sections and the footer are HTML built by the caller (with their text escaped).

    Joined once: a section's HTML (the catalog's table may be megabytes) is not copied on the way."""
    desc = f'<p class="desc">{_e(description)}</p>' if description else ""
    cells = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)
    head = (
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — supplysim {_e(eyebrow.lower())}</title>",
        f"<style>{_CSS}</style></head><body><div class='page'>",
        f'<header class="top"><p class="eyebrow">{_e(eyebrow)}</p>',
        f'<h1>{_e(title)}</h1>{desc}<dl class="facts">{cells}</dl></header>',
    )
    pieces = ["\n".join(head), "\n<main>"]
    for i, h, content in sections:
        pieces += (f'<section id="{_e(i)}"><h2>{_e(h)}</h2>', content, "</section>")
    pieces.append(f"</main>\n<footer>{footer}</footer></div></body></html>")
    return "".join(pieces)


def _lines_html(lines: Sequence[str]) -> str:
    if not lines:
        return "<p>Nothing to report.</p>"
    head, rest = lines[0], lines[1:]
    out = f'<div class="verdict"><ul class="verdict-main"><li>{_e(head)}</li></ul>'
    if rest:
        out += '<ul class="verdict-more">' + "".join(f"<li>{_e(s.strip())}</li>" for s in rest) + "</ul>"
    return out + "</div>"


def _pm(kpi: str, mean: float, half: float) -> str:
    if not math.isfinite(mean):
        return '<td class="num na">–</td>'
    value, hw = format_pm(kpi, mean, half)
    text = _e(value)
    if math.isfinite(half):
        text += f' <span class="pm">± {_e(hw)}</span>'
    return f'<td class="num">{text}</td>'


def _diff_cell(kpi: str, d: Difference) -> str:
    if d.n == 0 or not math.isfinite(d.diff):
        return '<td class="num delta na">–</td>'
    value, hw = format_pm(kpi, d.diff, (d.ci95_high - d.ci95_low) / 2, signed=True)
    text = _e(value)
    if math.isfinite(d.ci95_low):
        text += f' <span class="pm">± {_e(hw)}</span>'
    if d.significant:
        return f'<td class="num delta sig neutral">{text}</td>'
    return f'<td class="num delta noise">{text}</td>'


_FOOTER_INTERVALS = (
    "<p>Simulated with supplysim {version}. Intervals are 95% Student-t intervals over replications; "
    "differences are paired-t intervals: replication <i>i</i> uses the same customers and supplier "
    "delays at every point and under every policy (common random numbers; Law 2015, <i>Simulation "
    "Modeling and Analysis</i>, §4.5 and §10.2). A point's own interval (the bands) says how well its "
    "mean is known; whether two points differ is read from the paired difference.</p>"
)


def sweep_files(sweep: SweepResults, kpi: str = "profit") -> dict[str, bytes | str]:
    """A sweep's figures and page, by path relative to its folder: ``plots/<indicator>.png``
    (each headline indicator against the first swept parameter, unpaired bands),
    ``plots/vs_best.png`` (every point minus the best, paired: the summary's test),
    ``plots/differences.png`` (every policy minus the baseline at each point, paired; with two
    or more policies) and ``report.html``."""
    parameter = sweep.parameters[0]
    files: dict[str, bytes | str] = dict(
        sweep_images(sweep.table(), sweep.parameters, sweep.scenario.time_unit, sweep.scenario.currency)
    )
    figures: dict[str, bytes] = {}
    best = sweep.best(kpi)
    figures["vs_best"] = png_bytes(
        plots.sweep_best_figure(sweep.points, sweep.experiments, parameter, kpi, best, sweep.affected(kpi) or [best[1]])
    )
    if len(sweep.scenario.policies) > 1:
        figures["differences"] = png_bytes(plots.sweep_differences_figure(sweep.points, sweep.experiments, parameter))
    files.update({f"plots/{name}.png": data for name, data in figures.items()})
    images = dict(figures)
    for name in HEADLINE:
        data = files.get(f"plots/{name}.png")
        if isinstance(data, bytes):
            images[f"kpi:{name}"] = data
    files["report.html"] = sweep_html(sweep, images, kpi)
    return files


def _point_label(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {describe(v)}" for k, v in point.items())


def sweep_html(sweep: SweepResults, images: Mapping[str, bytes], kpi: str = "profit") -> str:
    """The sweep's page: the summary in words, a table of every point, the figures.

    ``images``: ``vs_best``, ``differences`` and ``kpi:<indicator>`` PNGs (any may be missing)."""
    sc = sweep.scenario
    n = sc.replications
    exps = sweep.experiments
    k, top = sweep.best(kpi)
    reference = exps[k].series(top, kpi)
    shown = list(dict.fromkeys([kpi, "fill_rate"]))
    # one row per point and policy (the point's values spanning its rows): as many policies as
    # the scenario has fit the page's width, and a printout
    head = "".join(f'<th scope="col">{_e(p)}</th>' for p in sweep.parameters) + '<th scope="col">policy</th>'
    head += "".join(f'<th scope="col" class="num">{_e(display_name(x))}</th>' for x in shown)
    head += f'<th scope="col" class="num delta">Δ {_e(kpi)}<span class="sub">vs the best</span></th>'
    body = []
    rows = len(sc.policies)
    for j, (point, exp) in enumerate(zip(sweep.points, exps, strict=True)):
        for i, p in enumerate(sc.policies):
            cells = ""
            if i == 0:
                span = f' rowspan="{rows}"' if rows > 1 else ""
                cells = "".join(f'<td class="num"{span}>{_e(describe(v))}</td>' for v in point.values())
            cells += f'<td class="policy">{_e(p)}</td>'
            for x in shown:
                s = exp.summary(p, x)
                cells += _pm(x, s.mean, s.ci95_half_width)
            if (j, p) == (k, top):
                cells += '<td class="num delta"><b>best</b></td>'
            else:
                cells += _diff_cell(kpi, paired_difference(exp.series(p, kpi), reference))
            first = ' class="point"' if i == 0 and j else ""  # a new point: a rule above it
            body.append(f"<tr{first}>{cells}</tr>")
    table = (
        '<div class="table-wrap"><table class="comparison" id="points">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        f'<p class="note">Mean ± 95% t-interval half-width over {n} replications per point. Δ vs the best: the '
        f"paired difference from the best point ({_e(top)} at {_e(_point_label(sweep.points[k]))}) "
        "on the same replications; "
        "<b>blue</b> when its 95% interval excludes 0, grey when the two are not distinguishable with "
        f"{n} replications.</p>"
    )
    figs = []
    if "vs_best" in images:
        figs.append(
            _figure(
                "vs_best",
                images["vs_best"],
                f"{display_name(kpi)}: every point minus the best",
                f"The paired difference of every point from the best one, over the same {n} replications (common "
                "random numbers), with its 95% paired t-interval: the comparison the summary makes. Hollow "
                "markers: not distinguishable from the best with this many replications; filled: worse with "
                "95% confidence.",
            )
        )
    if "differences" in images:
        figs.append(
            _figure(
                "differences",
                images["differences"],
                f"Differences from {sc.baseline} at each point",
                f"Every policy minus the baseline at the same point (policy − baseline), mean over {n} replications "
                "with its 95% paired t-interval band; filled markers where the interval excludes 0. Rates in "
                "percentage points.",
            )
        )
    for name in HEADLINE:
        data = images.get(f"kpi:{name}")
        if data is not None:
            figs.append(
                _figure(
                    name,
                    data,
                    f"{display_name(name)} against {sweep.parameters[0]}",
                    f"Mean and 95% t-interval band over {n} replications at each point, each policy's own "
                    "(unpaired; clipped to the possible range): overlapping bands do not mean equal — the "
                    "paired figures above say which points differ.",
                )
            )
    values = "; ".join(
        f"{p}: {', '.join(describe(v) for v in dict.fromkeys(pt[p] for pt in sweep.points))}" for p in sweep.parameters
    )
    facts = [
        ("Swept", values),
        ("Points", str(len(sweep.points))),
        ("Replications", f"{n} per point (seed {sc.seed})"),
        ("Policies", f"{len(sc.policies)} — baseline: {sc.baseline}"),
    ]
    sections = [
        ("summary", "In short", _lines_html(sweep.summary_lines(kpi))),
        ("points", "Every point", table),
        ("figures", "Figures", "".join(figs)),
    ]
    footer = _FOOTER_INTERVALS.format(version=_e(supplysim_version()))
    footer += (
        "<p>Every number is in <code>sweep.csv</code> next to this page; the scenario in "
        "<code>scenario.yaml</code>.</p>"
    )
    return _shell(sc.name, "Sweep report", sc.description, facts, sections, footer)


def optimize_files(results: OptimizeResult | Sequence[OptimizeResult], scenario: Scenario) -> dict[str, bytes | str]:
    """An optimisation's figure ``plots/objective.png`` (the objective at every screened point,
    the chosen one marked, the finalists' paired gaps) and its page ``report.html``."""
    many = [results] if not isinstance(results, Sequence) else list(results)
    files: dict[str, bytes | str] = {}
    images: dict[str, bytes] = {}
    if any(r.screened or r.finalists for r in many):
        images["objective"] = png_bytes(plots.optimize_figure(many))
        files["plots/objective.png"] = images["objective"]
    files["report.html"] = optimize_html(many, scenario, images)
    return files


def optimize_html(results: Sequence[OptimizeResult], scenario: Scenario, images: Mapping[str, bytes]) -> str:
    """The optimisation's page: the outcome in words, the finalists, the objective-versus-parameter figure."""
    sc = scenario
    first = results[0]
    obj = first.objective
    sections = []
    lines = [line for r in results for line in r.lines()]
    sections.append(("summary", "In short", _lines_html(lines)))
    for r in results:
        if not r.finalists:
            continue
        kpis = [r.objective, *(c.kpi for c in r.constraints)]
        params = list(r.finalists[0].point)
        head = "".join(f'<th scope="col">{_e(p)}</th>' for p in params)
        head += "".join(f'<th scope="col" class="num">{_e(display_name(k))}</th>' for k in kpis)
        head += '<th scope="col" class="num">n</th>'
        body = []
        for c in r.finalists:
            cells = "".join(f'<td class="num">{_e(v)}</td>' for v in c.point.values())
            for k in kpis:
                s = c.experiment.summary(r.policy, k)
                cells += _pm(k, s.mean, s.ci95_half_width)
            cells += f'<td class="num">{c.experiment.summary(r.policy, obj).n}</td>'
            style = ' style="font-weight:600;background:#eef8f1"' if c is r.chosen else ""
            body.append(f"<tr{style}>{cells}</tr>")
        sections.append(
            (
                f"finalists-{r.policy}",
                f"Finalists for {r.policy}",
                '<div class="table-wrap"><table class="comparison">'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
                '<p class="note">Mean ± 95% t-interval half-width over the finalist\'s replications; the chosen '
                "point is highlighted.</p>",
            )
        )
    if "objective" in images:
        n1 = min((c.experiment.summary(r.policy, obj).n for r in results for c in r.screened), default=0)
        caption = (
            f"Every screened point's mean {obj} with its 95% t-interval over its replications ({n1} at screening, "
            "more for the finalists; clipped to the possible range); hollow markers miss a constraint on their "
            "means; the star is the chosen point. Below, when there are other finalists: how much better the "
            "chosen point is than each, with the simultaneous (Bonferroni) paired interval on the same "
            "replications (common random numbers) — the test behind \u201cbeats every other finalist\u201d or "
            "\u201cstatistically tied\u201d."
        )
        sections.append(
            ("figures", "Figures", _figure("objective", images["objective"], f"{display_name(obj)} by point", caption))
        )
    screened = sum(r.evaluated for r in results)
    facts = [
        ("Objective", f"{'maximise' if first.sense == 'max' else 'minimise'} {obj}"),
        ("Subject to", " and ".join(str(c) for c in first.constraints) or "no constraint"),
        ("Policy", ", ".join(r.policy for r in results)),
        ("Screened", f"{screened} points"),
        ("Searched", "; ".join(f"{k} {v[0]}…{v[-1]}" for k, v in first.ranges.items() if v)),
    ]
    footer = _FOOTER_INTERVALS.format(version=_e(supplysim_version()))
    footer += "<p>The outcome as data is in <code>optimize.json</code> next to this page.</p>"
    return _shell(sc.name, "Optimisation report", sc.description, facts, sections, footer)


def compare_files(result: CompareResult) -> dict[str, bytes | str]:
    """A comparison's page ``report.html`` and its figures: the paired differences against the
    baseline at the written settings (``plots/differences_written.png``) and each policy at its
    best (``plots/differences_best.png``), and every policy's search (``plots/objective.png``)."""
    images: dict[str, bytes] = {}
    if len(result.written.scenario.policies) > 1:  # a difference needs a policy besides the baseline
        images["differences_written"] = png_bytes(plots.differences_figure(result.written))
    if result.best is not None and len(result.best.scenario.policies) > 1:
        images["differences_best"] = png_bytes(plots.differences_figure(result.best))
    searches = list(result.optima.values())
    if any(r.screened or r.finalists for r in searches):
        images["objective"] = png_bytes(plots.optimize_figure(searches))
    files: dict[str, bytes | str] = {f"plots/{name}.png": data for name, data in images.items()}
    files["report.html"] = compare_html(result, images)
    return files


def compare_html(result: CompareResult, images: Mapping[str, bytes]) -> str:
    """The comparison's page: the answer in words, a table of each policy at the written settings
    and at its best with the paired differences, and the figures."""
    sc, obj = result.scenario, result.objective
    params = list(result.ranges)
    head = '<th scope="col">policy</th>' + "".join(f'<th scope="col">{_e(p)}<br>written → best</th>' for p in params)
    for setting in ("at the written settings", "each at its best"):
        head += f'<th scope="col" class="num">{_e(obj)}<br>{setting}</th>'
        head += f'<th scope="col" class="num">Δ vs {_e(result.written.baseline)}<br>{setting}</th>'
    body = []
    for policy in result.optima:
        best = result.point(policy) or {}
        written = result.written_values[policy]
        cells = f'<th scope="row" class="ind">{_e(policy)}</th>'
        cells += "".join(f'<td class="num">{_e(written.get(p, "–"))} → {_e(best.get(p, "–"))}</td>' for p in params)
        for setting in ("written", "best"):
            exp = result.experiment(setting)
            if exp is None or policy not in exp.scenario.policies:
                cells += '<td class="num na">–</td><td class="num na">–</td>'
                continue
            s = exp.summary(policy, obj)
            cells += _pm(obj, s.mean, s.ci95_half_width)
            cells += (
                '<td class="num na">baseline</td>'
                if policy == exp.baseline
                else _delta(obj, exp.difference(policy, obj))
            )
        body.append(f"<tr>{cells}</tr>")
    table = (
        '<div class="table-wrap"><table class="comparison">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        '<p class="note">Mean ± 95% t-interval half-width; Δ = paired difference against the baseline on the '
        "same replications (common random numbers), bold when its interval excludes 0. The optima were chosen "
        "on screening replications and confirmed on fresh ones, so the comparison at the best settings is not "
        "biased by the choice.</p>"
    )
    sections = [("summary", "In short", _lines_html(result.lines())), ("table", "Both comparisons", table)]
    figures = []
    n = result.written.summary(result.written.baseline, obj).n
    if "differences_written" in images:
        figures.append(
            _figure(
                "differences_written",
                images["differences_written"],
                "Differences at the written settings",
                f"Each policy minus {result.written.baseline} at the settings the scenario writes, with the 95% "
                f"paired t-interval over {n} replications.",
            )
        )
    if "differences_best" in images:
        figures.append(
            _figure(
                "differences_best",
                images["differences_best"],
                "Differences with each policy at its best",
                "The same differences with every policy at its own optimum, on fresh replications shared by "
                "every policy.",
            )
        )
    if "objective" in images:
        figures.append(
            _figure(
                "objective",
                images["objective"],
                f"{display_name(obj)} by point",
                f"Every screened point's mean {obj} with its 95% t-interval, one line per policy; the star is the "
                "policy's chosen point.",
            )
        )
    if figures:
        sections.append(("figures", "Figures", "".join(figures)))
    facts = [
        ("Objective", f"{'maximise' if result.sense == 'max' else 'minimise'} {obj}"),
        ("Subject to", " and ".join(str(c) for c in result.constraints) or "no constraint"),
        ("Policies", ", ".join(result.optima)),
        ("Searched", "; ".join(f"{k} {v[0]}…{v[-1]}" for k, v in result.ranges.items() if v)),
    ]
    footer = _FOOTER_INTERVALS.format(version=_e(supplysim_version()))
    footer += (
        "<p>The outcome as data is in <code>compare.json</code> and <code>compare.csv</code> next to this page.</p>"
    )
    return _shell(sc.name, "Comparison report: each policy at its best", sc.description, facts, sections, footer)
