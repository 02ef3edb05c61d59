"""Shared fixtures. The shared helpers are small modules next to the tests:

* :mod:`scenario_texts` – the tiny scenario used by the CLI, API, sweep and Dask tests;
* :mod:`clirun` – the command line in this process (``cli``) or in a subprocess
  (``cli_subprocess``), and the checks of its exit codes and messages;
* :mod:`statcheck` – comparison of replication means with theory (t-intervals);
* :mod:`trace_walk` – the store's state rebuilt from an event trace, for the batteries;
* :mod:`battery` – what the conformance batteries share (the members of a rule union).

Markers (``pyproject.toml``): ``slow`` for long statistical validations, ``golden`` for
comparisons with numbers of an earlier run (snapshots and committed baselines).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scenario_texts import TINY


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    """:data:`scenario_texts.TINY` written to ``tmp_path/tiny.yaml``."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path
