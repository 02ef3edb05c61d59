"""The figures and the page of ``supplysim fit --report``: their data, and the page in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from fit_synth import Truth, make_export
from supplysim.analysis.fit.durations import kaplan_meier
from supplysim.analysis.fit.fitting import FitResult, fit_records, fitted_scenario
from supplysim.records import read_records
from supplysim.report.fit import demand_figure, fit_files, lead_time_figure, patience_figure, weekly_figure
from supplysim.scenario.load import load_scenario
from test_report import _browser, _chromium, _page_errors

TEMPLATE = """\
name: shop
horizon: 100
demand: {rate: 5}
segments: [{name: all, accept_backorder: 0.8, patience: {dist: exponential, mean: 3}}]
supplier: {lead_time: 5}
replenishment: {policy: rQ, reorder_point: 10, order_quantity: 20}
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> FitResult:
    folder = tmp_path_factory.mktemp("fitreport")
    truth = Truth(
        rate=10.0,
        weekly=(1.5, 1, 1, 1, 1, 1, 0.4),
        days=84.0,
        stockout_share=0.1,
        backorder_share=0.4,
        patience=stats.expon(scale=4.0),
        service=stats.expon(scale=3.0),
        lead_time=stats.gamma(4.0, scale=2.0),
        purchase_orders=80,
    )
    ex = make_export(folder, truth, seed=2)
    rec = read_records(ex.orders, ex.receipts, ex.stockouts, exported_at=(folder / "exported_at.txt").read_text())
    (folder / "base.yaml").write_text(TEMPLATE)
    return fit_records(rec, load_scenario(folder / "base.yaml"), gof_draws=19)


def test_weekly_figure_draws_each_weekday_rate(result: FitResult) -> None:
    fig = weekly_figure(result)
    assert fig is not None
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    wk = result.weekly
    assert wk is not None
    assert heights == pytest.approx([n / e for n, e in zip(wk.counts, wk.exposure, strict=True)])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    title = ax.get_title(loc="left")
    assert "kept" in title and f"{wk.p_value:.2g}" in title
    assert ax.get_ylim()[0] == 0


def test_lead_time_figure_holds_the_fitted_density(result: FitResult) -> None:
    fig = lead_time_figure(result)
    assert fig is not None
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    lt = result.lead_times[0].fit
    law = next(f.dist for f in lt.fits if f.law.name == lt.dist)
    x, y = line.get_data()
    assert np.asarray(y) == pytest.approx(law.pdf(np.asarray(x)))
    area = sum(p.get_height() * p.get_width() for p in ax.patches)
    assert area == pytest.approx(1.0)  # a density histogram
    assert ax.get_xlim()[0] == 0 and "days" in ax.get_xlabel()


def test_patience_figure_is_kaplan_meier(result: FitResult) -> None:
    fig = patience_figure(result)
    assert fig is not None
    ax = fig.axes[0]
    km = ax.get_lines()[0]
    times, surv, _ = kaplan_meier(result.patience_data.events, result.patience_data.censored)
    x, y = km.get_data()
    assert np.asarray(x)[1:].tolist() == times.tolist() and np.asarray(y)[1:] == pytest.approx(surv)
    assert ax.get_ylim() == (0, 1.02)


def test_demand_figure_marks_stockouts(result: FitResult) -> None:
    fig = demand_figure(result)
    top, bottom = fig.axes
    assert top.get_lines()[-1].get_ydata()[0] == pytest.approx(result.rate.rate)
    shares = [p.get_height() for p in bottom.patches]
    assert len(shares) == 12 and max(shares) > 0  # twelve weeks, some out of stock


def test_page_in_headless_chromium(result: FitResult, tmp_path: Path) -> None:
    sc = fitted_scenario(result, load_scenario(_template_path(tmp_path)))
    files = fit_files(result, sc, "fitted")
    html = str(files["index.html"])
    assert html.count("<img ") == 4 and "What the records cannot show" in html
    assert "accept_backorder" in html
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed")
    page = tmp_path / "index.html"
    page.write_text(html, encoding="utf-8")
    dom = _browser(exe, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _page_errors(dom.stderr) == []
    assert 'id="keys"' in dom.stdout and "demand.rate" in dom.stdout


def _template_path(folder: Path) -> Path:
    path = folder / "base.yaml"
    path.write_text(TEMPLATE)
    return path


def test_hourly_records_give_weekly_points_and_bounded_bins(result: FitResult, tmp_path: Path) -> None:
    """In hours: one point a week (168 hours), and a histogram of at most 60 bars whatever the step."""
    rec = read_records(
        result.records.files["orders"],
        result.records.files["receipts"],
        result.records.files["stockouts"],
        time_unit="hour",
        exported_at=result.records.exported_at,
    )
    hourly = fit_records(rec, load_scenario(_template_path(tmp_path)), gof_draws=0)
    assert hourly.rate.rate == pytest.approx(result.rate.rate / 24)
    top, _ = demand_figure(hourly).axes
    (points,) = [c for c in top.containers]
    assert len(points.lines[0].get_xdata()) == 12  # twelve weeks
    lt = lead_time_figure(hourly)
    assert lt is not None and len(lt.axes[0].patches) <= 60
