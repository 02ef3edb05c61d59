"""The page of a network run (docs/network.md, "The page"): one stock figure per store and one for
the warehouse, drawn from the paths recorded during the main run, and the table grouped by location.

Figures are checked through their artists' data (the steps drawn, the dashed reorder line), not
pixels; the page is also rendered in headless Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from supplysim.analysis.indicators import by_location, indicators
from supplysim.analysis.kpis import HEADLINE
from supplysim.api import Results, run
from supplysim.report import figures as plots
from supplysim.report import html as report
from supplysim.scenario import BaseStock, ModelConfig, parse_scenario
from supplysim.sim.network import NetworkReplication
from supplysim.sim.recorder import LocationsRecorder, PathWindow
from supplysim.sim.replication import simulate
from test_network import model, network_yaml
from test_report import _browser, _chromium, _page_errors

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "network.yaml"
STORES = ("city", "suburb", "village")
CITY_LEVEL = 14
"""The transship policy's own base-stock level at city (the scenario's city level is 12)."""


@pytest.fixture(scope="module")
def results() -> Results:
    return run(
        SCENARIO,
        replications=2,
        overrides=[
            ("horizon", 60),
            ("warmup", 10),
            ("policies.transship.network.stores.city.replenishment.level", CITY_LEVEL),
        ],
        workers=1,
    )


@pytest.fixture(scope="module")
def files(results: Results) -> dict[str, bytes | str]:
    return report.figures_and_report(results)


def _line(ax: object, label: str) -> Line2D:
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]  # type: ignore[attr-defined]
    return line


def _dashed(ax: object) -> Line2D:
    (line,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]  # type: ignore[attr-defined]
    return line


def _level(model: ModelConfig) -> float:
    rule = model.replenishment
    assert isinstance(rule, BaseStock)
    return rule.level - 1.0


# ---------------------------------------------------------------- the files


def test_one_figure_per_store_and_one_for_the_warehouse(files: dict[str, bytes | str]) -> None:
    assert set(files) == {
        "plots/indicators.png",
        "plots/differences.png",
        "plots/waits.png",
        "plots/tradeoff.png",
        *(f"plots/trajectories-{s}.png" for s in STORES),
        "plots/warehouse.png",
        "report.html",
    }
    page = str(files["report.html"])
    section = page[page.index('<section id="locations">') :]
    section = section[: section.index("</section>")]
    ids = re.findall(r'<figure id="fig-([^"]+)">', section)
    assert ids == [*(f"trajectories-{s}" for s in STORES), "warehouse"]
    for store in STORES:
        assert f"Stock over time at {store}." in section
    assert "The warehouse dc." in section
    assert page.index('id="figures"') < page.index('id="locations"') < page.index('id="settings"')


def test_a_single_store_page_keeps_its_figures() -> None:
    single = parse_scenario(
        "name: one\nhorizon: 30\nreplications: 2\nseed: 1\ndemand: {rate: 2}\n"
        "supplier: {lead_time: 2}\nreplenishment: {policy: base_stock, level: 5}\n"
        "policies: {backorder: {}, lost: {store: {stockout: lost_sales}}}\n"
    )
    res = run(single, workers=1)
    assert report.location_figures(res.scenario) == []
    files = report.figures_and_report(res)
    assert set(files) == {f"plots/{name}.png" for name in report.FIGURES} | {"report.html"}
    assert 'id="locations"' not in str(files["report.html"])
    assert res.experiment.samples["backorder"].locations == {}


def test_presentation_never_runs_the_network(results: Results, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("presentation ran the model")

    monkeypatch.setattr(NetworkReplication, "run", forbidden)
    assert "report.html" in report.figures_and_report(results)


# ---------------------------------------------------------------- the figures' data


@pytest.mark.parametrize("store", STORES)
def test_a_stores_figure_draws_its_recorded_path_and_its_own_reorder_level(results: Results, store: str) -> None:
    exp = results.experiment
    fig = plots.trajectories_figure(results, location=store)
    panels = [ax for ax in fig.axes if ax.get_lines()]
    assert len(panels) == len(exp.scenario.policies)
    levels = []
    for ax, (policy, cfg) in zip(panels, exp.scenario.policies.items(), strict=True):
        path = exp.samples[policy].locations[store]
        on_hand = _line(ax, "on hand")
        assert np.array_equal(np.asarray(on_hand.get_xdata())[:-1], path.times)
        assert np.array_equal(np.asarray(on_hand.get_ydata())[:-1], path.on_hand)
        owed = [ln for ln in ax.get_lines() if str(ln.get_label()).startswith("backordered")]
        if owed:
            assert np.array_equal(np.asarray(owed[0].get_ydata())[:-1], -path.backordered)
        assert cfg.network is not None
        level = _level(cfg.network.store_model(store))
        assert list(_dashed(ax).get_ydata()) == [level, level]
        levels.append(level)
    if store == "city":
        assert levels == [11.0, 11.0, CITY_LEVEL - 1.0]  # the policy's own level, not the base model's
    assert levels[0] != _level(exp.scenario.policies[exp.baseline])  # not the base model's rule (level 6)
    assert store in fig.get_suptitle()


def test_the_warehouse_figure_draws_its_recorded_path(results: Results) -> None:
    exp = results.experiment
    fig = plots.warehouse_figure(results)
    panels = [ax for ax in fig.axes if ax.get_lines()]
    assert len(panels) == len(exp.scenario.policies)
    for ax, policy in zip(panels, exp.scenario.policies, strict=True):
        path = exp.samples[policy].locations["dc"]
        assert np.array_equal(np.asarray(_line(ax, "on hand").get_ydata())[:-1], path.on_hand)
        assert np.array_equal(np.asarray(_line(ax, "inventory position").get_ydata())[:-1], path.inventory_position)
        owed = [ln for ln in ax.get_lines() if str(ln.get_label()).startswith("owed to stores")]
        if owed:
            assert np.array_equal(np.asarray(owed[0].get_ydata())[:-1], -path.backordered)
        assert list(_dashed(ax).get_ydata()) == [109.0, 109.0]  # dc's base stock 110, not a store's


def test_asking_for_a_location_that_is_not_there(results: Results) -> None:
    with pytest.raises(ValueError, match="name a store"):
        plots.trajectories_figure(results)
    with pytest.raises(ValueError, match="not a store"):
        plots.trajectories_figure(results, location="citi")


def test_the_headline_figures_show_the_network_totals(results: Results) -> None:
    exp = results.experiment
    fig: Figure = plots.indicators_figure(results)
    assert len(fig.axes) == len(HEADLINE) and all("@" not in k for k in HEADLINE)
    for ax, kpi in zip(fig.axes, HEADLINE, strict=True):
        (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
        scale = 100.0 if plots.is_rate(kpi) else 1.0
        means = [exp.summary(p, kpi).mean * scale for p in exp.scenario.policies]
        drawn = [b.get_height() for b, m in zip(bars, means, strict=True) if np.isfinite(m)]
        assert drawn == pytest.approx([m for m in means if np.isfinite(m)])  # NaN (nobody waited): no bar
    # a total is every store's customers together, not one store's
    totals = exp.series(exp.baseline, "customers")
    per_store = [sum(v) for v in zip(*(exp.series(exp.baseline, f"customers@{s}") for s in STORES), strict=True)]
    assert totals == per_store


# ---------------------------------------------------------------- what is recorded


def test_the_recorded_paths_are_the_networks_state() -> None:
    """Under one-for-one base stock every location's inventory position stays at its level S
    (Axsäter 2015, §5.3) — true only if each location's on hand, on order and owed are sampled
    from that location; the first store's path is the one ``path`` keeps; recording changes no number."""
    cfg = model(network_yaml(3, 2.0, [(1.5, 4, 1.0), (0.7, 2, 0.5)], horizon=200))
    window = PathWindow(20.0, 200.0, 500)
    result = NetworkReplication(cfg, seed=3, replication=0).run(200.0, 0.0, path=window)
    assert result.paths is not None and list(result.paths) == ["s0", "s1", "dc"]
    for name, level in (("s0", 4), ("s1", 2), ("dc", 3)):
        path = result.paths[name]
        assert len(path.times) == 500
        assert np.all(path.inventory_position == level), name
    assert result.paths["dc"].backordered.max() > 0  # the warehouse did run out: owed was sampled
    assert result.path is result.paths["s0"]
    plain = simulate(cfg, seed=3, replication=0, horizon=200.0)
    assert indicators(plain, cfg) == indicators(result, cfg)


@pytest.mark.parametrize("horizon", [50.0, 5000.0])
def test_the_recorder_keeps_a_fixed_number_of_points_whatever_the_horizon(horizon: float) -> None:
    cfg = model(network_yaml(3, 2.0, [(1.5, 4, 1.0)], horizon=horizon))
    window = PathWindow(0.0, horizon, 64)
    rep = NetworkReplication(cfg, seed=1, replication=0)
    result = rep.run(horizon, 0.0, path=window)
    assert result.paths is not None
    assert {name: len(p.times) for name, p in result.paths.items()} == {"s0": 64, "dc": 64}
    assert result.paths["dc"].times[-1] < horizon


def test_the_recorder_samples_every_location_at_the_same_instants() -> None:
    from supplysim.sim.clock import Clock

    class State:
        def __init__(self, k: int) -> None:
            self.on_hand, self.backordered, self.on_order, self.waiting = k, 2 * k, 3 * k, 4 * k

    env = Clock()
    rec = LocationsRecorder(env, {"a": State(1), "b": State(5)}, PathWindow(0.0, 10.0, 5))
    env.run_before(20.0, -1)
    paths = rec.paths()
    assert list(paths["a"].times) == list(paths["b"].times) == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert list(paths["b"].on_order) == [15] * 5 and list(paths["a"].waiting) == [4] * 5


# ---------------------------------------------------------------- the table


def test_the_pages_table_groups_by_location_like_the_terminal(results: Results, files: dict[str, bytes | str]) -> None:
    exp = results.experiment
    page = str(files["report.html"])
    table = page[page.index('id="comparison"') :]
    table = table[: table.index("</table>")]
    headings = re.findall(r'<tr class="group"><th [^>]*>([^<]+)</th>', table)
    expected = [h for _, _, h in by_location(exp.kpis, exp.scenario.policies.values())]
    assert headings == expected
    firsts = [h.split(" — ")[0] for h in headings]
    assert firsts[0] == "Network" and firsts.index("city") < firsts.index("suburb") < firsts.index("village")
    assert headings[-1].startswith("Warehouse")
    rows = re.findall(r'<th scope="row" class="ind" title="([^"]+)">', table)
    assert sorted(rows) == sorted(exp.kpis)


# ---------------------------------------------------------------- headless Chromium


def test_the_network_page_renders_in_headless_chromium(files: dict[str, bytes | str], tmp_path: Path) -> None:
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it)")
    page = tmp_path / "report.html"
    page.write_text(str(files["report.html"]), encoding="utf-8")
    dom = _browser(exe, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _page_errors(dom.stderr) == []
    assert dom.stdout.count("<img ") == sum(1 for name in files if name.endswith(".png")) == 8
    assert 'id="locations"' in dom.stdout


def test_the_profit_breakdown_counts_lateral_shipping(results: Results, files: dict[str, bytes | str]) -> None:
    """With transshipment the cost of shipping between stores is a term of profit: the rows of "where
    the profit difference comes from" add up to Δ profit only with it (in the terminal and the page)."""
    from supplysim.analysis.breakdown import TRANSSHIPMENT, components, profit_breakdown
    from supplysim.report.terminal import comparison_table

    exp = results.experiment
    assert components(exp)[-1] is TRANSSHIPMENT
    b = profit_breakdown(exp, "transship")
    lateral = b.parts[-1]
    assert lateral.component is TRANSSHIPMENT and lateral.diff.diff < 0  # only transship ships between stores
    assert sum(p.diff.diff for p in b.parts) == pytest.approx(b.profit.diff, rel=1e-9, abs=1e-6)
    assert sum(p.diff.diff for p in b.parts[:-1]) != pytest.approx(b.profit.diff, rel=1e-3)
    page = files["report.html"]
    assert isinstance(page, str)
    why = page[page.index('<section id="why">') :]
    assert "lateral shipping" in why[: why.index("</section>")] and "− lateral shipping (transshipment cost)" in why
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(comparison_table(exp, width=200))
    assert "lateral shipping (− transshipment_cost)" in console.export_text()
