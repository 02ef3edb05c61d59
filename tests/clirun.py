"""Running the command line in tests: in this process (fast) or in a subprocess (the real thing).

:func:`cli` runs ``supplysim ARGS`` through typer's ``CliRunner`` inside this process, in
the folder ``cwd``: no interpreter start-up and no package import per call, which is what
made the command-line tests slow. The click command that typer builds from the application
(≈ 20 ms each time) is built once per process and handed to the same ``CliRunner`` on every
call. :func:`cli_subprocess` runs ``python -m supplysim ARGS``
as a user would; each command keeps one such smoke test (``test_cli.py``), so the entry
point, the console script and the real standard streams stay covered.

Both return a :class:`CliResult` with the exit code and both streams. An exception that
escapes the command in this process is appended to ``stderr`` as a traceback, so the
contract "no traceback, ever" is checked the same way in both modes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer.main
import typer.testing
from typer.testing import CliRunner

if TYPE_CHECKING:
    from typer.main import Typer

__all__ = ["MODULE", "SCRIPT", "CliResult", "assert_one_clear_message", "cli", "cli_subprocess", "invalid", "ok"]

ENV = {"NO_COLOR": "1"}
"""Environment of every run: plain text, no colour codes in the captured streams."""


@dataclass(frozen=True)
class CliResult:
    """What a run of the command line produced."""

    returncode: int
    """Exit code: 0 success, 1 failure of the program or of a check, 2 invalid input."""
    stdout: str
    stderr: str


@functools.cache
def _command(app: Typer) -> Any:
    """The click command of ``app``, built once: what ``CliRunner.invoke`` would build on every call."""
    return typer.main.get_command(app)


def cli(cwd: Path, *args: str) -> CliResult:
    """``supplysim ARGS`` in this process, with ``cwd`` as the working folder."""
    from supplysim.cli import app

    runner = CliRunner()
    with contextlib.chdir(cwd), _built_once():
        result = runner.invoke(app, list(args), env=ENV, catch_exceptions=True)
    stderr = result.stderr
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        stderr += "".join(traceback.format_exception(exc))
    return CliResult(result.exit_code, result.stdout, stderr)


@contextlib.contextmanager
def _built_once() -> Iterator[None]:
    """``CliRunner.invoke`` with :func:`_command` in place of typer's ``get_command``."""
    build = typer.testing._get_command
    typer.testing._get_command = _command
    try:
        yield
    finally:
        typer.testing._get_command = build


MODULE = (sys.executable, "-m", "supplysim")
"""The command line as ``python -m supplysim``."""

SCRIPT = (str(Path(sys.executable).with_name("supplysim")),)
"""The command line as the console script installed next to this interpreter."""


def cli_subprocess(cwd: Path, *args: str, program: Sequence[str] = MODULE) -> CliResult:
    """``python -m supplysim ARGS`` (or another ``program``) in a fresh process, in the folder ``cwd``."""
    env = {**os.environ, **ENV, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [*program, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def ok(res: CliResult) -> CliResult:
    """``res``, after checking that the run succeeded without a traceback."""
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    return res


def invalid(res: CliResult) -> str:
    """The message of a run rejected as invalid input: exit code 2, ``error: …``, no traceback."""
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert res.stderr.startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    return res.stderr


def assert_one_clear_message(res: CliResult) -> None:
    """Exit code 2 with one short located message on stderr, nothing on stdout (``cli.md``)."""
    err = res.stderr
    assert res.returncode == 2, (res.returncode, err)
    assert res.stdout == ""
    assert err.startswith("error: "), err
    assert err.count("error:") == 1, err
    assert "Traceback" not in err
    # "one clear message": a few short lines, not a dump of the document
    assert len(err.splitlines()) <= 6, err
    assert all(len(line) <= 300 for line in err.splitlines()), err
    assert "{" + "name!r}" not in err and "{key!r}" not in err, "unformatted message template"
