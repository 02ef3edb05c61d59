"""Overrides on a scenario: the fast copy of its data and the cached source of with_overrides.

:func:`~supplysim.scenario.overrides.apply_overrides` copies the data it changes as
``copy.deepcopy`` would (objects met twice stay shared in the copy, the input is never
changed); :func:`~supplysim.scenario.load.with_overrides` reads a scenario's source once for the
scenario given last. Both must give the scenarios and the messages they gave before.
"""

from __future__ import annotations

import copy
import gc
from pathlib import Path
from typing import Any

import pytest

from supplysim.scenario import load
from supplysim.scenario.errors import ScenarioError
from supplysim.scenario.load import load_scenario, scenario_source, with_overrides
from supplysim.scenario.overrides import apply_overrides

TEMPLATE = Path(__file__).resolve().parents[1] / "scenarios" / "catalog" / "template.yaml"
ROW = [("demand.rate", 2.5), ("product.price", 31.0), ("replenishment.reorder_point", 20), ("seed", 12345)]


def test_the_copy_is_deepcopys() -> None:
    shared: dict[str, Any] = {"x": 1, "ys": [1.5, "a", None, True, {"z": (1, 2)}]}
    data: dict[str, Any] = {"a": shared, "b": shared, "c": [shared], "t": (3, [4])}
    before = copy.deepcopy(data)
    out = apply_overrides(data, [("a.x", 7)])
    expected = copy.deepcopy(data)
    expected["a"]["x"] = 7
    assert out == expected
    assert out["a"] is out["b"] is out["c"][0]  # shared as in the input, so both see the override
    assert out["b"]["x"] == 7
    assert data == before and shared["x"] == 1  # the input is untouched
    assert out["a"]["ys"] is not shared["ys"] and out["t"] == (3, [4]) and out["t"][1] is not data["t"][1]


def _fresh(scenario: Any, overrides: list[tuple[Any, ...]]) -> Any:
    """with_overrides with its cache emptied first."""
    load._LAST_SOURCE = None
    return with_overrides(scenario, overrides)


def test_a_cached_source_gives_the_same_scenario() -> None:
    template = load_scenario(TEMPLATE)
    cold = _fresh(template, ROW)
    warm = [with_overrides(template, ROW) for _ in range(3)]
    assert all(w == cold for w in warm)
    assert all(scenario_source(w) == scenario_source(cold) for w in warm)
    assert warm[0].demand.rate == 2.5 and warm[0].seed == 12345
    assert with_overrides(template, [("demand.rate", 4.0)]).demand.rate == 4.0  # not the last row's


@pytest.mark.parametrize(
    "bad",
    [
        [("demand.rate", -1.0)],
        [("demand.rates", 2.0)],
        [("policies.hybrid_8.store.max_quoted_wait", 3)],
        [("product.price", True)],
    ],
)
def test_a_cached_source_gives_the_same_messages(bad: list[tuple[Any, ...]]) -> None:
    template = load_scenario(TEMPLATE)
    with pytest.raises(ScenarioError) as cold:
        _fresh(template, bad)
    with_overrides(template, ROW)  # the cache now holds the template
    with pytest.raises(ScenarioError) as warm:
        with_overrides(template, bad)
    assert str(warm.value) == str(cold.value)
    assert warm.value.paths == cold.value.paths


def test_another_scenario_is_not_given_the_cached_source() -> None:
    """A copy with other fields (model_copy) and a scenario made after the cached one was
    collected each get their own source."""
    template = load_scenario(TEMPLATE)
    with_overrides(template, ROW)
    fewer = template.model_copy(update={"policies": {"backorder": template.policies["backorder"]}})
    assert list(with_overrides(fewer, ROW).policies) == ["backorder"]
    other = with_overrides(template, [("horizon", 90)])
    del template
    gc.collect()
    assert with_overrides(other, ROW).horizon == 90
