"""Inputs that are understood and results that are never lost.

* a share written as a percentage gets "write 0.8 for 80%" (scenario keys and ``--subject-to``
  bounds, the latter refused before anything runs);
* a duration written with its unit gets the number to write in the scenario's ``time_unit``;
* a list index out of range, or not a number, is named as such;
* ``--set policies.NAME…`` names an existing policy (did-you-mean), and so do ``--policy``
  and the indicator options of every command;
* the Python API takes a scenario as a mapping and words its messages for Python;
* a failed command leaves the previous results in place, and two runs into one folder
  do not both write it (an advisory lock; tested with two processes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clirun import ENV, assert_one_clear_message, cli, invalid, ok
from scenario_texts import TINY
from supplysim.analysis.kpis import REGISTRY, Unit
from supplysim.experiments.optimize import parse_constraint
from supplysim.outputs.folders import MARKER, FolderBusy, FolderLock, infeasible_folder
from supplysim.scenario import ScenarioError
from supplysim.scenario.hints import UnknownNameError, duration_text, index_problem, percent_hint
from supplysim.scenario.load import load_scenario, parse_mapping, parse_scenario, with_overrides
from supplysim.scenario.overrides import apply_overrides, command_line

FAST = ("--replications", "2", "--set", "horizon=10", "--set", "warmup=0", "--workers", "1", "--quiet")


def validate(cwd: Path, *sets: str) -> str:
    """The one clear message of ``supplysim validate tiny.yaml --set …`` (exit 2)."""
    args = [a for s in sets for a in ("--set", s)]
    res = cli(cwd, "validate", "tiny.yaml", *args)
    assert_one_clear_message(res)
    return res.stderr


# --------------------------------------------------------------------------- percent hints


@pytest.mark.parametrize(
    ("setting", "path", "hint"),
    [
        ("segments.0.accept_backorder=80", "segments[0].accept_backorder", "write 0.8 for 80%"),
        ("segments.1.share=40", "segments[1].share", "write 0.4 for 40%"),
        ("supplier.yield=95", "supplier.yield", "write 0.95 for 95%"),
        ("store.waitlist={join: 30, convert: 0.5}", "store.waitlist.join", "write 0.3 for 30%"),
        ("demand.seasonal={amplitude: 25, period: 365}", "demand.seasonal.amplitude", "write 0.25 for 25%"),
        ("segments.0.accept_backorder=90%", "segments[0].accept_backorder", "write 0.9 for 90%"),
    ],
)
def test_a_share_written_as_a_percentage_gets_the_hint(tiny_file: Path, setting: str, path: str, hint: str) -> None:
    msg = validate(tiny_file.parent, setting)
    assert f"(command line): {path}\n" in msg, msg
    assert f"hint: {path} is a share in [0, 1]: {hint}" in msg, msg


def test_split_shares_written_as_percentages_get_the_hint() -> None:
    text = TINY.replace(
        "supplier:\n  lead_time: {dist: uniform, low: 1, high: 4}\n  unit_cost: 4\n  order_cost: 5\n",
        "suppliers:\n  - {name: a, lead_time: 2}\n  - {name: b, lead_time: 5}\n"
        "sourcing: {rule: split, shares: {a: 70, b: 30}}\n",
    )
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "s.yaml")
    assert "hint: each of sourcing.shares is a share in [0, 1]: write 0.7 for 70%" in str(info.value)


def test_a_share_above_100_or_within_range_gets_no_percent_hint(tiny_file: Path) -> None:
    msg = validate(tiny_file.parent, "segments.0.accept_backorder=150")
    assert "expected: less than or equal to 1" in msg and "%" not in msg, msg
    assert percent_hint("x", 1.0) is None and percent_hint("x", 0.5) is None and percent_hint("x", True) is None


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("setting", "path", "needles"),
    [
        (
            "supplier.lead_time=6 weeks",
            "supplier.lead_time",
            [
                "expected: a number of days (the scenario's time_unit) or a distribution mapping",
                "found:    the text '6 weeks'",
                "hint: write 42, 6 weeks in days",
            ],
        ),
        ("segments.0.patience=3 days", "segments[0].patience", ["hint: write 3; numbers carry no unit"]),
        ("horizon=1 year", "horizon", ["expected: a number of days (the scenario's time_unit)\n", "write 365"]),
        ("store.max_quoted_wait=36 hours", "store.max_quoted_wait", ["write 1.5, 36 hours in days"]),
        ("supplier.lead_time=soon", "supplier.lead_time", ["write a number of days, e.g. 7, or {dist: exponential"]),
    ],
)
def test_a_duration_written_with_a_unit_gets_the_number_in_the_time_unit(
    tiny_file: Path, setting: str, path: str, needles: list[str]
) -> None:
    msg = validate(tiny_file.parent, setting)
    assert f"(command line): {path}\n" in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert "valid dictionary" not in msg and "unable to parse" not in msg, msg


@pytest.mark.parametrize(
    ("setting", "path", "needles"),
    [
        ("demand.quantity=2 units", "demand.quantity", ["a whole number of units", "write 2 (numbers carry no unit)"]),
        ("demand.quantity=many", "demand.quantity", ["a whole number of units", "write a whole number, e.g. 2"]),
        ("supplier.yield=most", "supplier.yield", ["expected: a share in [0, 1] or a distribution mapping"]),
        ("store.waitlist=3 days", "store.waitlist", ["expected: a valid dictionary or instance of Waitlist"]),
        ("supplier.disruptions=3 days", "supplier.disruptions", ["instance of Disruptions"]),
    ],
)
def test_only_durations_get_the_duration_wording(tiny_file: Path, setting: str, path: str, needles: list[str]) -> None:
    msg = validate(tiny_file.parent, setting)
    assert f"(command line): {path}\n" in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert "time_unit" not in msg, msg


def test_durations_are_converted_to_the_scenarios_own_time_unit(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY.replace("horizon: 30", "time_unit: week\nhorizon: 30"), encoding="utf-8")
    msg = validate(tmp_path, "supplier.lead_time=14 days")
    assert "expected: a number of weeks (the scenario's time_unit) or a distribution mapping" in msg, msg
    assert "write 2, 14 days in weeks" in msg, msg
    assert "write 0.5 (about)" not in duration_text("3.5 days", "week", distribution=False).hint
    assert "(about)" in duration_text("1 month", "day", distribution=False).hint
    unknown = duration_text("2 days", "shift", distribution=True)
    assert unknown.expected.startswith("a number of shifts") and "without a unit" in unknown.hint


# --------------------------------------------------------------------------- list indices


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("060", 60),  # YAML 1.1: octal 48
        ("08", 8),  # YAML 1.1: the text '08'
        ("-012", -12),
        ("007.5", 7.5),
        ("1e3", 1000.0),  # YAML 1.1: the text '1e3'
        ("2.5E-4", 0.00025),
        (".5e2", 50.0),
        ("1:30", "1:30"),  # YAML 1.1: the base-60 number 90
        ("1:30:00", "1:30:00"),
        ("'060'", "060"),  # quoted: text, as written
        ('"1e3"', "1e3"),
        ("0", 0),
        ("60", 60),
        ("1_000", 1000),
        ("0x10", 16),
        ("true", True),
    ],
)
def test_numbers_read_as_written_not_as_yaml_1_1(text: str, value: object) -> None:
    """Plain scalars are numbers as a person (and YAML 1.2's core schema) reads them, in files,
    --set and catalog cells alike (one reader)."""
    from supplysim.scenario.yaml_source import read_value

    got = read_value(text, "v")
    assert got == value and type(got) is type(value)
    assert read_yaml_value(f"warmup: {text}\n") == got


@given(
    st.one_of(
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12).map(repr),
        st.from_regex(r"-?[0-9]{1,19}(\.[0-9]{0,19})?", fullmatch=True),
    )
)
def test_a_plain_number_is_read_as_the_yaml_reader_reads_it(text: str) -> None:
    """read_value's shortcut for plain numbers (a catalog reads thousands of cells) gives the value
    and type of the full reader, whatever the digits (leading zeros, long ints, exponents)."""
    from supplysim.scenario.yaml_source import read_value

    got = read_value(text, "v")
    full = read_yaml_value(f"warmup: {text}\n")
    assert got == full and type(got) is type(full), (text, got, full)


def read_yaml_value(text: str) -> object:
    from supplysim.scenario.yaml_source import read_yaml

    data, _ = read_yaml(text, "<test>")
    return data["warmup"]


def test_yaml_merge_keys_bring_in_an_anchored_mapping() -> None:
    """`<<: *name` (YAML's merge key) copies the anchored mapping's keys; the mapping's own keys win."""
    root = Path(__file__).resolve().parents[1] / "scenarios" / "network.yaml"
    text = root.read_text(encoding="utf-8")
    text = text.replace("    suburb:\n", "    suburb: &suburb\n", 1)
    text = text.replace("    village:", "    suburb2:\n      <<: *suburb\n      demand: {rate: 5}\n    village:", 1)
    sc = parse_scenario(text, "<net>")
    net = sc.policies[sc.baseline].network
    assert net is not None and list(net.stores) == ["city", "suburb", "suburb2", "village"]
    twin, suburb = net.store_model("suburb2"), net.store_model("suburb")
    assert twin.demand.rate == 5 and suburb.demand.rate == 3
    assert (
        twin.replenishment == suburb.replenishment
        and net.stores["suburb2"].transit_time == net.stores["suburb"].transit_time
    )
    with pytest.raises(ScenarioError, match="`<<` merges a mapping"):
        parse_scenario(text.replace("<<: *suburb", "<<: 5"), "<net>")


def test_a_warmup_of_060_is_60_days_and_1_30_is_refused(tiny_file: Path) -> None:
    assert "warmup: 5\n" in TINY
    assert parse_scenario(TINY.replace("warmup: 5\n", "warmup: 060\n")).warmup == 60
    msg = validate(tiny_file.parent, "warmup=1:30")
    assert "(command line): warmup\n" in msg and "'1:30'" in msg, msg


def test_a_list_index_out_of_range_says_how_many_entries_there_are(tiny_file: Path) -> None:
    msg = validate(tiny_file.parent, "segments.5.share=0.1")
    assert msg == "error: --set segments.5.share: index 5 out of range: segments has 2 entries (0–1)\n", msg


def test_a_list_index_that_is_not_a_number_is_named(tiny_file: Path) -> None:
    msg = validate(tiny_file.parent, "segments.first.share=0.1")
    assert "segments is a list of 2 entries (0–1): 'first' is not an index" in msg, msg


def test_an_index_into_an_unset_list_asks_for_the_whole_list(tiny_file: Path) -> None:
    msg = validate(tiny_file.parent, "demand.events.0.multiplier=2")
    assert "demand.events is not set, so it has no item 0" in msg and "--set demand.events=[...]" in msg, msg


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    section=st.sampled_from(["segments", "events"]),
    length=st.integers(0, 6),
    index=st.one_of(st.integers(0, 10**6), st.text("abcxyz_", min_size=1, max_size=8)),
    tail=st.sampled_from(["share", "name", "patience.mean"]),
)
def test_every_bad_list_index_gets_the_range_or_the_kind(
    section: str, length: int, index: int | str, tail: str
) -> None:
    data: dict[str, Any] = {section: [{"name": f"n{i}"} for i in range(length)]}
    if isinstance(index, int) and index < length:
        apply_overrides(data, [(f"{section}.{index}.{tail}", 1)])  # within range: set
        return
    with pytest.raises(ScenarioError) as info:
        apply_overrides(data, [(f"{section}.{index}.{tail}", 1, command_line(f"{section}.{index}.{tail}", 1))])
    msg = str(info.value)
    assert msg.startswith(f"--set {section}.{index}.{tail}: "), msg
    assert msg.endswith(index_problem(section, index, length)), msg
    assert f"{section} has {length} entr" in msg or f"{section} is a list of {length} entr" in msg, msg
    if length:
        assert f"(0–{length - 1})" in msg, msg


@settings(max_examples=80, deadline=None)
@given(
    value=st.one_of(
        st.floats(min_value=1.0, max_value=100.0, exclude_min=True), st.integers(min_value=2, max_value=100)
    ),
    key=st.sampled_from(["segments.0.share", "segments.1.accept_backorder", "supplier.yield"]),
)
def test_every_percentage_written_for_a_share_gets_its_fraction(value: float, key: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(TINY, "t.yaml", [(key, value)])
    msg = str(info.value)
    assert f"write {value / 100:g} for {value:g}%" in msg, msg


# --------------------------------------------------------------------------- names


def test_set_under_policies_must_name_an_existing_policy(tiny_file: Path) -> None:
    msg = validate(tiny_file.parent, "policies.hybrd.store.max_quoted_wait=3")
    assert msg.startswith("error: --set policies.hybrd.store.max_quoted_wait: 'hybrd' is not a policy"), msg
    assert "did you mean 'hybrid'?" in msg and "added in the scenario file, under `policies:`" in msg, msg
    # an existing policy is changed as before
    sc = load_scenario(tiny_file, [("policies.hybrid.store.max_quoted_wait", 3)])
    assert list(sc.policies) == ["backorder", "out_of_stock", "hybrid"]
    assert sc.policies["hybrid"].store.max_quoted_wait == 3


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("validate", "tiny.yaml", "--set", "demand.rate=5", "--set", "demand.rate=6"), "--set demand.rate=6: "),
        (("run", "tiny.yaml", "--horizon", "30", "--set", "horizon=40"), "--horizon 30: horizon is already set"),
        (("sweep", "tiny.yaml", "--replications", "3", "--set", "replications=4"), "--replications 3: "),
    ],
)
def test_a_key_set_twice_on_the_command_line_is_refused(tiny_file: Path, args: tuple[str, ...], needle: str) -> None:
    """Which of two values would hold is not left to the order of the options."""
    msg = invalid(cli(tiny_file.parent, *args))
    assert needle in msg and "already set by" in msg and "give each key once" in msg, msg


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ("run", "tiny.yaml", "--policy", "hybird"),
            "--policy 'hybird' is not a policy of this scenario; did you mean 'hybrid'?",
        ),
        (
            ("run", "tiny.yaml", "--kpi", "proft"),
            "--kpi 'proft' is not an indicator of this scenario; did you mean 'profit'?",
        ),
        (
            ("sweep", "tiny.yaml", "--param", "store.max_quoted_wait=1,2", "--policy", "backordr"),
            "--policy 'backordr' is not a policy of this scenario; did you mean 'backorder'?",
        ),
        (
            ("sweep", "tiny.yaml", "--param", "store.max_quoted_wait=1,2", "--kpi", "fillrate"),
            "--kpi 'fillrate' is not an indicator of this scenario; did you mean 'fill_rate'?",
        ),
        (
            ("optimize", "tiny.yaml", "--over", "replenishment.reorder_point=1:3", "--maximize", "proft"),
            "--maximize 'proft' is not an indicator of this scenario; did you mean 'profit'?",
        ),
        (
            ("optimize", "tiny.yaml", "--over", "replenishment.reorder_point=1:3", "--minimize", "holding"),
            "--minimize 'holding' is not an indicator of this scenario",
        ),
        (
            (
                "optimize",
                "tiny.yaml",
                "--over",
                "replenishment.reorder_point=1:3",
                "--maximize",
                "profit",
                "--subject-to",
                "fill_rat>=0.9",
            ),
            "--subject-to 'fill_rat' is not an indicator of this scenario; did you mean 'fill_rate'?",
        ),
        (
            (
                "optimize",
                "tiny.yaml",
                "--over",
                "replenishment.reorder_point=1:3",
                "--maximize",
                "profit",
                "--policy",
                "hybird",
            ),
            "--policy 'hybird' is not a policy of this scenario; did you mean 'hybrid'?",
        ),
    ],
)
def test_policy_and_indicator_names_get_did_you_mean_in_every_command(
    tiny_file: Path, args: tuple[str, ...], needle: str
) -> None:
    res = cli(tiny_file.parent, *args, "--quiet")
    assert_one_clear_message(res)
    assert needle in res.stderr, res.stderr
    assert not (tiny_file.parent / "results").exists()  # refused before anything ran


def test_an_unknown_name_without_a_close_one_lists_the_choices(tiny_file: Path) -> None:
    res = cli(tiny_file.parent, "run", "tiny.yaml", "--policy", "zzz")
    assert "(choices: backorder, out_of_stock, hybrid)" in invalid(res), res.stderr


# --------------------------------------------------------------------------- bounds of optimize


@pytest.mark.parametrize("kpi", [k.name for k in REGISTRY if k.unit is Unit.FRACTION and not k.per_supplier])
def test_a_bound_on_a_share_above_1_is_refused_with_the_percent_hint(kpi: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_constraint(f"{kpi}>=95")
    assert str(info.value) == (
        f"--subject-to {kpi}>=95: {kpi} is a share in [0, 1]: write 0.95 for 95%; a bound of 95 can never be met"
    )
    assert parse_constraint(f"{kpi}>=0.95").bound == 0.95


def test_bounds_outside_0_1_are_refused_only_for_shares() -> None:
    with pytest.raises(ScenarioError, match="can never be met"):
        parse_constraint("lost_rate<=-0.1")
    with pytest.raises(ScenarioError, match="always holds"):
        parse_constraint("lost_rate<=150")
    assert parse_constraint("profit>=95").bound == 95  # money: any number
    assert parse_constraint("mean_wait<=3").bound == 3  # time


def test_optimize_with_a_percentage_bound_exits_2_before_anything_runs(tiny_file: Path) -> None:
    tmp = tiny_file.parent
    args = ("optimize", "tiny.yaml", "--over", "replenishment.reorder_point=1:3", "--maximize", "profit")
    res = cli(tmp, *args, "--subject-to", "fill_rate>=95", "--quiet")
    assert_one_clear_message(res)
    assert "fill_rate is a share in [0, 1]: write 0.95 for 95%" in res.stderr
    assert not (tmp / "results").exists()


# --------------------------------------------------------------------------- the Python API


def test_the_api_takes_a_scenario_as_a_mapping() -> None:
    import supplysim

    data = yaml.safe_load(TINY)
    res = supplysim.run(data, replications=2, workers=1, record=False)
    assert res.policies == ["backorder", "out_of_stock", "hybrid"]
    same = supplysim.run(supplysim.load_scenario(data), replications=2, workers=1, record=False)
    assert res.replications().equals(same.replications())
    sweep = supplysim.run_sweep(data, [("store.max_quoted_wait", [1, 2])], workers=1)
    assert len(sweep.points) == 2
    opt = supplysim.api.optimize(data, [("replenishment.reorder_point", [6, 8])], n1=2, n2=2, finalists=1, workers=1)
    assert opt.chosen is not None


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        (
            {"overrides": [("segments.0.accept_backorder", 80)]},
            ["overrides[0] (segments.0.accept_backorder=80)", "write 0.8"],
        ),
        (
            {"overrides": [("segments.5.share", 0.1)]},
            ["overrides[0]: the key path 'segments.5.share': index 5 out of range"],
        ),
        ({"overrides": [("policies.hybird.store.stockout", "lost_sales")]}, ["did you mean 'hybrid'?"]),
        ({"overrides": [("supplier.lead_time", "6 weeks")]}, ["write 42, 6 weeks in days"]),
        ({"replications": 0}, ["replications=0 (argument of run): replications"]),
        ({"precision": 0.1, "precision_kpis": ["proft"]}, ["precision_kpis: 'proft' is not an indicator", "'profit'"]),
    ],
)
def test_api_messages_are_worded_for_python(change: dict[str, Any], needles: list[str]) -> None:
    import supplysim

    with pytest.raises(ScenarioError) as info:
        supplysim.run(yaml.safe_load(TINY), workers=1, **change)
    msg = str(info.value)
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert "command line" not in msg and "--set" not in msg and "--" not in msg, msg


def test_a_mapping_with_a_mistake_is_named_as_a_mapping() -> None:
    data = yaml.safe_load(TINY)
    data["segments"][0]["accept_backorder"] = 90
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    assert str(info.value).startswith("<scenario mapping>: segments[0].accept_backorder\n"), info.value
    with pytest.raises(ScenarioError, match="a mapping or a Scenario, found int"):
        load_scenario(42)  # type: ignore[arg-type]


def test_an_unknown_indicator_or_policy_in_results_is_a_keyerror_with_did_you_mean() -> None:
    import supplysim

    res = supplysim.run(yaml.safe_load(TINY), replications=2, workers=1, record=False)
    with pytest.raises(KeyError) as info:
        res.compare("proft")
    assert isinstance(info.value, UnknownNameError)
    assert str(info.value) == "'proft' is not an indicator of this scenario; did you mean 'profit'?"
    with pytest.raises(UnknownNameError, match="did you mean 'hybrid'"):
        res.experiment.summary("hybird", "profit")


# --------------------------------------------------------------------------- results never lost


def _fill_folder(folder: Path, note: str) -> None:
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("written by supplysim\n", encoding="utf-8")
    (folder / "optimize.json").write_text(note, encoding="utf-8")


def test_optimize_without_a_feasible_point_keeps_the_earlier_result(tiny_file: Path) -> None:
    tmp = tiny_file.parent
    out = tmp / "results" / "opt"
    _fill_folder(out, '{"earlier": "good"}\n')
    res = cli(
        tmp,
        "optimize",
        "tiny.yaml",
        "--over",
        "replenishment.reorder_point=6:8",
        "--maximize",
        "profit",
        "--subject-to",
        "fill_rate>=1",
        "--subject-to",
        "lost_rate<=0",
        "--screen-replications",
        "2",
        "--select-replications",
        "2",
        "--workers",
        "1",
        "--quiet",
        "--out",
        "results/opt",
    )
    assert res.returncode == 1, res.stderr
    assert (out / "optimize.json").read_text(encoding="utf-8") == '{"earlier": "good"}\n'
    failed = tmp / "results" / "opt-infeasible" / "optimize.json"
    assert json.loads(failed.read_text(encoding="utf-8"))["chosen"] is None
    assert "written to results/opt-infeasible/ (optimize.json" in res.stdout, res.stdout
    assert "results/opt/ is left as it was" in res.stdout, res.stdout
    assert infeasible_folder(Path("results/x")) == Path("results/x-infeasible")


def test_a_run_whose_replication_fails_keeps_the_earlier_results(
    tiny_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supplysim.experiments import runner

    tmp = tiny_file.parent
    ok(cli(tmp, "run", "tiny.yaml", *FAST, "--no-report"))
    before = (tmp / "results" / "tiny" / "summary.json").read_text(encoding="utf-8")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise runner.ReplicationError("boom")

    monkeypatch.setattr(runner, "run_experiment", broken)
    monkeypatch.setattr("supplysim.api.run_experiment", broken)
    res = cli(tmp, "run", "tiny.yaml", *FAST, "--no-report", "--set", "seed=9")
    assert res.returncode == 1 and "a replication failed: boom" in res.stderr, res.stderr
    assert (tmp / "results" / "tiny" / "summary.json").read_text(encoding="utf-8") == before
    assert not list((tmp / "results").glob(".tiny*")), "no lock file or temporary folder is left"


HOLDER = """
import sys, time
from pathlib import Path
from supplysim.outputs.folders import FolderLock
with FolderLock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def held(tiny_file: Path) -> Any:
    """Another process holding the lock of ``results/tiny``; yields it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "results/tiny"],
        cwd=tiny_file.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    if proc.poll() is None:
        proc.communicate("\n", timeout=30)


def test_a_second_run_into_a_folder_being_written_is_refused_at_once(tiny_file: Path, held: Any) -> None:
    tmp = tiny_file.parent
    for command in (
        ("run", "tiny.yaml", *FAST, "--no-report"),
        (
            "sweep",
            "tiny.yaml",
            "--param",
            "store.max_quoted_wait=1,2",
            "--replications",
            "2",
            "--workers",
            "1",
            "--quiet",
            "--no-plots",
            "--out",
            "results/tiny",
        ),
        (
            "optimize",
            "tiny.yaml",
            "--over",
            "replenishment.reorder_point=6:7",
            "--maximize",
            "profit",
            "--screen-replications",
            "2",
            "--select-replications",
            "2",
            "--workers",
            "1",
            "--quiet",
            "--out",
            "results/tiny",
        ),
    ):
        start = time.perf_counter()
        res = cli(tmp, *command)
        assert_one_clear_message(res)
        assert res.stderr.startswith(
            f"error: results/tiny is being written by another supplysim run (pid {held.pid})\n"
        ), res.stderr
        assert "--out DIR" in res.stderr
        assert time.perf_counter() - start < 5  # at once: it does not wait
    assert not (tmp / "results" / "tiny").exists()
    held.communicate("\n", timeout=30)  # the first run ends: the folder is free again
    ok(cli(tmp, "run", "tiny.yaml", *FAST, "--no-report"))
    assert (tmp / "results" / "tiny" / "summary.json").exists()
    assert not (tmp / "results" / ".tiny.lock").exists()


def test_the_python_api_refuses_to_write_a_folder_another_process_is_writing(tiny_file: Path, held: Any) -> None:
    import supplysim

    res = supplysim.run(yaml.safe_load(TINY), replications=2, workers=1, record=False)
    with pytest.raises(FolderBusy, match=f"pid {held.pid}"):
        res.to_folder(tiny_file.parent / "results" / "tiny", plots=False)


def test_two_real_runs_into_one_folder_one_refused_and_one_written(tiny_file: Path) -> None:
    """Two ``supplysim run`` processes: the first holds the folder while it runs, the second
    is refused with exit 2, and the first still writes its results."""
    tmp = tiny_file.parent
    env = {**os.environ, **ENV, "PYTHONWARNINGS": "ignore"}
    slow = ("--replications", "200", "--workers", "1", "--quiet", "--no-report")
    first = subprocess.Popen(
        [sys.executable, "-m", "supplysim", "run", "tiny.yaml", *slow],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = tmp / "results" / ".tiny.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text(encoding="ascii").strip()) and first.poll() is None:
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.05)
    second = subprocess.run(
        [sys.executable, "-m", "supplysim", "run", "tiny.yaml", *FAST, "--no-report"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert "results written to results/tiny/" in out
    assert second.returncode == 2, second.stderr
    assert f"results/tiny is being written by another supplysim run (pid {first.pid})" in second.stderr
    doc = json.loads((tmp / "results" / "tiny" / "summary.json").read_text(encoding="utf-8"))
    assert doc["replications"] == 200  # the first run's results, not lost
    assert not lock.exists()


def test_an_interrupted_run_keeps_the_earlier_results_and_frees_the_folder(tiny_file: Path) -> None:
    tmp = tiny_file.parent
    ok(cli(tmp, "run", "tiny.yaml", *FAST, "--no-report"))
    before = (tmp / "results" / "tiny" / "summary.json").read_text(encoding="utf-8")
    env = {**os.environ, **ENV, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supplysim",
            "run",
            "tiny.yaml",
            "--replications",
            "100000",  # far more than it can run before the interrupt: it is still running then
            "--workers",
            "1",
            "--quiet",
            "--no-report",
        ],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = tmp / "results" / ".tiny.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text(encoding="ascii").strip()) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted: nothing was written" in err
    assert (tmp / "results" / "tiny" / "summary.json").read_text(encoding="utf-8") == before
    with FolderLock(tmp / "results" / "tiny"):  # free again
        pass


def test_an_override_that_changes_the_base_distributions_kind_leaves_a_policys_own_whole() -> None:
    """A policy that sets its own lead time keeps it when an override (a catalog cell, a point of a
    sweep, ``supplysim fit``) changes the base's lead time to another law; before, the policy's
    difference from the base (``value: 9``) leaked into the new law and failed validation."""
    data = {
        "name": "kinds",
        "horizon": 50,
        "demand": {"rate": 2},
        "supplier": {"lead_time": 5},
        "replenishment": {"policy": "rQ", "reorder_point": 5, "order_quantity": 10},
        "policies": {"a": {}, "b": {"supplier": {"lead_time": 9}, "replenishment": {"reorder_point": 7}}},
    }
    scenario = parse_mapping(data)
    changed = with_overrides(
        scenario,
        [
            ("supplier.lead_time", {"dist": "lognormal", "mean": 5, "sd": 2}),
            ("replenishment.order_quantity", 12),
        ],
    )
    a, b = changed.policies["a"], changed.policies["b"]
    assert a.supplier.lead_time.dist == "lognormal"
    assert b.supplier.lead_time.dist == "constant" and b.supplier.lead_time.mean == 9
    # the policy's own reorder point stays, the base's new order quantity reaches it
    assert b.replenishment.reorder_point == 7 and b.replenishment.order_quantity == 12


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (("store:", "store:\n  bogus: 1"), "store.bogus"),
        (("stockout: backorder", "stockout: lost_sales\n  max_quoted_wait: 3"), "store.max_quoted_wait"),
        (("{dist: choice, values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}", "{dist: zipf, a: 2}"), "demand.quantity.dist"),
        (("rate: 4", "rate: -4"), "demand.rate"),
    ],
    ids=["unknown key", "inert key", "unknown law", "bad value"],
)
def test_every_problem_of_a_message_is_also_said_in_a_few_words(change: tuple[str, str], path: str) -> None:
    """``ScenarioError.rules`` has one short account per located problem, in order, each naming
    its key path (what optimize quotes for a grid point that is not a model)."""
    text = TINY.replace(*change, 1)
    assert text != TINY
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "s.yaml")
    err = info.value
    assert len(err.rules) == len(err.paths) >= 1, (err.rules, err.paths)
    assert any(rule.startswith(f"{path}") for rule in err.rules), err.rules
    assert all("\n" not in rule for rule in err.rules)
