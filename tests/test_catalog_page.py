"""The catalog's page and figures, from a hand-written catalog folder (nothing is simulated).

The folder holds what a finished catalog run writes (``docs/catalog.md``): ``recommendations.csv``,
``portfolio.json`` and the resolved template ``scenario.yaml``. Its numbers are chosen so that
every case shows: a product decided for a policy other than the baseline, one whose best is the
baseline, tied products (one with a difference of exactly 0), a product without a feasible policy,
and user text that must be escaped. The figures are checked through their artists, the page
through its HTML and in headless Chromium (rendered, sorted by a click on a column header).
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.patches import Rectangle

from scenario_texts import TINY
from supplysim.report import catalog_figures as cf
from supplysim.report.catalog import SORT_KEYS, catalog_files, page_files, verdict_lines
from supplysim.report.catalog_view import CatalogView, read_catalog

COLUMNS = (
    "sku,best_policy,objective,gain_vs_baseline,ci95_low,ci95_high,runner_up,tied,name,description,class,status,"
    "baseline_objective,runner_up_objective,runner_up_diff,runner_up_ci95_low,runner_up_ci95_high,"
    "replications_to_resolve,revenue,replications,seed,note"
)
ROWS = [
    # sku, best, objective, gain, low, high, runner-up, tied, name, class, status, ru diff, ru low, ru high, to resolve, revenue  # noqa: E501
    ("P-1", "out_of_stock", 900.0, 250.0, 150.0, 350.0, "hybrid", "false", "Mug <b>&amp; co</b>", "A", "ok", 120.0, 30.0, 210.0, "", 12000.0),  # noqa: E501
    ("P-2", "backorder", 5000.0, 0.0, 0.0, 0.0, "hybrid", "false", "Oak chair", "A", "ok", 800.0, 500.0, 1100.0, "", 40000.0),  # noqa: E501
    ("P-3", "hybrid", 300.0, 40.0, -20.0, 100.0, "out_of_stock", "true", "Cable", "B", "ok", 15.0, -30.0, 60.0, "57", 3000.0),  # noqa: E501
    ("P-4", "backorder", 150.0, 0.0, 0.0, 0.0, "out_of_stock", "true", "", "C", "ok", 0.0, 0.0, 0.0, "", 800.0),
    ("P-5", "", "", "", "", "", "", "false", "Lamp", "C", "infeasible", "", "", "", "", 500.0),
    ("P-6", "out_of_stock", 700.0, 90.0, 10.0, 170.0, "backorder", "false", "Sticker", "B", "ok", 90.0, 10.0, 170.0, "", 2500.0),  # noqa: E501
]  # fmt: skip
PORTFOLIO = {
    "supplysim_version": "0.1.0",
    "template": "shop & sons",
    "products": 6,
    "objective": "profit",
    "better": "higher",
    "subject_to": [],
    "baseline": "backorder",
    "policies": ["backorder", "out_of_stock", "hybrid"],
    "replications": 10,
    "seed": 5,
    "choices": {"backorder": 2, "out_of_stock": 2, "hybrid": 1, "infeasible": 1, "tied": 2},
    "totals": {
        "backorder": {"profit": {"total": 6700.0, "ci95_low": 6500.0, "ci95_high": 6900.0}},
        "chosen": {"profit": {"total": 7080.0, "ci95_low": 6880.0, "ci95_high": 7280.0}},
    },
    "gain": {
        "backorder": {"diff": 380.0, "ci95_low": 250.0, "ci95_high": 510.0},
        "out_of_stock": {"diff": 1500.0, "ci95_low": 1100.0, "ci95_high": 1900.0},
        "hybrid": {"diff": -40.0, "ci95_low": -300.0, "ci95_high": 220.0},
    },
    "gain_untied": {"backorder": {"diff": 340.0, "ci95_low": 220.0, "ci95_high": 460.0}},
    "class_source": "revenue",
    "classes": {
        "A": {"products": 2, "revenue_share": 0.88, "gain_vs_baseline": {"diff": 250.0, "ci95_low": 150.0, "ci95_high": 350.0}},  # noqa: E501
        "B": {"products": 2, "revenue_share": 0.09, "gain_vs_baseline": {"diff": 130.0, "ci95_low": -10.0, "ci95_high": 270.0}},  # noqa: E501
        "C": {"products": 2, "revenue_share": 0.03, "gain_vs_baseline": {"diff": 0.0, "ci95_low": 0.0, "ci95_high": 0.0}},  # noqa: E501
    },
    "top_products": [
        {"sku": "P-1", "name": "Mug", "best_policy": "out_of_stock", "gain_vs_baseline": 250.0},
        {"sku": "P-6", "name": "Sticker", "best_policy": "out_of_stock", "gain_vs_baseline": 90.0},
        {"sku": "P-3", "name": "Cable", "best_policy": "hybrid", "gain_vs_baseline": 40.0},
    ],
}  # fmt: skip


def _write(folder: Path, rows: list[tuple[object, ...]] = ROWS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [COLUMNS]
    for r in rows:
        sku, best, obj, gain, lo, hi, ru, tied, name, klass, status, rd, rl, rh, res, rev = r
        cells = [
            sku,
            best,
            obj,
            gain,
            lo,
            hi,
            ru,
            tied,
            name,
            "",
            klass,
            status,
            "",
            "",
            rd,
            rl,
            rh,
            res,
            rev,
            10,
            1,
            "",
        ]
        lines.append(",".join(f'"{c}"' if "," in str(c) else str(c) for c in cells))
    (folder / "recommendations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "portfolio.json").write_text(json.dumps(PORTFOLIO), encoding="utf-8")
    text = TINY.replace("name: tiny", "name: shop").replace(
        "description: a small, fast scenario for the tests", "description: 'Tom & Jerry <i>shop</i>'"
    )
    text = text.replace("  price: 10\n", "  price: 10\n  currency: EUR\n")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("catalog") / "out")


@pytest.fixture(scope="module")
def view(folder: Path) -> CatalogView:
    return read_catalog(folder)


@pytest.fixture(scope="module")
def files(folder: Path) -> dict[str, bytes | str]:
    return page_files(folder)


# ---------------------------------------------------------------- reading


def test_the_folder_is_read_as_written(view: CatalogView) -> None:
    assert [r.sku for r in view.rows] == [r[0] for r in ROWS]
    p1, _, p3, p4, p5, _ = view.rows
    assert (p1.best, p1.gain.diff, p1.gain.low, p1.gain.high, p1.tied) == ("out_of_stock", 250.0, 150.0, 350.0, False)
    assert p1.gain.real and not p3.gain.real
    assert p3.tied and p3.to_resolve == 57 and p4.tied and p4.to_resolve is None
    assert p5.best == "" and p5.status == "infeasible" and math.isnan(p5.objective)
    assert view.classes == ["A", "B", "C"]
    assert view.policies == ["backorder", "out_of_stock", "hybrid"] and view.baseline == "backorder"
    assert view.gain_over("out_of_stock").diff == 1500.0 and view.total("chosen").diff == 7080.0
    assert view.scenario.currency == "EUR"


# ---------------------------------------------------------------- figures


def test_gains_figure_draws_the_portfolio_intervals(view: CatalogView) -> None:
    fig = cf.gains_figure(view)
    left, right = fig.axes
    bars = [c for c in left.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 3
    for container, policy in zip(bars, view.policies, strict=True):
        line = container.lines[0]
        assert line is not None
        (x,) = line.get_xdata()
        g = PORTFOLIO["gain"][policy]  # type: ignore[index]
        assert x == g["diff"]
        # filled when the interval excludes 0, hollow otherwise
        filled = line.get_markerfacecolor() != "white"
        assert filled == (g["ci95_low"] > 0 or g["ci95_high"] < 0), policy
        (segments,) = [c for c in container.lines[2]]
        (x0, _), (x1, _) = segments.get_segments()[0]
        assert (x0, x1) == (g["ci95_low"], g["ci95_high"])
    assert [t.get_text() for t in left.get_yticklabels()] == ["backorder (baseline)", "out_of_stock", "hybrid"]
    assert [t.get_text() for t in right.get_yticklabels()] == ["A (2 products)", "B (2 products)", "C (2 products)"]
    assert "EUR" in left.get_xlabel() and "Profit" in left.get_xlabel()
    lo, hi = left.get_xlim()
    assert lo < -300 and hi > 1900  # every interval is inside the axes, 0 too
    fig.clear()


def test_choices_figure_counts_every_product_once(view: CatalogView) -> None:
    fig = cf.choices_figure(view)
    (ax,) = fig.axes
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid()]
    by_row: dict[int, float] = {}
    for bar in bars:
        row = round(bar.get_y() + bar.get_height() / 2)
        by_row[row] = by_row.get(row, 0) + bar.get_width()
        state = str(bar.get_gid()).split("|")[1]
        assert (bar.get_hatch() == cf.TIED_HATCH) == (state == "tied")
    # classes A, B, C (2 products each), then the whole catalog
    assert by_row == {0: 2, 1: 2, 2: 2, 3: 6}
    whole = {str(b.get_gid()): b.get_width() for b in bars if round(b.get_y() + b.get_height() / 2) == 3}
    assert whole == {
        "backorder|decided": 1,
        "backorder|tied": 1,
        "out_of_stock|decided": 2,
        "hybrid|tied": 1,
        "infeasible|decided": 1,
    }
    assert [t.get_text() for t in ax.get_yticklabels()] == ["class A", "class B", "class C", "all products"]
    assert cf.tally(view, "B") == {("hybrid", True): 1, ("out_of_stock", False): 1}
    fig.clear()


def test_revenue_figure_places_each_product(view: CatalogView) -> None:
    fig = cf.revenue_figure(view)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    points = {}
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and coll.get_gid():
            for x, y in coll.get_offsets():
                points[(float(x), float(y))] = str(coll.get_gid())
    # every product with a best policy and revenue: (revenue, gain), its group; the infeasible one is not drawn
    assert points == {
        (12000.0, 250.0): "out_of_stock|decided",
        (2500.0, 90.0): "out_of_stock|decided",
        (40000.0, 0.0): "backorder|decided",
        (800.0, 0.0): "backorder|tied",
        (3000.0, 40.0): "hybrid|tied",
    }
    hollow = [c for c in ax.collections if isinstance(c, PathCollection) and str(c.get_gid()).endswith("tied")]
    assert all(tuple(c.get_facecolors()[0][:3]) == (1.0, 1.0, 1.0) for c in hollow)
    assert "EUR" in ax.get_ylabel() and "Revenue" in ax.get_xlabel()
    fig.clear()


# ---------------------------------------------------------------- the page


def test_page_says_the_decision_and_marks_ties(view: CatalogView, files: dict[str, bytes | str]) -> None:
    assert sorted(files) == ["plots/choices.png", "plots/gains.png", "plots/revenue.png", "report.html"]
    page = str(files["report.html"])
    main, more = verdict_lines(view)
    assert main[0] == "Of 6 products, 2 do best with backorder, 2 with out_of_stock and 1 with hybrid; for 1 no " \
        "policy meets the constraints (they keep backorder)."  # fmt: skip
    assert "For 2 products the best policy is not distinguishable from the runner-up with 10 replications" in main[1]
    assert (
        "+380 EUR profit against backorder for every product (95% interval +250 EUR to +510 EUR on the gain)" in main[2]
    )
    assert any("Against hybrid for every product: -40 EUR" in s and "within the noise" in s for s in more)
    # user text is escaped, never markup
    assert "Mug &lt;b&gt;&amp;amp; co&lt;/b&gt;" in page and "<b>&amp; co</b>" not in page
    assert "Tom &amp; Jerry &lt;i&gt;shop&lt;/i&gt;" in page and "<i>shop" not in page
    body = page[page.index('id="products"') :]
    rows = re.findall(r"<tr[^>]*>.*?</tr>", body[body.index("<tbody>") :], flags=re.S)
    assert len(rows) == len(ROWS)
    tied = [r for r in rows if r.startswith('<tr class="tied">')]
    assert len(tied) == 2 and all('class="badge tied"' in r for r in tied)
    assert 'title="not distinguishable from out_of_stock with 10 replications; about 57 replications' in page
    assert '<tr class="infeasible">' in page and "infeasible</span>" in page
    # numbers by the registry's money format, the sort key as the exact number
    assert 'data-v="250.0">+250 EUR <span class="pm">± 100</span>' in page
    assert 'data-v="40000.0">40,000</td>' in page
    assert [m for m in re.findall(r'data-key="([a-z_]+)"', page)] == list(SORT_KEYS)
    # self-contained: one inline script, no outside resource
    assert page.count("<script>") == 1
    for forbidden in ('src="http', "src='http", "<link", "@import", "<iframe"):
        assert forbidden not in page
    assert page.count('<img src="data:image/png;base64,') == 3
    # the top products in the portfolio's order
    top = page[page.index('id="top"') : page.index('id="policies"')]
    assert [top.index(s) for s in ("P-1", "P-6", "P-3")] == sorted(top.index(s) for s in ("P-1", "P-6", "P-3"))


def test_a_large_catalog_keeps_the_page_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from supplysim.report import catalog as page

    monkeypatch.setattr(page, "MAX_TABLE_ROWS", 3)
    html = page.catalog_html(read_catalog(_write(tmp_path / "out")), {})
    body = html[html.index('id="products"') :]
    shown = re.findall(r'<th scope="row" class="ind sku">([^<]+)</th>', body)
    assert shown == ["P-1", "P-3", "P-6"]  # the largest gains, in table order
    assert "The table shows the 3 products with the largest gain over backorder (of 6)" in body


# ---------------------------------------------------------------- headless Chromium


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--enable-logging=stderr",
           f"--user-data-dir={profile}", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _page_errors(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if "CONSOLE" in line or "Uncaught" in line or "net::ERR_" in line or "Failed to load resource" in line
    ]


def _skus_in_order(dom: str) -> list[str]:
    body = dom[dom.index('id="products"') :]
    return re.findall(r'<th scope="row" class="ind sku"[^>]*>([^<]+)</th>', body)


def test_page_renders_and_sorts_in_headless_chromium(files: dict[str, bytes | str], tmp_path: Path) -> None:
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`)")
    page = tmp_path / "report.html"
    page.write_text(str(files["report.html"]), encoding="utf-8")

    # `#sort=-gain` clicks the gain header as a user would (a number column sorts descending first)
    dom = _browser(exe, tmp_path / "p1", "--dump-dom", page.as_uri() + "#sort=-gain")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _page_errors(dom.stderr) == []
    assert _skus_in_order(dom.stdout) == ["P-1", "P-6", "P-3", "P-2", "P-4", "P-5"]  # 250, 90, 40, 0, 0, undefined last
    assert re.search(r'data-key="gain"[^>]*aria-sort="descending"', dom.stdout)
    shot = tmp_path / "shot.png"
    out = _browser(exe, tmp_path / "p4", f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert out.returncode == 0 and _page_errors(out.stderr) == []
    from PIL import Image

    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        assert rgb.getpixel((640, 40)) == (0x16, 0x32, 0x4F)  # the header band: the CSS applied
        assert len(rgb.resize((320, 500)).getcolors(1_000_000) or []) > 200  # text, tables, figures


def test_the_hook_writes_into_the_folder(folder: Path, files: dict[str, bytes | str]) -> None:
    assert files == catalog_files(read_catalog(folder))  # deterministic: same data, same bytes
    with open(folder / "recommendations.csv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(ROWS)


def test_a_lower_is_better_share_is_written_as_a_share(tmp_path: Path) -> None:
    from supplysim.report.catalog import catalog_html

    folder = _write(tmp_path / "out")
    doc = json.loads((folder / "portfolio.json").read_text(encoding="utf-8"))
    doc |= {
        "objective": "lost_rate",
        "better": "lower",
        "gain": {"backorder": {"diff": 0.0125, "ci95_low": 0.005, "ci95_high": 0.02}},
    }
    (folder / "portfolio.json").write_text(json.dumps(doc), encoding="utf-8")
    page = catalog_html(read_catalog(folder), {})
    assert "<dd>minimise lost_rate</dd>" in page
    assert (
        "lowers turned away (lost sales) by 1.25% against backorder for every product (95% interval +0.50% to +2.00% on"
        in page
    )
    assert "EUR" not in page[page.index('id="verdict"') : page.index('id="figures"')]  # a share has no currency


# ---------------------------------------------------------------- bounded in the number of products


def _synthetic(n: int) -> list[tuple[object, ...]]:
    """``n`` rows cycling through 200 kinds: every policy, infeasible rows, ties of gain, tied rows, three classes."""
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        k = (i * 37) % 200
        klass = "ABC"[k % 3]
        revenue = 100.0 + 10.0 * k if k % 11 else 0.0  # some products without revenue are not drawn
        best = ("out_of_stock", "backorder", "hybrid", "")[k % 4]
        sku = f"P-{i:06d}"
        if not best:
            rows.append(
                (sku, "", "", "", "", "", "", "false", f"Item {k}", klass, "infeasible", "", "", "", "", revenue)
            )
            continue
        gain = 0.0 if best == "backorder" else float(k // 8)  # many equal gains: the tie-break matters
        tied = k % 3 == 0
        rows.append((sku, best, 500.0 + k, gain, gain - 30.0, gain + 30.0, "hybrid" if best == "backorder" else
                     "backorder", "true" if tied else "false", f"Item {k}", klass, "ok", 12.0, -6.0, 30.0,
                     "57" if tied else "", revenue))  # fmt: skip
    return rows


def _page_peak(folder: Path) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        page_files(folder)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_pages_memory_does_not_grow_per_product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built from 2,000 and from 20,000 products (both above the caps, lowered here so the page builds fast), the
    page's tracemalloc peak grows by less than 100 bytes per extra product. A row held as a record costs about
    2 KB (the page before it streamed: about 2,200 bytes per product); a float column costs 8 bytes a product:
    the bound allows a few columns but no Python object per product."""
    from supplysim.report import catalog as page

    monkeypatch.setattr(page, "MAX_TABLE_ROWS", 200)
    monkeypatch.setattr(page, "MAX_FIGURE_POINTS", 200)
    small, large = _write(tmp_path / "small", _synthetic(2000)), _write(tmp_path / "large", _synthetic(20000))
    page_files(small)  # warm: imports, fonts, caches
    peaks = {n: _page_peak(folder) for n, folder in ((2000, small), (20000, large))}
    per_product = (peaks[20000] - peaks[2000]) / 18000
    assert per_product < 100, peaks
    html = str(page_files(large)["report.html"])
    assert "The table shows the 200 products with the largest gain over backorder (of 20,000)" in html
    assert "the figure shows a uniform sample of 200 of them" in html
    assert "<dt>Products</dt><dd>20,000</dd>" in html


def test_the_streamed_view_equals_the_whole_table(folder: Path, view: CatalogView) -> None:
    """What the page reads row by row (tallies, the kept rows, the fallback top list, the figure's dots) equals what
    the whole table held in memory gives, with the caps below the table's size."""
    from collections import Counter

    from supplysim.report.catalog_view import TOP_FALLBACK, iter_recommendations, view_of

    src = _write(folder.parent / "whole", _synthetic(600))
    with open(src / "recommendations.csv", encoding="utf-8", newline="") as fh:
        recs = list(iter_recommendations(fh))
    portfolio = {k: v for k, v in PORTFOLIO.items() if k != "top_products"}
    streamed = view_of(iter(recs), portfolio, view.scenario, keep=37, max_points=10**6)
    assert streamed.products == len(recs) == 600
    assert streamed.best_counts == Counter(r.best for r in recs if r.best)
    assert streamed.infeasible == sum(1 for r in recs if not r.best) > 0
    assert streamed.tied == sum(1 for r in recs if r.tied) > 0
    for c in ("A", "B", "C", None):
        whole: Counter[tuple[str, bool]] = Counter(
            (r.best, r.tied) if r.best else ("infeasible", False) for r in recs if c is None or r.klass == c
        )
        assert streamed.tally(c) == dict(whole)
        if c:
            assert streamed.class_count(c) == sum(1 for r in recs if r.klass == c)
    # the table's cap: a stable sort by gain, largest first, then back in table order
    order = sorted(
        range(len(recs)), key=lambda i: -(recs[i].gain.diff if math.isfinite(recs[i].gain.diff) else -math.inf)
    )
    assert [r.sku for r in streamed.rows] == [recs[i].sku for i in sorted(order[:37])]
    assert len({r.gain.diff for r in streamed.rows}) < 37  # precondition: equal gains at the cap's edge
    ranked = sorted((r for r in recs if math.isfinite(r.gain.diff) and r.gain.diff > 0), key=lambda r: -r.gain.diff)
    assert [r.sku for r in streamed.fallback_top] == [r.sku for r in ranked[:TOP_FALLBACK]]
    # the figure's dots, per group in table order
    drawn = 0
    for p in view.policies:
        for tied in (False, True):
            rows = [r for r in recs if r.best == p and r.tied == tied and r.revenue > 0 and math.isfinite(r.gain.diff)]
            x, y, lo, hi = streamed.points.of(p, tied)
            assert x.tolist() == [r.revenue for r in rows] and y.tolist() == [r.gain.diff for r in rows]
            assert lo.tolist() == [r.gain.diff - r.gain.low for r in rows]
            assert hi.tolist() == [r.gain.high - r.gain.diff for r in rows]
            drawn += len(rows)
    assert streamed.points.eligible == drawn and not streamed.points.sampled
    assert 0 < drawn < len(recs)  # precondition: some products are not drawn (no revenue, infeasible)
    # beyond the cap, a sample: as many dots as the cap, each a product's, in table order, the same each time
    sample = view_of(iter(recs), portfolio, view.scenario, max_points=50).points
    again = view_of(iter(recs), portfolio, view.scenario, max_points=50).points
    assert sample.sampled and len(sample.revenue) == 50 and sample.eligible == drawn
    assert sample.revenue.tolist() == again.revenue.tolist() and sample.group.tolist() == again.group.tolist()
    full = streamed.points
    pairs = iter(zip(full.revenue.tolist(), full.gain.tolist(), strict=True))
    assert all(pt in pairs for pt in zip(sample.revenue.tolist(), sample.gain.tolist(), strict=True))
    # and the portfolio's own list, when it has one, is taken row by row by sku
    listed = view_of(iter(recs), {**portfolio, "top_products": [{"sku": "P-000007"}, {"sku": "nope"}]}, view.scenario)
    assert dict(listed.top) == {"P-000007": recs[7]}
