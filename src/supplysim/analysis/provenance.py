"""Where a result came from: the versions that computed it and the source checkout's commit.

Written into ``summary.json`` under ``provenance``, so a results folder says what
produced it. Versions are those installed (``importlib.metadata``); the commit is
read from the ``.git`` of the source tree supplysim runs from — the folder above
``src/supplysim`` — without calling the ``git`` program, and is None when
supplysim is installed from a package rather than run from a checkout.
"""

from __future__ import annotations

import functools
import platform
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["git_commit", "package_version", "provenance", "source_checkout", "supplysim_version"]

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
"""A full object name: SHA-1 (40 hex digits) or SHA-256 (64)."""


def package_version(name: str) -> str | None:
    """The installed version of a distribution, or None if it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def supplysim_version() -> str:
    """supplysim's installed version (``0.0.0+unknown`` when run from a tree that is not installed)."""
    return package_version("supplysim") or "0.0.0+unknown"


def source_checkout() -> Path | None:
    """The project folder supplysim runs from (holding ``pyproject.toml`` and ``src/supplysim``),
    or None when the package is installed elsewhere (e.g. in ``site-packages``)."""
    package = Path(__file__).resolve().parents[1]
    root = package.parent.parent
    if package.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def _git_dir(root: Path) -> Path | None:
    """The repository folder of a checkout: ``.git`` itself, or where a ``.git`` file points
    (a linked worktree or a submodule: ``gitdir: PATH``)."""
    dot = root / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():
        text = dot.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            target = Path(text.removeprefix("gitdir:").strip())
            target = target if target.is_absolute() else root / target
            return target if target.is_dir() else None
    return None


def _resolve(ref: str, git_dir: Path, common: Path) -> str | None:
    """The object name a ref points to: a loose ref file, else an entry of ``packed-refs``."""
    for base in (git_dir, common):
        loose = base / ref
        if loose.is_file():
            value = loose.read_text(encoding="utf-8").strip()
            return value if _SHA.fullmatch(value) else None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and _SHA.fullmatch(sha):
                return sha
    return None


def git_commit(root: Path | None) -> str | None:
    """The commit checked out in ``root`` (full hex name), or None.

    None when ``root`` is None, has no readable ``.git``, or its ``HEAD`` cannot be
    resolved from the files (a branch without commits, or refs in a storage other than
    loose files and ``packed-refs``).
    """
    if root is None:
        return None
    try:
        git_dir = _git_dir(root)
        if git_dir is None:
            return None
        commondir = git_dir / "commondir"  # a linked worktree shares the main repository's refs
        common = git_dir
        if commondir.is_file():
            common = (git_dir / commondir.read_text(encoding="utf-8").strip()).resolve()
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if head.startswith("ref:"):
            return _resolve(head.removeprefix("ref:").strip(), git_dir, common)
        return head if _SHA.fullmatch(head) else None
    except (OSError, UnicodeDecodeError):
        return None


def provenance() -> dict[str, str | None]:
    """``python``, ``numpy``, ``simpy``, ``supplysim`` versions and the ``git_commit`` (or None).

    Read once per process, the first time it is asked for: the code a process runs is the
    code it imported, whatever the checkout does afterwards.
    """
    return dict(_provenance())


@functools.cache
def _provenance() -> tuple[tuple[str, str | None], ...]:
    return (
        ("python", platform.python_version()),
        ("numpy", package_version("numpy")),
        ("simpy", package_version("simpy")),
        ("supplysim", supplysim_version()),
        ("git_commit", git_commit(source_checkout())),
    )
