"""The edge: what the scenario reader refuses, and how it says so.

Each case calls :func:`parse_scenario` or :func:`load_scenario` directly and checks the
one located message of the :class:`ScenarioError`; :func:`validate_cli` checks that the
same input gives exit code 2 and no traceback through ``supplysim validate``.
"""

from __future__ import annotations

import os
import re
import threading
import time
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from scenario_texts import TINY
from supplysim.scenario import MODEL_SECTIONS, ModelConfig, ModelSections, Scenario
from supplysim.scenario.errors import excerpt
from supplysim.scenario.json_schema import scenario_schema
from supplysim.scenario.load import ScenarioError, load_scenario, parse_override, parse_scenario
from supplysim.scenario.overrides import command_line
from supplysim.scenario.specs import STOCKOUT_KEYS, STOCKOUT_RULES, BackorderRules, LostSalesRules, Store


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
    assert set(typing.get_args(Store.model_fields["stockout"].annotation)) == set(STOCKOUT_RULES)
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
    msg = error_of(text, overrides=[("store.stockout", "lost_sales", command_line("store.stockout", "lost_sales"))])
    assert msg.startswith(f"bad.yaml:{line_of(text, 'expire_after: 9')}:17: store.expire_after: cannot act"), msg
    assert "(--set store.stockout='lost_sales' (command line))" in msg, msg
    assert "hint:  remove it (or add --set store.expire_after=null), or use stockout: backorder" in msg, msg
    # the same override in a Python call is named in Python's words
    msg = error_of(text, overrides=[("store.stockout", "lost_sales")])
    assert "(overrides[0] (store.stockout='lost_sales'))" in msg and "command line" not in msg, msg
    assert "(or add the override ('store.expire_after', None))" in msg and "--set" not in msg, msg
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


# --------------------------------------------------------------------------- the reader: YAML


def test_an_alias_bomb_fails_at_once_at_its_line(tmp_path: Path) -> None:
    """Nine levels of nine aliases ("billion laughs") would expand to 9⁹ values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = mutate("description: a small, fast scenario for the tests", "description: *a9").replace(
        "name: tiny\n", "name: tiny\n" + "\n".join(f"x-{line}" for line in lines) + "\n"
    )
    text = text.replace("x-a", "a")  # the anchors sit under unknown top-level keys, refused later anyway
    start = time.perf_counter()
    msg = error_of(text)
    assert time.perf_counter() - start < 2.0
    assert "holds more than 250,000 values with its aliases expanded" in msg, msg
    assert re.match(r"bad\.yaml:\d+:\d+: ", msg), msg
    assert "aliases of aliases grow exponentially" in msg
    assert validate_cli(tmp_path, text).startswith("error: ")


def test_too_many_aliases_are_refused() -> None:
    text = mutate("seed: 5", "seed: &s 5\nx: [" + ", ".join(["*s"] * 1001) + "]")
    msg = error_of(text)
    assert f"bad.yaml:{line_of(text, 'x: [')}:" in msg and "more than 1,000 aliases" in msg, msg


@pytest.mark.parametrize(
    "nested",
    ["[" * 100_000 + "]" * 100_000, "\n".join(" " * i + "k:" for i in range(2_000)) + " 1"],
    ids=["flow-100000", "block-2000"],
)
def test_deep_nesting_is_refused_without_recursion_error(nested: str, tmp_path: Path) -> None:
    text = mutate(
        "description: a small, fast scenario for the tests", "description:\n  " + nested.replace("\n", "\n  ")
    )
    msg = error_of(text)
    assert "nested more than 50 deep" in msg, msg
    assert re.match(r"bad\.yaml:\d+:\d+: ", msg), msg
    assert len(msg) < 300
    validate_cli(tmp_path, text)


def test_deep_nesting_in_a_set_value_is_refused() -> None:
    with pytest.raises(ScenarioError, match="nested more than 50 deep"):
        parse_override("description=" + "[" * 5_000 + "]" * 5_000)


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("!!int abc", "cannot read 'abc' as an integer"),
        ("!!float garbage", "cannot read 'garbage' as a number"),
        ("9" * 5_000, "it has 5,000 digits"),
        ("2024-13-45", "cannot read '2024-13-45' as a date"),
    ],
    ids=["int-tag-on-text", "float-tag-on-text", "5000-digit-integer", "month-13"],
)
def test_a_scalar_its_tag_cannot_read_is_located(value: str, needle: str, tmp_path: Path) -> None:
    text = mutate("seed: 5", f"seed: {value}")
    msg = error_of(text)
    assert msg.startswith(f"bad.yaml:{line_of(text, 'seed: ')}:7: "), msg
    assert needle in msg and len(msg) < 200, msg
    validate_cli(tmp_path, text)


def test_a_huge_unknown_key_is_quoted_briefly() -> None:
    text = mutate("seed: 5", "seed: 5\n? " + "k" * 1_000_000 + "\n: 1")  # an explicit key: any length
    msg = error_of(text)
    assert "unknown key 'kkkk" in msg and len(msg) < 1_000, msg


# --------------------------------------------------------------------------- the reader: files


def test_a_scenario_larger_than_10_mb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(TINY + ("# padding\n" * 1_100_000), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: larger than 10 MB (11.0 MB)"
    with pytest.raises(ScenarioError, match="larger than 10 MB"):
        parse_scenario(path.read_text(encoding="utf-8"))


def _in_thread(call: Any, *args: Any) -> BaseException | None:
    """Run ``call(*args)`` in a thread; fail if it blocks (a FIFO would block ``open`` forever)."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call(*args)
            outcome.append(None)
        except BaseException as exc:  # returned to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert outcome, "blocked reading the file"
    return outcome[0]


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")


@needs_fifo
def test_a_fifo_scenario_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    exc = _in_thread(load_scenario, fifo)
    assert isinstance(exc, ScenarioError) and str(exc) == f"{fifo}: a named pipe (FIFO), not a regular file"


def test_special_files_and_symlink_loops_are_refused(tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    cases = {tmp_path: "a folder, not a regular file", tmp_path / "loop.yaml": "a loop of symbolic links"}
    if Path("/dev/zero").exists():
        (tmp_path / "zero.yaml").symlink_to("/dev/zero")
        cases[tmp_path / "zero.yaml"] = "a device, not a regular file"
    for path, why in cases.items():
        exc = _in_thread(load_scenario, path)
        assert isinstance(exc, ScenarioError) and str(exc) == f"{path}: {why}", exc


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(TINY.replace("a small, fast", "a sm\xe4ll").encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: not UTF-8 text (line 2 holds the byte 0xe4)"


# --------------------------------------------------------------------------- data files

CSV_LEAD = mutate(
    "  lead_time: {dist: uniform, low: 1, high: 4}", "  lead_time: {dist: empirical, file: FILE, column: days}"
)


def _with_csv(tmp_path: Path, content: str | bytes, file: str = "data/leads.csv") -> Path:
    """``tmp_path/shop.yaml`` whose lead time reads ``file`` (written with ``content`` under tmp_path)."""
    target = tmp_path / file
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    scenario = tmp_path / "shop.yaml"
    scenario.write_text(CSV_LEAD.replace("FILE", file), encoding="utf-8")
    return scenario


def _error_loading(path: Path, **kwargs: Any) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kwargs)
    return str(info.value)


def test_a_csv_with_a_byte_order_mark_reads_its_first_column(tmp_path: Path) -> None:
    sc = load_scenario(_with_csv(tmp_path, "\ufeffdays,qty\n2,1\n3,1\n5,2\n".encode()))
    assert sc.supplier is not None and list(sc.supplier.lead_time.values) == [2.0, 3.0, 5.0]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("cells", "line", "why"),
    [
        (["2", "n/a"], 3, "'n/a' is not a number"),
        (["2", "3", "-1"], 4, "'-1' is negative (durations are ≥ 0)"),
        (["nan"], 2, "'nan' is not a finite number"),
        (["inf"], 2, "'inf' is not a finite number"),
    ],
)
def test_a_bad_csv_cell_names_file_line_and_column(tmp_path: Path, cells: list[str], line: int, why: str) -> None:
    msg = _error_loading(_with_csv(tmp_path, "days\n" + "\n".join(cells) + "\n"))
    assert f"data/leads.csv, line {line}, column 'days': {why}" in msg, msg


def test_a_quantity_csv_needs_whole_numbers(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("units\n1\n2.5\n", encoding="utf-8")
    text = mutate(
        "{dist: choice, values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}",
        "{dist: empirical, file: orders.csv, column: units}",
    )
    (tmp_path / "shop.yaml").write_text(text, encoding="utf-8")
    msg = _error_loading(tmp_path / "shop.yaml")
    assert "orders.csv, line 3, column 'units': '2.5' is not a whole number" in msg, msg


def test_a_csv_field_beyond_the_csv_limit_is_refused_clearly(tmp_path: Path) -> None:
    msg = _error_loading(_with_csv(tmp_path, "days\n1\n" + "9" * 200_000 + "\n"))
    assert "data/leads.csv, line 3: not a CSV file this reader can read (field larger than field limit" in msg, msg
    assert "9" * 100 not in msg


def test_a_csv_is_read_once_per_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from supplysim.scenario import yaml_source

    reads: list[str] = []
    real = yaml_source.read_text

    def counting(path: Any, *args: Any) -> str:
        reads.append(str(path))
        return real(path, *args)

    monkeypatch.setattr(yaml_source, "read_text", counting)
    sc = load_scenario(_with_csv(tmp_path, "days\n2\n3\n"))
    assert len(sc.policies) == 3
    assert [p for p in reads if p.endswith(".csv")] == [str(tmp_path / "data" / "leads.csv")]


def test_a_data_file_outside_the_scenarios_folder_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "leads.csv").write_text("days\n2\n3\n", encoding="utf-8")
    (project / "shop.yaml").write_text(CSV_LEAD.replace("FILE", "../leads.csv"), encoding="utf-8")
    msg = _error_loading(project / "shop.yaml")
    line = line_of(CSV_LEAD, "lead_time:")
    assert msg.startswith(f"{project / 'shop.yaml'}:{line}:14: supplier.lead_time\n"), msg
    assert f"../leads.csv leads outside the scenario's folder {project}" in msg, msg
    assert msg.endswith(
        "hint: move the file into that folder, or, if you trust this scenario, pass --allow-data-outside"
    )
    sc = load_scenario(project / "shop.yaml", allow_data_outside=True)
    assert sc.supplier is not None and sc.supplier.lead_time.mean == 2.5


def test_a_symlink_leading_outside_counts_as_outside(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (tmp_path / "leads.csv").write_text("days\n2\n3\n", encoding="utf-8")
    (project / "data" / "leads.csv").symlink_to(tmp_path / "leads.csv")
    (project / "shop.yaml").write_text(CSV_LEAD.replace("FILE", "data/leads.csv"), encoding="utf-8")
    msg = _error_loading(project / "shop.yaml")
    assert f"(through a symbolic link, to {tmp_path / 'leads.csv'})" in msg, msg
    assert load_scenario(project / "shop.yaml", allow_data_outside=True).supplier is not None


def test_the_cli_option_allows_data_outside(tmp_path: Path) -> None:
    from supplysim.cli.app import app

    (tmp_path / "leads.csv").write_text("days\n2\n3\n", encoding="utf-8")
    (tmp_path / "p").mkdir()
    text = CSV_LEAD.replace("FILE", "../leads.csv")
    assert "outside the scenario's folder" in validate_cli(tmp_path / "p", text)
    result = CliRunner().invoke(app, ["validate", "--allow-data-outside", str(tmp_path / "p" / "bad.yaml")])
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_message_never_echoes_a_files_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-" + "x" * 40
    monkeypatch.setenv("SUPPLYSIM_TEST_SECRET", secret)
    (tmp_path / "shop.yaml").write_text(CSV_LEAD.replace("FILE", "/proc/self/environ"), encoding="utf-8")
    for allow in (False, True):
        msg = _error_loading(tmp_path / "shop.yaml", allow_data_outside=allow)
        assert secret not in msg and "s3cr3t" not in msg, msg
        assert all(len(line) <= 300 and line.isprintable() for line in msg.splitlines()), msg
    assert "outside the scenario's folder" in _error_loading(tmp_path / "shop.yaml")


@needs_fifo
def test_a_data_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    scenario = _with_csv(tmp_path, "days\n1\n", file="data/x.csv")
    (tmp_path / "data" / "x.csv").unlink()
    os.mkfifo(tmp_path / "data" / "x.csv")
    exc = _in_thread(load_scenario, scenario)
    assert isinstance(exc, ScenarioError) and "cannot read data/x.csv: a named pipe (FIFO), not a regular file" in str(
        exc
    ), exc


# --------------------------------------------------------------------------- strict types, names, null


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("  rate: 4", "  rate: true", "demand.rate"),
        ("  initial_stock: 15", "  initial_stock: yes", "store.initial_stock"),
        ("low: 1, high: 4", "low: 1, high: on", "supplier.lead_time.high"),
        ("  rate: 4", "  rate: 4\n  weekly: [1, 1, 1, 1, 1, 1, true]", "demand.weekly[6]"),
        ("  lead_time: {dist: uniform, low: 1, high: 4}", "  lead_time: false", "supplier.lead_time"),
        ("seed: 5", "seed: true", "seed"),
    ],
)
def test_booleans_are_not_numbers(old: str, new: str, path: str, tmp_path: Path) -> None:
    text = mutate(old, new)
    msg = error_of(text)
    assert msg.startswith(f"bad.yaml:{line_of(text, new.splitlines()[-1])}:"), msg
    assert f": {path}\n  expected: a number" in msg and "not a boolean" in msg, msg
    assert "booleans in YAML" in msg
    validate_cli(tmp_path, text)


def test_whole_floats_still_count_as_integers() -> None:
    sc = parse_scenario(mutate("seed: 5", "seed: 5.0"))
    assert sc.seed == 5 and isinstance(sc.seed, int)


@pytest.mark.parametrize(
    ("old", "new", "path", "why"),
    [
        ("name: tiny", 'name: "abc\\n"', "name", "name must start with a letter or digit"),
        ("  - name: patient", '  - name: "pat\\tient"', "segments[0].name", "without control characters"),
        ("  lead_time: {", '  name: "a\\e[31mred"\n  lead_time: {', "supplier.name", "without control characters"),
        ("horizon: 30", 'time_unit: "day\\u2028"\nhorizon: 30', "time_unit", "without control characters"),
        ("  backorder: {}", '  "back\\norder": {}', "policies", "simple identifiers"),
    ],
    ids=["scenario-name", "segment-name", "supplier-name", "time-unit", "policy-name"],
)
def test_names_with_control_characters_are_refused(old: str, new: str, path: str, why: str) -> None:
    text = mutate(old, new)
    msg = error_of(text)
    assert msg.startswith(f"bad.yaml:{line_of(text, new.splitlines()[0])}:"), msg
    assert f": {path}\n" in msg and why in msg, msg


def test_a_description_may_span_lines() -> None:
    sc = parse_scenario(mutate("description: a small, fast scenario for the tests", "description: |\n  one\n  two"))
    assert sc.description == "one\ntwo\n"
    assert "control characters" in error_of(mutate("description: a small", 'description: "bell\\a" #'))


KEYS_WITH_DEFAULTS = [
    ("  price: 10", "  price: null", "product.price"),
    ("  quantity: {dist: choice, values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}", "  quantity: null", "demand.quantity"),
    ("  unit_cost: 4", "  unit_cost: null", "supplier.unit_cost"),
    ("  stockout: backorder", "  stockout: null", "store.stockout"),
    ("seed: 5", "seed: null", "seed"),
]


@pytest.mark.parametrize(("old", "new", "path"), KEYS_WITH_DEFAULTS)
def test_null_selects_the_default(old: str, new: str, path: str) -> None:
    """docs/scenarios.md: `null` (or omitting the key) selects the default."""
    assert parse_scenario(mutate(old, new)) == parse_scenario(mutate(old + "\n", ""))


def test_null_for_policies_is_the_base_alone() -> None:
    text = TINY[: TINY.index("policies:")] + "policies: null\n"
    assert list(parse_scenario(text).policies) == ["base"]


def test_null_for_a_required_key_is_an_error() -> None:
    msg = error_of(mutate("  rate: 4", "  rate: null"))
    assert msg.startswith(f"bad.yaml:{line_of(TINY, '  rate: 4')}:9: demand.rate\n  expected: a valid number"), msg


# --------------------------------------------------------------------------- sweep key paths, list maxima


@pytest.mark.parametrize(
    ("key", "needle"),
    [
        ("store.max_qouted_wait", "unknown key 'max_qouted_wait' under store\n  hint: did you mean 'max_quoted_wait'?"),
        ("replenishment.level", "unknown key 'level' under replenishment"),
        ("segments.5.share", "index 5 out of range: segments has 2 entries (0–1)"),
        ("segments.x.share", "segments is a list of 2 entries (0–1): 'x' is not an index"),
        ("policies.hybrd.store.max_quoted_wait", "'hybrd' is not a policy of this scenario; did you mean 'hybrid'?"),
        ("demand.rate.mean", "demand.rate holds a value (4.0), not a mapping"),
        ("strore.stockout", "unknown key 'strore' under (top level)\n  hint: did you mean 'store'?"),
    ],
)
def test_a_misspelled_sweep_key_path_is_caught_by_validate(key: str, needle: str, tmp_path: Path) -> None:
    text = mutate("seed: 5", f"seed: 5\nsweep:\n  {key}: [1, 2]")
    msg = error_of(text)
    assert msg.startswith(f"bad.yaml:{line_of(text, key)}:3: sweep: {key}: "), msg
    assert needle in msg, msg
    validate_cli(tmp_path, text)


@pytest.mark.parametrize(
    "key",
    [
        "store.max_quoted_wait",
        "supplier.lead_time.high",
        "segments.1.patience.mean",
        "demand.seasonal.amplitude",  # unset: followed through the types
        "supplier.disruptions.every",
        "policies.hybrid.store.max_quoted_wait",
        "replications",
    ],
)
def test_a_valid_sweep_key_path_passes(key: str) -> None:
    assert parse_scenario(mutate("seed: 5", f"seed: 5\nsweep:\n  {key}: [1, 2]")).sweep is not None


@pytest.mark.parametrize(
    ("section", "item", "limit"),
    [
        ("segments", "  - {name: s{i}, share: 0.001}", 100),
        ("events", "    - {name: e{i}, start: 1, end: 2, multiplier: 1}", 1000),
    ],
)
def test_lists_have_documented_maxima(section: str, item: str, limit: int) -> None:
    items = "\n".join(item.replace("{i}", str(i)) for i in range(limit + 1))
    if section == "segments":
        text = TINY[: TINY.index("segments:")] + "segments:\n" + items + "\n" + TINY[TINY.index("supplier:") :]
    else:
        text = mutate("  rate: 4", "  rate: 4\n  events:\n" + items)
    msg = error_of(text)
    assert f"at most {limit} items" in msg, msg


def test_at_most_100_policies() -> None:
    policies = "".join(f"  p{i}: {{}}\n" for i in range(101))
    text = TINY[: TINY.index("policies:")] + "policies:\n" + policies
    msg = error_of(text)
    assert "at most 100 policies" in msg and "101 policies" in msg, msg


# --------------------------------------------------------------------------- small pieces


def test_excerpts_are_short_and_printable_whatever_they_quote() -> None:
    big = list(range(10**6))
    start = time.perf_counter()
    out = excerpt({"a": big, "b": "x\n\x00\x1b"})
    assert time.perf_counter() - start < 0.01
    assert len(out) <= 60 and out.isprintable() and out.endswith("…")
    assert excerpt({"dist": "poisson", "mean": 2}) == repr({"dist": "poisson", "mean": 2})
    assert excerpt(10**5000).startswith("<an integer of about 5,000 digits")


def test_the_schema_command_prints_the_schema_of_json_schema_py() -> None:
    import json

    from supplysim.cli.app import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(json.dumps(scenario_schema()))
    assert scenario_schema()["properties"]["policies"]["additionalProperties"] == {"$ref": "#/$defs/PolicyOverrides"}
