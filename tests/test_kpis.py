"""The indicator registry (:mod:`supplysim.analysis.kpis`) and the views that read it.

The registry must know every indicator a scenario can report — standard, feature
(waitlist, goodwill) and per-supplier ones — and its metadata must agree with the
numbers: a fraction lies in [0, 1], a count is a whole number, a time is not
negative. A scenario using every feature at once supplies the names and the values.
"""

from __future__ import annotations

import ast
import math
from collections import Counter
from pathlib import Path

import pytest

from supplysim.analysis.indicators import indicators, kpi_names
from supplysim.analysis.kpis import (
    HEADLINE,
    KPIS,
    REGISTRY,
    Better,
    Feature,
    Group,
    NumberFormat,
    Unit,
    display_name,
    format_pm,
    format_value,
    grouped,
    is_known,
    lookup,
)
from supplysim.report import figures
from supplysim.scenario.load import parse_scenario
from supplysim.sim import simulate

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "supplysim"

EVERY_FEATURE = """\
name: every-feature
horizon: 120
warmup: 10
replications: 2
seed: 11
product: {price: 10, holding_cost: 0.1, backorder_cost: 0.2, lost_sale_cost: 1}
demand:
  rate: 6
  goodwill: {churn: 0.01, memory: 20}
segments:
  - name: all
    accept_backorder: 0.6
    patience: {dist: exponential, mean: 3}
suppliers:
  - name: far
    lead_time: {dist: uniform, low: 3, high: 9}
    unit_cost: 4
    order_cost: 5
    disruptions: {windows: [{start: 30, end: 50}]}
  - name: near
    lead_time: 2
    unit_cost: 6
    order_cost: 5
sourcing: {rule: fallback, order: [far, near]}
store: {initial_stock: 20, stockout: backorder}
replenishment: {policy: sS, reorder_point: 15, order_up_to: 40}
policies:
  backorder: {}
  notify_me:
    store:
      stockout: lost_sales
      waitlist: {join: 0.5, convert: 0.5, patience: {dist: exponential, mean: 5}}
  periodic:
    replenishment: {policy: periodic, review_period: 5, order_up_to: 40}
"""


@pytest.fixture(scope="module")
def scenario_kpis() -> tuple[str, ...]:
    sc = parse_scenario(EVERY_FEATURE, file="<every-feature>")
    return kpi_names(sc.policies.values())


# ------------------------------------------------------------------ coverage


def test_every_indicator_a_scenario_can_report_is_registered(scenario_kpis: tuple[str, ...]) -> None:
    unknown = [k for k in scenario_kpis if not is_known(k)]
    assert unknown == []
    # every feature of the scenario is in use, so every registry entry is reported (per supplier);
    # the network's are checked in tests/test_network.py
    kinds = {k.partition("@")[0] for k in scenario_kpis}
    assert kinds == {k.kind for k in REGISTRY if k.feature not in (Feature.NETWORK, Feature.TRANSSHIPMENT)}
    assert {k.rpartition("@")[2] for k in scenario_kpis if "@" in k} == {"far", "near"}


def test_the_file_order_lists_exactly_the_standard_indicators() -> None:
    standard = [k.name for k in REGISTRY if k.feature is None]
    assert sorted(KPIS) == sorted(standard)
    assert len(set(KPIS)) == len(KPIS)
    assert len({k.kind for k in REGISTRY}) == len(REGISTRY)  # one entry per name


def test_features_are_reported_only_when_used() -> None:
    sc = parse_scenario(EVERY_FEATURE.replace("  goodwill: {churn: 0.01, memory: 20}\n", ""), file="<t>")
    names = kpi_names(sc.policies.values())
    assert "goodwill_lost" not in names and "waitlist_joined" in names
    for kpi in REGISTRY:
        if kpi.feature is Feature.GOODWILL:
            assert kpi.name not in names


def test_registry_units_agree_with_the_numbers(scenario_kpis: tuple[str, ...]) -> None:
    """Fractions in [0, 1], counts whole, times ≥ 0, in every replication of every policy."""
    sc = parse_scenario(EVERY_FEATURE, file="<every-feature>")
    seen: Counter[Unit] = Counter()
    for cfg in sc.policies.values():
        for rep in range(sc.replications):
            res = simulate(cfg, seed=sc.seed, replication=rep, horizon=sc.horizon, warmup=sc.warmup)
            values = indicators(res, cfg, scenario_kpis)
            assert list(values) == list(scenario_kpis)
            for name, x in values.items():
                if math.isnan(x):
                    continue
                unit = lookup(name).unit
                seen[unit] += 1
                if unit is Unit.FRACTION:
                    assert 0.0 <= x <= 1.0, name
                elif unit is Unit.COUNT:
                    assert x == int(x) and x >= 0, name
                elif unit is Unit.TIME:
                    assert x >= 0, name
    assert set(seen) == set(Unit)  # the check above met every unit


# ------------------------------------------------------------------ metadata


def test_better_directions() -> None:
    assert lookup("profit").better is Better.HIGHER
    assert lookup("lost_rate").better is Better.LOWER
    for volume in ("ordering_cost", "units_ordered", "orders_placed", "cost@far"):
        assert lookup(volume).better is Better.NEITHER, volume


def test_headline_positions_are_one_to_n() -> None:
    ranks = sorted(k.headline for k in REGISTRY if k.headline is not None)
    assert ranks == list(range(1, len(ranks) + 1))
    assert HEADLINE[0] == "profit" and set(HEADLINE) <= set(KPIS)
    assert figures.HEADLINE_KPIS == HEADLINE


def test_lookup_of_patterns_and_unknown_names() -> None:
    assert lookup("orders@overseas").name == "orders@NAME"
    assert lookup("orders@overseas").group is Group.SUPPLIERS
    assert display_name("mean_lead_time@overseas") == "Mean lead time — overseas"
    assert display_name("fill_rate") == "Served at once (fill rate)"
    # a standard indicator at one store of a network is that indicator (docs/network.md)
    assert lookup("fill_rate@north").name == "fill_rate"
    assert display_name("fill_rate@north") == "Served at once (fill rate) — north"
    # a pattern without a supplier, a feature's indicator with a suffix, a new name: not known, still printable
    for name in ("orders", "warehouse_fill_rate@x", "brand_new_rate"):
        assert not is_known(name)
        assert lookup(name).group is Group.OTHER and lookup(name).better is Better.NEITHER
    assert display_name("brand_new_rate") == "Brand new rate"


def test_formats_follow_units() -> None:
    for kpi in REGISTRY:
        expected = {Unit.FRACTION: NumberFormat.PERCENT, Unit.MONEY: NumberFormat.MONEY}.get(kpi.unit)
        assert kpi.format is (expected or NumberFormat.DECIMAL), kpi.name
    assert figures.is_rate("fill_rate") and figures.is_rate("down_fraction@far")
    assert not figures.is_rate("mean_wait") and not figures.is_rate("cost@far")


@pytest.mark.parametrize(
    ("kpi", "x", "signed", "text"),
    [
        ("fill_rate", 0.81556, False, "81.56%"),
        ("stockout_fraction", -0.0123, True, "-1.23%"),
        ("down_fraction@far", 0.2, True, "+20.00%"),
        ("profit", 191234.4, False, "191,234"),
        ("cost@far", 12.6, True, "+13"),
        ("mean_wait", 3.456, False, "3.46"),
        ("units_ordered", 12947.2, False, "12,947"),  # whole from 1,000 on
        ("units_ordered", -999.994, True, "-999.99"),
        ("unknown", 0.5, False, "0.50"),
        ("profit", math.nan, False, "–"),
        ("fill_rate", math.inf, True, "–"),
        ("fill_rate", None, False, "–"),
    ],
)
def test_format_value(kpi: str, x: float | None, signed: bool, text: str) -> None:
    assert format_value(kpi, x, signed) == text


def test_figure_labels_come_from_the_registry() -> None:
    assert {k.kind: k.label for k in REGISTRY} == figures.LABELS
    assert figures._label("mean_wait", "day") == "Mean wait of backorders [days]"
    assert figures._label("mean_lead_time@far", "week") == "Mean lead time — far [weeks]"
    assert figures._label("profit", "day") == "Profit"


# ------------------------------------------------------------------ table order


def test_grouped_puts_groups_in_table_order(scenario_kpis: tuple[str, ...]) -> None:
    groups = grouped(scenario_kpis)
    assert [g for g, _ in groups] == [
        Group.SERVICE,
        Group.INVENTORY,
        Group.DEMAND,
        Group.MONEY,
        Group.WAITLIST_GOODWILL,
        Group.SUPPLIERS,
        Group.RATES,
    ]
    assert sorted(k for _, ks in groups for k in ks) == sorted(scenario_kpis)  # nothing lost or repeated
    service = dict(groups)[Group.SERVICE]
    # the table reads the backorder outcomes together, unlike the file order
    assert service.index("served_after_wait_rate") == service.index("backorder_rate") + 1
    assert KPIS.index("served_after_wait_rate") != KPIS.index("backorder_rate") + 1
    # per-supplier indicators keep the scenario's order: supplier by supplier
    suppliers = dict(groups)[Group.SUPPLIERS]
    assert suppliers == tuple(k for k in scenario_kpis if "@" in k)
    assert [k.rpartition("@")[2] for k in suppliers] == ["far"] * 6 + ["near"] * 4  # far has disruptions


def test_grouped_leaves_out_empty_groups_and_keeps_unknown_names() -> None:
    assert grouped(["profit", "mystery", "fill_rate"]) == [
        (Group.SERVICE, ("fill_rate",)),
        (Group.MONEY, ("profit",)),
        (Group.OTHER, ("mystery",)),
    ]


# ------------------------------------------------------------------ who reads the registry


def _imports(path: Path) -> set[str]:
    """Modules imported by a source file, with ``module:name`` for each ``from module import name``."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}:{a.name}" for a in node.names}
    return out


@pytest.mark.parametrize("layer", ["analysis", "experiments"])
def test_numbers_and_runs_do_not_import_files_or_presentation(layer: str) -> None:
    """Formatting lives in the registry, so the lower layers need neither report/ nor outputs/."""
    for path in sorted((PACKAGE / layer).glob("*.py")):
        above = {m for m in _imports(path) if m.startswith(("supplysim.report", "supplysim.outputs"))}
        assert above == set(), path.name


@pytest.mark.parametrize("module", ["outputs/documents.py", "outputs/folders.py", "report/html.py"])
def test_versions_come_from_the_installed_metadata(module: str) -> None:
    assert "supplysim:__version__" not in _imports(PACKAGE / module)


@pytest.mark.parametrize(
    ("kpi", "x", "hw", "signed", "expected"),
    [
        ("profit", 5.2, 0.3, True, ("+5.2", "0.3")),  # money: whole units, unless the ± would show 0
        ("profit", 1234.5, 0.04, True, ("+1,234.50", "0.04")),
        ("profit", 5.2, 12.0, True, ("+5", "12")),  # the ± shows a digit: as format_value
        ("profit", 5.0, 0.0, True, ("+5", "0")),  # an exact 0 (identical replications) stays 0
        ("avg_on_hand", 0.001234, 0.0004, False, ("0.0012", "0.0004")),
        ("avg_on_hand", 3.0, 1e-12, False, ("3.00000000", "0.00000000")),  # at most 6 more decimals
        ("fill_rate", 0.0000512, 0.00000311, True, ("+0.0051%", "0.0003%")),  # in percent points
        ("fill_rate", 0.95, 0.01, False, ("95.00%", "1.00%")),
        ("profit", float("nan"), 0.3, True, ("–", "0")),
        ("orders_placed", 3551.2, 26.78, False, ("3,551", "27")),  # one decimal place for both
        ("orders_placed", -75.1, 4.36, True, ("-75.10", "4.36")),
        ("orders_placed", 3551.2, 0.43, False, ("3,551.2", "0.4")),
        ("orders_placed", 3642.0, 0.0, True, ("+3,642", "0")),
        ("avg_on_hand", 12.3, 1234.0, False, ("12", "1,234")),
        ("orders_placed", 3551.2, 0.96, False, ("3,551", "1")),  # its first digit as it is shown, rounded
        ("profit", 5.2, 0.096, True, ("+5.2", "0.1")),
        ("orders_placed", 3551.2, 3e-7, False, ("3,551.2000000", "0.0000003")),  # 6 more than its own 2
    ],
)
def test_a_half_width_below_the_last_digit_gets_its_first_significant_digit(
    kpi: str, x: float, hw: float, signed: bool, expected: tuple[str, str]
) -> None:
    assert format_pm(kpi, x, hw, signed=signed) == expected
