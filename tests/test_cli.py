"""The command line: the contract of ``cli.md``.

Exit codes, the comparison table, the results folder, ``--format json`` printing exactly
``summary.json``, reproducibility (any ``--workers``, re-running the resolved scenario),
the options, and one clear located message with exit code 2 and no traceback for every
kind of invalid input.

Most runs go through typer's test runner in this process (:func:`clirun.cli`), with
``--no-report`` unless the report is the subject. The smoke tests at the end run each
command once as a user would, ``python -m supplysim`` in a subprocess.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from scipy import stats

from clirun import SCRIPT, assert_one_clear_message, cli, cli_subprocess, ok
from scenario_texts import SUMMARY_COLUMNS, TINY
from supplysim.analysis.indicators import KPIS
from supplysim.scenario.load import load_scenario

BASE = TINY
POLICIES = ["backorder", "out_of_stock", "hybrid"]
DATA_FILES = {"summary.json", "summary.csv", "replications.csv", "scenario.yaml", ".supplysim-results"}
"""A results folder written with ``--no-report``."""
RESULT_FILES = DATA_FILES | {"plots", "report.html"}
"""A results folder with the report (the default)."""
COMMANDS = ("run", "validate", "check", "sweep", "optimize", "schema")


def mutate(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, snippet: str) -> int:
    """1-based line of the only line containing ``snippet``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if snippet in line]
    assert len(hits) == 1, (snippet, hits)
    return hits[0]


@pytest.fixture
def scenario(tiny_file: Path) -> Path:
    return tiny_file


def run_json(cwd: Path, *args: str) -> tuple[str, dict[str, Any]]:
    proc = ok(cli(cwd, "run", *args, "--format", "json", "--quiet", "--no-report"))
    return proc.stdout, json.loads(proc.stdout)


# --------------------------------------------------------------------------- run


def test_format_json_prints_exactly_summary_json(scenario: Path) -> None:
    tmp = scenario.parent
    out, doc = run_json(tmp, "tiny.yaml", "--workers", "1")
    folder = tmp / "results" / "tiny"
    assert out == (folder / "summary.json").read_text(encoding="utf-8")

    assert doc["supplysim_version"]
    assert doc["scenario"] == "tiny"
    assert (doc["seed"], doc["replications"], doc["horizon"], doc["warmup"]) == (5, 3, 30, 5)
    assert doc["baseline"] == "backorder"
    assert list(doc["policies"]) == POLICIES
    for name, body in doc["policies"].items():
        assert set(body) == {"kpis", "vs_baseline"}
        assert list(body["kpis"]) == list(KPIS)
        for kpi, s in body["kpis"].items():
            assert set(s) == {"mean", "sd", "ci95_half_width", "n"}, kpi
            assert 0 <= s["n"] <= 3
        if name == "backorder":
            assert body["vs_baseline"] == {}
        else:
            assert list(body["vs_baseline"]) == list(KPIS)
            for d in body["vs_baseline"].values():
                assert set(d) == {"diff", "ci95_low", "ci95_high"}
            # common random numbers: every policy sees the same customers, exactly
            assert body["vs_baseline"]["customers"] == {"diff": 0.0, "ci95_low": 0.0, "ci95_high": 0.0}

    # The summary is the Student-t summary of replications.csv (Law 2015, eq. 4.12), recomputed here.
    with (folder / "replications.csv").open(newline="") as f:
        reps = list(csv.DictReader(f))
    for name in POLICIES:
        for kpi in ("customers", "fill_rate", "avg_on_hand", "profit", "mean_wait"):
            x = [float(r[kpi]) for r in reps if r["policy"] == name and r[kpi] != ""]
            s = doc["policies"][name]["kpis"][kpi]
            assert s["n"] == len(x)
            if len(x) < 2:
                continue
            mean = sum(x) / len(x)
            sd = math.sqrt(sum((v - mean) ** 2 for v in x) / (len(x) - 1))
            assert s["mean"] == pytest.approx(mean, rel=1e-12, abs=1e-12)
            assert s["sd"] == pytest.approx(sd, rel=1e-9, abs=1e-12)
            assert s["ci95_half_width"] == pytest.approx(
                stats.t.ppf(0.975, len(x) - 1) * sd / math.sqrt(len(x)), rel=1e-9, abs=1e-12
            )
    base = [float(r["profit"]) for r in reps if r["policy"] == "backorder"]
    other = [float(r["profit"]) for r in reps if r["policy"] == "out_of_stock"]
    diff = sum(o - b for o, b in zip(other, base, strict=True)) / 3
    assert doc["policies"]["out_of_stock"]["vs_baseline"]["profit"]["diff"] == pytest.approx(diff, rel=1e-9, abs=1e-9)


def test_workers_do_not_change_the_numbers(scenario: Path) -> None:
    tmp = scenario.parent
    one, _ = run_json(tmp, "tiny.yaml", "--workers", "1", "--out", "w1")
    two, _ = run_json(tmp, "tiny.yaml", "--workers", "2", "--out", "w2")
    assert one == two
    assert (tmp / "w1" / "summary.json").read_bytes() == (tmp / "w2" / "summary.json").read_bytes()
    assert (tmp / "w1" / "replications.csv").read_bytes() == (tmp / "w2" / "replications.csv").read_bytes()


def test_the_resolved_scenario_reproduces_the_results(scenario: Path) -> None:
    tmp = scenario.parent
    first, _ = run_json(tmp, "tiny.yaml", "--workers", "1")
    again, _ = run_json(tmp, "results/tiny/scenario.yaml", "--workers", "1", "--out", "rerun")
    assert again == first
    assert (tmp / "rerun" / "summary.json").read_text(encoding="utf-8") == first
    assert (tmp / "rerun" / "scenario.yaml").read_text(encoding="utf-8") == (
        tmp / "results" / "tiny" / "scenario.yaml"
    ).read_text(encoding="utf-8")


def test_options_override_the_scenario(scenario: Path) -> None:
    tmp = scenario.parent
    args = ["--replications", "2", "--seed", "11", "--horizon", "20", "--warmup", "0"]
    sets = ["--set", "demand.rate=2", "--set", "store.initial_stock=3", "--set", "segments.1.accept_backorder=1"]
    picks = ["--policy", "hybrid", "--policy", "backorder"]
    out, doc = run_json(tmp, "tiny.yaml", *args, *sets, *picks, "--out", "custom", "--workers", "1")
    assert not (tmp / "results").exists(), "--out must replace the default folder"
    assert {p.name for p in (tmp / "custom").iterdir()} == DATA_FILES
    assert (tmp / "custom" / "summary.json").read_text(encoding="utf-8") == out
    assert (doc["seed"], doc["replications"], doc["horizon"], doc["warmup"]) == (11, 2, 20, 0)
    assert set(doc["policies"]) == {"backorder", "hybrid"}
    assert doc["baseline"] == next(iter(doc["policies"]))
    assert all(s["n"] == 2 for s in doc["policies"]["backorder"]["kpis"].values() if s["n"])

    resolved = load_scenario(tmp / "custom" / "scenario.yaml")
    assert resolved.demand.rate == 2 and resolved.store.initial_stock == 3
    assert resolved.segments[1].accept_backorder == 1
    assert set(resolved.policies) == {"backorder", "hybrid"}
    assert all(p.demand.rate == 2 and p.store.initial_stock == 3 for p in resolved.policies.values())

    # The overrides mean exactly what editing the file means: same numbers, byte for byte.
    edited = mutate("  rate: 4", "  rate: 2")
    edited = mutate("  initial_stock: 15", "  initial_stock: 3", edited)
    edited = mutate("    accept_backorder: 0.3", "    accept_backorder: 1", edited)
    (tmp / "edited.yaml").write_text(edited, encoding="utf-8")
    same, _ = run_json(tmp, "edited.yaml", *args, *picks, "--out", "edited", "--workers", "1")
    assert same == out


def test_a_policy_alone_gives_the_same_numbers(scenario: Path) -> None:
    """Each policy's replications do not depend on which other policies run (common random numbers)."""
    tmp = scenario.parent
    _, full = run_json(tmp, "tiny.yaml", "--workers", "1", "--out", "all")
    _, alone = run_json(tmp, "tiny.yaml", "--workers", "1", "--out", "alone", "--policy", "out_of_stock")
    assert list(alone["policies"]) == ["out_of_stock"]
    assert alone["baseline"] == "out_of_stock"
    assert alone["policies"]["out_of_stock"]["vs_baseline"] == {}
    assert alone["policies"]["out_of_stock"]["kpis"] == full["policies"]["out_of_stock"]["kpis"]


def test_unknown_policy_exits_2(scenario: Path) -> None:
    proc = cli(scenario.parent, "run", "tiny.yaml", "--policy", "nope", "--quiet")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "'nope'" in proc.stderr and "backorder, out_of_stock, hybrid" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (scenario.parent / "results").exists()


def test_unknown_format_exits_2(scenario: Path) -> None:
    proc = cli(scenario.parent, "run", "tiny.yaml", "--format", "xml")
    assert proc.returncode == 2
    assert "--format" in proc.stderr and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- validate, schema


def test_validate_reports_every_bad_file(scenario: Path) -> None:
    bad = scenario.parent / "bad.yaml"
    bad.write_text(mutate("  rate: 4", "  rate: -4"), encoding="utf-8")
    proc = cli(scenario.parent, "validate", "tiny.yaml", "bad.yaml")
    assert proc.returncode == 2
    assert proc.stdout.startswith("ok: tiny.yaml")
    assert f"error: bad.yaml:{line_of(BASE, '  rate: 4')}:" in proc.stderr
    assert "demand.rate" in proc.stderr and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- invalid input


def _case(case_id: str, text: str, snippet: str | None, *needles: str, args: tuple[str, ...] = ()) -> Any:
    """A malformed scenario; ``snippet`` marks the line the message must point at."""
    line = line_of(text, snippet) if snippet is not None else None
    return pytest.param(text, line, needles, args, id=case_id)


POLICY_HORIZON = mutate("    store: {stockout: lost_sales}", "    store: {stockout: lost_sales}\n    horizon: 10")
POLICY_BODY = mutate("  out_of_stock:\n    store: {stockout: lost_sales}", "  out_of_stock: lost_sales")

INVALID = [
    _case("yaml-syntax", mutate("horizon: 30", "horizon: 30: 4"), "horizon: 30: 4", "not valid YAML"),
    _case(
        "duplicate-key",
        mutate("seed: 5", "seed: 5\nreplications: 4"),
        "replications: 4",
        "'replications'",
        "appears twice",
        f"first at line {line_of(BASE, 'replications: 3')}",
    ),
    _case(
        "unknown-key",
        mutate("  lead_time: {", "  lead_tme: {"),
        "lead_tme",
        "supplier.lead_tme",
        "did you mean 'lead_time'",
    ),
    _case(
        "unknown-key-in-distribution",
        mutate("exponential, mean: 1}", "exponential, mea: 1}"),
        "mea: 1",
        "segments[1].patience",
        "mea",
        "did you mean 'mean'",
    ),
    _case(
        "missing-required-key",
        mutate("demand:\n  rate: 4\n  quantity: {dist: choice, values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}\n", ""),
        "name: tiny",
        "demand",
        "missing",
    ),
    _case(
        "missing-nested-key",
        mutate("  lead_time: {dist: uniform, low: 1, high: 4}\n", ""),
        "supplier:",
        "supplier.lead_time",
        "missing",
    ),
    _case(
        "negative-mean",
        mutate("exponential, mean: 1}", "exponential, mean: -1}"),
        "mean: -1",
        "segments[1].patience.mean",
        "-1",
    ),
    _case(
        "uniform-low-above-high",
        mutate("low: 1, high: 4", "low: 5, high: 4"),
        "low: 5, high: 4",
        "supplier.lead_time",
        "low",
    ),
    _case("shares-do-not-sum-to-1", mutate("    share: 0.4", "    share: 0.3"), None, "segments", "sum to 1", "0.9"),
    _case(
        "order-up-to-not-above-reorder-point",
        mutate("  order_up_to: 20", "  order_up_to: 8"),
        "policy: sS",
        "replenishment",
        "order_up_to (8)",
        "reorder_point (8)",
    ),
    _case(
        "unknown-dist",
        mutate("{dist: uniform, low: 1", "{dist: uniformm, low: 1"),
        "uniformm",
        "supplier.lead_time",
        "uniformm",
        "'uniform'",
    ),
    _case(
        "unknown-stockout",
        mutate("  stockout: backorder", "  stockout: backorders"),
        "backorders",
        "store.stockout",
        "'backorders'",
        "did you mean 'backorder'",
    ),
    _case(
        "probability-above-1",
        mutate("accept_backorder: 0.9", "accept_backorder: 1.5"),
        "accept_backorder: 1.5",
        "segments[0].accept_backorder",
        "1.5",
    ),
    _case("policy-overrides-horizon", POLICY_HORIZON, "horizon: 10", "policies.out_of_stock", "horizon", "top level"),
    _case("policy-body-not-a-mapping", POLICY_BODY, "out_of_stock: lost_sales", "policies.out_of_stock", "mapping"),
    _case(
        "bad-value-in-policy",
        mutate("{stockout: lost_sales}", "{stockout: lost_sale}"),
        "lost_sale}",
        "policies.out_of_stock.store.stockout",
        "did you mean 'lost_sales'",
    ),
    _case(
        "bad-distribution-in-policy",
        mutate("{stockout: lost_sales}", "{stockout: lost_sales}\n    supplier: {lead_time: {high: 0.5}}"),
        "high: 0.5",
        "policies.out_of_stock.supplier.lead_time",
        "low",
    ),
    _case(
        "quantity-can-be-zero",
        mutate("{dist: choice, values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}", "{dist: poisson, mean: 2}"),
        "poisson",
        "demand.quantity",
        "shift",
    ),
    _case("wrong-type", mutate("  rate: 4", "  rate: four"), "rate: four", "demand.rate", "'four'"),
    _case("bad-scenario-name", mutate("name: tiny", "name: my scenario"), "name: my", "name", "'my scenario'"),
    _case("empty-file", "", None, "bad.yaml", "empty"),
    _case("comments-only", "# nothing here\n", None, "bad.yaml", "empty"),
    _case("top-level-is-a-list", "- name: tiny\n- horizon: 30\n", "- name: tiny", "mapping", "list"),
    _case("bad-set-syntax", BASE, None, "--set foo", "PATH=VALUE", args=("--set", "foo")),
    _case(
        "bad-set-value",
        BASE,
        None,
        "--set demand.rate",
        "command line",
        "demand.rate",
        "greater than 0",
        args=("--set", "demand.rate=-1"),
    ),
    _case(
        "set-through-a-value",
        BASE,
        None,
        "--set demand.rate.x",
        "demand.rate",
        "not a mapping",
        args=("--set", "demand.rate.x=1"),
    ),
]


@pytest.mark.parametrize(("text", "line", "needles", "args"), INVALID)
def test_invalid_input_gives_one_located_message(
    tmp_path: Path, text: str, line: int | None, needles: tuple[str, ...], args: tuple[str, ...]
) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    proc = cli(tmp_path, "run", "bad.yaml", *args, "--workers", "1", "--quiet")
    assert_one_clear_message(proc)
    if line is not None:
        assert f"bad.yaml:{line}:" in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)
    assert not (tmp_path / "results").exists()


def test_shares_error_points_at_the_base_not_at_a_policy(tmp_path: Path) -> None:
    """The shares are wrong in the base; the message should not blame one policy for it."""
    text = mutate("    share: 0.4", "    share: 0.3")
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    proc = cli(tmp_path, "run", "bad.yaml", "--quiet")
    assert_one_clear_message(proc)
    assert f"bad.yaml:{line_of(BASE, 'segments:')}:" in proc.stderr or (
        f"bad.yaml:{line_of(BASE, '  - name: patient')}:" in proc.stderr
    ), proc.stderr
    assert "in policy" not in proc.stderr, proc.stderr


def test_nonexistent_file(tmp_path: Path) -> None:
    proc = cli(tmp_path, "run", "missing.yaml", "--quiet")
    assert_one_clear_message(proc)
    assert "missing.yaml" in proc.stderr and "no such file" in proc.stderr


def test_validate_gives_the_same_message_as_run(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(mutate("  lead_time: {", "  lead_tme: {"), encoding="utf-8")
    by_run = cli(tmp_path, "run", "bad.yaml", "--quiet")
    by_validate = cli(tmp_path, "validate", "bad.yaml")
    assert by_validate.returncode == 2
    assert by_validate.stderr == by_run.stderr


def test_run_rejects_a_bad_scenario_before_loading_the_simulator(tmp_path: Path) -> None:
    """A bad scenario costs `run` what it costs `validate`: the message comes before NumPy, the
    simulator or the writers are imported (a fresh process, its modules listed at exit)."""
    (tmp_path / "bad.yaml").write_text(mutate("  lead_time: {", "  lead_tme: {"), encoding="utf-8")
    code = (
        "import atexit, sys; heavy = ('numpy', 'supplysim.api', 'supplysim.sim', 'supplysim.outputs');"
        "atexit.register(lambda: print(sorted(m for m in heavy if m in sys.modules)));"
        "sys.argv = ['supplysim', 'run', 'bad.yaml', '--quiet']; from supplysim.cli.app import main; main()"
    )
    res = cli_subprocess(tmp_path, "-c", code, program=(sys.executable,))
    assert res.returncode == 2 and "lead_tme" in res.stderr
    assert res.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("override", "snippet"),
    [
        pytest.param(
            "  slow:\n    supplier: {lead_time: {dist: exponential, mean: 3}}\n",
            "lead_time: {dist: exponential, mean: 3}",
            id="switch-lead-time-kind",
        ),
        pytest.param(
            "  base_stock:\n    replenishment: {policy: base_stock, level: 20}\n",
            "{policy: base_stock, level: 20}",
            id="switch-replenishment-kind",
        ),
    ],
)
def test_a_policy_switching_kind_works_or_says_where(tmp_path: Path, override: str, snippet: str) -> None:
    """A policy that replaces a distribution or a replenishment rule by one of another kind.

    Deep-merging keeps the base's parameters of the old kind (e.g. `low`, `high`, or
    `reorder_point`), which the new kind rejects. Either the switch works, or the one
    message must point at the policy's line, where the user wrote it.
    """
    text = BASE + override
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    proc = cli(tmp_path, "validate", "bad.yaml")
    if proc.returncode == 0:
        return
    assert_one_clear_message(proc)
    assert f"bad.yaml:{line_of(text, snippet)}:" in proc.stderr, proc.stderr


def test_out_never_replaces_a_folder_or_file_supplysim_did_not_write(tmp_path: Path, scenario: Path) -> None:
    """--out must not destroy user data: a non-empty foreign folder or a file is refused (exit 2)."""
    foreign = tmp_path / "mydocs"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("precious")
    proc = cli(tmp_path, "run", str(scenario), "--out", str(foreign), "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert "did not write" in proc.stderr and "Traceback" not in proc.stderr
    assert (foreign / "notes.txt").read_text() == "precious"
    a_file = tmp_path / "victim.yaml"
    a_file.write_text("keep me")
    proc = cli(tmp_path, "run", str(scenario), "--out", str(a_file), "--quiet")
    assert proc.returncode == 2 and "is a file" in proc.stderr
    assert a_file.read_text() == "keep me"
    # a folder supplysim wrote is replaced as a whole
    out = tmp_path / "mine"
    ok(cli(tmp_path, "run", str(scenario), "--out", str(out), "--quiet", "--no-report"))
    (out / "stale.txt").write_text("old")
    ok(cli(tmp_path, "run", str(scenario), "--out", str(out), "--quiet", "--no-report"))
    assert not (out / "stale.txt").exists()


# --------------------------------------------------------------------------- smoke tests (subprocess)
# One per command, as a user runs it; check, sweep and optimize have theirs in their own files.


def test_run_prints_the_table_and_writes_the_results_folder(scenario: Path) -> None:
    """Smoke test of ``run``: the table, and the results folder with the report."""
    tmp = scenario.parent
    proc = ok(cli_subprocess(tmp, "run", "tiny.yaml", "--workers", "1"))
    for name in [*POLICIES, "fill_rate", "profit"]:
        assert name in proc.stdout
    folder = tmp / "results" / "tiny"
    assert {p.name for p in folder.iterdir()} == RESULT_FILES
    assert "results/tiny" in proc.stdout

    with (folder / "summary.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == SUMMARY_COLUMNS
    assert [(r["policy"], r["kpi"]) for r in rows] == [(p, k) for p in POLICIES for k in KPIS]
    assert all(r["diff_vs_baseline"] == "" for r in rows if r["policy"] == "backorder")
    assert all(r["diff_vs_baseline"] != "" for r in rows if r["policy"] != "backorder" and r["kpi"] == "customers")

    with (folder / "replications.csv").open(newline="") as f:
        reps = list(csv.DictReader(f))
    assert list(reps[0]) == ["policy", "replication", *KPIS]
    assert [(r["policy"], int(r["replication"])) for r in reps] == [(p, i) for p in POLICIES for i in range(3)]

    # the resolved scenario is a complete, valid scenario equal to the one we wrote
    resolved = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert resolved["seed"] == 5 and list(resolved["policies"]) == POLICIES
    assert load_scenario(folder / "scenario.yaml") == load_scenario(scenario)


def test_validate_accepts_a_good_scenario(scenario: Path) -> None:
    """Smoke test of ``validate``."""
    proc = ok(cli_subprocess(scenario.parent, "validate", "tiny.yaml"))
    assert proc.stdout.startswith("ok: tiny.yaml")
    assert proc.stderr == ""


def test_schema_is_json_schema_of_the_scenario(tmp_path: Path) -> None:
    """Smoke test of ``schema``: the JSON Schema of the scenario format."""
    proc = ok(cli_subprocess(tmp_path, "schema"))
    doc = json.loads(proc.stdout)
    assert isinstance(doc["properties"], dict)
    for key in ("demand", "supplier", "replenishment", "segments", "store", "policies", "horizon"):
        assert key in doc["properties"], key
    assert {"name", "horizon", "demand", "replenishment"} <= set(doc["required"])
    assert "policies" not in doc["required"]


def test_console_script_lists_every_command(tmp_path: Path) -> None:
    """Smoke test of the installed ``supplysim`` script (``main``); ``python -m supplysim`` is the
    entry point of every other smoke test."""
    by_script = ok(cli_subprocess(tmp_path, "--help", program=SCRIPT))
    here = ok(cli(tmp_path, "--help"))
    for res in (by_script, here):
        for command in COMMANDS:
            assert f" {command} " in res.stdout, (command, res.stdout)
    # without a command: the usage on stderr and exit code 2, like any usage error
    bare = cli(tmp_path)
    assert bare.returncode == 2 and "Usage:" in bare.stderr and "Traceback" not in bare.stderr


def test_version_is_the_installed_distributions(tmp_path: Path) -> None:
    from importlib.metadata import version

    res = cli(tmp_path, "--version")
    assert res.returncode == 0 and res.stdout == f"supplysim {version('supplysim')}\n"


def test_the_license_file_is_the_one_the_metadata_names() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[1]
    declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"]["text"]
    assert (root / "LICENSE").read_text(encoding="utf-8").splitlines()[0] == f"{declared} License"


def test_the_workflow_runs_the_suite_lint_and_types() -> None:
    """The GitHub workflow runs `make test`, which holds the suite, ruff, mypy and the import contracts."""
    root = Path(__file__).resolve().parents[1]
    workflow = yaml.safe_load((root / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8"))
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(run.startswith("make test") for run in steps)
    recipe = (root / "Makefile").read_text(encoding="utf-8").split("\ntest:", 1)[1].split("\n\n", 1)[0]
    for tool in ("pytest", "ruff check", "ruff format --check", "mypy", "lint-imports"):
        assert tool in recipe, tool


@pytest.mark.parametrize("command", ["run", "sweep", "optimize", "compare", "check", "catalog", "backtest"])
def test_every_command_bounds_its_workers_alike(tmp_path: Path, command: str) -> None:
    """The shared option declarations (cli/common.py): every command refuses the same --workers."""
    res = cli(tmp_path, command, "x.yaml", "--workers", "1025")
    assert res.returncode == 2 and "--workers" in res.stderr and "1024" in res.stderr, res.stderr


def test_piped_output_keeps_each_sentence_on_one_line(scenario: Path) -> None:
    """Read by a program (not a terminal), the verdict's sentences are never wrapped, however long:
    every line of words after the tables ends a sentence."""
    res = ok(cli(scenario.parent, "run", scenario.name, "--replications", "3", "--quiet", "--no-report"))
    words = res.stdout[res.stdout.rindex("━") :].splitlines()[1:]  # after the last table
    words = [line for line in words if line.strip() and not line.startswith(" ")]
    long = [line for line in words if line.startswith("The run has a warm-up of")]
    assert long and len(long[0]) > 200  # a sentence longer than the 200 columns of a pipe's console
    for line in words:  # each line is a whole sentence: none is the wrapped tail of another
        assert line.endswith((".", "/")) or line.startswith("note:"), line


def test_the_catalog_bar_shows_the_check_then_the_products(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bar with a first stage shows that stage alone (the share of the table checked, in whole
    percents rounded down) until the products are first counted; then the stage is gone and the
    count reads "M/N products". The products' bar is never drawn before that."""
    import io

    from rich.console import Console

    from supplysim.cli import common

    screen = io.StringIO()
    monkeypatch.setattr(common, "err", lambda: Console(file=screen, force_terminal=True, width=120))
    meter = common.Bar(True, "catalog shop", unit="products", first="checking t.csv")
    with meter as bar:
        assert bar is not None
        check = meter.checking()
        assert check is not None and meter.progress is not None
        check(0.42)
        shown = [t for t in meter.progress.tasks if t.visible]
        assert [(t.description, t.completed, t.fields["count"]) for t in shown] == [("checking t.csv", 0.42, "42%")]
        check(0.996)
        assert [t.fields["count"] for t in meter.progress.tasks if t.visible] == ["99%"]
        before = screen.getvalue()
        bar(3, 1200)
        shown = [t for t in meter.progress.tasks if t.visible]
        assert [(t.description, t.fields["count"]) for t in shown] == [("catalog shop", "3/1,200 products")]
        assert len(meter.progress.tasks) == 1
        check(1.0)  # late: changes nothing
        bar(1200, 1200)
    text = screen.getvalue()
    assert "checking t.csv" in before and "42%" in before and "catalog shop" not in before
    assert "3/1,200 products" in text
    assert common.Bar(False, "x", unit="products", first="y").checking() is None
    plain = common.Bar(True, "plain")
    with plain as update:  # without a first stage there is none
        assert update is not None and plain.checking() is None


def test_a_handled_interrupt_exits_130_under_python_m(tmp_path: Path) -> None:
    """Ctrl-C landing in code that ``exec`` runs from a string (a dataclass being made while a
    module is imported) and then handled by the command exits 130, not by SIGINT: CPython would
    otherwise end a ``python -m`` process with the signal on its way out."""
    import os
    import subprocess

    (tmp_path / "interrupted_here").mkdir()
    (tmp_path / "interrupted_here" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "interrupted_here" / "__main__.py").write_text(
        "import importlib\n"
        "cli = importlib.import_module('supplysim.cli.app')\n"
        "def app(standalone_mode: bool) -> None:\n"
        "    exec('raise KeyboardInterrupt')  # as if Ctrl-C came while an import made a dataclass\n"
        "cli.app = app\n"
        "cli.main()\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "interrupted_here"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert done.stderr == "interrupted\n"
