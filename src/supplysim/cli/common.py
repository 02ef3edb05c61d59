"""What every command shares: messages and exit codes, loading with overrides, executors, progress."""

from __future__ import annotations

import contextlib
import functools
import math
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec

import typer

from supplysim.scenario.hints import unknown_name
from supplysim.scenario.limits import MAX_FINALISTS, MAX_WORKERS
from supplysim.scenario.load import ScenarioError, load_scenario, parse_override
from supplysim.scenario.overrides import option
from supplysim.scenario.specs import Scenario

if TYPE_CHECKING:
    from rich.console import Console

    from supplysim.experiments.executors import Executor
    from supplysim.outputs.folders import FolderLock

P = ParamSpec("P")


def err() -> Console:
    """Standard error as a rich console (progress bars)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def fail(message: str, code: int) -> None:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


AllowDataOutside = Annotated[
    bool, typer.Option("--allow-data-outside", help="read data files (file:) outside the scenario's folder too")
]

# Options declared alike by several commands (one declaration each, so their help and bounds agree).
Sets = Annotated[list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="override a key (repeatable)")]
Workers = Annotated[int | None, typer.Option(metavar="N", help="worker processes", min=1, max=MAX_WORKERS)]
ExecutorKind = Annotated[str, typer.Option(metavar="local|dask", help="where replications run")]
DaskAddress = Annotated[str | None, typer.Option(metavar="tcp://HOST:PORT", help="Dask scheduler")]
Quiet = Annotated[bool, typer.Option(help="no progress bar")]
Maximize = Annotated[str | None, typer.Option(metavar="KPI", help="indicator to maximise")]
Minimize = Annotated[str | None, typer.Option(metavar="KPI", help="indicator to minimise")]
SubjectTo = Annotated[
    list[str] | None, typer.Option("--subject-to", metavar="KPI>=BOUND", help="a constraint on a mean (repeatable)")
]
Finalists = Annotated[int, typer.Option(metavar="K", help="points carried to stage 2", min=1, max=MAX_FINALISTS)]


def load(path: Path, overrides: list[str], allow_data_outside: bool = False, **header: Any) -> Scenario:
    """The scenario at ``path`` with the ``--set PATH=VALUE`` overrides and the header options
    (``--horizon`` …) applied.

    Raises:
        ScenarioError: a bad file or override, or a key set twice on the command line (which of
            the two would hold is not something to leave to the order of the options).
    """
    pairs: list[tuple[Any, ...]] = [parse_override(o) for o in overrides]
    for key, value in header.items():
        if value is not None:
            pairs.append((key, value, option(f"--{key}", value)))
    seen: dict[str, str] = {}
    for i, pair in enumerate(pairs):
        key = pair[0]
        text = f"--set {overrides[i].strip()}" if i < len(overrides) else f"--{key} {pair[1]:g}"
        if key in seen:
            raise ScenarioError(
                f"{text}: {key} is already set by {seen[key]}\n  hint: give each key once on the command line"
            )
        seen[key] = text
    return load_scenario(path, pairs, allow_data_outside=allow_data_outside)


def only_policies(sc: Scenario, names: list[str] | None, option: str = "--policy") -> Scenario:
    """``sc`` with only the policies ``names`` (in the file's order; the first becomes the baseline).

    Raises:
        ScenarioError: a name that is not a policy of ``sc`` (with the closest one).
    """
    if not names:
        return sc
    check_names(names, sc.policies, "a policy of this scenario", option)
    return sc.model_copy(update={"policies": {p: m for p, m in sc.policies.items() if p in names}})


def check_kpis(sc: Scenario, names: Iterable[str], option: str = "--kpi") -> None:
    """Every name is an indicator ``sc`` reports.

    Raises:
        ScenarioError: one that is not (with the closest one).
    """
    from supplysim.analysis.indicators import kpi_names

    check_names(names, kpi_names(sc.policies.values()), "an indicator of this scenario", option)


def check_names(names: Iterable[str], known: Iterable[str], what: str, option: str) -> None:
    """Every name is one of ``known``; else a :class:`ScenarioError` naming ``option`` and the closest name."""
    choices = list(known)
    for name in names:
        if name not in choices:
            raise ScenarioError(unknown_name(what, name, choices, subject=f"{option} "))


_CLAIMED: list[FolderLock] = []
"""The results-folder locks the running command holds (let go by :func:`holds_folders`)."""


def claim(folder: Path) -> None:
    """Take the lock of results folder ``folder`` now, for the rest of the command (a command
    that claims is decorated with :func:`holds_folders`); exit 2 when another run holds it."""
    from supplysim.outputs.folders import FolderBusy, FolderLock

    try:
        _CLAIMED.append(FolderLock(folder).acquire())
    except FolderBusy as exc:
        fail(str(exc), 2)
    except OSError as exc:  # the folder's parent cannot be created or written
        fail(f"cannot write results to {folder}: {exc.strerror or exc}", 1)


def holds_folders(command: Callable[P, None]) -> Callable[P, None]:
    """``command``, letting go of the folder locks it claimed when it ends, however it ends
    (an interrupt that no inner step reported is one line, exit 130 or 143: :func:`stopped`)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        held = len(_CLAIMED)
        try:
            command(*args, **kwargs)
        except KeyboardInterrupt as exc:  # before the run or after it: the folder was not touched
            stopped(exc, "nothing was written")
        finally:
            while len(_CLAIMED) > held:
                _CLAIMED.pop().release()

    return wrapper


_ADDRESS = r"(?:[a-z][a-z0-9+.-]*://)?(?:\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):\d{1,5}/?"
"""A scheduler address as Dask takes it: an optional protocol, a host (or [IPv6]) and a port."""


def executor(kind: str, workers: int | None, address: str | None) -> Executor:
    from supplysim.experiments.executors import make_executor

    if kind not in ("local", "dask"):
        fail(f"--executor must be 'local' or 'dask', found {kind!r}", 2)
    if address is not None and not re.fullmatch(_ADDRESS, address):
        fail(
            f"--address {address!r}: expected the Dask scheduler's address, tcp://HOST:PORT\n"
            "  hint: e.g. --address tcp://scheduler.example:8786 (`dask scheduler` prints it)",
            2,
        )
    try:
        return make_executor(kind, workers, address)
    except (ValueError, RuntimeError) as exc:
        fail(str(exc), 2)
    except OSError as exc:
        fail(f"cannot reach the Dask scheduler at {address}: {exc}", 2)
    raise AssertionError("unreachable")  # pragma: no cover


def close(executor: Executor) -> None:
    close = getattr(executor, "close", None)
    if close is not None:
        close()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Python next runs in the main thread, to stop like Ctrl-C does
    (the pool's workers stopped, nothing half written) but exit 143 = 128 + SIGTERM."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def handle_sigterm() -> None:
    """Make SIGTERM stop a command as Ctrl-C does (:class:`Terminated`); called by ``main``,
    before any worker is started (the workers put SIGTERM back to its default)."""
    signal.signal(signal.SIGTERM, _terminate)


def stopped(exc: KeyboardInterrupt, what: str) -> NoReturn:
    """One line for an interrupted command (``interrupted: …``, or ``terminated: …`` for SIGTERM)
    and its exit code: 130 (128 + SIGINT) or 143 (128 + SIGTERM)."""
    term = isinstance(exc, Terminated)
    sys.stderr.write(f"{'terminated' if term else 'interrupted'}: {what}\n")
    raise typer.Exit(143 if term else 130) from None


@contextlib.contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Write ``folder`` in the block; on Ctrl-C or SIGTERM, say which results it holds now:
    the previous ones (the new ones were not in place yet) or the new ones (the signal came
    while the previous folder was being removed, after the swap)."""
    from supplysim.outputs.folders import MARKER, writes_of

    before = writes_of(folder)
    try:
        yield
    except KeyboardInterrupt as exc:
        if writes_of(folder) > before:
            stopped(exc, f"the new results were written to {folder}/ before it stopped")
        kept = "keeps the previous results" if (folder / MARKER).exists() else "was not created"
        stopped(exc, f"nothing was written; {folder}/ {kept}")


@contextlib.contextmanager
def running(
    kind: str, workers: int | None, address: str | None, show: bool, label: str
) -> Iterator[tuple[Executor, Callable[[int, int], None] | None]]:
    """The executor for the options (closed afterwards) and a progress callback."""
    from supplysim.experiments.runner import ReplicationError

    runner = executor(kind, workers, address)
    try:
        with Bar(show, label) as bar:
            yield runner, bar
    except ReplicationError as exc:
        fail(f"a replication failed: {exc}", 1)
    except KeyboardInterrupt as exc:
        stopped(exc, "nothing was written (the workers were stopped)")
    finally:
        close(runner)


def stdout_console() -> Console:
    """Standard output; when it is not a terminal, wide enough for the tables and a sentence on one
    line whatever its length (a file or a pipe is read by programs: `grep` finds a whole sentence)."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200, soft_wrap=True)


class Bar:
    """A progress bar on stderr (only on a terminal); no refresh thread, as workers are forked.
    With a ``unit`` (``"products"``) it names what it counts and shows the time left too. With a
    ``first`` stage (``"checking products.csv"``) that stage is shown alone, with its share done
    and the time left (:meth:`checking`), until the bar's own callback is first called."""

    def __init__(self, enabled: bool, label: str, unit: str | None = None, first: str | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        counted: list[Any] = [MofNCompleteColumn(), TimeElapsedColumn()]
        if unit is not None or first is not None:  # "12/200 products 0:00:31 left 0:04:10"; "46% 0:00:02 left 0:00:03"
            from rich.progress import TimeRemainingColumn

            counted = [
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
            ]
        self.progress = (
            Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                *counted,
                console=err(),
                transient=True,
                auto_refresh=False,
            )
            if enabled
            else None
        )
        self.label = label
        self.unit = unit
        self.first = first
        self.task: Any = None
        self.stage: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if self.progress is None:
            return None
        self.progress.__enter__()
        self.task = self.progress.add_task(self.label, total=None, count="", visible=self.first is None)
        if self.first is not None:
            self.stage = self.progress.add_task(self.first, total=1.0, count="")
        bar = self.progress

        def update(done: int, total: int) -> None:
            if self.stage is not None:  # the first stage is over
                bar.remove_task(self.stage)
                self.stage = None
                bar.update(self.task, visible=True)
            count = f"{done:,}/{total:,} {self.unit}" if self.unit is not None else f"{done:,}/{total:,}"
            bar.update(self.task, completed=done, total=total, count=count, refresh=True)

        return update

    def checking(self) -> Callable[[float], None] | None:
        """The first stage's callback, ``(share done, 0–1)`` (None without a bar or a ``first`` stage;
        call it once entered). Its share is shown in whole percents, rounded down: 100 % only when done."""
        if self.progress is None or self.stage is None:
            return None
        bar = self.progress

        def update(share: float) -> None:
            if self.stage is not None:
                bar.update(self.stage, completed=share, count=f"{math.floor(share * 100)}%", refresh=True)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)
