"""Results computed once per test session and shared by the pytest-xdist worker processes.

With ``pytest -n 2`` each worker process builds its own module fixtures and caches, so an
expensive result needed by tests that land on both workers would be computed twice.
:func:`once` computes it in the first process that asks, while the others wait on a lock
and then read the pickled result. Without xdist it is a plain cache for the session.

The folder is set by ``tests/conftest.py`` at the start of the session: the session's
temporary root, shared by the workers and cleaned up by pytest like any ``tmp_path``.
"""

from __future__ import annotations

import fcntl
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["ROOT", "once"]

T = TypeVar("T")

ROOT: Path | None = None
"""Folder shared by the session's processes (``None`` outside a test session)."""

_here: dict[str, object] = {}
"""Results already read or computed by this process."""


def once(name: str, compute: Callable[[Path], T]) -> T:
    """``compute(folder)``, computed once per test session under ``name``; its result must pickle.

    ``folder`` is an empty folder of the shared root that ``compute`` may write into (and
    the result may refer to: it lives as long as the session's temporary files).
    """
    if name in _here:
        return _here[name]  # type: ignore[return-value]
    root = ROOT if ROOT is not None else Path(tempfile.mkdtemp(prefix="supplysim-tests-"))
    folder = root / f"once-{name}"
    done = folder / "result.pickle"
    with (root / f"once-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            value: T = pickle.loads(done.read_bytes())
        else:
            folder.mkdir(exist_ok=True)
            value = compute(folder)
            partial = done.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(value))
            partial.replace(done)
    _here[name] = value
    return value
