"""Run the code blocks of the documentation and compare what they print with the page.

Every fenced block of ``README.md`` and ``docs/*.md`` is one of:

* **executed** – ``python`` blocks run in-process, the blocks of one page in order in
  one namespace (a notebook: the value of a cell's last expression is printed, as
  Jupyter shows it); ``sh`` / ``console`` blocks whose commands are ``supplysim …``
  (or ``.venv/bin/supplysim …``), ``echo $?`` or ``cat FILE`` run in-process through
  typer's ``CliRunner`` (``--help`` wrapped at :data:`HELP_WIDTH`; in a ``console``
  block, a command that exits non-zero must be followed by ``$ echo $?`` showing
  it); ``yaml`` blocks are parsed and validated, a whole scenario
  with :func:`supplysim.scenario.load.parse_scenario`, a partial snippet merged into
  a tiny base scenario first;
* **an output** – a block right after an executed block (only blank lines between),
  the lines after a ``$ command`` in a ``console`` block, or a block announced by
  ``<!-- output of: COMMAND -->``: compared with what the command printed;
* **marked** – an HTML comment right before the fence says what to do with it
  (below); ``<!-- not executed: REASON -->`` skips it, with the reason.

A block that is none of these is an error: nothing is skipped silently.

Directives (one HTML comment per line, directly above the fence):

``<!-- not executed: REASON -->``
    the block is not run (a Dask scheduler, ``make``, ``pip`` …); REASON is required.
``<!-- output of: COMMAND -->``
    the block is what COMMAND prints. Commands joined by `` && `` must succeed, by
    `` ; `` may fail; the output of the last one is compared.
``<!-- exit code: N -->``
    the command of an ``output of:`` block exits with N (default 0).
``<!-- file: PATH -->``
    the block is the content of the file PATH, written for the commands that follow.
``<!-- given: NAME -->``
    prepare the named situation first (see :data:`SETUPS`).
``<!-- yaml: one snippet per line[, under KEY] -->``
    a ``yaml`` block listing alternatives: each line is validated on its own,
    nested under KEY when given.

Comparisons. Lines are compared without trailing spaces. A line that is only ``…``
stands for any number of lines (an excerpt: the lines around it must appear in
that order, each run of lines contiguous); ``…`` inside a line stands for any text.
A ``json`` output is compared as data: a number matches when it agrees to the
decimals shown, ``"…"`` (or a bare ``…``) matches any value, a ``"...": {}`` /
``"…": …`` entry lets an object have more keys, and a list holding ``…`` needs
only the elements shown, in order. An ``xml`` output is compared with the file
indented by two spaces. For output on both streams, the page may show standard
error before or after standard output (a terminal interleaves them).

Where the page does not show what a command prints (or what a cell and every
later cell of the page print), it runs on a shortened copy of the scenarios
(:data:`FAST`: 2 replications, a horizon of at most 30, no warm-up, benchmark
baselines rewritten to match; commands also get :data:`FAST_OPTIONS`): only its
exit code or exception counts, and the examples stay cheap. Everything the page
shows comes from the scenarios as committed. Every page runs in a temporary copy
of ``scenarios/`` and ``results/baselines/``, so nothing in the working tree
changes.

Usage: ``python tools/docblocks.py [--update] [--times] [PAGE ...]`` runs the pages
(default: all) and reports every difference; ``--update`` rewrites the outputs that
differ with what the commands print now (an excerpt keeps its ``…`` and takes the
most similar lines; a ``json`` block is left alone) – this is how
``docs/example-notebook.md`` gets its outputs. Review the diff before committing.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import glob
import io
import json
import os
import re
import resource
import shlex
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
"""The repository."""

ELLIPSIS = "…"

FAST = {"replications": 2, "horizon": 30.0, "warmup": 0.0}
"""How the shortened copy of the scenarios differs from the committed ones (horizon: at most)."""

FAST_OPTIONS = {
    "run": ["--no-report"],
    "sweep": ["--no-plots"],
    "optimize": ["--screen-replications", "2", "--select-replications", "3"],
}
"""Options added to a command run on the shortened copy (its output is not shown, only
its exit code counts); ``run --precision`` also gets ``--max-replications 4``."""

HELP_WIDTH = 78
"""Width of ``--help`` texts: what click uses in a terminal of 80 columns or more."""

RUNNABLE = {"python", "sh", "bash", "console", "yaml"}
"""Info strings of blocks that are executed (or parsed)."""

_FENCE = re.compile(r"^(\s*)(`{3,})([^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*([a-z ]+?)\s*:\s*(.*?)\s*-->\s*$")
_KNOWN = {"not executed", "output of", "exit code", "file", "given", "yaml"}


def pages() -> list[Path]:
    """The documentation pages: the README, then ``docs/*.md``."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


# ---------------------------------------------------------------------------- blocks


@dataclass
class Block:
    """One fenced block of a page."""

    page: str
    line: int
    """1-based line of the opening fence."""
    info: str
    text: str
    """The content, without the block's indentation."""
    indent: str
    start: int
    """0-based index of the first content line in the page."""
    stop: int
    """0-based index of the closing fence."""
    directives: dict[str, str] = field(default_factory=dict)
    adjacent: bool = False
    """Only blank lines separate it from the previous block."""

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def _display_name(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, with the directives written above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = _display_name(path)
    out: list[Block] = []
    i = 0
    last_stop = -10
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3).strip()
        j = i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence)
            and lines[j].strip().strip("`") == ""
            and len(lines[j].strip()) >= len(fence)
        ):
            j += 1
        body = [ln[len(indent) :] if ln.startswith(indent) else ln.lstrip() for ln in lines[i + 1 : j]]
        directives: dict[str, str] = {}
        k = i - 1
        while k >= 0 and (d := _DIRECTIVE.match(lines[k])):
            directives.setdefault(d.group(1), d.group(2))
            k -= 1
        adjacent = all(not ln.strip() for ln in lines[last_stop + 1 : i]) and not directives
        out.append(Block(name, i + 1, info, "\n".join(body), indent, i + 1, j, directives, adjacent))
        last_stop = j
        i = j + 1
    return out


# ---------------------------------------------------------------------------- comparing


def _lines(text: str) -> list[str]:
    rows = [ln.rstrip() for ln in text.splitlines()]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _line_matches(expected: str, actual: str) -> bool:
    if expected == actual:
        return True
    if ELLIPSIS not in expected:
        return False
    pattern = ".*".join(re.escape(part) for part in expected.split(ELLIPSIS))
    return re.fullmatch(pattern, actual) is not None


def is_excerpt(text: str) -> bool:
    """Whether a shown output leaves lines out (a line that is only ``…``)."""
    return any(ln.strip() == ELLIPSIS for ln in text.splitlines())


def match_text(expected: str, actual: str) -> bool:
    """Whether ``actual`` is what ``expected`` shows (exactly, or as an excerpt)."""
    exp, act = _lines(expected), _lines(actual)
    if not any(ln.strip() == ELLIPSIS for ln in exp):
        return len(exp) == len(act) and all(_line_matches(e, a) for e, a in zip(exp, act, strict=True))
    segments: list[list[str]] = [[]]
    for ln in exp:
        if ln.strip() == ELLIPSIS:
            segments.append([])
        else:
            segments[-1].append(ln)
    anchored_start = exp[0].strip() != ELLIPSIS
    anchored_end = exp[-1].strip() != ELLIPSIS

    def at(seg: list[str], pos: int) -> bool:
        return pos + len(seg) <= len(act) and all(_line_matches(e, a) for e, a in zip(seg, act[pos:], strict=False))

    pos = 0
    for n, seg in enumerate(segments):
        if not seg:
            continue
        if n == len(segments) - 1 and anchored_end:
            start = len(act) - len(seg)
            return start >= pos and at(seg, start)
        if n == 0 and anchored_start:
            if not at(seg, 0):
                return False
            pos = len(seg)
            continue
        found = next((p for p in range(pos, len(act) - len(seg) + 1) if at(seg, p)), None)
        if found is None:
            return False
        pos = found + len(seg)
    return True


class _Shown(str):
    """A number as the page shows it (its text keeps the decimals shown)."""


def _shown_json(text: str) -> Any:
    # A bare … (outside strings) stands for "anything": make it a string first.
    quoted = re.sub(r'("(?:[^"\\]|\\.)*")|…', lambda m: m.group(1) or '"…"', text)
    return json.loads(quoted, parse_float=_Shown, parse_int=_Shown)


def _json_mismatch(exp: Any, act: Any, path: str = "$") -> str | None:
    """Where the shown JSON ``exp`` and the actual ``act`` differ (None: they agree)."""
    if exp == ELLIPSIS:
        return None
    if isinstance(exp, _Shown):
        if isinstance(act, bool) or not isinstance(act, int | float):
            return f"{path}: the page shows {exp}, the output has {act!r}"
        shown = str(exp)
        if "." not in shown or "e" in shown.lower():
            ok = float(shown) == act
        else:
            decimals = len(shown.split(".", 1)[1])
            ok = abs(float(shown) - act) <= 0.5 * 10.0**-decimals * (1 + 1e-9)
        return None if ok else f"{path}: the page shows {exp}, the output has {act!r}"
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            return f"{path}: the page shows an object, the output has {act!r}"
        open_ = any(k in ("...", ELLIPSIS) for k in exp)
        keys = [k for k in exp if k not in ("...", ELLIPSIS)]
        missing = [k for k in keys if k not in act]
        if missing:
            return f"{path}: the output has no key {missing[0]!r}"
        extra = [k for k in act if k not in exp]
        if extra and not open_:
            return f'{path}: the output has keys the page does not show: {extra[:5]} (add `"…": …`?)'
        for k in keys:
            found = _json_mismatch(exp[k], act[k], f"{path}.{k}")
            if found:
                return found
        return None
    if isinstance(exp, list):
        if not isinstance(act, list):
            return f"{path}: the page shows a list, the output has {act!r}"
        if ELLIPSIS not in exp:
            if len(exp) != len(act):
                return f"{path}: the page shows {len(exp)} items, the output has {len(act)}"
            for n, (e, a) in enumerate(zip(exp, act, strict=True)):
                found = _json_mismatch(e, a, f"{path}[{n}]")
                if found:
                    return found
            return None
        pos = 0
        for e in (x for x in exp if x != ELLIPSIS):
            while pos < len(act) and _json_mismatch(e, act[pos]) is not None:
                pos += 1
            if pos == len(act):
                return f"{path}: no item (in order) matches {json.dumps(e, ensure_ascii=False)[:200]}"
            pos += 1
        return None
    return None if exp == act else f"{path}: the page shows {exp!r}, the output has {act!r}"


def json_mismatch(expected: str, actual: str) -> str | None:
    """Why the JSON document ``actual`` is not what ``expected`` shows (see the module docstring)."""
    try:
        shown = _shown_json(expected)
    except json.JSONDecodeError as exc:
        return f"the page's JSON does not parse: {exc}"
    try:
        return _json_mismatch(shown, json.loads(actual))
    except json.JSONDecodeError as exc:
        return f"the output is not JSON: {exc}"


def _indented_xml(text: str) -> str:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return text
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode")


def matches(kind: str, expected: str, actual: str) -> bool:
    """Compare a shown output with an actual one, by the block's info string."""
    if kind == "json":
        return json_mismatch(expected, actual) is None
    if kind == "xml":
        return match_text(expected, _indented_xml(actual))
    return match_text(expected, actual)


def refresh_excerpt(expected: str, actual: str) -> str:
    """An excerpt with its lines taken afresh from ``actual``: each shown line is replaced by
    the most similar actual line after the previous one, among those that start with the
    same word; a line whose first word no longer starts any line is dropped (``…`` lines
    are kept)."""
    act = _lines(actual)
    out: list[str] = []
    pos = 0
    for line in _lines(expected):
        if line.strip() == ELLIPSIS:
            out.append(line)
            continue
        if pos >= len(act):
            break
        key = line.split()[0] if line.split() else ""
        rest = range(pos, len(act))
        same = [k for k in rest if act[k].split()[:1] == [key]] if key else []
        if key[:1].isalnum() and not same:
            continue  # a line of a kind the output no longer has
        pool = same or list(rest)
        best = max(pool, key=lambda k: difflib.SequenceMatcher(None, line, act[k]).ratio())
        out.append(act[best])
        pos = best + 1
    return "\n".join(out)


def diff(expected: str, actual: str, limit: int = 60) -> str:
    lines = list(difflib.unified_diff(_lines(expected), _lines(actual), "page", "actual", lineterm="", n=1))
    more = f"\n… ({len(lines) - limit} more diff lines)" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


# ---------------------------------------------------------------------------- running


@dataclass
class Outcome:
    """What a command or a cell printed."""

    stdout: str
    stderr: str = ""
    code: int = 0

    def variants(self) -> list[str]:
        """What a terminal may show: standard error before or after standard output."""
        if not self.stderr:
            return [self.stdout]
        if not self.stdout:
            return [self.stderr]
        return [self.stderr + self.stdout, self.stdout + self.stderr]


class DocError(Exception):
    """A block that fails: its command fails, or its output differs from the page."""


def _copy_tree(target: Path) -> None:
    shutil.copytree(ROOT / "scenarios", target / "scenarios")
    shutil.copytree(ROOT / "results" / "baselines", target / "results" / "baselines")


def _shorten(target: Path) -> None:
    """Shorten every scenario under ``target/scenarios`` (:data:`FAST`) and rewrite the baselines."""
    for path in sorted((target / "scenarios").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["replications"] = FAST["replications"]
        data["horizon"] = min(float(data["horizon"]), FAST["horizon"])
        data["warmup"] = FAST["warmup"]
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with contextlib.chdir(target):
        out = run_supplysim(["check", "scenarios/benchmarks/", "--update", "--workers", "1", "--json", "check.json"])
    if out.code != 0:
        raise DocError(f"could not rewrite the shortened baselines:\n{out.stdout}{out.stderr}")


_SHORTENED: list[tempfile.TemporaryDirectory[str]] = []


def _shortened() -> Path:
    """The shortened copy of the inputs, made once per process (pages copy it)."""
    if not _SHORTENED:
        _SHORTENED.append(tempfile.TemporaryDirectory(prefix="supplysim-docs-fast-"))
        root = Path(_SHORTENED[0].name)
        _copy_tree(root)
        _shorten(root)
    return Path(_SHORTENED[0].name)


def run_supplysim(args: list[str]) -> Outcome:
    """``supplysim ARGS`` in-process, through typer's test runner.

    Help is wrapped as in a terminal (click: 78 columns in any terminal of 80 or more).
    """
    from typer.testing import CliRunner

    from supplysim.cli import app

    class Runner(CliRunner):
        def get_default_prog_name(self, cli: Any) -> str:
            return "supplysim"

    result = Runner().invoke(app, args, terminal_width=HELP_WIDTH)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
        raise DocError(f"supplysim {shlex.join(args)} raised:\n{trace}")
    return Outcome(result.stdout, result.stderr, result.exit_code)


def _broken_baseline(cwd: Path) -> None:
    """``bl/``: a copy of the baselines where one file holds a merge conflict (line 3)."""
    shutil.copytree(cwd / "results" / "baselines", cwd / "bl")
    path = cwd / "bl" / "bm-ss-single-server" / "summary.json"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "<<<<<<< HEAD\n")
    path.write_text("".join(lines), encoding="utf-8")


def _lead_time_raised(cwd: Path) -> None:
    """The mean lead time of ``bm-stockout-policies`` raised from 5 to 5.5 days."""
    path = cwd / "scenarios" / "benchmarks" / "stockout_policies.yaml"
    text = path.read_text(encoding="utf-8")
    new = re.sub(r"(lead_time: \{dist: gamma, mean: )5(,)", r"\g<1>5.5\2", text)
    if new == text:
        raise DocError(f"{path.name}: the lead time to raise was not found")
    path.write_text(new, encoding="utf-8")


def _my_yaml(cwd: Path) -> None:
    """``my.yaml``: your own scenario (here a copy of the flagship one)."""
    shutil.copy(cwd / "scenarios" / "backorder_vs_out_of_stock.yaml", cwd / "my.yaml")


SETUPS: dict[str, Callable[[Path], None]] = {
    "broken-baseline": _broken_baseline,
    "lead-time-raised": _lead_time_raised,
    "my.yaml": _my_yaml,
}
"""Named situations a page can ask for with ``<!-- given: NAME -->``."""


_SNIPPET_BASE: dict[str, Any] = {
    "name": "snippet",
    "horizon": 30,
    "demand": {"rate": 1},
    "replenishment": {"policy": "base_stock", "level": 5},
}
_ONE_SUPPLIER = {"supplier": {"lead_time": 5}}
_TWO_SUPPLIERS = {"suppliers": [{"name": "overseas", "lead_time": 28}, {"name": "local", "lead_time": 5}]}


def validate_yaml(text: str, where: str) -> None:
    """Validate a whole scenario (every required key), or a snippet merged into a tiny base
    scenario (two suppliers, ``overseas`` and ``local``, when it has a sourcing rule but
    no suppliers of its own)."""
    from supplysim.scenario.load import ScenarioError, parse_scenario
    from supplysim.scenario.merge import deep_merge

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DocError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DocError(f"{where}: a yaml block that is not a mapping: mark it `<!-- not executed: … -->`")
    try:
        if {"name", "horizon", "demand", "replenishment"} <= set(data) and ({"supplier", "suppliers"} & set(data)):
            parse_scenario(text, f"<{where}>")  # a whole scenario, as written
            return
        base = dict(_SNIPPET_BASE)
        if "supplier" not in data and "suppliers" not in data:
            base |= _TWO_SUPPLIERS if "sourcing" in data else _ONE_SUPPLIER
        merged = deep_merge(base, data)
        parse_scenario(yaml.safe_dump(merged, sort_keys=False, allow_unicode=True), f"<{where}>")
    except ScenarioError as exc:
        raise DocError(f"{where}: invalid scenario snippet:\n{exc}") from None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _shows_output(blocks: list[Block], n: int) -> bool:
    """Whether block ``n`` is followed by its output (the next block, only blank lines between)."""
    return n + 1 < len(blocks) and blocks[n + 1].adjacent and blocks[n + 1].info not in RUNNABLE


def _commands(text: str) -> Iterator[str]:
    """The commands of an ``sh`` block: comment lines dropped, ``\\`` continuations joined."""
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


@dataclass
class Report:
    """What happened to each block of a page."""

    page: str
    executed: list[str] = field(default_factory=list)
    compared: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    updates: dict[int, str] = field(default_factory=dict)
    """Block start line (0-based) → new content, for ``--update``."""
    seconds: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Block → (wall-clock, CPU) seconds spent on it, worker processes included."""


class PageRun:
    """Run one page's blocks in order, in temporary copies of the repository's inputs."""

    def __init__(self, page: Path, tmp: Path) -> None:
        self.page = page
        self.tmp = tmp
        self.exact = tmp / "exact"
        self.exact.mkdir()
        _copy_tree(self.exact)
        self._fast: Path | None = None
        self.files: dict[str, str] = {}
        """Files written by ``file:`` blocks so far (also put into the shortened copy)."""
        self.namespace: dict[str, Any] = {"__name__": "__docs__"}
        self.last_code = 0

    @property
    def fast(self) -> Path:
        if self._fast is None:
            self._fast = self.tmp / "fast"
            shutil.copytree(_shortened(), self._fast)
            for name, text in self.files.items():
                _write(self._fast / name, text)
        return self._fast

    # -- one command

    def command(self, line: str, cwd: Path) -> Outcome:
        try:
            argv = shlex.split(line, comments=True)
        except ValueError as exc:
            raise DocError(f"cannot parse the command `{line}`: {exc}") from None
        redirect = None
        if ">" in argv:
            k = argv.index(">")
            argv, redirect = argv[:k], argv[k + 1]
        if not argv:
            raise DocError(f"an empty command: `{line}`")
        prog, args = argv[0], argv[1:]
        if prog == "echo" and args == ["$?"]:
            out = Outcome(f"{self.last_code}\n")
        elif prog == "cat" and len(args) == 1:
            path = cwd / args[0]
            if not path.is_file():
                raise DocError(f"`{line}`: no file {args[0]}")
            out = Outcome(path.read_text(encoding="utf-8"))
        elif prog in ("supplysim", ".venv/bin/supplysim"):
            expanded: list[str] = []
            for arg in args:
                hits = sorted(glob.glob(arg, root_dir=cwd)) if any(c in arg for c in "*?[") else []
                expanded.extend(hits or [arg])
            if cwd == self._fast and expanded:
                expanded += FAST_OPTIONS.get(expanded[0], [])
                if expanded[0] == "run" and "--precision" in expanded:
                    expanded += ["--max-replications", "4"]
            with contextlib.chdir(cwd):
                out = run_supplysim(expanded)
        else:
            raise DocError(
                f"cannot run `{line}` here (only supplysim, `echo $?` and `cat FILE`): "
                "mark the block `<!-- not executed: REASON -->`"
            )
        if redirect is not None:
            (cwd / redirect).write_text(out.stdout, encoding="utf-8")
            out = Outcome("", out.stderr, out.code)
        self.last_code = out.code
        return out

    def commands(self, text: str, cwd: Path) -> Outcome:
        """Run `` && `` / `` ; `` separated commands; the outcome of the last one."""
        parts = re.split(r"\s+(&&|;)\s+", text.strip())
        commands, separators = parts[0::2], parts[1::2]
        out = Outcome("")
        for k, line in enumerate(commands):
            out = self.command(line, cwd)
            if k < len(separators) and separators[k] == "&&" and out.code != 0:
                raise DocError(f"`{line}` exited with {out.code}:\n{out.stdout}{out.stderr}")
        return out

    # -- one python cell

    def cell(self, block: Block, cwd: Path) -> Outcome:
        tree = ast.parse(block.text, filename=block.where)
        tail = tree.body[-1] if tree.body else None
        last = tail if isinstance(tail, ast.Expr) else None
        if last is not None:
            tree.body.pop()
        buf = io.StringIO()
        with contextlib.chdir(cwd), contextlib.redirect_stdout(buf):
            try:
                exec(compile(tree, block.where, "exec"), self.namespace)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), block.where, "eval"), self.namespace)
                    if value is not None:
                        print(repr(value))
            except Exception as exc:
                import traceback

                raise DocError(f"the cell raised:\n{''.join(traceback.format_exception(exc))}") from None
        return Outcome(buf.getvalue())

    # -- the page

    def run(self) -> Report:
        blocks = read_blocks(self.page)
        report = Report(_display_name(self.page))
        consumed: set[int] = set()
        for n, block in enumerate(blocks):
            if n in consumed:
                continue
            wall, cpu = time.perf_counter(), _cpu()
            try:
                self._block(n, block, blocks, consumed, report)
            except DocError as exc:
                report.problems.append(f"{block.where}: {exc}")
            report.seconds[block.where] = (time.perf_counter() - wall, _cpu() - cpu)
        return report

    def _compare(self, expected: Block, outcome: Outcome, report: Report) -> None:
        variants = outcome.variants()
        if any(matches(expected.info, expected.text, v) for v in variants):
            report.compared.append(expected.where)
            return
        best = max(variants, key=lambda v: difflib.SequenceMatcher(None, expected.text, v).ratio())
        if expected.info == "xml":
            best = _indented_xml(best)
        if expected.info != "json":
            report.updates[expected.start] = refresh_excerpt(expected.text, best) if is_excerpt(expected.text) else best
        why = json_mismatch(expected.text, best) if expected.info == "json" else diff(expected.text, best)
        raise DocError(f"the output differs from the page:\n{why}")

    def _block(self, n: int, block: Block, blocks: list[Block], consumed: set[int], report: Report) -> None:
        d = block.directives
        unknown = set(d) - _KNOWN
        if unknown:
            raise DocError(f"unknown directive {sorted(unknown)} (known: {sorted(_KNOWN)})")
        if "not executed" in d:
            if not d["not executed"]:
                raise DocError("`not executed:` needs a reason")
            report.skipped.append(f"{block.where}: {d['not executed']}")
            return
        shown = _shows_output(blocks, n)
        follower = blocks[n + 1] if shown else None
        # A cell's objects live on in the page's namespace: it runs shortened only when no
        # later cell shows an output.
        later_cells_shown = any(
            _shows_output(blocks, k) for k in range(n + 1, len(blocks)) if blocks[k].info == "python"
        )
        runs_fast = (block.info in ("sh", "bash") or (block.info == "python" and not later_cells_shown)) and not shown
        if "given" in d:
            if d["given"] not in SETUPS:
                raise DocError(f"unknown situation `given: {d['given']}` (known: {', '.join(SETUPS)})")
            SETUPS[d["given"]](self.fast if runs_fast else self.exact)
        if "file" in d:
            self.files[d["file"]] = block.text + "\n"
            for root in (self.exact, self._fast):
                if root is not None:
                    _write(root / d["file"], block.text + "\n")
            report.executed.append(block.where)
            return
        if "output of" in d:
            out = self.commands(d["output of"], self.exact)
            want = int(d.get("exit code", "0"))
            if out.code != want:
                raise DocError(f"`{d['output of']}` exited with {out.code}, not {want}:\n{out.stdout}{out.stderr}")
            self._compare(block, out, report)
            return
        if block.info == "python":
            out = self.cell(block, self.fast if runs_fast else self.exact)
            report.executed.append(block.where)
            if shown:
                assert follower is not None
                consumed.add(n + 1)
                self._compare(follower, out, report)
            return
        if block.info in ("sh", "bash"):
            cwd = self.fast if runs_fast else self.exact
            outs = []
            for line in _commands(block.text):
                out = self.command(line, cwd)
                if out.code != 0:
                    raise DocError(f"`{line}` exited with {out.code}:\n{out.stdout}{out.stderr}")
                outs.append(out)
            report.executed.append(block.where)
            if shown:
                assert follower is not None
                consumed.add(n + 1)
                self._compare(
                    follower, Outcome("".join(o.stdout for o in outs), "".join(o.stderr for o in outs)), report
                )
            return
        if block.info == "console":
            self._console(block, report)
            return
        if block.info == "yaml":
            spec = d.get("yaml")
            with contextlib.chdir(self.exact):
                if spec is None:
                    validate_yaml(block.text, block.where)
                else:
                    m = re.fullmatch(r"one snippet per line(?:, under ([\w.]+))?", spec)
                    if not m:
                        raise DocError(f"`yaml: {spec}`: expected `one snippet per line[, under KEY]`")
                    for k, line in enumerate(block.text.splitlines()):
                        if not line.strip() or line.lstrip().startswith("#"):
                            continue
                        try:
                            snippet: Any = yaml.safe_load(line)
                        except yaml.YAMLError as exc:
                            raise DocError(f"line {k + 1}: not valid YAML: {exc}") from None
                        for key in reversed(m.group(1).split(".") if m.group(1) else []):
                            snippet = {key: snippet}
                        validate_yaml(yaml.safe_dump(snippet, allow_unicode=True), f"{block.page}:{block.line + 1 + k}")
            report.executed.append(block.where)
            return
        raise DocError(
            f"a `{block.info or 'plain'}` block that is neither executed nor an output: "
            "mark it `<!-- not executed: REASON -->` or `<!-- output of: COMMAND -->`"
        )

    def _console(self, block: Block, report: Report) -> None:
        """``$ command`` lines, each followed by what it prints."""
        steps: list[tuple[str, list[str]]] = []
        pending = ""
        for line in block.text.splitlines():
            if pending:
                pending += " " + line.strip().rstrip("\\")
                if not line.rstrip().endswith("\\"):
                    steps.append((pending, []))
                    pending = ""
                continue
            if line.startswith("$ "):
                cmd = line[2:]
                if cmd.rstrip().endswith("\\"):
                    pending = cmd.rstrip()[:-1]
                else:
                    steps.append((cmd, []))
            elif steps:
                steps[-1][1].append(line)
            else:
                raise DocError("a console block must start with a `$ command` line")
        rewritten: list[str] = []
        problems: list[str] = []
        for k, (cmd, shown) in enumerate(steps):
            out = self.command(cmd, self.exact)
            nxt = steps[k + 1][0].split() if k + 1 < len(steps) else []
            if out.code != 0 and nxt != ["echo", "$?"]:
                raise DocError(f"`{cmd}` exited with {out.code} (show it with `$ echo $?`):\n{out.stdout}{out.stderr}")
            text = "\n".join(shown)
            rewritten.append(f"$ {cmd}")
            if any(matches("text", text, v) for v in out.variants()):
                rewritten.extend(shown)
                continue
            best = max(out.variants(), key=lambda v: difflib.SequenceMatcher(None, text, v).ratio())
            rewritten.extend(_lines(refresh_excerpt(text, best) if is_excerpt(text) else best))
            problems.append(f"`{cmd}`: the output differs from the page:\n{diff(text, best)}")
        report.executed.append(block.where)
        if problems:
            report.updates[block.start] = "\n".join(rewritten)
            raise DocError("\n".join(problems))
        report.compared.append(block.where)


def _cpu() -> float:
    """CPU seconds of this process and of its finished children."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run_page(page: Path) -> Report:
    """Run every block of ``page`` in a fresh temporary directory."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory(prefix="supplysim-docs-") as tmp:
        return PageRun(page, Path(tmp)).run()


def apply_updates(page: Path, updates: dict[int, str]) -> None:
    """Rewrite output blocks of ``page`` (content start line → new content)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    for block in sorted(read_blocks(page), key=lambda b: -b.start):
        if block.start in updates:
            new = [(block.indent + ln).rstrip() for ln in _lines(updates[block.start])]
            lines[block.start : block.stop] = new
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="pages to run (default: README.md and docs/*.md)")
    parser.add_argument("--update", action="store_true", help="rewrite the outputs that differ (not excerpts)")
    parser.add_argument("--times", action="store_true", help="print the seconds spent on each block")
    opts = parser.parse_args(argv)
    failed = 0
    for page in [p.resolve() for p in opts.pages] or pages():
        report = run_page(page)
        for problem in report.problems:
            print(problem, file=sys.stderr)
        if opts.times:
            for where, (wall, cpu) in report.seconds.items():
                print(f"{where}: {wall:.1f} s wall, {cpu:.1f} s CPU")
        failed += bool(report.problems)
        if opts.update and report.updates:
            apply_updates(page, report.updates)
            print(f"{report.page}: {len(report.updates)} output block(s) rewritten")
        print(
            f"{report.page}: {len(report.executed)} executed, {len(report.compared)} outputs compared, "
            f"{len(report.skipped)} not executed, {len(report.problems)} problems"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
