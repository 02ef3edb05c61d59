"""The edge: what the scenario reader refuses, and how it says so.

Each case calls :func:`parse_scenario` or :func:`load_scenario` directly and checks the
one located message of the :class:`ScenarioError`; :func:`validate_cli` checks that the
same input gives exit code 2 and no traceback through ``supplysim validate``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from scenario_texts import TINY
from supplysim.scenario import MODEL_SECTIONS, ModelConfig, ModelSections, Scenario
from supplysim.scenario.json_schema import scenario_schema
from supplysim.scenario.load import ScenarioError, load_scenario, parse_scenario
from supplysim.scenario.specs import STOCKOUT_KEYS, BackorderRules, LostSalesRules, Store


def mutate(old: str, new: str, text: str = TINY) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, snippet: str) -> int:
    """1-based line of the only line containing ``snippet``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if snippet in line]
    assert len(hits) == 1, (snippet, hits)
    return hits[0]


def error_of(text: str, file: str = "bad.yaml", **kwargs: Any) -> str:
    """The message of the ScenarioError that ``text`` raises."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, file, **kwargs)
    return str(info.value)


def validate_cli(tmp_path: Path, text: str, *args: str) -> str:
    """``supplysim validate bad.yaml ARGS`` in-process: exit 2, one message, no traceback; its stderr."""
    from supplysim.cli.app import app

    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "bad.yaml"), *args])
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("error: ") == 1, result.stderr
    assert result.stdout == ""
    return result.stderr


# --------------------------------------------------------------------------- stockout keys that cannot act

BACKORDER_KEYS = {"max_backorders": "5", "max_quoted_wait": "7", "expire_after": "9", "partial_shipments": "true"}
LOST_BASE = mutate("  stockout: backorder\n", "  stockout: lost_sales\n")


def test_the_stockout_specs_name_the_backorder_keys() -> None:
    """The typed spec is the one list of keys that act only while customers wait."""
    assert set(STOCKOUT_KEYS) == set(BACKORDER_KEYS)
    assert set(LostSalesRules.model_fields) == {"stockout"}
    for key in STOCKOUT_KEYS:  # the flat store key and the spec's field have the same type and default
        assert Store.model_fields[key].annotation == BackorderRules.model_fields[key].annotation, key
        assert Store.model_fields[key].default == BackorderRules.model_fields[key].default, key


def test_store_rules_is_the_typed_spec() -> None:
    sc = parse_scenario(mutate("  stockout: backorder\n", "  stockout: backorder\n  max_quoted_wait: 2\n"))
    rules = sc.policies["backorder"].store.rules
    assert isinstance(rules, BackorderRules) and rules.max_quoted_wait == 2 and rules.expire_after is None
    assert isinstance(sc.policies["out_of_stock"].store.rules, LostSalesRules)


@pytest.mark.parametrize(("key", "value"), BACKORDER_KEYS.items())
def test_a_backorder_key_beside_lost_sales_in_the_base_is_refused(key: str, value: str) -> None:
    text = mutate("  stockout: lost_sales\n", f"  stockout: lost_sales\n  {key}: {value}\n", LOST_BASE)
    msg = error_of(text)
    line, col = line_of(text, f"  {key}: {value}"), 3 + len(key) + 2
    assert msg.startswith(f"bad.yaml:{line}:{col}: store.{key}: cannot act under stockout: lost_sales"), msg
    assert f"(bad.yaml:{line_of(text, '  stockout: lost_sales')}:13)" in msg, msg
    assert "no customer ever waits" in msg and f"found: {yaml.safe_load(value)!r}" in msg, msg
    assert msg.endswith("hint:  remove it, or use stockout: backorder"), msg


@pytest.mark.parametrize(("key", "value"), BACKORDER_KEYS.items())
def test_a_backorder_key_in_a_policy_that_switches_to_lost_sales_is_refused(key: str, value: str) -> None:
    text = mutate("store: {stockout: lost_sales}", f"store: {{stockout: lost_sales, {key}: {value}}}")
    msg = error_of(text)
    line = line_of(text, "stockout: lost_sales")
    assert msg.startswith(f"bad.yaml:{line}:"), msg
    assert f"policies.out_of_stock.store.{key}: cannot act under stockout: lost_sales (bad.yaml:{line}:" in msg, msg
    assert len(msg.splitlines()) == 4


def test_the_cli_gives_the_same_one_message(tmp_path: Path) -> None:
    text = mutate("store: {stockout: lost_sales}", "store: {stockout: lost_sales, expire_after: 3}")
    assert validate_cli(tmp_path, text) == f"error: {error_of(text, str(tmp_path / 'bad.yaml'))}\n"


@pytest.mark.parametrize(
    "text",
    [
        # inherited from the base: the policy varies the stockout alone
        mutate("  stockout: backorder\n", "  stockout: backorder\n  expire_after: 9\n  partial_shipments: true\n"),
        # a policy restating the base's value gives it no value of its own
        mutate(
            "store: {stockout: lost_sales}",
            "store: {stockout: lost_sales, max_backorders: 4}",
            mutate("  stockout: backorder\n", "  stockout: backorder\n  max_backorders: 4\n"),
        ),
        # unset values cannot act and are no error
        mutate("store: {stockout: lost_sales}", "store: {stockout: lost_sales, max_quoted_wait: null}"),
        mutate("store: {stockout: lost_sales}", "store: {stockout: lost_sales, partial_shipments: false}"),
        # a policy setting a key where the base already is lost_sales: inherited stockout, documented as inert
        LOST_BASE,  # its policy hybrid: {store: {max_quoted_wait: 1.5}}
    ],
    ids=["inherited", "restated", "null", "false", "inherited-stockout"],
)
def test_keys_that_meet_lost_sales_only_by_inheritance_are_kept(text: str) -> None:
    sc = parse_scenario(text)
    base = sc.store
    for model in sc.policies.values():
        for key in STOCKOUT_KEYS:  # kept as inherited: the resolved model is not trimmed
            if model.store.stockout != base.stockout and getattr(base, key) != Store.model_fields[key].default:
                assert getattr(model.store, key) == getattr(base, key)


def test_an_override_that_makes_the_base_lost_sales_is_checked_too() -> None:
    text = mutate("  stockout: backorder\n", "  stockout: backorder\n  expire_after: 9\n")
    msg = error_of(text, overrides=[("store.stockout", "lost_sales")])
    assert msg.startswith(f"bad.yaml:{line_of(text, 'expire_after: 9')}:17: store.expire_after: cannot act"), msg
    assert "(--set store.stockout='lost_sales' (command line))" in msg, msg
    assert "hint:  remove it (or add --set store.expire_after=null), or use stockout: backorder" in msg, msg
    sc = parse_scenario(text, overrides=[("store.stockout", "lost_sales"), ("store.expire_after", None)])
    assert sc.store.stockout == "lost_sales" and sc.store.expire_after is None


def test_the_resolved_scenario_with_inherited_keys_reloads() -> None:
    """Resolved policies are complete, so the rule must judge what a policy changes, not what it lists."""
    text = mutate("  stockout: backorder\n", "  stockout: backorder\n  expire_after: 9\n  max_backorders: 3\n")
    unset = [("store.stockout", "lost_sales"), ("store.expire_after", None), ("store.max_backorders", None)]
    for overrides in ([], unset):
        sc = parse_scenario(text, overrides=overrides)
        again = parse_scenario(yaml.safe_dump(sc.model_dump(mode="json", by_alias=True), sort_keys=False))
        assert again == sc


def test_the_model_sections_are_declared_once() -> None:
    """``MODEL_SECTIONS`` (what a policy may override) is exactly the fields of the one base."""
    assert tuple(ModelSections.model_fields) == MODEL_SECTIONS
    assert set(ModelConfig.model_fields) == set(MODEL_SECTIONS)
    assert set(MODEL_SECTIONS) <= set(Scenario.model_fields)
    for cls in (ModelConfig, Scenario):  # inherited, not redeclared with other types or defaults
        for k in MODEL_SECTIONS:
            assert repr(cls.model_fields[k]) == repr(ModelSections.model_fields[k]), (cls, k)


def test_the_shipped_scenarios_still_validate() -> None:
    root = Path(__file__).resolve().parents[1] / "scenarios"
    paths = sorted(root.glob("*.yaml")) + sorted(root.glob("benchmarks/*.yaml"))
    assert len(paths) >= 10
    for path in paths:
        load_scenario(path)


def test_no_message_template_is_left_unformatted() -> None:
    msg = error_of(mutate("store: {stockout: lost_sales}", "store: {stockout: lost_sales, expire_after: 3}"))
    assert not re.search(r"\{\w+(!r)?\}", msg), msg


def test_the_schema_command_prints_the_schema_of_json_schema_py() -> None:
    import json

    from supplysim.cli.app import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(json.dumps(scenario_schema()))
    assert scenario_schema()["properties"]["policies"]["additionalProperties"] == {"$ref": "#/$defs/PolicyOverrides"}
