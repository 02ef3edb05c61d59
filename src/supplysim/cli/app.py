"""Command line: ``supplysim run | validate | check | sweep | optimize | compare | schema | catalog``.

The contract is ``cli.md``.

Exit codes: 0 success; 1 the program or a check failed; 2 invalid input (bad
arguments, a scenario that does not validate) – with one clear message and no
traceback. One module per command (``cli/<command>.py``); each imports what it
needs when it runs, so `validate`, `schema` and `--help` stay light (no pandas,
SciPy or Matplotlib).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from supplysim.cli import backtest, catalog, check_command, compare, optimize, run_command, schema, sweep, validate
from supplysim.cli import fit as fit_command

__all__ = ["app", "main"]

app = typer.Typer(
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


app.command()(run_command.run)
app.command()(validate.validate)
app.command()(check_command.check)
app.command()(sweep.sweep)
app.command()(optimize.optimize)
app.command()(compare.compare)
app.command()(schema.schema)
app.command(name="fit")(fit_command.fit)
app.command()(backtest.backtest)
app.command()(catalog.catalog)


def main() -> None:
    """Console-script entry point (SIGTERM stops a command as Ctrl-C does, with exit 143)."""
    from supplysim.cli.common import Terminated, handle_sigterm

    handle_sigterm()
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt as exc:  # pragma: no cover
        sys.stderr.write("terminated\n" if isinstance(exc, Terminated) else "interrupted\n")
        sys.exit(143 if isinstance(exc, Terminated) else 130)
