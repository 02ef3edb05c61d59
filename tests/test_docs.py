"""The documentation runs as written.

Every fenced block of ``README.md`` and ``docs/*.md`` is executed – Python blocks
in-process, one namespace per page, in order; ``supplysim`` commands in-process
through typer's ``CliRunner``; YAML blocks validated as scenarios – and every
output the page shows is compared with what the command or cell prints now
(exactly, or as an excerpt where a line ``…`` says lines are left out). A block
that cannot run here carries ``<!-- not executed: REASON -->``; any other block
that is neither executed nor an output fails the page. The machinery, its
directives and its speed-up for blocks whose output is not shown (a shortened
copy of the scenarios) are in ``tools/docblocks.py``.

The pages whose examples run full-size experiments (a few thousand replications
of the flagship scenario, the benchmark set) are marked ``slow``.

``docs/model.md`` names, at the end of each section, the modules and symbols that
implement it: :func:`test_model_names_code_that_exists` reads them from the page
and looks each one up in the source.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import docblocks  # noqa: E402

SLOW_PAGES = {"README.md", "docs/check.md", "docs/decision-toolkit.md", "docs/example-notebook.md"}
"""Pages whose shown outputs come from full-size runs (each takes 10 s of CPU or more)."""


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


PAGES = [
    pytest.param(page, id=_name(page), marks=[pytest.mark.slow] if _name(page) in SLOW_PAGES else [])
    for page in docblocks.pages()
]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_as_shown(page: Path) -> None:
    report = docblocks.run_page(page)
    assert not report.problems, "\n\n".join(report.problems)
    accounted = set(report.executed) | set(report.compared) | {s.split(": ", 1)[0] for s in report.skipped}
    every = {block.where for block in docblocks.read_blocks(page)}
    assert every - accounted == set(), f"blocks neither executed, compared nor marked: {sorted(every - accounted)}"


def test_every_page_is_in_the_index() -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("*.md"):
        if page.name != "index.md":
            assert f"]({page.name})" in index, f"docs/index.md does not list {page.name}"
    assert "](docs/index.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- the machinery


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_an_unmarked_block_fails_the_page(tmp_path: Path) -> None:
    report = docblocks.run_page(_page(tmp_path, "Some output:\n\n```\nhello\n```\n"))
    assert len(report.problems) == 1 and "neither executed nor an output" in report.problems[0]


def test_a_marker_needs_a_reason(tmp_path: Path) -> None:
    report = docblocks.run_page(_page(tmp_path, "<!-- not executed: -->\n```sh\nmake run\n```\n"))
    assert report.problems and "needs a reason" in report.problems[0]
    report = docblocks.run_page(_page(tmp_path, "<!-- not executed: make itself -->\n```sh\nmake run\n```\n"))
    assert not report.problems and [s.rsplit("/", 1)[-1] for s in report.skipped] == ["page.md:2: make itself"]


def test_a_wrong_output_fails_and_a_right_one_passes(tmp_path: Path) -> None:
    cell = "```python\nprint(6 * 7)\n{'a': 1}\n```\n\n"
    assert docblocks.run_page(_page(tmp_path, cell + "```\n42\n{'a': 1}\n```\n")).problems == []
    report = docblocks.run_page(_page(tmp_path, cell + "```\n41\n{'a': 1}\n```\n"))
    assert len(report.problems) == 1 and "-41" in report.problems[0] and "+42" in report.problems[0]


def test_a_command_and_its_exit_code(tmp_path: Path) -> None:
    good = "```console\n$ supplysim validate nowhere.yaml\n…\n$ echo $?\n2\n```\n"
    assert docblocks.run_page(_page(tmp_path, good)).problems == []
    unshown = "```console\n$ supplysim validate nowhere.yaml\n…\n```\n"
    assert "exited with 2" in docblocks.run_page(_page(tmp_path, unshown)).problems[0]


def test_yaml_snippets_are_validated(tmp_path: Path) -> None:
    ok = "```yaml\nstore: {stockout: lost_sales}\n```\n"
    assert docblocks.run_page(_page(tmp_path, ok)).problems == []
    typo = "```yaml\nstore: {stockuot: lost_sales}\n```\n"
    assert "unknown key 'stockuot'" in docblocks.run_page(_page(tmp_path, typo)).problems[0]
    lines = "<!-- yaml: one snippet per line, under supplier -->\n```yaml\nlead_time: 7\nlead_time: {dist: nope}\n```\n"
    assert "page.md:4" in docblocks.run_page(_page(tmp_path, lines)).problems[0]


@pytest.mark.parametrize(
    ("shown", "actual", "expected"),
    [
        ("a\nb\nc", "a\nb\nc\n", True),
        ("a\nb", "a\nb\nc", False),  # an exact block must show every line
        ("a\n…\nc", "a\nb\nb\nc", True),
        ("a\n…\nc", "a\nb\nc\nd", False),  # not an excerpt at the end: anchored
        ("…\nb\nc\n…", "a\nb\nc\nd", True),
        ("…\nc\nb\n…", "a\nb\nc\nd", False),  # in order
        ("x,…,z", "x,1,2,z", True),
        ("x,…,z", "x,1,2,y", False),
    ],
)
def test_excerpts(shown: str, actual: str, expected: bool) -> None:
    assert docblocks.match_text(shown, actual) is expected


@pytest.mark.parametrize(
    ("shown", "actual", "expected"),
    [
        ('{"a": 0.884, "b": "…"}', '{"a": 0.88437, "b": "x"}', True),
        ('{"a": 0.885}', '{"a": 0.88437}', False),  # shown to 3 decimals: 0.884
        ('{"a": 1}', '{"a": 1, "b": 2}', False),  # a key the page does not show
        ('{"a": 1, "...": {}}', '{"a": 1, "b": 2}', True),
        ('{"l": […, {"k": 2}, …]}', '{"l": [{"k": 1}, {"k": 2}, {"k": 3}]}', True),
        ('{"l": [{"k": 2}]}', '{"l": [{"k": 1}, {"k": 2}]}', False),
    ],
)
def test_json_outputs(shown: str, actual: str, expected: bool) -> None:
    assert (docblocks.json_mismatch(shown, actual) is None) is expected


# ---------------------------------------------------------------------------- model.md → code

PLANNED: set[str] = set()
"""Modules and symbols that ``docs/model.md`` names before the code has them (none now).
The test fails as soon as one of them exists, so the set only shrinks."""

_WHERE = re.compile(r"^\*Where in the code:\*(.*?)\.\n\n", re.M | re.S)
_PART = re.compile(r"`(src/supplysim/[\w/]+\.py)` \(([^)]*)\)")


def _defined(path: Path) -> set[str]:
    """Top-level functions, classes and names of a module, and ``Class.member`` for the
    methods and attributes (``self.x = …`` included) of its classes."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        if isinstance(node, ast.ClassDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.FunctionDef):
                    names.add(f"{node.name}.{sub.name}")
                elif isinstance(sub, ast.Assign | ast.AnnAssign):
                    targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                    for t in targets:
                        if isinstance(t, ast.Attribute | ast.Name):
                            names.add(f"{node.name}.{t.attr if isinstance(t, ast.Attribute) else t.id}")
    return names


def test_model_names_code_that_exists() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    titles = list(sections)
    first, last = titles.index("The world"), titles.index("Invariants checked in every replication")
    for title in titles[first : last + 1]:
        assert "*Where in the code:*" in sections[title], f"docs/model.md, '{title}': no 'Where in the code' line"
    lines = _WHERE.findall(text)
    missing: set[str] = set()
    for line in lines:
        parts = _PART.findall(line.replace("\n", " "))
        assert parts, f"no module named in: {line}"
        for module, symbols in parts:
            path = ROOT / module
            names = re.findall(r"`([A-Za-z_][\w.]*)`", symbols)
            if not path.is_file():
                missing.add(module)
                continue
            defined = _defined(path)
            missing.update(f"{module}:{name}" for name in names if name not in defined)
    assert missing - PLANNED == set(), f"docs/model.md names code that does not exist: {sorted(missing - PLANNED)}"
    assert PLANNED - missing == set(), f"these exist now, remove them from PLANNED: {sorted(PLANNED - missing)}"
