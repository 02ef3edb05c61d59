"""What the figures draw, read from the plotting data: paired differences equal to the ones the
verdict tests, intervals clipped to the quantity's range, n where few replications define an
interval, tick labels that do not run together with five long policy names, legends outside the
data, colours by the registry's direction, user text drawn literally; the sweep and optimize
pages, rendered by headless Chromium."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from supplysim.api import Results, run, run_sweep
from supplysim.experiments.optimize import optimize
from supplysim.report import figures as plots
from supplysim.report import html as report
from supplysim.report.html import png_bytes
from supplysim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "backorder_vs_out_of_stock.yaml"

FIVE = {
    "backorder_everything_and_wait": "{}",
    "out_of_stock_show_empty_shelf": "{store: {stockout: lost_sales}}",
    "hybrid_quote_at_most_7_days": "{store: {max_quoted_wait: 7}}",
    "generous_reorder_point_of_260_units": "{replenishment: {reorder_point: 260}}",
    "lean_reorder_point_150": "{replenishment: {reorder_point: 150}}",
}


def _five_policies(tmp: Path) -> Path:
    """The flagship with five long-named policies, a time unit and a supplier name full of `$`."""
    text = FLAGSHIP.read_text(encoding="utf-8")
    text = text[: text.index("\npolicies:")] + "\npolicies:\n"
    text += "".join(f"  {name}: {body}\n" for name, body in FIVE.items())
    text = "\n".join('time_unit: "$a^$ day"' if line.startswith("time_unit:") else line for line in text.split("\n"))
    path = tmp / "five.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def flagship() -> Results:
    return run(FLAGSHIP, replications=6, overrides=[("horizon", 120)], workers=1)


@pytest.fixture(scope="module")
def five(tmp_path_factory: pytest.TempPathFactory) -> Results:
    path = _five_policies(tmp_path_factory.mktemp("five"))
    return run(path, replications=3, overrides=[("horizon", 90)], workers=1)


def _drawn(fig: Figure) -> FigureCanvasAgg:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas


def _errorbars(ax: Axes) -> list[ErrorbarContainer]:
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def _extent(c: ErrorbarContainer) -> tuple[float, float, float]:
    """(x, low, high) of a single vertical error bar."""
    (segment,) = c.lines[2][0].get_segments()
    return float(segment[0][0]), float(min(segment[:, 1])), float(max(segment[:, 1]))


# ---------------------------------------------------------------- the paired-difference chart


def test_differences_are_the_paired_intervals_the_verdict_tests(flagship: Results) -> None:
    exp = flagship.experiment
    others = [p for p in flagship.policies if p != exp.baseline]
    fig = plots.differences_figure(flagship)
    assert len(fig.axes) == len(plots.HEADLINE_KPIS)
    seen_real = seen_noise = 0
    for ax, kpi in zip(fig.axes, plots.HEADLINE_KPIS, strict=True):
        scale = 100.0 if plots.is_rate(kpi) else 1.0
        bars = iter(_errorbars(ax))
        assert [t.get_text() for t in ax.get_xticklabels()] == others
        assert any(line.get_ydata()[0] == 0 for line in ax.get_lines() if len(line.get_ydata()) == 2)  # zero line
        for i, p in enumerate(others):
            d = exp.difference(p, kpi)
            if not math.isfinite(d.diff):
                continue
            c = next(bars)
            x, lo, hi = _extent(c)
            assert x == i
            assert (lo, hi) == pytest.approx((d.ci95_low * scale, d.ci95_high * scale), rel=1e-9)
            marker = c.lines[0]
            assert marker.get_ydata()[0] == pytest.approx(d.diff * scale)  # type: ignore[index]
            filled = marker.get_markerfacecolor() != "white"
            assert filled == d.significant
            seen_real += d.significant
            seen_noise += not d.significant
    assert seen_real and seen_noise  # the case shows both kinds


def test_difference_colours_follow_the_registry(flagship: Results) -> None:
    """A real difference is green when better, red when worse — but an ordering cost or the
    units ordered, which move with volume, stay neutral even when they fall."""
    from matplotlib.colors import to_hex

    exp = flagship.experiment
    kpis = ("lost_rate", "ordering_cost", "units_ordered")
    fig = plots.differences_figure(flagship, kpis)
    colours = {"good": "#1e7b45", "bad": "#b3261e", "neutral": "#1f5a8c"}
    checked = 0
    for ax, kpi in zip(fig.axes, kpis, strict=True):
        d = exp.difference("out_of_stock", kpi)
        assert d.significant, kpi  # lost sales: more turned away, fewer units bought
        colour = to_hex(_errorbars(ax)[0].lines[0].get_color())
        if kpi == "lost_rate":
            assert d.diff > 0 and colour == colours["bad"]
        else:
            assert d.diff < 0 and colour == colours["neutral"]
        checked += 1
    assert checked == 3


def test_results_plot_differences(flagship: Results) -> None:
    assert len(flagship.plot_differences().axes) == len(plots.HEADLINE_KPIS)
    assert len(flagship.plot_differences(["profit"]).axes) == 1


def test_one_policy_has_no_difference_chart(flagship: Results) -> None:
    sc = flagship.scenario
    alone = sc.model_copy(update={"policies": {sc.baseline: sc.policies[sc.baseline]}})
    res = run(alone, replications=2, overrides=[("horizon", 30)], workers=1)
    files = report.figures_and_report(res)
    assert "plots/differences.png" not in files
    with pytest.raises(ValueError, match="one policy"):
        plots.differences_figure(res)


# ---------------------------------------------------------------- intervals in range, n when few


def test_bars_clip_intervals_to_the_range_and_name_few_replications(five: Results) -> None:
    exp = five.experiment
    fig = plots.indicators_figure(five)
    clipped = 0
    for ax, kpi in zip(fig.axes, plots.HEADLINE_KPIS, strict=True):
        (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
        assert bars.errorbar is not None
        (segments,) = [s.get_segments() for s in bars.errorbar.lines[2]]
        scale = 100.0 if plots.is_rate(kpi) else 1.0
        lo_bound, hi_bound = (
            (0.0, 100.0) if plots.is_rate(kpi) else ((-math.inf, math.inf) if kpi == "profit" else (0.0, math.inf))
        )
        for seg, p in zip(segments, five.policies, strict=True):
            s = exp.summary(p, kpi)
            if s.n < 2:
                continue
            low, high = min(seg[:, 1]), max(seg[:, 1])
            assert lo_bound - 1e-9 <= low and high <= hi_bound + 1e-9
            raw_low = (s.mean - s.ci95_half_width) * scale
            assert low == pytest.approx(max(raw_low, lo_bound))
            clipped += raw_low < lo_bound
        # tick values within the quantity's range, on every panel
        ticks = [float(t) for t in ax.get_yticks()]
        assert ticks and all(lo_bound - 1e-9 <= t <= hi_bound + 1e-9 for t in ticks)
    assert clipped  # with 3 replications some interval would reach below 0
    caption = fig._suptitle.get_text() if fig._suptitle else ""
    assert "Only 3 replications" in " ".join(caption.split())


def test_sweep_band_is_clipped_and_names_n() -> None:
    rows = []
    for x, n in ((0, 4), (7, 4), (14, 2)):
        rows.append(
            {"store.max_quoted_wait": x, "policy": "backorder", "kpi": "mean_wait", "mean": 1.0}
            | {"ci95_low": -5.0, "ci95_high": 7.0, "n": n}
        )
    fig = plots.sweep_figure(pd.DataFrame(rows), "store.max_quoted_wait", "mean_wait", "day")
    ax = fig.axes[0]
    (band,) = ax.collections
    ys = [v[1] for path in band.get_paths() for v in path.vertices]
    assert min(ys) == 0.0 and max(ys) == 7.0  # the wait band stops at 0, not at −5
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["n = 2"]  # only the point that fewer replications than the others define
    assert "[days]" in ax.get_ylabel()


# ---------------------------------------------------------------- readable with five long names


def _overlap(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5


@pytest.mark.parametrize("name", ["indicators", "differences"])
def test_policy_ticks_do_not_run_together(five: Results, name: str) -> None:
    fig = plots.indicators_figure(five) if name == "indicators" else plots.differences_figure(five)
    canvas = _drawn(fig)
    renderer = canvas.get_renderer()
    page = fig.bbox
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        assert len(labels) == len(five.policies) - (name == "differences")
        boxes = [t.get_window_extent(renderer) for t in labels]
        for a, b in itertools.combinations(boxes, 2):
            assert not _overlap(a, b), (a, b)
        for box in boxes:
            assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0
        # every line of a label fits the policy's slot
        slot = ax.bbox.width / len(labels)
        assert all(box.width <= slot for box in boxes)
        # tick values on every panel
        assert [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        # no panel title runs into a neighbour's
    titles = [ax.title.get_window_extent(renderer) for ax in fig.axes]
    for a, b in itertools.combinations(titles, 2):
        assert not _overlap(a, b)


@pytest.mark.parametrize("name", ["trajectories", "tradeoff"])
def test_legends_sit_outside_the_data(five: Results, name: str) -> None:
    fig = plots.trajectories_figure(five) if name == "trajectories" else plots.tradeoff_figure(five)
    canvas = _drawn(fig)
    renderer = canvas.get_renderer()
    legends = 0
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        assert not _overlap(box, ax.get_window_extent(renderer))
        assert box.x1 <= fig.bbox.x1 + 0.5
        legends += 1
    assert legends >= 1
    for ax in fig.axes:  # time or money values on every panel
        assert [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert [t.get_text() for t in ax.get_yticklabels() if t.get_text()]


def test_waits_panels_keep_their_values_and_no_legend_over_bars(five: Results) -> None:
    fig = plots.waits_figure(five)
    _drawn(fig)
    for ax in fig.axes:
        assert ax.get_legend() is None
        assert [t.get_text() for t in ax.get_xticklabels() if t.get_text()]  # also on the upper row


# ---------------------------------------------------------------- literal text


def test_user_text_is_never_parsed_as_math(five: Results) -> None:
    sc = five.scenario
    assert sc.time_unit == "$a^$ day"
    for make in (
        plots.indicators_figure,
        plots.differences_figure,
        plots.trajectories_figure,
        plots.waits_figure,
        plots.tradeoff_figure,
    ):
        fig = make(five)
        assert png_bytes(fig).startswith(b"\x89PNG")  # mathtext would raise on "$a^$"
    fig = plots.indicators_figure(five, ("mean_wait",))
    assert fig.axes[0].get_title(loc="left") == r"Mean wait of backorders [\$a^\$ days]"
    assert plots.literal(r"$\frac$") == r"\$\frac\$"


# ---------------------------------------------------------------- sweep and optimize


@pytest.fixture(scope="module")
def sweep():  # type: ignore[no-untyped-def]
    sc = load_scenario(FLAGSHIP, [("horizon", 90), ("replications", 4)])
    return run_sweep(sc, [("replenishment.reorder_point", [150, 200, 250])], workers=1)


def test_sweep_vs_best_draws_the_summarys_comparison(sweep) -> None:  # type: ignore[no-untyped-def]
    from supplysim.analysis.intervals import paired_difference

    k, top = sweep.best("profit")
    policies = sweep.affected("profit")
    fig = plots.sweep_best_figure(sweep.points, sweep.experiments, sweep.parameters[0], "profit", (k, top), policies)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    reference = sweep.experiments[k].series(top, "profit")
    for p in policies:
        expected = [paired_difference(e.series(p, "profit"), reference).diff for e in sweep.experiments]
        assert list(lines[p].get_ydata()) == pytest.approx(expected, abs=1e-9)  # type: ignore[arg-type]
    star = lines["best"]
    assert list(star.get_xdata()) == [sweep.points[k]["replenishment.reorder_point"]]  # type: ignore[arg-type]
    assert list(star.get_ydata()) == [0.0]  # type: ignore[arg-type]
    legend = ax.get_legend()
    canvas = _drawn(fig)
    assert not _overlap(legend.get_window_extent(canvas.get_renderer()), ax.get_window_extent(canvas.get_renderer()))


def test_sweep_folder_has_the_page_and_paired_figures(sweep, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import html

    out = sweep.to_folder(tmp_path / "sweep")
    names = sorted(p.name for p in (out / "plots").iterdir())
    assert {"vs_best.png", "differences.png", "profit.png"} <= set(names)
    page = (out / "report.html").read_text(encoding="utf-8")
    for line in sweep.summary_lines():
        assert html.escape(line.strip()) in page
    assert page.count("<img ") == len(names)
    assert "95% paired t-interval" in page and "common random numbers" in page
    _renders(page, tmp_path, images=len(names))


def test_optimize_page_draws_every_screened_point(tmp_path: Path) -> None:
    sc = load_scenario(FLAGSHIP, [("horizon", 60)])
    res = optimize(
        sc,
        [("replenishment.reorder_point", list(range(150, 301, 25)))],
        n1=3,
        n2=5,
        finalists=3,
        workers=1,
    )
    assert len(res.screened) == res.evaluated == 7
    fig = plots.optimize_figure([res])
    ax = fig.axes[0]
    curve = next(line for line in ax.get_lines() if line.get_label() == sc.baseline)
    assert sorted(curve.get_xdata()) == list(range(150, 301, 25))  # type: ignore[arg-type]
    means = {c.point["replenishment.reorder_point"]: c.mean(sc.baseline, "profit") for c in res.screened}
    assert list(curve.get_ydata()) == pytest.approx([means[x] for x in sorted(means)])  # type: ignore[arg-type]
    assert res.chosen is not None
    star = next(line for line in ax.get_lines() if line.get_label() == "chosen point")
    assert list(star.get_xdata()) == [res.chosen.point["replenishment.reorder_point"]]  # type: ignore[arg-type]
    _label_inside(fig)
    assert len(fig.axes) == 2 and len(_errorbars(fig.axes[1])) == len(res.gaps)
    files = report.optimize_files(res, sc)
    page = str(files["report.html"])
    assert "plots/objective.png" in files
    for line in res.lines():
        assert __import__("html").escape(line.strip()) in page
    _renders(page, tmp_path, images=1)


def _label_inside(fig: Figure) -> None:
    """The chosen point's label lies over the objective's axes and clear of their title."""
    ax = fig.axes[0]
    renderer = _drawn(fig).get_renderer()
    (label,) = [t for t in ax.texts if "±" in t.get_text()]
    box, frame = label.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, (box, frame)
    assert not _overlap(box, ax.title.get_window_extent(renderer))


def test_the_chosen_points_label_stays_over_the_axes_at_the_end_of_the_range() -> None:
    """Maximising, the chosen point is the highest one, here also the last of its range: its two-line
    label must neither run into the title above nor past the axes on the right (into the legend)."""
    sc = load_scenario(FLAGSHIP, [("horizon", 60)])
    res = optimize(sc, [("replenishment.reorder_point", [100, 200, 300])], n1=3, n2=5, finalists=3, workers=1)
    assert res.chosen is not None and res.chosen.point["replenishment.reorder_point"] == 300, "precondition"
    _label_inside(plots.optimize_figure([res]))


# ---------------------------------------------------------------- headless Chromium


def _renders(page: str, tmp: Path, images: int) -> None:
    from tests.test_report import _browser, _chromium, _page_errors

    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed")
    path = tmp / "page.html"
    path.write_text(page, encoding="utf-8")
    dom = _browser(exe, tmp / "profile", "--dump-dom", path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _page_errors(dom.stderr) == []
    assert dom.stdout.count("<img ") == images
    assert "In short" in dom.stdout


def test_money_ticks_share_one_style(flagship: Results) -> None:
    """No "−8,000" next to "−16k": the money axis picks thousands for every tick or for none."""
    fig = plots.differences_figure(flagship, ("profit",))
    _drawn(fig)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert len(labels) >= 3
    styles = {label.endswith("k") for label in labels if label != "0"}
    assert len(styles) == 1, labels


def test_registry_bounds_of_the_drawn_quantities() -> None:
    from supplysim.analysis.kpis import lookup

    assert lookup("fill_rate").bounds == (0.0, 1.0)
    assert lookup("mean_wait").bounds == (0.0, math.inf)
    assert lookup("avg_on_hand").bounds == (0.0, math.inf)
    assert lookup("orders@overseas").bounds == (0.0, math.inf)
    assert lookup("profit").bounds == (-math.inf, math.inf)
    assert lookup("not_an_indicator").bounds == (-math.inf, math.inf)
