"""``supplysim validate``: check scenarios without running them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from supplysim.cli.common import AllowDataOutside, load
from supplysim.scenario.load import ScenarioError


def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files", metavar="SCENARIO...")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="override a key: PATH=VALUE (repeatable)")
    ] = None,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Check scenarios without running them; exit 2 if any is invalid.

    Example:

    \b
      supplysim validate scenarios/*.yaml
    """
    bad = 0
    for path in scenarios:
        try:
            sc = load(path, set_ or [], allow_data_outside)
        except ScenarioError as exc:
            sys.stderr.write(f"error: {exc}\n")
            bad += 1
            continue
        sys.stdout.write(f"ok: {path} ({sc.name}: policies {', '.join(sc.policies)})\n")
    if bad:
        raise typer.Exit(2)
