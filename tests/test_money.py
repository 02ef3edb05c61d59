"""Money: an annual ``product.holding_rate`` converted into h, and the ``product.currency`` label.

h = i · c / (time units per year) (Axsäter, *Inventory Control*, §4.1): the run with a rate must
give exactly the numbers of the run with that h written as ``holding_cost``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clirun import assert_one_clear_message, cli
from scenario_texts import TINY
from supplysim.experiments.runner import run_experiment
from supplysim.outputs.documents import scenario_fingerprint
from supplysim.scenario.load import load_scenario
from supplysim.scenario.specs import PERIODS_PER_YEAR, periods_per_year

UNIT_COST = 4.0  # TINY's supplier.unit_cost


def _scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _with_product(holding: str, time_unit: str = "day") -> str:
    text = TINY.replace("  holding_cost: 0.1\n", holding)
    assert text != TINY
    return text.replace("seed: 5\n", f"seed: 5\ntime_unit: {time_unit}\n")


@pytest.mark.parametrize("time_unit", ["day", "week", "hours"])
def test_a_rate_gives_the_numbers_of_its_holding_cost(tmp_path: Path, time_unit: str) -> None:
    rate = 0.25
    per_year = {"day": 365.0, "week": 365.0 / 7.0, "hours": 8760.0}[time_unit]
    h = rate * UNIT_COST / per_year
    by_rate = load_scenario(_scenario(tmp_path, _with_product(f"  holding_rate: {rate}\n", time_unit), "a.yaml"))
    by_cost = load_scenario(_scenario(tmp_path, _with_product(f"  holding_cost: {h!r}\n", time_unit), "b.yaml"))
    for cfg in by_rate.policies.values():
        assert cfg.holding_cost_per_time(time_unit) == pytest.approx(h, rel=1e-15)
    a, b = run_experiment(by_rate, workers=1), run_experiment(by_cost, workers=1)
    for policy in by_rate.policies:
        assert a.series(policy, "holding_cost") == pytest.approx(b.series(policy, "holding_cost"), rel=1e-12)
        assert a.series(policy, "profit") == pytest.approx(b.series(policy, "profit"), rel=1e-12)
        assert min(a.series(policy, "holding_cost")) > 0


def test_the_year_is_365_days() -> None:
    assert PERIODS_PER_YEAR["day"] == 365 and PERIODS_PER_YEAR["week"] * 7 == pytest.approx(365)
    assert periods_per_year("Days") == 365 and periods_per_year("months") == 12 and periods_per_year("shift") is None


@pytest.mark.parametrize(
    ("holding", "time_unit", "message"),
    [
        ("  holding_cost: 0.1\n  holding_rate: 0.2\n", "day", "give holding_cost (0.1 per unit and time unit) or"),
        ("  holding_rate: 0.2\n", "shift", "time_unit 'shift' is not one of hour, day, week"),
        ("  holding_rate: -0.2\n", "day", "holding_rate"),
    ],
    ids=["both", "unknown time unit", "negative"],
)
def test_bad_holding_rates_get_one_clear_message(tmp_path: Path, holding: str, time_unit: str, message: str) -> None:
    path = _scenario(tmp_path, _with_product(holding, time_unit))
    res = cli(tmp_path, "validate", str(path))
    assert_one_clear_message(res)
    assert message in res.stderr


def test_a_rate_needs_one_unit_cost(tmp_path: Path) -> None:
    free = _with_product("  holding_rate: 0.2\n").replace("  unit_cost: 4\n", "  unit_cost: 0\n")
    res = cli(tmp_path, "validate", str(_scenario(tmp_path, free)))
    assert_one_clear_message(res)
    assert "the unit cost is 0" in res.stderr


def test_the_currency_is_one_label_for_every_policy(tmp_path: Path) -> None:
    text = _with_product("  holding_cost: 0.1\n  currency: EUR\n")
    assert load_scenario(_scenario(tmp_path, text)).currency == "EUR"
    assert load_scenario(_scenario(tmp_path, TINY, "plain.yaml")).currency == "money"
    mixed = text.replace("policies:\n", "policies:\n  dollars: {product: {currency: USD}}\n", 1)
    assert mixed != text
    res = cli(tmp_path, "validate", str(_scenario(tmp_path, mixed, "mixed.yaml")))
    assert_one_clear_message(res)
    assert "product.currency must be the same under every policy" in res.stderr


def test_writing_a_default_does_not_change_the_fingerprint(tmp_path: Path) -> None:
    """New keys come with defaults that keep the old behaviour: scenarios that do not use them keep
    their fingerprint (and their baselines); a key written at its default is the same model."""
    plain = load_scenario(_scenario(tmp_path, TINY, "plain.yaml"))
    explicit = load_scenario(_scenario(tmp_path, _with_product("  holding_cost: 0.1\n  currency: money\n"), "x.yaml"))
    other = load_scenario(_scenario(tmp_path, _with_product("  holding_cost: 0.2\n"), "y.yaml"))
    assert scenario_fingerprint(plain) == scenario_fingerprint(explicit) != scenario_fingerprint(other)


def test_the_currency_is_shown_with_money(tmp_path: Path) -> None:
    text = _with_product("  holding_cost: 0.1\n  currency: EUR\n")
    res = cli(tmp_path, "run", str(_scenario(tmp_path, text)), "--workers", "1", "--no-report", "--out", "out")
    assert res.returncode == 0, res.stderr
    assert "money in EUR" in res.stdout  # the table's caption
    profit_lines = [line for line in res.stdout.splitlines() if " profit than " in line or "profit differs" in line]
    assert profit_lines and all(" EUR" in line for line in profit_lines), res.stdout
    plain = cli(tmp_path, "run", str(_scenario(tmp_path, TINY, "plain.yaml")), "--workers", "1", "--no-report")
    assert "money in" not in plain.stdout and " EUR" not in plain.stdout


def test_the_currency_labels_the_figures_and_the_page(tmp_path: Path) -> None:
    from supplysim.api import run
    from supplysim.report import figures, html

    sc = load_scenario(_scenario(tmp_path, _with_product("  holding_cost: 0.1\n  currency: EUR\n")))
    res = run(sc, workers=1)
    titles = [ax.get_title(loc="left") for ax in figures.differences_figure(res).axes]
    assert "Δ Profit [EUR]" in titles, titles
    page = html.report_html(res, {})
    assert 'Profit <span class="unit">[EUR]</span>' in page
    assert 'Profit per time unit <span class="unit">[EUR/day]</span>' in page
