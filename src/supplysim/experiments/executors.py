"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

An executor maps a picklable function over a list of tasks and yields
``(index, result)`` pairs as they complete, in any order. Callers place results
by index, so the numbers never depend on the executor or the number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

__all__ = ["DaskExecutor", "Executor", "InProcess", "LocalPool", "default_workers", "make_executor"]


class Executor(Protocol):
    """Runs tasks and yields ``(index, result)`` as they complete."""

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]: ...


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class InProcess:
    """Runs every task here, one after the other (``--workers 1``)."""

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)


class LocalPool:
    """A process pool on this machine (``fork`` where available: ≈ 10 ms start-up)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        if self.workers == 1 or len(tasks) <= 1:
            yield from InProcess().map_unordered(fn, tasks)
            return
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)), mp_context=ctx) as pool:
            futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
            try:
                for fut in as_completed(futures):
                    yield futures[fut], fut.result()
            finally:
                for fut in futures:
                    fut.cancel()


class DaskExecutor:
    """Tasks on a Dask distributed cluster: an existing scheduler (``address``) or a local one.

    Needs the optional extra ``supplysim[dask]``. The workers need supplysim
    installed (the same version) to unpickle the tasks.
    """

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "the Dask executor needs the optional dependency: pip install 'supplysim[dask]'"
            ) from exc
        self._cluster = None
        if address is None:
            self._cluster = LocalCluster(
                n_workers=workers or default_workers(),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = Client(self._cluster)
        else:
            self.client = Client(address, timeout=30)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed as dask_completed

        futures = self.client.map(fn, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in dask_completed(futures):
            yield index[fut.key], fut.result()

    def close(self) -> None:
        """Disconnect (and stop the local cluster, if this executor started one)."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(kind: str = "local", workers: int | None = None, address: str | None = None) -> Executor:
    """The executor for ``--executor`` (local | dask) and its options."""
    if kind == "dask":
        return DaskExecutor(address, workers)
    if address is not None:
        raise ValueError("--address needs --executor dask")
    return LocalPool(workers)
