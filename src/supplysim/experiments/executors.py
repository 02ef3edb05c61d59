"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

An executor maps a picklable function over tasks and yields ``(index, result)`` pairs as
they complete, in any order; ``index`` is the task's position in ``tasks``. Callers place
results by index, so the numbers never depend on the executor or the number of workers.

``tasks`` may be a sequence or any iterable (a generator): the local pool draws from it
lazily and keeps at most :data:`WINDOW_PER_WORKER` tasks per worker in flight, so a run of
100,000 replications never holds 100,000 tasks (or their futures) at once.

The workers of the local pool never outlive the command (``docs/limits.md``, "Signals"):

* they ignore SIGINT (the parent handles Ctrl-C and stops them) and die on SIGTERM;
* on Linux each asks the kernel for SIGKILL when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread polls ``os.getppid()``
  every :data:`PARENT_POLL` seconds and ends the worker once the parent is gone;
* when the pool stops early (an interrupt, an error, a worker that died), the parent
  terminates the remaining workers rather than waiting for their tasks.

A worker that dies (``kill -9``, the out-of-memory killer) is reported as
:class:`WorkerLost` with the indices of the tasks that had not finished.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import itertools
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from supplysim.scenario.limits import MAX_WORKERS

__all__ = [
    "PARENT_POLL",
    "WINDOW_PER_WORKER",
    "DaskExecutor",
    "Executor",
    "InProcess",
    "LocalPool",
    "WorkerLost",
    "default_workers",
    "make_executor",
]

WINDOW_PER_WORKER = 4
"""Tasks submitted to the local pool ahead of the results, per worker: enough that no worker
waits for the parent, few enough that memory does not grow with the number of replications."""

PARENT_POLL = 1.0
"""Seconds between two checks of a worker that its parent is alive (where ``prctl`` is missing)."""

_PR_SET_PDEATHSIG = 1
"""``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``: the signal a process gets when its parent dies."""


class WorkerLost(RuntimeError):
    """A worker process died while tasks were running (killed by a signal or out of memory)."""

    def __init__(self, pending: list[int]) -> None:
        super().__init__("a worker process died (killed by a signal, or out of memory)")
        self.pending = pending
        """Indices of the tasks that had not finished, the running ones first."""


class Executor(Protocol):
    """Runs tasks and yields ``(index, result)`` as they complete (``tasks``: a sequence or an iterable)."""

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]: ...


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class InProcess:
    """Runs every task here, one after the other (``--workers 1``)."""

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)


def _die_with_parent(parent: int) -> None:
    """Make this worker end when process ``parent`` does (see the module docstring)."""
    libc_name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    armed = False
    if libc_name:
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(libc_name, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    if armed:
        return

    def watch() -> None:  # pragma: no cover - the portable fallback, used where prctl is missing
        while True:
            threading.Event().wait(PARENT_POLL)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="supplysim-parent-watch", daemon=True).start()


def _worker_start(parent: int) -> None:
    """Initializer of every pool worker: signals back to their defaults, and die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool`` now: cancel what has not started and terminate the workers (no waiting for tasks)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # the pool's own handles (CPython)
    manager = getattr(pool, "_executor_manager_thread", None)  # read before shutdown() forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.terminate()
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.join(timeout=5)
    # let the pool's manager thread finish closing its wake-up pipe now: at exit, CPython 3.11
    # wakes every manager thread, and one still closing its pipe meanwhile prints an
    # "Exception ignored … Bad file descriptor" traceback (a race fixed in later versions)
    if manager is not None:
        with contextlib.suppress(Exception):
            manager.join(timeout=5)


class LocalPool:
    """A process pool on this machine (``fork`` where available: ≈ 10 ms start-up)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        items = enumerate(tasks)
        head = list(itertools.islice(items, min(self.workers, MAX_WORKERS)))  # no more workers than tasks
        if self.workers == 1 or len(head) <= 1:
            for i, task in itertools.chain(head, items):
                yield i, fn(task)
            return
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        pending = itertools.chain(head, items)
        workers = len(head)
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_worker_start, initargs=(os.getpid(),)
        )
        window = WINDOW_PER_WORKER * workers
        running: dict[Future[Any], int] = {}
        finished = False
        try:
            for i, task in itertools.islice(pending, window):
                running[pool.submit(fn, task)] = i
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=running.__getitem__):
                    index = running.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        running[fut] = index
                        order = sorted(running.items(), key=lambda kv: (not kv[0].running(), kv[1]))
                        raise WorkerLost([i for _, i in order]) from None
                    for i, task in itertools.islice(pending, 1):
                        running[pool.submit(fn, task)] = i
                    yield index, result
            finished = True
        finally:
            if finished:
                try:
                    pool.shutdown(wait=True)
                except BaseException:  # an interrupt while waiting: stop as after any other
                    _stop(pool)
                    raise
            else:
                _stop(pool)


class DaskExecutor:
    """Tasks on a Dask distributed cluster: an existing scheduler (``address``) or a local one.

    Needs the optional extra ``supplysim[dask]``. The workers need supplysim
    installed (the same version) to unpickle the tasks. Like the local pool, it draws the
    tasks lazily and keeps at most :data:`WINDOW_PER_WORKER` per worker thread of the cluster
    submitted ahead of the results (a finished task's future is released at once), so neither
    this process nor the scheduler holds every task of a long run.
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

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed as dask_completed

        items = enumerate(tasks)
        index: dict[Any, int] = {}

        def submit(i: int, task: Any) -> Any:
            fut = self.client.submit(fn, task, pure=False)
            index[fut.key] = i
            return fut

        first = [submit(i, task) for i, task in itertools.islice(items, self.window())]
        if not first:
            return
        running = dask_completed(first)
        del first
        for fut in running:
            i = index.pop(fut.key)
            result = fut.result()
            # top up to the window of the cluster as it is now (workers may have joined or left)
            for j, task in itertools.islice(items, max(1, self.window() - len(index))):
                running.add(submit(j, task))
            del fut
            yield i, result

    def window(self) -> int:
        """Tasks submitted ahead of the results: :data:`WINDOW_PER_WORKER` per thread of the
        cluster's workers now (as for one thread when none has joined yet); asked again after
        each result, so a cluster that grows during a run gets more tasks."""
        threads: int = sum(self.client.nthreads().values())
        return WINDOW_PER_WORKER * max(1, threads)

    def close(self) -> None:
        """Disconnect (and stop the local cluster, if this executor started one).

        The workers of a local cluster print to this command's standard error; stopping them
        with tasks still running (an interrupt, a table that changed) makes each log a warning
        that its task was cancelled, which is what the command asked for: they are told to log
        errors only before they stop."""
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self.client.run(_errors_only)
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _errors_only() -> None:
    """On a worker of a local cluster that is being stopped: its library logs errors only."""
    logging.getLogger("distributed").setLevel(logging.ERROR)


def make_executor(kind: str = "local", workers: int | None = None, address: str | None = None) -> Executor:
    """The executor for ``--executor`` (local | dask) and its options."""
    if kind == "dask":
        return DaskExecutor(address, workers)
    if address is not None:
        raise ValueError("--address needs --executor dask")
    return LocalPool(workers)
