"""Shared fixtures. The shared helpers are small modules next to the tests:

* :mod:`scenario_texts` – the tiny scenario used by the CLI, API, sweep and Dask tests;
* :mod:`clirun` – the command line in this process (``cli``) or in a subprocess
  (``cli_subprocess``), and the checks of its exit codes and messages;
* :mod:`statcheck` – comparison of replication means with theory (t-intervals);
* :mod:`trace_walk` – the store's state rebuilt from an event trace, for the batteries;
* :mod:`battery` – what the conformance batteries share (the members of a rule union);
* :mod:`shared` – expensive results computed once per session, shared by xdist workers.

Markers (``pyproject.toml``): ``slow`` for long statistical validations, ``golden`` for
comparisons with numbers of an earlier run (snapshots and committed baselines).

The ``slow`` tests are collected first (:func:`pytest_collection_modifyitems`): with
``pytest -n 2`` the long ones then start at the beginning of the run and the many short
ones fill in behind them, so the two workers finish together instead of one of them
starting a minute-long test near the end.

Ctrl-C is restored at start-up (:func:`pytest_configure`): a suite started in the background
of a non-interactive shell inherits SIGINT ignored, and so would every program a test starts,
so the tests of what an interrupt does would watch a program that cannot be interrupted.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import shared
from scenario_texts import TINY


def pytest_configure(config: pytest.Config) -> None:
    """SIGINT raises KeyboardInterrupt here and in the programs the tests start, as at a terminal,
    also when the suite was started with SIGINT ignored (a handler, unlike "ignored", is not
    inherited by the programs a test starts: they begin with the default action)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ``slow`` tests first, each group in its collection order (the sort is stable)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    """:data:`scenario_texts.TINY` written to ``tmp_path/tiny.yaml``."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="session", autouse=True)
def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder :func:`shared.once` keeps its results in: the session's temporary root,
    the same for every pytest-xdist worker (each worker's own ``basetemp`` is inside it)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:
        root = root.parent
    shared.ROOT = root
    return root
