"""L6, the command line (typer): ``supplysim run | validate | check | sweep | optimize | schema``."""

from supplysim.cli.app import app, main

__all__ = ["app", "main"]
