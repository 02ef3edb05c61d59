"""Writing to disk atomically: a whole results folder, or a single file.

Both build the new content beside its destination and rename it into place
(``os.replace``, atomic on POSIX and Windows within one file system), so a reader,
or an interrupted run, sees either the old content or the new one, never a part.

Every results folder holds :data:`MARKER`, which names the kind of folder
(:class:`FolderKind`): a folder is replaced only by a command that writes the
same kind, so a quick ``run`` whose default folder happens to be a catalog's
folder is refused instead of replacing hours of work.

A results folder has one writer at a time (:class:`FolderLock`): a run holds an
advisory lock on the file ``.NAME.lock`` beside the folder while it runs and writes,
and a second run into the same folder is refused at once, naming the first one's
process — it does not wait, since its results would replace the first run's anyway.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, folders are not locked
    fcntl = None  # type: ignore[assignment]

from supplysim.analysis.provenance import supplysim_version

__all__ = [
    "MARKER",
    "FolderBuilder",
    "FolderBusy",
    "FolderKind",
    "FolderLock",
    "ResultsFolderError",
    "check_destination",
    "infeasible_folder",
    "write_file",
    "write_folder",
    "writes_of",
]

MARKER = ".supplysim-results"
"""A file in every results folder: only such folders (or empty ones) are ever replaced."""


class FolderKind(Enum):
    """What a results folder holds: the command that wrote it, and how messages name its results."""

    RUN = ("run", "the results of a run")
    SWEEP = ("sweep", "the results of a sweep")
    OPTIMIZE = ("optimize", "the results of an optimisation")
    COMPARE = ("compare", "the results of a comparison")
    CATALOG = ("catalog", "the results of a catalog run")
    FIT = ("fit", "a fit report")

    def __init__(self, command: str, holds: str) -> None:
        self.command = command
        """The command, as written in :data:`MARKER` (``kind: catalog``)."""
        self.holds = holds

    @classmethod
    def of(cls, folder: Path) -> FolderKind | str | None:
        """The kind named by ``folder``'s marker: None when it names none (folders written before
        kinds were recorded), the name itself when it is not one of these."""
        try:
            text = (folder / MARKER).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith("kind: "):
                name = line[len("kind: ") :].strip()
                return next((k for k in cls if k.command == name), name)
        return None


class ResultsFolderError(ValueError):
    """``--out`` names something supplysim must not overwrite."""


class FolderBusy(ResultsFolderError):
    """Another process is writing the results folder."""


_HELD: dict[Path, list[int]] = {}
"""Results folders whose lock this process holds → [holders, file descriptor or −1] (re-entrant)."""

_MADE: dict[Path, list[Path]] = {}
"""Results folders whose lock created missing parent folders → those folders, deepest first
(removed again by the last release if the run left them empty)."""


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return the ones this call created, deepest first."""
    missing: list[Path] = []
    here = folder
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    folder.mkdir(parents=True, exist_ok=True)
    return missing


class FolderLock:
    """The advisory lock of one results folder, held while a run computes and writes it.

    ``fcntl.flock`` on ``.NAME.lock`` beside the folder (the file holds the holder's pid):
    released by the operating system when the process ends, however it ends, so a killed
    run leaves no stale lock. Re-entrant within a process (:func:`write_folder` takes it
    too). Where ``fcntl`` is missing (Windows) it does nothing.
    """

    def __init__(self, out: Path) -> None:
        self.shown = Path(out)
        self.out = Path(out).resolve()
        self.path = self.out.parent / f".{self.out.name}.lock"
        self.held = False

    def acquire(self) -> FolderLock:
        """Take the lock now.

        Raises:
            FolderBusy: another process holds it (the message names its pid).
        """
        if self.held:
            return self
        if self.out in _HELD or fcntl is None:
            _HELD.setdefault(self.out, [0, -1])[0] += 1
            self.held = True
            return self
        _check_parents(self.shown, "the results folder")  # the command line has said so already, naming its option
        made = _make_parents(self.out.parent)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666 & ~_umask())
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pid = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                _remove_empty(made)
                raise FolderBusy(
                    f"{self.shown} is being written by another supplysim run (pid {pid})\n"
                    "  hint: wait for it to finish, or write these results elsewhere (--out DIR)"
                ) from None
            # the holder removes the file when it lets go: a lock on a removed file locks nothing
            with contextlib.suppress(FileNotFoundError):
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        _HELD[self.out] = [1, fd]
        if made:
            _MADE[self.out] = made
        self.held = True
        return self

    def release(self) -> None:
        """Let go of the lock (the lock file is removed by its last holder)."""
        if not self.held:
            return
        self.held = False
        entry = _HELD[self.out]
        entry[0] -= 1
        if entry[0] > 0:
            return
        del _HELD[self.out]
        if entry[1] >= 0:
            self.path.unlink(missing_ok=True)  # while still locked: no one else holds this file
            os.close(entry[1])
        _remove_empty(_MADE.pop(self.out, []))

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty: a refused or interrupted run
    leaves no empty ``results/`` behind; a folder that holds anything stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


_WRITTEN: dict[Path, int] = {}
"""Results folders this process has put in place → how many times (see :func:`writes_of`)."""


def writes_of(out: Path) -> int:
    """How many times this process has put a complete results folder at ``out`` (an interrupted
    command compares the count before and after writing to say which folder it left)."""
    return _WRITTEN.get(Path(out).resolve(), 0)


_RENAME_EXCHANGE = 2
"""``RENAME_EXCHANGE`` of ``renameat2(2)`` (Linux ≥ 3.15): swap two paths atomically."""
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` in one step (Linux ``renameat2``); False where that is
    not available (another system, an old C library, a file system without it)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        rename = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    return int(rename(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)) == 0


def _swap(new: Path, out: Path) -> Path | None:
    """Put folder ``new`` at ``out``; returns where the previous content now is (to remove), if any.

    Readers never see ``out`` missing where the two can be exchanged in one step; elsewhere
    the previous folder is moved aside (``.NAME.old-PID``) and ``new`` renamed into place, and
    for that instant ``out`` is absent.
    """
    if not out.exists():
        os.replace(new, out)
        return None
    if _exchange(new, out):
        return new
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(old, out)
        raise
    return old


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM while the block runs, then act on one that came meanwhile:
    the renames and the removal of the previous folder are never cut in half. Only in the main
    thread (the only one Python delivers signals to); elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {k: signal.getsignal(k) for k in kinds}
    for k in kinds:
        signal.signal(k, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for k, handler in previous.items():
            signal.signal(k, handler)
        if caught:
            handler = previous[signal.Signals(caught[0])]
            if callable(handler):
                handler(caught[0], None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), caught[0])


def infeasible_folder(out: Path) -> Path:
    """Where ``optimize`` writes a run that found no feasible point: beside ``out``, so the
    earlier, good results in ``out`` are kept (``results/x-optimize`` → ``results/x-optimize-infeasible``)."""
    out = Path(out)
    return out.with_name(f"{out.name}-infeasible")


def _umask() -> int:
    """The process's file-creation mask (read by setting it, then restoring it)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_file(path: Path, content: str | bytes) -> Path:
    """Write one file atomically: a temporary file in the same folder, flushed, then renamed.

    Missing parent folders are created. The file gets the usual permissions (``0o666``
    less the umask). If anything fails, the temporary file is removed and ``path`` keeps
    its previous content (or stays absent).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_destination(out: Path, option: str = "--out", kind: FolderKind | None = None) -> None:
    """Refuse a destination that is a file, a non-empty folder not written by supplysim, or (given
    the ``kind`` about to be written) a results folder of another kind (``option``: the
    command-line option that named it, for the hint)."""
    out = Path(out)
    try:
        _check_destination(out, option, kind)
    except ResultsFolderError:
        raise
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, a loop of links, no permission
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ResultsFolderError(
            f"{str(out)[:100]}: cannot be a results folder ({reason})\n"
            f"  hint: give {option} a shorter, plain folder name"
        ) from None


def _check_parents(out: Path, option: str) -> None:
    """Refuse ``out`` when its nearest existing parent is a file (no folder can be made there)."""
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ResultsFolderError(
                    f"{out}: {parent} is a file, so no folder can be made inside it\n"
                    f"  hint: give {option} a path whose parents are folders"
                )
            return


def _check_destination(out: Path, option: str, kind: FolderKind | None) -> None:
    if not out.resolve().name:
        raise ResultsFolderError(f"{out}: cannot use the root folder as a results folder")
    _check_parents(out, option)
    if out.exists():
        if not out.is_dir():
            raise ResultsFolderError(f"{out} is a file, not a results folder\n  hint: give {option} a folder name")
        if not (out / MARKER).exists():
            if any(out.iterdir()):
                raise ResultsFolderError(
                    f"{out} already holds files that supplysim did not write; they would be replaced\n"
                    f"  hint: choose a new or empty folder with {option}"
                )
            return
        found = FolderKind.of(out)
        if kind is not None and found is not None and found is not kind:
            holds = found.holds if isinstance(found, FolderKind) else f"a folder of kind {found!r}"
            command = found.command if isinstance(found, FolderKind) else found
            raise ResultsFolderError(
                f"{out} holds {holds} (written by `supplysim {command}`); "
                f"`supplysim {kind.command}` would replace them\n"
                f"  hint: choose another folder with {option}, or delete {out} first"
            )


def write_folder(out: Path, files: Mapping[str, str | bytes], kind: FolderKind | None = None) -> Path:
    """Write a results folder atomically: a complete new folder replaces the old one.

    The folder is assembled next to ``out`` and swapped into place, so an
    interrupted run leaves either the previous results or the new ones, never a
    mix, and no hidden folder behind: on Linux the two folders are exchanged in one
    ``renameat2(RENAME_EXCHANGE)``, so a reader never finds ``out`` missing; elsewhere
    the previous results sit under ``.NAME.old-PID`` for the instant between two renames.
    SIGINT and SIGTERM are held back from the swap to the removal of the previous
    folder, and acted on after it (:func:`writes_of` then says the new folder is in place).
    Only an empty folder or one written by supplysim (it holds :data:`MARKER`) is replaced,
    and, given a ``kind``, only by a folder of the same kind (one whose marker names no kind
    may be replaced by any). The folder's lock is held while it is written (:class:`FolderLock`).

    Args:
        out: the results folder.
        files: content by path relative to ``out`` (``plots/x.png``); text is written as UTF-8.
        kind: what the folder holds, recorded in its marker (None: not recorded, not checked).
    """
    with FolderLock(out):
        return _write_folder(Path(out).resolve(), files, kind)


def _write_folder(out: Path, files: Mapping[str, str | bytes], kind: FolderKind | None) -> Path:
    tmp = _new_folder(out, kind)
    try:
        for name, content in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                (tmp / name).write_bytes(content)
            else:
                (tmp / name).write_text(content, encoding="utf-8")
        _install(tmp, out, kind)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _new_folder(out: Path, kind: FolderKind | None) -> Path:
    """A fresh temporary folder beside ``out`` (after checking ``out`` may be replaced)."""
    check_destination(out, kind=kind)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a results folder is an ordinary folder
    return tmp


def _install(tmp: Path, out: Path, kind: FolderKind | None) -> None:
    """Mark the complete folder ``tmp`` and swap it in at ``out``, signals held back (see :func:`write_folder`)."""
    if kind is None:
        text = f"written by supplysim {supplysim_version()}; this folder is replaced by the next run\n"
    else:
        text = (
            f"written by supplysim {supplysim_version()}; this folder is replaced by the next "
            f"`supplysim {kind.command}` into it\nkind: {kind.command}\n"
        )
    (tmp / MARKER).write_text(text, encoding="utf-8")
    with _signals_deferred():
        old = _swap(tmp, out)
        _WRITTEN[out] = _WRITTEN.get(out, 0) + 1
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


class FolderBuilder:
    """A results folder written file by file, for content too large to hold at once (a catalog):
    ``with FolderBuilder(out) as tmp:`` the caller writes into ``tmp``, a temporary folder beside
    ``out``; when the block ends without an exception it gets :data:`MARKER` and replaces ``out``
    exactly as :func:`write_folder`'s folder does (the same swap, signals held back), and when it
    raises it is removed. The folder's lock is held meanwhile (:class:`FolderLock`); only an empty
    folder or one written by supplysim is replaced."""

    def __init__(self, out: Path, kind: FolderKind | None = None) -> None:
        self.lock = FolderLock(out)
        self.out = Path(out).resolve()
        self.tmp = self.out
        self.kind = kind

    def __enter__(self) -> Path:
        self.lock.acquire()
        try:
            self.tmp = _new_folder(self.out, self.kind)
        except BaseException:
            self.lock.release()
            raise
        return self.tmp

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if kind is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                return
            try:
                _install(self.tmp, self.out, self.kind)
            except BaseException:
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise
        finally:
            self.lock.release()
