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

import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scenario_texts import TINY

Once = Callable[[str, Callable[[Path], Any]], Any]


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    """:data:`scenario_texts.TINY` written to ``tmp_path/tiny.yaml``."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def once(tmp_path_factory: pytest.TempPathFactory) -> Once:
    """``once(name, compute)``: ``compute(folder)`` run once per test session, its result shared.

    With pytest-xdist every worker process builds its own module fixtures, so an expensive
    one used by tests that land on both workers would run twice. Here the first worker to
    ask computes (in a folder of the session's temporary root, shared by the workers) while
    the others wait on a lock, then read the pickled result. Without xdist it is a plain
    cache for the session.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:
        root = root.parent  # the session's root, above each worker's own folder

    def get(name: str, compute: Callable[[Path], Any]) -> Any:
        folder = root / f"once-{name}"
        done = folder / "result.pickle"
        with (root / f"once-{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                folder.mkdir(exist_ok=True)
                value = compute(folder)
                partial = done.with_suffix(".partial")
                partial.write_bytes(pickle.dumps(value))
                partial.replace(done)
                return value
        return pickle.loads(done.read_bytes())

    return get
