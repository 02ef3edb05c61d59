"""Writing to disk atomically: a whole results folder, or a single file.

Both build the new content beside its destination and rename it into place
(``os.replace``, atomic on POSIX and Windows within one file system), so a reader,
or an interrupted run, sees either the old content or the new one, never a part.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from supplysim.analysis.provenance import supplysim_version

__all__ = ["MARKER", "ResultsFolderError", "check_destination", "write_file", "write_folder"]

MARKER = ".supplysim-results"
"""A file in every results folder: only such folders (or empty ones) are ever replaced."""


class ResultsFolderError(ValueError):
    """``--out`` names something supplysim must not overwrite."""


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
    supplysim (it holds :data:`MARKER`) is replaced.

    Args:
        out: the results folder.
        files: content by path relative to ``out`` (``plots/x.png``); text is written as UTF-8.
    """
    out = Path(out).resolve()
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
