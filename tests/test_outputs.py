"""Files on disk: the one atomic writer (single files and results folders) and the provenance of a summary.

An interrupted write must leave the previous content and no temporary files; the
failures are provoked by making one step of the write raise. The provenance's
versions are compared with what the libraries say of themselves, and the git
commit reader with ``git rev-parse`` and with hand-made repository folders.
"""

from __future__ import annotations

import os
import platform
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy

import supplysim
from supplysim.analysis import provenance
from supplysim.outputs import folders
from supplysim.outputs.folders import (
    MARKER,
    FolderBuilder,
    FolderKind,
    ResultsFolderError,
    check_destination,
    write_file,
    write_folder,
)

SHA_A = "a" * 40
SHA_B = "b" * 40


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------ write_file


def test_write_file_creates_folders_and_writes_text_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "check.json"
    assert write_file(target, "{}\n") == target
    assert target.read_bytes() == b"{}\n"
    write_file(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert _leftovers(target.parent) == []


def test_write_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = write_file(tmp_path / "x.xml", "<x/>\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # 0o666 less the umask, not mkstemp's 0o600


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_an_interrupted_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old\n", encoding="utf-8")

    def fail(fd: int) -> None:
        raise failure

    monkeypatch.setattr(folders.os, "fsync", fail)  # after the new content is written, before the rename
    with pytest.raises(type(failure)):
        write_file(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert _leftovers(tmp_path) == []


def test_a_failed_rename_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(src: Any, dst: Any) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(folders.os, "replace", fail)
    with pytest.raises(PermissionError):
        write_file(tmp_path / "new.json", "{}\n")
    assert list(tmp_path.iterdir()) == []


def test_write_file_onto_a_folder_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "report").mkdir()
    with pytest.raises(OSError):
        write_file(tmp_path / "report", "x")
    assert (tmp_path / "report").is_dir() and _leftovers(tmp_path) == []


# ------------------------------------------------------------------ write_folder


def test_write_folder_replaces_a_results_folder(tmp_path: Path) -> None:
    out = tmp_path / "res"
    write_folder(out, {"a.txt": "1", "plots/p.png": b"\x89PNG"})
    assert (out / MARKER).is_file() and (out / "plots" / "p.png").read_bytes() == b"\x89PNG"
    write_folder(out, {"b.txt": "2"})
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "b.txt"])  # a.txt and plots/ are gone
    assert _leftovers(tmp_path) == []


def test_an_interrupted_folder_write_leaves_the_old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "res"
    write_folder(out, {"summary.json": "old\n"})
    real = Path.write_text
    calls = []

    def fail_second(self: Path, *args: Any, **kwargs: Any) -> int:
        calls.append(self.name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", fail_second)
    with pytest.raises(OSError, match="disk full"):
        write_folder(out, {"summary.json": "new\n", "summary.csv": "new\n"})
    monkeypatch.undo()
    assert (out / "summary.json").read_text(encoding="utf-8") == "old\n"
    assert not (out / "summary.csv").exists()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", list(FolderKind), ids=lambda k: k.command)
def test_a_results_folder_is_replaced_only_by_its_own_kind(tmp_path: Path, kind: FolderKind) -> None:
    """A folder records what wrote it; a command of another kind is refused before it runs and
    when it writes (the folder is left as it was), the same kind replaces it."""
    out = tmp_path / "res"
    write_folder(out, {"precious.csv": "1\n"}, kind)
    assert FolderKind.of(out) is kind
    for other in FolderKind:
        if other is kind:
            continue
        with pytest.raises(ResultsFolderError, match=f"holds {kind.holds}") as refused:
            check_destination(out, kind=other)
        assert f"`supplysim {other.command}` would replace them" in str(refused.value)
        assert str(refused.value).count("hint:") == 1
        with pytest.raises(ResultsFolderError):
            write_folder(out, {"x": "y"}, other)
        with pytest.raises(ResultsFolderError), FolderBuilder(out, other) as tmp:
            (tmp / "x").write_text("y", encoding="utf-8")
        assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "precious.csv"])
    write_folder(out, {"new.csv": "2\n"}, kind)
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "new.csv"])
    assert _leftovers(tmp_path) == []


def test_a_folder_of_no_recorded_kind_or_an_unknown_one(tmp_path: Path) -> None:
    """A marker that names no kind (an older folder) may be replaced by any command; one that names a
    kind this version does not know is refused, naming it."""
    old = tmp_path / "old"
    old.mkdir()
    (old / MARKER).write_text("written by supplysim 0.0.9; this folder is replaced by the next run\n", "utf-8")
    assert FolderKind.of(old) is None
    write_folder(old, {"a": "b"}, FolderKind.SWEEP)
    assert FolderKind.of(old) is FolderKind.SWEEP
    future = tmp_path / "future"
    future.mkdir()
    (future / MARKER).write_text("written by supplysim 9.0\nkind: forecast\n", "utf-8")
    with pytest.raises(ResultsFolderError, match="a folder of kind 'forecast'"):
        check_destination(future, kind=FolderKind.RUN)


def test_write_folder_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(ResultsFolderError, match="did not write") as refused:
        write_folder(tmp_path / "mine", {"a": "b"})
    assert (tmp_path / "mine" / "thesis.tex").read_text(encoding="utf-8") == "precious"
    assert str(refused.value).count("hint:") == 1  # one message, not wrapped in another


# ------------------------------------------------------------------ provenance


def test_provenance_versions_are_those_of_the_libraries() -> None:
    p = provenance.provenance()
    assert list(p) == ["python", "numpy", "simpy", "supplysim", "git_commit"]
    assert p["python"] == platform.python_version()
    assert p["numpy"] == np.__version__
    assert p["simpy"] == simpy.__version__
    assert p["supplysim"] == supplysim.__version__
    p["python"] = "changed"
    assert provenance.provenance()["python"] == platform.python_version()  # a copy each time


def test_the_commit_is_the_checkouts() -> None:
    root = provenance.source_checkout()
    if root is None:
        pytest.skip("supplysim is installed from a package, not run from a checkout")
    assert (root / "src" / "supplysim" / "__init__.py").is_file()
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("no git program or no .git to compare with")
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert provenance.git_commit(root) == head.stdout.strip()


def _repo(root: Path, head: str, refs: dict[str, str] | None = None, packed: str | None = None) -> Path:
    git = root / ".git"
    git.mkdir(parents=True)
    (git / "HEAD").write_text(head + "\n", encoding="utf-8")
    for ref, sha in (refs or {}).items():
        (git / ref).parent.mkdir(parents=True, exist_ok=True)
        (git / ref).write_text(sha + "\n", encoding="utf-8")
    if packed is not None:
        (git / "packed-refs").write_text(packed, encoding="utf-8")
    return root


def test_commit_from_a_loose_ref(tmp_path: Path) -> None:
    root = _repo(tmp_path, "ref: refs/heads/main", {"refs/heads/main": SHA_A})
    assert provenance.git_commit(root) == SHA_A


def test_commit_from_packed_refs(tmp_path: Path) -> None:
    packed = f"# pack-refs with: peeled fully-peeled sorted\n{SHA_B} refs/heads/dev\n{SHA_A} refs/heads/main\n"
    root = _repo(tmp_path, "ref: refs/heads/main", packed=packed)
    assert provenance.git_commit(root) == SHA_A


def test_a_loose_ref_wins_over_packed_refs(tmp_path: Path) -> None:
    root = _repo(tmp_path, "ref: refs/heads/main", {"refs/heads/main": SHA_B}, packed=f"{SHA_A} refs/heads/main\n")
    assert provenance.git_commit(root) == SHA_B


def test_commit_of_a_detached_head(tmp_path: Path) -> None:
    assert provenance.git_commit(_repo(tmp_path, SHA_A)) == SHA_A


def test_commit_of_a_linked_worktree(tmp_path: Path) -> None:
    """``.git`` is a file naming the worktree's folder, whose ``commondir`` leads to the shared refs."""
    main = _repo(tmp_path / "main", "ref: refs/heads/main", {"refs/heads/feature": SHA_B})
    private = main / ".git" / "worktrees" / "wt"
    private.mkdir(parents=True)
    (private / "HEAD").write_text("ref: refs/heads/feature\n", encoding="utf-8")
    (private / "commondir").write_text("../..\n", encoding="utf-8")
    tree = tmp_path / "wt"
    tree.mkdir()
    (tree / ".git").write_text(f"gitdir: {private}\n", encoding="utf-8")
    assert provenance.git_commit(tree) == SHA_B


@pytest.mark.parametrize(
    ("head", "refs"),
    [
        ("ref: refs/heads/unborn", {}),  # a branch without commits
        ("ref: refs/heads/main", {"refs/heads/main": "not a sha"}),
        ("garbage", {}),
    ],
    ids=["unborn", "bad ref", "bad head"],
)
def test_unresolvable_heads_give_none(tmp_path: Path, head: str, refs: dict[str, str]) -> None:
    assert provenance.git_commit(_repo(tmp_path, head, refs)) is None


def test_no_checkout_gives_none(tmp_path: Path) -> None:
    assert provenance.git_commit(None) is None
    assert provenance.git_commit(tmp_path) is None  # no .git at all
    (tmp_path / ".git").write_text("gitdir: /nowhere/at/all\n", encoding="utf-8")
    assert provenance.git_commit(tmp_path) is None


def test_a_refused_sweep_leaves_no_empty_results_folder(tiny_file: Path) -> None:
    """The folder lock creates ``results/`` to hold its lock file; a sweep refused after taking
    the lock (a sweep point that does not validate) removes it again, since nothing was written."""
    from clirun import cli

    res = cli(tiny_file.parent, "sweep", "tiny.yaml", "--param", "demand.rate=-1,2", "--quiet")
    assert res.returncode == 2, res.stderr
    assert "demand.rate=-1" in res.stderr
    assert not (tiny_file.parent / "results").exists()


def test_the_folder_lock_keeps_a_parent_that_holds_something(tmp_path: Path) -> None:
    """Only the empty folders the lock created go: a parent that already existed, or that now
    holds another file, stays."""
    out = tmp_path / "a" / "b" / "run"
    with folders.FolderLock(out):
        assert (tmp_path / "a" / "b" / ".run.lock").exists()
    assert not (tmp_path / "a").exists()
    with folders.FolderLock(out):
        (tmp_path / "a" / "keep.txt").write_text("x", encoding="utf-8")
    assert (tmp_path / "a" / "keep.txt").exists()
    assert not (tmp_path / "a" / "b").exists()


def test_a_results_folder_under_a_file_is_refused_as_bad_input(tmp_path: Path) -> None:
    """`--out afile/sub` where afile is a file: a located refusal (exit 2 on the command line),
    not an OSError from making the folder."""
    (tmp_path / "afile").write_text("mine", encoding="utf-8")
    with pytest.raises(ResultsFolderError, match="afile is a file, so no folder can be made inside it"):
        check_destination(tmp_path / "afile" / "sub" / "deeper")
    with pytest.raises(ResultsFolderError):
        write_folder(tmp_path / "afile" / "sub", {"a": "b"}, FolderKind.RUN)
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "mine"
