"""The adversarial corpus: generated bad command lines for every command, and malformed baselines.

Command lines (:func:`cli_cases`): every option of every command with bad values of its kind
(negative, zero, huge, a 5,000-digit integer, not a number, NaN, infinity, empty, the wrong
word), unknown and misspelled options, conflicting options, scenario arguments and ``--out``
folders that are missing, folders, FIFOs, devices, files or unwritable. Each runs in this
process (typer's ``CliRunner``, on the tiny scenario, one worker) and must exit with the
expected code (2 for bad input; 0 for the few valid controls), print no traceback or internal
exception text, name the option (or the path) in its message, and write nothing in the working
folder except ``results/`` (no lock file, temporary or ``.old-`` folder left).

Baselines (:func:`baseline_cases`): a valid ``summary.json`` mutated at every statistic of a
policy (mean, sd, ci95_half_width, n ← NaN, ±Infinity, 1e400, −1, 10**400, a text, a boolean,
a list, a mapping), at every top-level key (wrong types, unknown keys, another scenario's
name), and as a file (not JSON, empty, 200 levels deep, a FIFO, a folder, a device, 10,000
policies). Each must be refused by :func:`read_baseline` with a message naming the file and
the key; a sample also goes through ``supplysim check`` (exit 2, never a pass).

Each command line is run on the click command built once (:func:`fast_cli`, the same run as
:func:`clirun.cli` at a tenth of the cost). A fast sample (every 12th case) runs with the
suite; the whole corpus is marked ``slow``.
``python tests/test_hardening_corpus.py`` prints the counts.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from clirun import ENV, CliResult, cli
from scenario_texts import TINY

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = 12
"""The fast run takes every SAMPLE-th case of each corpus."""

INTERNAL = (
    "Traceback",
    "NoneType",
    "object has no attribute",
    "unexpected keyword",
    "KeyError",
    "TypeError",
    "ValueError",
    "RecursionError",
    "OverflowError",
    "ZeroDivisionError",
    "AssertionError",
)
"""Text that only an escaped exception prints."""

HUGE = "9" * 5000
"""An integer of 5,000 digits (more than Python converts from text by default)."""

BENCH = TINY.replace("name: tiny", "name: bm-tiny").replace("replications: 3", "replications: 2")


# --------------------------------------------------------------------------- values of each kind

INT_BAD = ["-1", "abc", "", "1.5", "1e3", "nan", "9" * 30, HUGE, "0x10", " ", "1,000", "--", "inf", "-9" * 3]
"""Bad values of every whole-number option with a lower bound of 1 or 2 (``0`` is added where it is below)."""

FLOAT_BAD = ["abc", "", "nan", "inf", "-inf", "1e400", "-1", "--", "1,5", "NaN", " "]
"""Bad values of every option that takes a positive real number."""

CHOICE_BAD = ["xml", "", "TABLE", "json,table", "--", "local dask"]
NAME_BAD = ["nonexistent", "", "proft", "a" * 5000, "x\ny", "--", "profit\x00"]

SET_BAD = [
    "novalue",
    "=3",
    "nosuch.key=1",
    "replenishment.reorder_point=abc",
    "",
    "demand.rate=1e400",
    "demand.rate=-1",
    "demand.rate=.nan",
    "demand.rate=true",
    f"store.initial_stock={'9' * 30}",
    "policies.nope.store.initial_stock=1",
    "demand.rate=[",
    "a" * 5000 + "=1",
    "demand.rate={a: *x}",
    "supplier.servers=100000000",
    "supplier.lead_time.mean=1e300",
    "name=a/../b",
    "horizon=.inf",
]
"""Bad ``--set`` overrides: syntax, unknown keys, bad values, magnitudes, aliases."""

PARAM_BAD = [
    "x",
    "replenishment.reorder_point=10:0",
    "replenishment.reorder_point=0:1e12:1",
    "=1:2",
    "replenishment.reorder_point=",
    "nosuch.key=1:3",
    "replenishment.reorder_point=a:b",
    "replenishment.reorder_point=1:2:0",
    "replenishment.reorder_point=1:2:-1",
    "replenishment.reorder_point=1:2:3:4",
    "replenishment.reorder_point=nan:5",
    "replenishment.reorder_point=0:inf",
    "replenishment.reorder_point=1e400,2",
]
OVER_BAD = [
    "x",
    "replenishment.reorder_point=10:0",
    f"replenishment.reorder_point=0:{'9' * 20}",
    "replenishment.reorder_point=0:10**9",
    "=1:2",
    "nosuch.key=1:3",
    "replenishment.reorder_point=1.5:3",
    "replenishment.reorder_point=1:2:0",
    "replenishment.reorder_point=0:2000000000",
    f"replenishment.reorder_point=0:{HUGE}",
    "replenishment.reorder_point=",
    "replenishment.reorder_point=5:1000000000000:1",
    "replenishment.order_up_to=1:3000000000:1000000",
]
SUBJECT_BAD = [
    "fill_rate>>0.9",
    "nosuch>=1",
    "fill_rate>=95",
    "",
    "fill_rate>=abc",
    "fill_rate>=nan",
    "fill_rate>=inf",
    ">=1",
    "fill_rate",
    "fill_rate>=1e400",
]

SCENARIO_BAD = {
    "missing.yaml": "missing.yaml",
    "adir": "adir",
    "fifo": "fifo",
    "/dev/zero": "/dev/zero",
    "empty.yaml": "empty.yaml",
    "junk.yaml": "junk.yaml",
    "list.yaml": "list.yaml",
    "deep.yaml": "deep.yaml",
}
"""Scenario arguments that are no scenario → what the message must name."""

OUT_BAD = {
    "afile": "afile",
    "foreign": "foreign",
    "afile/sub": "afile",
    "/proc/supplysim-nowhere/out": "/proc/supplysim-nowhere",
    "": "",
    "/": "root",
    "a" * 300: "a" * 50,
    "bad\x00name": "--out",
    "deep/" * 900 + "x": "deep/deep",
}
"""``--out`` folders that supplysim must not (or cannot) write → what the message must name."""

UNKNOWN = ["--foo", "--replication", "-x", "--quiett", "--set"]


@dataclass(frozen=True)
class Case:
    """One command line, the exit codes it may end with and the texts its message must contain."""

    args: tuple[str, ...]
    codes: frozenset[int] = frozenset({2})
    names: tuple[str, ...] = ()
    group: str = ""

    @property
    def id(self) -> str:
        shown = " ".join(a if len(a) <= 40 else a[:20] + "…" for a in self.args)
        return shown.replace("\n", "\\n").replace("\x00", "\\0")


@dataclass
class Command:
    """What the corpus knows of one command: its fixed arguments and its options by kind."""

    name: str
    head: tuple[str, ...]
    ints: dict[str, int] = field(default_factory=dict)
    """whole-number options → their lowest valid value"""
    floats: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    sets: bool = True
    out: bool = True
    scenario_first: bool = True


RUN_TAIL = ("--workers", "1", "--quiet", "--no-report")
SEARCH = ("--over", "replenishment.reorder_point=6:10:2", "--maximize", "profit")

COMMANDS = [
    Command(
        "run",
        ("run", "tiny.yaml", *RUN_TAIL),
        ints={"--replications": 1, "--seed": 0, "--workers": 1, "--max-replications": 2},
        floats=["--horizon", "--warmup", "--precision"],
        choices=["--format", "--executor"],
        names=["--policy", "--kpi"],
    ),
    Command(
        "sweep",
        ("sweep", "tiny.yaml", "--param", "replenishment.reorder_point=6:10:2", "--workers", "1", "--quiet"),
        ints={"--replications": 1, "--workers": 1},
        choices=["--executor"],
        names=["--policy", "--kpi"],
    ),
    Command(
        "optimize",
        ("optimize", "tiny.yaml", *SEARCH, "--workers", "1", "--quiet", "--no-report"),
        ints={"--screen-replications": 2, "--select-replications": 2, "--finalists": 1, "--workers": 1},
        choices=["--executor"],
        names=["--policy", "--maximize"],
    ),
    Command(
        "compare",
        ("compare", "tiny.yaml", *SEARCH, "--workers", "1", "--quiet", "--no-report"),
        ints={
            "--screen-replications": 2,
            "--select-replications": 2,
            "--finalists": 1,
            "--confirm-replications": 2,
            "--workers": 1,
        },
        choices=["--executor", "--format"],
        names=["--policy", "--maximize"],
    ),
    Command(
        "check",
        ("check", "bench", "--baseline", "bl", "--workers", "1", "--quiet", "--json", "results/check.json"),
        ints={"--workers": 1},
        floats=["--rtol", "--alpha"],
        choices=["--fail-on"],
        names=["--kpi"],
        out=False,
    ),
    Command("validate", ("validate", "tiny.yaml"), out=False),
]


def _with(head: tuple[str, ...], option: str, value: str) -> tuple[str, ...]:
    """``head`` with ``option value`` (replacing the head's own value of ``option``, if any)."""
    args = list(head)
    if option in args:
        i = args.index(option)
        del args[i : i + 2]
    return (*args, option, value)


def _swap_scenario(head: tuple[str, ...], scenario: str) -> tuple[str, ...]:
    return (head[0], scenario, *head[2:])


def cli_cases() -> list[Case]:
    """Every command line of the corpus."""
    cases: list[Case] = []
    for c in COMMANDS:
        for option, low in c.ints.items():
            bad = [*INT_BAD, *(str(v) for v in range(low - 2, low) if v < low)]
            if option.endswith("replications") or option == "--finalists":
                bad += ["100001", "1000000000", str(10**18)]
            cases += [Case(_with(c.head, option, v), names=(option,), group=f"{c.name} int") for v in bad]
            cases += [Case((*c.head, f"{option}={v}"), names=(option,), group=f"{c.name} int=") for v in bad]
        for option in c.floats:
            bad = [*FLOAT_BAD, *(["0"] if option in ("--horizon", "--precision") else [])]
            bad += ["1e-9"] if option == "--precision" else []
            bad += ["1.5", "2"] if option == "--alpha" else []
            cases += [Case(_with(c.head, option, v), names=(option,), group=f"{c.name} float") for v in bad]
            cases += [Case((*c.head, f"{option}={v}"), names=(option,), group=f"{c.name} float=") for v in bad]
        for option in c.choices:
            cases += [Case(_with(c.head, option, v), names=(option,), group=f"{c.name} choice") for v in CHOICE_BAD]
            cases += [Case((*c.head, f"{option}={v}"), names=(option,), group=f"{c.name} choice=") for v in CHOICE_BAD]
        for option in c.names:
            cases += [Case(_with(c.head, option, v), names=(option,), group=f"{c.name} name") for v in NAME_BAD]
        if c.sets:
            cases += [Case((*c.head, "--set", v), names=("--set",), group=f"{c.name} --set") for v in SET_BAD]
        if c.out:
            cases += [
                Case((*c.head, "--out", v), codes=frozenset({1, 2}), names=(n,), group=f"{c.name} --out")
                for v, n in OUT_BAD.items()
            ]
        if c.scenario_first:
            cases += [
                Case(_swap_scenario(c.head, v), names=(n,), group=f"{c.name} scenario") for v, n in SCENARIO_BAD.items()
            ]
        cases += [
            Case((*c.head, u), names=(u.rstrip("t") if u == "--quiett" else u,), group=f"{c.name} unknown")
            for u in UNKNOWN
        ]
        if c.name in ("run", "sweep", "optimize", "compare"):
            cases += [
                Case((*c.head, "--address", "tcp://127.0.0.1:1"), names=("--address",), group=f"{c.name} conflict"),
                Case(_with(c.head, "--workers", "0"), names=("--workers",), group=f"{c.name} int"),
            ]
    sweep = COMMANDS[1].head
    cases += [
        Case(
            _with(sweep, "--param", v),
            names=(v.split("=")[0] if "nosuch" in v or "1e400" in v else "--param",),
            group="sweep --param",
        )
        for v in PARAM_BAD
    ]
    cases += [
        Case(
            (
                *_with(sweep, "--param", "replenishment.reorder_point=0:1000:1"),
                "--param",
                "store.initial_stock=0:1000:1",
            ),
            names=("sweep",),
            group="sweep grid",
        )
    ]
    for name, head in (("optimize", COMMANDS[2].head), ("compare", COMMANDS[3].head)):
        cases += [
            Case(
                _with(head, "--over", v),
                names=("replenishment" if "order_up_to" in v else "--over",),
                group=f"{name} --over",
            )
            for v in OVER_BAD
        ]
        cases += [
            Case((*head, "--subject-to", v), names=("--subject-to",), group=f"{name} --subject-to") for v in SUBJECT_BAD
        ]
        cases += [
            Case((*head, "--minimize", "holding_cost"), names=("--maximize",), group=f"{name} conflict"),
            Case(
                tuple(a for a in head if a not in ("--maximize", "profit")),
                names=("--maximize",),
                group=f"{name} conflict",
            ),
            Case((*head, "--over", "replenishment.reorder_point=1:3"), names=("--over",), group=f"{name} conflict"),
            Case(
                (
                    *head,
                    *(
                        x
                        for k in ("reorder_point", "order_up_to")
                        for x in ("--over", f"replenishment.{k}=0:100000:10")
                    ),
                ),
                names=("--over",),
                group=f"{name} grid",
            ),
        ]
    check = COMMANDS[4].head
    cases += [
        Case(_with(check, "--baseline", "nowhere"), names=("nowhere",), group="check --baseline"),
        Case(_with(check, "--baseline", "afile"), names=("afile",), group="check --baseline"),
        Case(_with(check, "--baseline", "fifo"), names=("fifo",), group="check --baseline"),
        Case(("check", "nowhere", "--quiet"), names=("nowhere",), group="check scenario"),
        Case(("check", "adir", "--quiet"), names=("adir",), group="check scenario"),
        Case(("check", "fifo", "--quiet"), names=("fifo",), group="check scenario"),
    ]
    cases += [Case(("validate", v), names=(n,), group="validate scenario") for v, n in SCENARIO_BAD.items()]
    cases += [
        Case((cmd, "--help"), codes=frozenset({0}), group="valid") for cmd in [c.name for c in COMMANDS] + ["schema"]
    ]
    cases += [
        Case(("validate", "tiny.yaml"), codes=frozenset({0}), group="valid"),
        Case(("schema",), codes=frozenset({0}), group="valid"),
        Case(("--version",), codes=frozenset({0}), group="valid"),
        Case(("nosuchcommand",), names=("nosuchcommand",), group="unknown command"),
        Case(("schema", "--foo"), names=("--foo",), group="schema unknown"),
        Case(("schema", "extra"), names=("extra",), group="schema unknown"),
    ]
    return cases


# --------------------------------------------------------------------------- the working folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the tiny scenario, a benchmark and its baseline, and the bad paths of the corpus."""
    ws = tmp_path_factory.mktemp("corpus")
    (ws / "tiny.yaml").write_text(TINY, encoding="utf-8")
    (ws / "bench").mkdir()
    (ws / "bench" / "tiny.yaml").write_text(BENCH, encoding="utf-8")
    (ws / "adir").mkdir()
    os.mkfifo(ws / "fifo")
    (ws / "afile").write_text("not a folder\n", encoding="utf-8")
    (ws / "foreign").mkdir()
    (ws / "foreign" / "notes.txt").write_text("someone's notes\n", encoding="utf-8")
    (ws / "empty.yaml").write_text("", encoding="utf-8")
    (ws / "junk.yaml").write_bytes(bytes(range(256)) * 4)
    (ws / "list.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    (ws / "deep.yaml").write_text("a: " + "[" * 200 + "]" * 200 + "\n", encoding="utf-8")
    res = cli(ws, "check", "bench", "--baseline", "bl", "--update", "--workers", "1", "--quiet")
    assert res.returncode == 0, res.stderr
    return ws


@functools.cache
def _command() -> Any:
    """The click command of the app, built once (typer's runner rebuilds it at every call: 25 ms)."""
    import typer.main

    from supplysim.cli import app

    return typer.main.get_command(app)


def fast_cli(cwd: Path, *args: str) -> CliResult:
    """:func:`clirun.cli` on the command built once: the same run, a tenth of the cost."""
    from click.testing import CliRunner

    with contextlib.chdir(cwd):
        result = CliRunner().invoke(_command(), list(args), env=ENV, catch_exceptions=True, prog_name="supplysim")
    stderr = result.stderr
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        stderr += "".join(traceback.format_exception(exc))
    return CliResult(result.exit_code, result.stdout, stderr)


def _entries(ws: Path) -> set[str]:
    return {p.name for p in ws.iterdir()} | {f"results/{p.name}" for p in (ws / "results").glob("*")}


def check_case(ws: Path, case: Case) -> None:
    before = _entries(ws)
    res = fast_cli(ws, *case.args)
    text = res.stderr + res.stdout
    assert res.returncode in case.codes, (case.args, res.returncode, text[-2000:])
    for bad in INTERNAL:
        assert bad not in text, (case.args, text[-2000:])
    if res.returncode != 0:
        assert len(res.stderr) < 5000, res.stderr[:500]
        for name in case.names:
            assert name.lower() in res.stderr.lower(), (case.args, res.stderr)
    left = {e for e in _entries(ws) - before if not e.startswith("results")}
    hidden = {e for e in _entries(ws) if e.startswith(("results/.", ".")) and (".old-" in e or e.endswith(".lock"))}
    assert not left and not hidden, (case.args, left, hidden)


CLI_CASES = cli_cases()


@pytest.mark.parametrize("case", CLI_CASES[::SAMPLE], ids=lambda c: c.id)
def test_command_line_sample(workspace: Path, case: Case) -> None:
    check_case(workspace, case)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for k, c in enumerate(CLI_CASES) if k % SAMPLE], ids=lambda c: c.id)
def test_command_line_corpus(workspace: Path, case: Case) -> None:
    check_case(workspace, case)


# --------------------------------------------------------------------------- baselines

BAD_NUMBERS: dict[str, str] = {
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "1e400": "1e400",
    "-1": "-1",
    "10**400": "1" + "0" * 400,
    "text": '"12"',
    "true": "true",
    "list": "[1]",
    "mapping": '{"v": 1}',
}
"""JSON texts a statistic must not be (``-1`` is fine for a mean; 1.5 not for n)."""


@dataclass(frozen=True)
class BadBaseline:
    """A malformed baseline: its text (or a special file), and the key its message must name."""

    name: str
    text: str | None
    key: str
    special: str = ""


def _valid_baseline() -> dict[str, Any]:
    return json.loads((ROOT / "results/baselines/bm-ss-single-server/summary.json").read_text(encoding="utf-8"))


def _dumps_with(doc: dict[str, Any], path: tuple[str, ...], raw: str) -> str:
    """``doc`` as JSON with the value at ``path`` replaced by the JSON text ``raw``."""
    marker = "__supplysim_corpus__"
    node = doc
    for k in path[:-1]:
        node = node[k]
    had, saved = path[-1] in node, node.get(path[-1])
    node[path[-1]] = marker
    try:
        return json.dumps(doc).replace(f'"{marker}"', raw)
    finally:
        if had:
            node[path[-1]] = saved
        else:
            del node[path[-1]]


def baseline_cases() -> list[BadBaseline]:
    doc = _valid_baseline()
    out: list[BadBaseline] = []
    policy = next(iter(doc["policies"]))
    for kpi in doc["policies"][policy]["kpis"]:
        for stat in ("mean", "sd", "ci95_half_width", "n"):
            for label, raw in BAD_NUMBERS.items():
                if stat == "mean" and label == "-1":  # a negative mean is a mean
                    continue
                key = f"policies.{policy}.kpis.{kpi}.{stat}"
                out.append(
                    BadBaseline(f"{key}={label}", _dumps_with(doc, ("policies", policy, "kpis", kpi, stat), raw), key)
                )
        key = f"policies.{policy}.kpis.{kpi}.n"
        out.append(BadBaseline(f"{key}=1.5", _dumps_with(doc, ("policies", policy, "kpis", kpi, "n"), "1.5"), key))
    settings = {
        "supplysim_version": ["1", "null", "[]", '""'],
        "scenario": ['"bm-network"', "1", "null", '""'],
        "scenario_sha256": ['"abc"', "1", '"' + "z" * 64 + '"'],
        "seed": ["-1", "1.5", '"1"', "true", "1" + "0" * 400, "NaN"],
        "replications": ["0", "-3", "1.5", "100001", "Infinity", '"30"'],
        "horizon": ["0", "-1", "NaN", "Infinity", '"1000"', "1e400"],
        "warmup": ["-1", "NaN", "Infinity", "[]"],
        "baseline": ['"nobody"', "1", "null"],
        "policies": ["{}", "[]", "null", "1", '{"p": 1}', '{"p": {"kpis": 1}}', '{"p": {"kpis": {"profit": 1}}}'],
        "provenance": ["1", "[]"],
    }
    for key, raws in settings.items():
        for raw in raws:
            out.append(BadBaseline(f"{key}={raw[:20]}", _dumps_with(doc, (key,), raw), key.split(".")[0]))
    for unknown in ("polices", "extra", "Scenario"):
        out.append(BadBaseline(f"unknown {unknown}", _dumps_with(doc, (unknown,), "1"), unknown))
    out += [
        BadBaseline("not JSON", "{policies: }", "summary.json"),
        BadBaseline("empty", "", "summary.json"),
        BadBaseline("a list", "[]", "summary.json"),
        BadBaseline("deep", '{"policies": ' + "[" * 200 + "]" * 200 + "}", "nested"),
        BadBaseline("very deep", '{"policies": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested"),
        BadBaseline(
            "10,000 policies", json.dumps({"policies": {f"p{i}": {"kpis": {}} for i in range(10_000)}}), "policies"
        ),
        BadBaseline(
            "vs_baseline NaN",
            _dumps_with(doc, ("policies", policy, "vs_baseline"), '{"profit": {"diff": NaN}}'),
            "vs_baseline",
        ),
        BadBaseline("a FIFO", None, "named pipe", special="fifo"),
        BadBaseline("a folder", None, "folder", special="dir"),
        BadBaseline("/dev/zero", None, "device", special="zero"),
    ]
    return out


def _place(folder: Path, case: BadBaseline) -> Path:
    path = folder / "summary.json"
    if case.special == "fifo":
        os.mkfifo(path)
    elif case.special == "dir":
        path.mkdir()
    elif case.special == "zero":
        path.symlink_to("/dev/zero")
    else:
        assert case.text is not None
        path.write_text(case.text, encoding="utf-8")
    return path


BASELINE_CASES = baseline_cases()


def check_baseline(folder: Path, case: BadBaseline) -> str | None:
    """None when ``case`` is refused as it must be; else what went wrong."""
    from supplysim.outputs.baselines import BaselineError, read_baseline

    folder.mkdir()
    path = _place(folder, case)
    try:
        read_baseline(path, "bm-ss-single-server")
    except BaselineError as err:
        msg = str(err)
        ok = msg.startswith(str(path)) and case.key.lower() in msg.lower() and len(msg) < 600 and msg.count("\n") <= 3
        return None if ok else f"{case.name}: {msg}"
    return f"{case.name}: accepted"


CHUNK = 40
"""Baseline cases per test (each is a millisecond: one test each would cost more than the case)."""


def _chunks(cases: list[BadBaseline]) -> list[list[BadBaseline]]:
    return [cases[k : k + CHUNK] for k in range(0, len(cases), CHUNK)]


def test_baseline_sample(tmp_path: Path) -> None:
    failures = [check_baseline(tmp_path / str(k), c) for k, c in enumerate(BASELINE_CASES[::SAMPLE])]
    assert not [f for f in failures if f], failures


@pytest.mark.slow
@pytest.mark.parametrize("cases", _chunks(BASELINE_CASES), ids=lambda cs: f"{cs[0].name}…")
def test_baseline_corpus(tmp_path: Path, cases: list[BadBaseline]) -> None:
    failures = [check_baseline(tmp_path / str(k), c) for k, c in enumerate(cases)]
    assert not [f for f in failures if f], [f for f in failures if f]


def test_the_committed_baselines_read() -> None:
    """The reader is strict, not wrong: every committed baseline passes it."""
    from supplysim.outputs.baselines import read_baseline

    for path in sorted((ROOT / "results/baselines").glob("*/summary.json")):
        assert read_baseline(path, path.parent.name)["policies"]


@pytest.mark.parametrize("case", BASELINE_CASES[1::40], ids=lambda c: c.name)
def test_check_with_a_malformed_baseline_is_exit_2(workspace: Path, tmp_path: Path, case: BadBaseline) -> None:
    """Through the command: exit 2 with the file and the key, and never a pass."""
    folder = tmp_path / "bl" / "bm-tiny"
    folder.mkdir(parents=True)
    doc = json.loads((workspace / "bl" / "bm-tiny" / "summary.json").read_text(encoding="utf-8"))
    text = case.text
    if text is not None:  # the mutation, made on the tiny benchmark's own baseline
        text = text.replace('"bm-ss-single-server"', '"bm-tiny"')
    path = _place(folder, BadBaseline(case.name, text, case.key, case.special))
    assert doc["scenario"] == "bm-tiny"
    res = cli(
        workspace, "check", "bench", "--baseline", str(tmp_path / "bl"), "--quiet", "--json", str(tmp_path / "c.json")
    )
    assert res.returncode == 2, (case.name, res.stdout, res.stderr)
    assert str(path) in res.stdout + res.stderr
    assert "Traceback" not in res.stderr


def counts() -> dict[str, int]:
    groups: dict[str, int] = {}
    for c in CLI_CASES:
        cmd = c.group.split()[0]
        groups[cmd] = groups.get(cmd, 0) + 1
    return {"command lines": len(CLI_CASES), **groups, "baselines": len(BASELINE_CASES)}


def _iter_counts() -> Iterator[str]:
    for k, v in counts().items():
        yield f"{k}: {v}"


if __name__ == "__main__":
    sys.stdout.write("\n".join(_iter_counts()) + "\n")
