"""The catalog's page: ``report.html`` and ``plots/`` of a finished catalog folder.

:func:`catalog_files` turns a run's output data (a :class:`~supplysim.report.catalog_view.CatalogView`:
``recommendations.csv``, ``portfolio.json``, the resolved template) into the figures of
:mod:`supplysim.report.catalog_figures` and one self-contained page in the style of the run report
(:mod:`supplysim.report.html`): the decision in words, the portfolio figures, the products where
the choice matters most, what each policy changes, and every product's recommendation in a table
sorted by a click on a column header (plain inline script, no external resource; the page opens
sorted by a column with ``#sort=KEY`` or ``#sort=-KEY`` in its address). It never runs the model.

Every piece of text from the user (skus, names, classes, policy names) is HTML-escaped; numbers
are formatted by the indicator registry (:func:`~supplysim.analysis.kpis.format_value`) and
money is labelled with the template's currency.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from supplysim.analysis.diagnostics import NoteKind
from supplysim.analysis.kpis import Unit, display_name, format_pm, format_value, lookup
from supplysim.analysis.provenance import supplysim_version
from supplysim.report import catalog_figures as cplots
from supplysim.report import catalog_view
from supplysim.report.catalog_view import CatalogView, Gain, Recommendation, gain_key, read_catalog
from supplysim.report.html import _e, _figure, _shell, png_bytes, policy_changes

__all__ = ["MAX_FIGURE_POINTS", "MAX_TABLE_ROWS", "SORT_KEYS", "catalog_files", "catalog_html", "page_files"]

MAX_TABLE_ROWS = catalog_view.MAX_TABLE_ROWS
"""The page's table shows at most this many products (those with the largest gain over the
baseline); every product is in ``recommendations.csv``. A page of 20,000 rows would weigh
megabytes and sort slowly in a browser."""

MAX_FIGURE_POINTS = catalog_view.MAX_FIGURE_POINTS
"""The revenue figure draws at most this many products (a seeded uniform sample beyond)."""

SORT_KEYS: tuple[str, ...] = (
    "sku",
    "name",
    "class",
    "best",
    "objective",
    "gain",
    "runner_up",
    "vs_runner_up",
    "decided",
    "to_resolve",
    "revenue",
)
"""The columns of the products table, by their ``data-key`` (``#sort=gain`` in the address)."""


def page_files(folder: str | Path) -> dict[str, bytes | str]:
    """:func:`catalog_files` of the finished catalog folder ``folder`` (reads its files only, once;
    memory bounded in the number of products, see :mod:`supplysim.report.catalog_view`)."""
    return catalog_files(read_catalog(folder, keep=MAX_TABLE_ROWS, max_points=MAX_FIGURE_POINTS))


def catalog_files(view: CatalogView) -> dict[str, bytes | str]:
    """``plots/<figure>.png`` (:data:`~supplysim.report.catalog_figures.CATALOG_FIGURES`) and
    ``report.html``, by path relative to the catalog folder."""
    figures = {
        "gains": cplots.gains_figure(view),
        "choices": cplots.choices_figure(view),
        "revenue": cplots.revenue_figure(view),
    }
    images = {name: png_bytes(fig) for name, fig in figures.items()}
    files: dict[str, bytes | str] = {f"plots/{name}.png": data for name, data in images.items()}
    files["report.html"] = catalog_html(view, images)
    return files


# ---------------------------------------------------------------- words and numbers


def _currency(view: CatalogView) -> str:
    c = view.scenario.currency
    return "" if c == "money" else f" {c}"


def _amount(view: CatalogView, x: float, signed: bool = False) -> str:
    """The objective's value as a person reads it, with the currency when the objective is money."""
    return _in_currency(view, format_value(view.objective, x, signed=signed))


def _in_currency(view: CatalogView, text: str) -> str:
    """A formatted value of the objective, with the currency when the objective is money."""
    if text != "–" and lookup(view.objective).unit in (Unit.MONEY, Unit.MONEY_PER_TIME):
        text += _currency(view)
    return text


def _interval(view: CatalogView, g: Gain) -> str:
    if not (math.isfinite(g.low) and math.isfinite(g.high)):
        return ""
    return f"95% interval {_amount(view, g.low, signed=True)} to {_amount(view, g.high, signed=True)}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _objective_words(view: CatalogView) -> str:
    return display_name(view.objective).lower()


def verdict_lines(view: CatalogView) -> tuple[list[str], list[str]]:
    """The decision in words: (main lines, further lines)."""
    n = view.products
    reps = view.replications
    best = view.best_counts
    infeasible = view.infeasible
    tied = view.tied
    counts = [(best[p], p) for p in view.policies if best.get(p)]
    if not counts:
        head = f"Of {_plural(n, 'product')}, none has a policy that meets the constraints"
    else:
        parts = [f"{k:,} with {p}" for k, p in counts]
        k0 = counts[0][0]
        parts[0] = f"{k0:,} do{'es' if k0 == 1 else ''} best with {counts[0][1]}"
        head = f"Of {_plural(n, 'product')}, " + (
            parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        )
    main = []
    if infeasible:
        head += f"; for {infeasible:,} no policy meets the constraints (they keep {view.baseline})"
    main.append(head + ".")
    if tied:
        main.append(
            f"For {_plural(tied, 'product')} the best policy is not distinguishable from the runner-up with "
            f"{reps} replications (marked tied): there the choice matters little, or more replications would tell."
        )
    what = _objective_words(view)
    base = view.gain_over(view.baseline)
    if base.defined:
        if base.real:
            gain = (
                f"gives {_amount(view, base.diff, signed=True)} {what}"
                if view.higher_is_better
                else f"lowers {what} by {_amount(view, base.diff)}"
            )
            main.append(
                f"Choosing the policy product by product {gain} against {view.baseline} for every product "
                f"({_interval(view, base)} on the gain)."
            )
        else:
            main.append(
                f"Choosing the policy product by product is not distinguishable from {view.baseline} for every "
                f"product with {reps} replications per product: {_amount(view, base.diff, signed=True)} {what} "
                f"({_interval(view, base)})."
            )
    more = [
        f"Note: {seen['products']:,} of {_plural(n, 'product')} {NoteKind(kind).of_products}, e.g. {seen['example']}."
        for kind, seen in (view.portfolio.get("diagnoses") or {}).items()
    ]
    if more:
        more[-1] += " Each product's own notes are on its decision in the table and in recommendations.csv."
    for p in view.policies:
        if p == view.baseline:
            continue
        g = view.gain_over(p)
        if g.defined:
            verdict = "a real gain" if g.real and g.diff > 0 else ("a real loss" if g.real else "within the noise")
            more.append(
                f"Against {p} for every product: {_amount(view, g.diff, signed=True)} ({_interval(view, g)}; "
                f"{verdict})."
            )
    untied = view.gain_over(view.baseline, untied=True)
    decided = n - tied - infeasible  # a product no policy satisfies is neither tied nor decided
    if untied.defined and tied and decided > 0:
        more.append(
            f"Over the {_plural(decided, 'product')} whose choice is decided, the gain against {view.baseline} is "
            f"{_amount(view, untied.diff, signed=True)} ({_interval(view, untied)}): the best policy is picked on "
            "the replications that measure it, so the tied products' part of the gain is biased upward; run the "
            "catalog again with another seed to confirm it."
        )
    chosen = view.total("chosen")
    if chosen.defined:
        single = view.total(view.baseline)
        text = f"Total {what} with the choice per product: {_amount(view, chosen.diff)}"
        if single.defined:
            text += f" (with {view.baseline} for every product: {_amount(view, single.diff)})"
        more.append(text + ".")
    return main, more


# ---------------------------------------------------------------- page parts


def _num_cell(value: float, text: str, extra: str = "") -> str:
    v = repr(value) if math.isfinite(value) else ""
    cls = "num" + (" na" if not math.isfinite(value) else "") + (f" {extra}" if extra else "")
    return f'<td class="{cls}" data-v="{v}">{_e(text)}</td>'


def _gain_cell(view: CatalogView, g: Gain, sort_value: float | None = None) -> str:
    if not g.defined:
        return '<td class="num delta na" data-v="">–</td>'
    value, hw = format_pm(view.objective, g.diff, g.half_width, signed=True)
    text = _e(_in_currency(view, value))
    if math.isfinite(g.half_width):
        text += f' <span class="pm">± {_e(hw)}</span>'
    tone = "sig better" if g.real and g.diff > 0 else ("sig worse" if g.real else "noise")
    v = g.diff if sort_value is None else sort_value
    return f'<td class="num delta {tone}" data-v="{v!r}">{text}</td>'


def _decision_cell(r: Recommendation, reps: int) -> str:
    if not r.best:
        return '<td data-v="2"><span class="badge infeasible">infeasible</span></td>'
    title = _e(r.note) if r.note else ""
    if r.tied:
        more = f"; about {r.to_resolve:,} replications would separate them" if r.to_resolve else ""
        title = title or _e(f"not distinguishable from {r.runner_up} with {r.replications or reps} replications{more}")
        return f'<td data-v="1" title="{title}"><span class="badge tied">tied</span></td>'
    return f'<td data-v="0" title="{title}">decided</td>'


def _row(view: CatalogView, r: Recommendation) -> str:
    reps = view.replications
    cells = [
        f'<th scope="row" class="ind sku">{_e(r.sku)}</th>',
        f"<td>{_e(r.name)}</td>",
        f'<td class="class">{_e(r.klass)}</td>',
        f'<td class="policy">{_e(r.best) if r.best else "–"}</td>',
        _num_cell(r.objective, _amount(view, r.objective)),
        _gain_cell(view, r.gain) if r.best != view.baseline else '<td class="num delta na" data-v="0">baseline</td>',
        f"<td>{_e(r.runner_up) or '–'}</td>",
        _gain_cell(view, r.vs_runner_up),
        _decision_cell(r, reps),
        _num_cell(float(r.to_resolve) if r.to_resolve else math.nan, f"{r.to_resolve:,}" if r.to_resolve else "–"),
        _num_cell(r.revenue, format_value("revenue", r.revenue)),
    ]
    cls = ' class="tied"' if r.tied else (' class="infeasible"' if not r.best else "")
    return f"<tr{cls}>" + "".join(cells) + "</tr>"


def _products_table(view: CatalogView) -> str:
    recs = list(view.rows)
    if len(recs) > MAX_TABLE_ROWS:  # the view kept more rows than the table shows
        keep = sorted(range(len(recs)), key=lambda i: -gain_key(recs[i]))[:MAX_TABLE_ROWS]
        recs = [recs[i] for i in sorted(keep)]
    note_cap = ""
    if view.products > len(recs):
        note_cap = (
            f" The table shows the {len(recs):,} products with the largest gain over {_e(view.baseline)} "
            f"(of {view.products:,}); every product is in <code>recommendations.csv</code>."
        )
    obj = _e(display_name(view.objective))
    cur = _e(_currency(view).strip())
    unit = f'<span class="sub">{cur}</span>' if cur else ""
    heads = [
        ("sku", "SKU", "text", ""),
        ("name", "Name", "text", ""),
        ("class", "Class", "text", ""),
        ("best", "Best policy", "text", ""),
        ("objective", f"{obj}{unit}", "num", "num"),
        ("gain", f"Gain vs {_e(view.baseline)}<span class='sub'>± 95% paired</span>", "num", "num delta"),
        ("runner_up", "Runner-up", "text", ""),
        ("vs_runner_up", "Ahead of runner-up<span class='sub'>± 95% paired</span>", "num", "num delta"),
        ("decided", "Decided?", "num", ""),
        ("to_resolve", "Replications<span class='sub'>to separate</span>", "num", "num"),
        ("revenue", f"Revenue<span class='sub'>under {_e(view.baseline)}</span>", "num", "num"),
    ]
    head = "".join(
        f'<th scope="col" data-key="{k}" data-type="{t}"{f" class={chr(34)}{c}{chr(34)}" if c else ""}>{h}</th>'
        for k, h, t, c in heads
    )
    note = (
        f"One row per product, in the order of the products table; click a column header to sort (again to "
        f"reverse). Gain vs {_e(view.baseline)}: the best policy minus the baseline on the same {view.replications} "
        "replications (common random numbers), with its 95% paired-t interval, "
        '<span style="color:var(--good)">green</span> when it excludes 0. Ahead of runner-up: the same for the '
        'best minus the second best; <span class="badge tied">tied</span> rows (greyed) are those where this '
        "interval includes 0, so the data cannot tell the two apart; the last columns say about how many "
        "replications would." + note_cap
    )
    # one join of the rows between the head and the note: the table's HTML is built without a copy
    return "".join(
        [
            f'<style>{_EXTRA_CSS}</style><div class="table-wrap"><table class="comparison sortable" id="products">'
            f"<thead><tr>{head}</tr></thead><tbody>",
            *(_row(view, r) for r in recs),
            f"</tbody></table></div><p class='note'>{note}</p>",
        ]
    )


def _top_table(view: CatalogView) -> str:
    listed = view.top_skus
    chosen: list[Recommendation | None] = [view.top.get(sku) for sku in listed] if listed else list(view.fallback_top)
    rows = []
    for rank, r in enumerate(chosen, start=1):
        if r is None:
            continue
        tied = ' <span class="badge tied">tied</span>' if r.tied else ""
        tr = '<tr class="tied">' if r.tied else "<tr>"
        rows.append(
            f'{tr}<td class="num">{rank}</td>'
            f'<th scope="row" class="ind">{_e(r.sku)}</th><td>{_e(r.name)}</td><td>{_e(r.klass)}</td>'
            f"<td><b>{_e(r.best) or '–'}</b>{tied}</td>"
            + _gain_cell(view, r.gain)
            + f"<td>{_e(r.runner_up) or '–'}</td>"
            + _num_cell(r.revenue, format_value("revenue", r.revenue))
            + "</tr>"
        )
    if not rows:
        return f"<p>No product gains from a policy other than {_e(view.baseline)}.</p>"
    head = (
        '<th scope="col" class="num">#</th><th scope="col">SKU</th><th scope="col">Name</th><th scope="col">Class</th>'
        f'<th scope="col">Best policy</th><th scope="col" class="num delta">Gain vs {_e(view.baseline)}</th>'
        '<th scope="col">Runner-up</th><th scope="col" class="num">Revenue</th>'
    )
    return (
        '<div class="table-wrap"><table class="comparison" id="top">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f'<p class="note">The products with the largest gain of their best policy over {_e(view.baseline)}: '
        "where switching policy is worth the most.</p>"
    )


def _policies(view: CatalogView) -> str:
    sc = view.scenario
    counts = view.best_counts
    rows = []
    for p in view.policies:
        if p == sc.baseline:
            stockout = sc.policies[p].store.stockout
            what = f"The reference: stockouts handled as <b>{_e(stockout)}</b>."
        elif p in sc.policies:
            changes = policy_changes(sc, p)
            what = (
                "<ul>" + "".join(f"<li><code>{_e(k)}</code>: {_e(a)} → <b>{_e(b)}</b></li>" for k, a, b in changes)
                if changes
                else "Same settings as the baseline."
            )
        else:
            what = ""
        badge = ' <span class="badge">baseline</span>' if p == view.baseline else ""
        n = counts.get(p, 0)
        rows.append(f'<tr><th scope="row">{_e(p)}{badge}</th><td>{what}</td><td class="num">{n:,}</td></tr>')
    return (
        '<table class="policies"><thead><tr><th>Policy</th><th>What it changes</th><th>Best for</th></tr></thead>'
        "<tbody>" + "".join(rows) + "</tbody></table>"
    )


_CAPTIONS = {
    "gains": (
        "The gain of the choice per product",
        "Left: the total {what} when every product gets its best policy, minus the total when every product gets "
        "the one policy named, with its 95% interval (the products are independent given their random numbers, so "
        "the variances of their paired differences add; Welch–Satterthwaite degrees of freedom). Right: the same "
        "against {baseline}, within each ABC class. Filled when the interval excludes 0.",
    ),
    "choices": (
        "Best policy by ABC class",
        "How many products do best with each policy, per class ({source}) and over the whole catalog; the lighter "
        "hatched part of a bar is the products whose best policy is tied with the runner-up.",
    ),
    "revenue": (
        "Where the choice matters",
        "Each product's gain of its best policy over {baseline}, with its 95% paired interval, against its revenue "
        "under {baseline} (logarithmic scale). Hollow: tied with the runner-up. A product at 0 does best with "
        "{baseline}.",
    ),
}


_EXTRA_CSS = """
table.sortable thead th[data-key] { cursor:pointer; user-select:none; }
table.sortable thead th[data-key]:hover { background:#f4f6f9; }
table.sortable thead th[aria-sort=ascending]::after { content:" ▲"; font-size:10px; color:var(--accent); }
table.sortable thead th[aria-sort=descending]::after { content:" ▼"; font-size:10px; color:var(--accent); }
table.comparison tr.tied td, table.comparison tr.tied th { color:#6b7580; background:#fafafa; }
table.comparison tr.tied td.better { color:#4f8a66; background:#f4faf6; }
.badge.tied { color:#8a5a00; border-color:#c79a3c; background:#fff8e6; }
.badge.infeasible { color:var(--bad); border-color:var(--bad); }
table.policies td.num { text-align:right; width:90px; }
table#products { font-size:13px; }
table#products th.sku, table#products td.policy { white-space:nowrap; }
table#products td, table#products tbody th { padding:4px 7px; }
table#products thead th { padding:8px 7px; }
"""

_SCRIPT = """
(function () {
  function key(cell) {
    var v = cell.getAttribute('data-v');
    if (v !== null) { if (v === '') return null; var x = parseFloat(v); return isNaN(x) ? null : x; }
    var t = cell.textContent.trim().toLowerCase();
    return t === '' || t === '\\u2013' ? null : t;
  }
  function sortBy(th) {
    var table = th.closest('table'), body = table.tBodies[0], i = th.cellIndex;
    var state = th.getAttribute('aria-sort');
    var asc = state === 'descending' ? true : state === 'ascending' ? false : th.getAttribute('data-type') !== 'num';
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, k) { r.setAttribute('data-k', k); });
    rows.sort(function (a, b) {
      var x = key(a.cells[i]), y = key(b.cells[i]), ka = +a.getAttribute('data-k'), kb = +b.getAttribute('data-k');
      if (x === null || y === null) return x === y ? ka - kb : (x === null ? 1 : -1);
      var c = x < y ? -1 : (x > y ? 1 : 0);
      return (asc ? c : -c) || ka - kb;
    });
    rows.forEach(function (r) { body.appendChild(r); r.removeAttribute('data-k'); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
  }
  document.querySelectorAll('table.sortable th[data-key]').forEach(function (th) {
    th.tabIndex = 0;
    th.addEventListener('click', function () { sortBy(th); });
    th.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(th); }
    });
  });
  var m = /^#sort=(-?)([a-z_]+)$/.exec(location.hash);
  var th = m && document.querySelector('table.sortable th[data-key="' + m[2] + '"]');
  if (th) {
    th.click();
    if ((m[1] === '-') !== (th.getAttribute('aria-sort') === 'descending')) th.click();
  }
})();
"""


def catalog_html(view: CatalogView, images: Mapping[str, bytes]) -> str:
    """The catalog's page; ``images`` maps the figure names (``gains``, ``choices``, ``revenue``) to PNG bytes."""
    sc = view.scenario
    main, more = verdict_lines(view)
    verdict = '<div class="verdict"><ul class="verdict-main">' + "".join(f"<li>{_e(s)}</li>" for s in main) + "</ul>"
    if more:
        verdict += '<ul class="verdict-more">' + "".join(f"<li>{_e(s)}</li>" for s in more) + "</ul>"
    verdict += "</div>"
    source = "given in the products table" if view.portfolio.get("class_source") == "column" else "by revenue"
    if view.portfolio.get("class_source") not in (None, "revenue", "column"):
        source = str(view.portfolio.get("class_source"))
    words = {"what": _objective_words(view), "baseline": view.baseline, "source": source}
    captions = {name: caption.format(**words) for name, (_, caption) in _CAPTIONS.items()}
    pts = view.points
    if pts.sampled:
        captions["revenue"] += (
            f" With {pts.eligible:,} products to draw, the figure shows a uniform sample of {len(pts.revenue):,} "
            "of them (the same sample every time the page is built from these files)."
        )
    figs = "".join(
        _figure(name, images[name], title, captions[name]) for name, (title, _) in _CAPTIONS.items() if name in images
    )
    sections: Sequence[tuple[str, str, str]] = (
        ("verdict", "In short", verdict),
        ("figures", "The portfolio", figs),
        ("top", "Where the choice matters most", _top_table(view)),
        ("policies", "Policies compared", _policies(view)),
        ("products", "Every product", _products_table(view)),
    )
    constraints = view.portfolio.get("subject_to") or []
    sense = "maximise" if view.higher_is_better else "minimise"
    objective = f"{sense} {view.objective}"
    if constraints:
        objective += f" subject to {' and '.join(map(str, constraints))}"
    measured = f"{sc.horizon:g} {sc.time_unit}s"
    if sc.warmup:
        measured += f" after a {sc.warmup:g}-{sc.time_unit} warm-up"
    facts = [
        ("Products", f"{view.products:,}"),
        ("Policies", f"{len(view.policies)} — baseline: {view.baseline}"),
        ("Replications", f"{view.replications} per product (seed {view.portfolio.get('seed', sc.seed)})"),
        ("Objective", objective),
        ("Measured period", measured),
        ("ABC classes", source),
    ]
    footer = (
        f"<p>Simulated with supplysim {_e(supplysim_version())}. Each product runs every policy on the same customers "
        "and supplier delays (common random numbers, streams keyed by its sku); a product's intervals are paired-t "
        "over its replications (Law 2015, <i>Simulation Modeling and Analysis</i>, §10.2.1); portfolio totals add "
        "independent products' variances with Welch–Satterthwaite degrees of freedom (§10.2.2). ABC classes "
        "follow the 80/15/5 revenue convention (Silver, Pyke &amp; Thomas 2017, §3.5).</p>"
        "<p>Every number is in <code>recommendations.csv</code>, <code>catalog.csv</code> and "
        "<code>portfolio.json</code> next to this page; the template in <code>scenario.yaml</code>.</p>"
        f"<script>{_SCRIPT}</script>"
    )
    return _shell(sc.name, "Catalog report", sc.description, facts, sections, footer)
