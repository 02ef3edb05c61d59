"""Command line: ``supplysim run | validate | check | sweep | optimize | compare | schema | catalog``.

The contract is ``cli.md``.

Exit codes: 0 success; 1 the program or a check failed; 2 invalid input (bad
arguments, a scenario that does not validate) – with one clear message and no
traceback. One module per command (``cli/<command>.py``), imported and turned into
a click command only when that command is looked up (:data:`COMMANDS`; ``--help``
looks up every one); each imports what it needs when it runs, so `validate`,
`schema` and `--help` stay light (no pandas, SciPy or Matplotlib).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context

__all__ = ["COMMANDS", "app", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("supplysim.cli.run_command", "run"),
    "validate": ("supplysim.cli.validate", "validate"),
    "check": ("supplysim.cli.check_command", "check"),
    "sweep": ("supplysim.cli.sweep", "sweep"),
    "optimize": ("supplysim.cli.optimize", "optimize"),
    "compare": ("supplysim.cli.compare", "compare"),
    "schema": ("supplysim.cli.schema", "schema"),
    "fit": ("supplysim.cli.fit", "fit"),
    "backtest": ("supplysim.cli.backtest", "backtest"),
    "catalog": ("supplysim.cli.catalog", "catalog"),
}
"""Every command, in the order of ``--help``: its module and function."""


def _build(name: str) -> Command:
    """The click command ``name``: its module imported, its options read from its function's signature."""
    module, attr = COMMANDS[name]
    function: Callable[..., None] = getattr(importlib.import_module(module), attr)
    one = typer.Typer()  # registers the function as app.command(name) would
    one.command(name)(function)
    return typer.main.get_command_from_info(
        one.registered_commands[0],
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


class _Commands(MutableMapping[str, "Command"]):
    """The group's commands by name, each built on first lookup: running one command builds
    its options alone (typer reads every signature it builds, ≈ 10 ms a command)."""

    def __init__(self) -> None:
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        command = self._built.get(name)
        if command is None:
            if name not in COMMANDS:
                raise KeyError(name)
            command = self._built[name] = _build(name)
        return command

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        raise TypeError("the commands of supplysim are fixed")

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._built]))

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._built))


class _Group(TyperGroup):
    """typer's group whose commands are built when looked up (:class:`_Commands`)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands()

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)


app = typer.Typer(
    cls=_Group,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="supplysim: take backorders, or show 'out of stock'? Simulate and compare stockout policies.",
)


def _print_version(value: bool) -> None:
    if value:
        from supplysim.analysis.provenance import supplysim_version

        sys.stdout.write(f"supplysim {supplysim_version()}\n")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """supplysim: take backorders, or show 'out of stock'? Simulate and compare stockout policies."""


def main() -> None:
    """Console-script entry point (SIGTERM stops a command as Ctrl-C does, with exit 143).

    When the command ends, every object is moved to the collector's permanent generation
    (:func:`gc.freeze`), so the interpreter's last collections, on the way out, skip the
    tens of thousands of objects the libraries made at import (they were a fifth of
    ``validate``'s CPU time). ``atexit`` handlers run as before; what the collector would
    still have found on the way out is left to the operating system, as Python allows for
    objects alive at exit (every command closes its files and worker pools itself).
    """
    import gc

    from supplysim.cli.common import Terminated, handle_sigterm

    handle_sigterm()
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt as exc:  # pragma: no cover
        sys.stderr.write("terminated\n" if isinstance(exc, Terminated) else "interrupted\n")
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    finally:
        _forget_interrupt()
        gc.freeze()


def _forget_interrupt() -> None:
    """Let the exit code stand after an interrupt the command handled (130, 143).

    CPython remembers a KeyboardInterrupt that left code run from a string by ``exec`` or
    ``eval`` (a dataclass or named tuple being made while a module is imported, when Ctrl-C
    lands there) and, under ``python -m supplysim``, ends the process by SIGINT on its way out,
    though the command caught the interrupt, said so and asked for exit 130. Running a string
    resets that memory; every interrupt is handled by then (``main`` catches any that is left).
    """
    exec("")  # an empty string, for its side effect on the interpreter's flag
