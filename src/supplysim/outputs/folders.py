"""Writing to disk atomically: a whole results folder, or a single file.

Both build the new content beside its destination and rename it into place
(``os.replace``, atomic on POSIX and Windows within one file system), so a reader,
or an interrupted run, sees either the old content or the new one, never a part.

A results folder has one writer at a time (:class:`FolderLock`): a run holds an
advisory lock on the file ``.NAME.lock`` beside the folder while it runs and writes,
and a second run into the same folder is refused at once, naming the first one's
process — it does not wait, since its results would replace the first run's anyway.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
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
    "FolderLock",
    "ResultsFolderError",
    "check_destination",
    "infeasible_folder",
    "write_file",
    "write_folder",
]

MARKER = ".supplysim-results"
"""A file in every results folder: only such folders (or empty ones) are ever replaced."""


class ResultsFolderError(ValueError):
    """``--out`` names something supplysim must not overwrite."""


class FolderBusy(ResultsFolderError):
    """Another process is writing the results folder."""


_HELD: dict[Path, list[int]] = {}
"""Results folders whose lock this process holds → [holders, file descriptor or −1] (re-entrant)."""


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
        self.out.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666 & ~_umask())
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pid = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
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

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


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


def check_destination(out: Path) -> None:
    """Refuse a destination that is a file, or a non-empty folder not written by supplysim."""
    out = Path(out)
    if not out.resolve().name:
        raise ResultsFolderError(f"{out}: cannot use the root folder as a results folder")
    if out.exists():
        if not out.is_dir():
            raise ResultsFolderError(f"{out} is a file, not a results folder\n  hint: give --out a folder name")
        if not (out / MARKER).exists() and any(out.iterdir()):
            raise ResultsFolderError(
                f"{out} already holds files that supplysim did not write; they would be replaced\n"
                "  hint: choose a new or empty folder with --out"
            )


def write_folder(out: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write a results folder atomically: a complete new folder replaces the old one.

    The folder is assembled next to ``out`` and renamed into place, so an
    interrupted run leaves either the previous results or the new ones, never a
    mix (in the instant between the two renames, the previous results sit under
    ``.NAME.old-PID`` beside it). Only an empty folder or one written by
    supplysim (it holds :data:`MARKER`) is replaced. The folder's lock is held while it is
    written (:class:`FolderLock`).

    Args:
        out: the results folder.
        files: content by path relative to ``out`` (``plots/x.png``); text is written as UTF-8.
    """
    with FolderLock(out):
        return _write_folder(Path(out).resolve(), files)


def _write_folder(out: Path, files: Mapping[str, str | bytes]) -> Path:
    check_destination(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a results folder is an ordinary folder
    try:
        content_by_name = dict(files)
        content_by_name[MARKER] = (
            f"written by supplysim {supplysim_version()}; this folder is replaced by the next run\n"
        )
        for name, content in content_by_name.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                (tmp / name).write_bytes(content)
            else:
                (tmp / name).write_text(content, encoding="utf-8")
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


class FolderBuilder:
    """A results folder written file by file, for content too large to hold at once (a catalog):
    ``with FolderBuilder(out) as tmp:`` the caller writes into ``tmp``, a temporary folder beside ``out``; when the
    block ends without an exception it gets :data:`MARKER` and replaces ``out`` as
    :func:`write_folder`'s folder does (the same swap), and when it raises it is removed. The
    folder's lock is held meanwhile (:class:`FolderLock`); only an empty folder or one written
    by supplysim is replaced."""

    def __init__(self, out: Path) -> None:
        self.lock = FolderLock(out)
        self.out = Path(out).resolve()
        self.tmp = self.out

    def __enter__(self) -> Path:
        self.lock.acquire()
        try:
            check_destination(self.out)
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", dir=self.out.parent))
            os.chmod(self.tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a results folder is an ordinary folder
        except BaseException:
            self.lock.release()
            raise
        return self.tmp

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        out, tmp = self.out, self.tmp
        try:
            if kind is not None:
                shutil.rmtree(tmp, ignore_errors=True)
                return
            try:
                (tmp / MARKER).write_text(
                    f"written by supplysim {supplysim_version()}; this folder is replaced by the next run\n",
                    encoding="utf-8",
                )
                old = None  # the swap of _write_folder
                if out.exists():
                    old = out.with_name(f".{out.name}.old-{os.getpid()}")
                    os.replace(out, old)
                os.replace(tmp, out)
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        finally:
            self.lock.release()
