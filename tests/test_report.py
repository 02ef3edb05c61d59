"""Figures and the HTML report: what each figure shows, the stock paths rebuilt from traces,
a self-contained page, and the page rendered by headless Chromium.

The stock path rebuilt from the trace is checked against the simulator's own accounting
(final stock, units still owed, and the time integrals behind avg_on_hand / avg_backorders);
the waits read from the trace against the replication's wait statistics.
"""

from __future__ import annotations

import base64
import html
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import indicators
from supplysim.analysis.samples import display_window, policy_sample
from supplysim.api import Results, run
from supplysim.report import figures as plots
from supplysim.report import html as report
from supplysim.scenario import BaseStock, Periodic
from supplysim.scenario.load import load_scenario
from supplysim.sim.replication import Replication, simulate
from supplysim.sim.trace import TraceRow

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "backorder_vs_out_of_stock.yaml"


@pytest.fixture(scope="module")
def results() -> Results:
    return run(FLAGSHIP, replications=3, overrides=[("horizon", 60)], workers=1)


@pytest.fixture(scope="module")
def files(results: Results) -> dict[str, bytes | str]:
    return report.figures_and_report(results)


# ---------------------------------------------------------------- figures


def _bars(ax: object) -> list[float]:
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]  # type: ignore[attr-defined]
    assert len(containers) == 1
    return [float(bar.get_height()) for bar in containers[0]]


def test_indicator_panels_show_the_means(results: Results) -> None:
    kpis = ("profit", "fill_rate", "lost_rate", "cancel_rate", "mean_wait")
    fig = plots.indicators_figure(results, kpis)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(kpis)
    exp = results.experiment
    for ax, kpi in zip(fig.axes, kpis, strict=True):
        scale = 100.0 if kpi.endswith("_rate") else 1.0
        expected = [exp.summary(p, kpi).mean * scale for p in results.policies]
        # An undefined mean (nobody waited under out_of_stock) is drawn as an empty bar.
        expected = [x if math.isfinite(x) else 0.0 for x in expected]
        assert _bars(ax) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert not math.isfinite(exp.summary("out_of_stock", "mean_wait").mean)
    assert len(plots.indicators_figure(results, ("profit",)).axes) == 1


def test_trajectories_one_panel_per_policy_with_reorder_point(results: Results) -> None:
    fig = plots.trajectories_figure(results)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(results.policies) == 3
    for ax in fig.axes:
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert "on hand" in lines
        reorder = lines["reorder point r = 200"]
        assert set(reorder.get_ydata()) == {200}  # type: ignore[arg-type]
        # The whole run (warm-up 60 + horizon 60) is shorter than the default window.
        assert ax.get_xlim() == pytest.approx((0.0, 120.0))
    zoom = plots.trajectories_figure(results, days=30, start=50)
    for ax in zoom.axes:
        assert ax.get_xlim() == pytest.approx((50.0, 80.0))


def test_waits_and_tradeoff_figures(results: Results) -> None:
    fig = plots.waits_figure(results)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(results.policies)
    for ax, policy in zip(fig.axes, results.policies, strict=True):
        served = results.experiment.samples[policy].served_after_wait
        counts = [float(p.get_height()) for p in ax.patches]
        if served:
            assert sum(counts) == served
        else:
            assert counts == []
            assert any("no backorders" in t.get_text() for t in ax.texts) == (policy == "out_of_stock")
    fig = plots.tradeoff_figure(results)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    legend = fig.axes[0].get_legend()
    assert legend is not None
    labels = {t.get_text() for t in legend.get_texts()}
    base = results.scenario.baseline
    assert labels == {p + (" (baseline)" if p == base else "") for p in results.policies}


def test_results_plot_methods(results: Results) -> None:
    n = len(results.policies)
    for fig, axes in (
        (results.plot_indicators(), 5),
        (results.plot_indicators(["profit", "fill_rate"]), 2),
        (results.plot_trajectories(days=40), n),
        (results.plot_waits(), n),
        (results.plot_tradeoff(), 1),
    ):
        assert isinstance(fig, Figure)
        assert len(fig.axes) == axes


def test_sweep_figure_one_line_per_policy() -> None:
    rows = []
    for policy, base in (("backorder", 0.90), ("out_of_stock", 0.85)):
        for x in (0, 7, 14, 21):
            mean = base + 0.002 * x
            rows.append(
                {"store.max_quoted_wait": x, "policy": policy, "kpi": "fill_rate", "mean": mean}
                | {"ci95_low": mean - 0.01, "ci95_high": mean + 0.01}
            )
            rows.append(
                {"store.max_quoted_wait": x, "policy": policy, "kpi": "profit", "mean": 1000.0 + x}
                | {"ci95_low": 990.0 + x, "ci95_high": 1010.0 + x}
            )
    table = pd.DataFrame(rows).sample(frac=1.0, random_state=1)  # order must not matter
    fig = plots.sweep_figure(table, "store.max_quoted_wait", "fill_rate")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["backorder", "out_of_stock"]
    assert list(lines[0].get_xdata()) == [0, 7, 14, 21]  # type: ignore[arg-type]
    assert list(lines[1].get_ydata()) == pytest.approx([85.0, 86.4, 87.8, 89.2])  # type: ignore[arg-type]
    assert len(fig.axes[0].collections) == 2  # the interval bands


def test_reorder_level_per_rule() -> None:
    cfg = load_scenario(FLAGSHIP).policies["backorder"]
    assert plots.reorder_level(cfg)[0] == 200
    base = cfg.model_copy(update={"replenishment": BaseStock(policy="base_stock", level=40)})
    assert plots.reorder_level(base)[0] == 39
    periodic = Periodic(policy="periodic", review_period=7, order_up_to=300)
    assert plots.reorder_level(cfg.model_copy(update={"replenishment": periodic}))[0] == 300
    rs = Periodic(policy="periodic", review_period=7, order_up_to=300, reorder_point=120)
    assert plots.reorder_level(cfg.model_copy(update={"replenishment": rs}))[0] == 120


# ---------------------------------------------------------------- recorded sample paths


@dataclass(frozen=True)
class StockPath:
    """On-hand and backordered units after each change, rebuilt from a trace (right-continuous steps)."""

    times: np.ndarray
    on_hand: np.ndarray
    backordered: np.ndarray

    def at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The state in force at each of the instants ``t``."""
        k = np.searchsorted(self.times, t, side="right") - 1
        return self.on_hand[k], self.backordered[k]


def _stock_path(rows: list[TraceRow], initial_stock: int) -> StockPath:
    """An independent account of the stock: on hand falls at every shipment and rises at
    deliveries; units owed rise at backorders and fall at the shipments of waiting customers
    and at cancellations and expiries."""
    times, on_hand, back = [0.0], [initial_stock], [0]
    oh, bo = initial_stock, 0
    for row in rows:
        t, event, qty, note = row.time, str(row.event.value), row.qty, row.note
        if event == "ship":
            oh -= qty
            if note == "partial shipment" or note.startswith("served after waiting"):
                bo -= qty
        elif event == "deliver":
            oh += qty
        elif event == "backorder":
            bo += qty
        elif event in ("cancel", "expire"):
            bo -= qty
        else:
            continue
        if times[-1] == t:
            on_hand[-1], back[-1] = oh, bo
        else:
            times.append(t)
            on_hand.append(oh)
            back.append(bo)
    return StockPath(np.asarray(times), np.asarray(on_hand), np.asarray(back))


def _integral(path: StockPath, values: np.ndarray, a: float, b: float) -> float:
    """∫_a^b of the right-continuous step function (times, values)."""
    t = np.clip(np.append(path.times, b), a, b)
    return float(np.sum(values * np.diff(t)))


TRACE_CASES = {
    "flagship": (FLAGSHIP, [("horizon", 90)]),
    "partial_and_expiry": (FLAGSHIP, [("horizon", 90), ("store.partial_shipments", True), ("store.expire_after", 2)]),
    "waitlist": (ROOT / "scenarios" / "notify_me.yaml", [("horizon", 120)]),
    "two_suppliers": (ROOT / "scenarios" / "dual_sourcing.yaml", [("horizon", 120)]),
}


@pytest.mark.parametrize("case", list(TRACE_CASES))
def test_recorded_path_is_the_simulated_path(case: str) -> None:
    """The path recorded for the figures equals, at every sample instant, the stock rebuilt
    event by event from the trace of the same replication; the trace's path in turn agrees
    with the simulator's own accounting (final stock, units owed, the time integrals behind
    avg_on_hand / avg_backorders); recording changes no number; the waits kept for the
    figure are the replication's waits."""
    path_, overrides = TRACE_CASES[case]
    sc = load_scenario(path_, overrides)
    end = sc.warmup + sc.horizon
    window = display_window(sc.warmup, sc.horizon)
    shipped_late = 0
    for name, cfg in sc.policies.items():
        rep = Replication(cfg, seed=sc.seed, replication=0, trace=True)
        result = rep.run(sc.horizon, sc.warmup, path=window)
        plain = simulate(cfg, seed=sc.seed, replication=0, horizon=sc.horizon, warmup=sc.warmup)
        assert indicators(plain, cfg) == indicators(result, cfg), name
        path = _stock_path(result.trace or [], cfg.initial_stock)
        assert path.on_hand[-1] == result.final_on_hand, name
        assert path.backordered[-1] == rep.store.backordered, name
        c = result.counters
        assert _integral(path, path.on_hand, sc.warmup, end) == pytest.approx(c.area_on_hand, rel=1e-9, abs=1e-6)
        assert _integral(path, path.backordered, sc.warmup, end) == pytest.approx(c.area_backorders, rel=1e-9, abs=1e-6)
        sample = policy_sample(result, 0, window)
        assert len(sample.times) == window.points and sample.window == pytest.approx((window.start, window.end))
        on_hand, backordered = path.at(sample.times)
        assert np.array_equal(sample.on_hand, on_hand), name
        assert np.array_equal(sample.backordered, backordered), name
        assert sample.served_after_wait == c.served_after_wait
        assert sample.gave_up == c.cancelled + c.expired
        assert float(sample.wait_weights.sum()) == c.served_after_wait
        if c.served_after_wait:
            mean = float(np.average(sample.wait_values, weights=sample.wait_weights))
            assert mean == pytest.approx(result.waits.mean, rel=1e-9), name
        shipped_late += c.served_after_wait
    if case != "two_suppliers":
        assert shipped_late > 0  # the case exercises the backorder queue


def test_run_records_the_first_replication_and_presentation_never_simulates(
    results: Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``supplysim.run`` records the figures' data during the run; drawing and writing the
    page afterwards runs no replication."""
    assert set(results.experiment.samples) == set(results.policies)
    import supplysim.sim.replication as replication

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("presentation ran the model")

    monkeypatch.setattr(replication.Replication, "run", forbidden)
    files = report.figures_and_report(results)
    assert "report.html" in files


# ---------------------------------------------------------------- the page


def test_files_and_pngs(files: dict[str, bytes | str]) -> None:
    assert set(files) == {
        "plots/indicators.png",
        "plots/differences.png",
        "plots/trajectories.png",
        "plots/waits.png",
        "plots/tradeoff.png",
        "report.html",
    }
    for name, data in files.items():
        if name.endswith(".png"):
            assert isinstance(data, bytes) and data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


def test_report_is_self_contained_and_complete(results: Results, files: dict[str, bytes | str]) -> None:
    page = files["report.html"]
    assert isinstance(page, str)
    lower = page.lower()
    for forbidden in ('src="http', "src='http", "<script", "<link", "url(", "@import", "<iframe"):
        assert forbidden not in lower, forbidden
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert [base64.b64decode(b) for b in embedded] == [
        files[f"plots/{n}.png"] for n in ("indicators", "differences", "trajectories", "waits", "tradeoff")
    ]
    for policy in results.policies:
        assert f">{policy}" in page
    assert '<table class="comparison" id="comparison">' in page
    table = page[page.index('id="comparison"') : page.index("</table>", page.index('id="comparison"'))]
    # One row per indicator, with one cell per policy and one Δ per non-baseline policy.
    assert table.count('<th scope="row" class="ind"') == len(results.kpis)
    assert table.count("<td") == len(results.kpis) * (2 * len(results.policies) - 1)
    profit = results.experiment.summary("backorder", "profit")
    assert f"{profit.mean:,.0f}" in table
    for sentence in results.verdict():
        assert html.escape(sentence) in page
    assert "store.stockout" in page and "lost_sales" in page  # what out_of_stock changes
    assert "store.max_quoted_wait" in page


def test_report_escapes_scenario_text(results: Results) -> None:
    sc = results.scenario.model_copy(update={"description": 'Tom & Jerry <script>alert("x")</script>'})
    hostile = Results(Experiment(sc, results.experiment.values))
    page = report.report_html(hostile, {})
    assert "<script" not in page
    assert "Tom &amp; Jerry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_policy_changes_collapse_a_new_supplier() -> None:
    sc = load_scenario(ROOT / "scenarios" / "dual_sourcing.yaml")
    changes = report.policy_changes(sc, "fallback")
    keys = [k for k, _, _ in changes]
    assert "suppliers[local]" in keys
    assert not [k for k in keys if k.startswith("suppliers[local].")]
    assert report.policy_changes(sc, sc.baseline) == []


def test_to_folder_writes_plots_and_report(results: Results, tmp_path: Path) -> None:
    out = results.to_folder(tmp_path / "with")
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "differences.png",
        "indicators.png",
        "tradeoff.png",
        "trajectories.png",
        "waits.png",
    ]
    bare = results.to_folder(tmp_path / "without", plots=False)
    assert not (bare / "report.html").exists() and not (bare / "plots").exists()


# ---------------------------------------------------------------- headless Chromium


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _browser(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _page_errors(stderr: str) -> list[str]:
    """Console messages and script/resource errors of the page (not Chromium's own dbus noise)."""
    return [
        line
        for line in stderr.splitlines()
        if "CONSOLE" in line or "Uncaught" in line or "net::ERR_" in line or "Failed to load resource" in line
    ]


def test_report_renders_in_headless_chromium(results: Results, files: dict[str, bytes | str], tmp_path: Path) -> None:
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it)")
    page = tmp_path / "report.html"
    page.write_text(str(files["report.html"]), encoding="utf-8")
    url = page.as_uri()

    dom = _browser(exe, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _page_errors(dom.stderr) == []
    assert 'id="comparison"' in dom.stdout
    for policy in results.policies:
        assert f">{policy}" in dom.stdout
    assert dom.stdout.count("<img ") == 5
    assert "In short" in dom.stdout

    shot = tmp_path / "shot.png"
    out = _browser(exe, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2400", url)
    assert out.returncode == 0, out.stderr[-2000:]
    assert _page_errors(out.stderr) == []
    assert shot.stat().st_size > 50_000
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1280, 2400)
        rgb = im.convert("RGB")
        # The header band is drawn in the brand colour (#16324f): the CSS was applied.
        assert rgb.getpixel((640, 40)) == (0x16, 0x32, 0x4F)
        # The page is not blank: many distinct colours (text, table, figures).
        assert len(rgb.resize((320, 600)).getcolors(1_000_000) or []) > 200
