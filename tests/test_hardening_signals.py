"""Signals, the pool's workers and interrupted writes (``docs/limits.md``, "Signals and workers").

The signal tests run the real command line in a subprocess, wait until its two pool workers
exist (children found through ``/proc``), send the signal, and then check the exit code, the
one line on stderr, that no process of the run is left, and that the previous results folder
is intact with nothing hidden beside it. The others check, in this process, what those rely on:
the deferred signals of the folder swap, the lazy task window, the work guard.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import typer

from clirun import ENV, MODULE

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "backorder_vs_out_of_stock.yaml"
"""A scenario whose replications take long enough (≈ 1 s each) to be caught mid-run."""

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="children are found through /proc")


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    """The processes of ``pids`` still alive after ``seconds`` (polled)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if _alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _start(cwd: Path, *args: str) -> tuple[subprocess.Popen[str], list[int]]:
    """``supplysim ARGS`` in a subprocess, once its two workers are running."""
    env = {**os.environ, **ENV, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [*MODULE, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
        workers = _children(proc.pid)
    time.sleep(0.2)  # inside the tasks
    return proc, workers


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A folder with the scenario and an earlier results folder ``res`` (its summary says "old")."""
    from supplysim.outputs.folders import write_folder

    shutil.copy(SCENARIO, tmp_path / "sc.yaml")
    write_folder(tmp_path / "res", {"summary.json": "old\n"})
    yield tmp_path


def _intact(project: Path) -> None:
    assert (project / "res" / "summary.json").read_text(encoding="utf-8") == "old\n"
    hidden = [p.name for p in project.iterdir() if p.name.startswith(".")]
    assert not hidden, hidden


LONG = ("--workers", "2", "--quiet", "--out", "res")
COMMANDS = {
    "run": ("run", "sc.yaml", "--replications", "2000", "--no-report", *LONG),
    "sweep": ("sweep", "sc.yaml", "--param", "replenishment.reorder_point=100:700:100", "--replications", "500", *LONG),
    "optimize": (
        "optimize",
        "sc.yaml",
        "--maximize",
        "profit",
        "--over",
        "replenishment.reorder_point=100:700:50",
        *LONG,
    ),
    "compare": (
        "compare",
        "sc.yaml",
        "--maximize",
        "profit",
        "--over",
        "replenishment.reorder_point=100:700:50",
        *LONG,
    ),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_sigterm_stops_the_workers_and_keeps_the_previous_results(project: Path, command: str) -> None:
    proc, workers = _start(project, *COMMANDS[command])
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert err.startswith("terminated: nothing was written") and err.count("\n") == 1, err
    assert not _gone_within(workers, 5)
    _intact(project)


def test_sigterm_stops_check(tmp_path: Path) -> None:
    bench = ROOT / "scenarios" / "benchmarks"
    shutil.copytree(ROOT / "results" / "baselines", tmp_path / "bl")
    before = {p: p.read_bytes() for p in (tmp_path / "bl").rglob("*.json")}
    proc, workers = _start(tmp_path, "check", str(bench), "--baseline", "bl", "--workers", "2", "--quiet")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert err.startswith("terminated: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert not _gone_within(workers, 5)
    assert {p: p.read_bytes() for p in (tmp_path / "bl").rglob("*.json")} == before
    assert not (tmp_path / "results" / "check.json").exists()


def test_the_workers_end_when_the_parent_is_killed(project: Path) -> None:
    proc, workers = _start(project, *COMMANDS["run"])
    proc.kill()
    proc.communicate(timeout=30)
    assert not _gone_within(workers, 5), "workers outlived their parent"
    assert (project / "res" / "summary.json").read_text(encoding="utf-8") == "old\n"


def test_a_killed_worker_is_one_message_naming_the_replications(project: Path) -> None:
    proc, workers = _start(project, *COMMANDS["run"])
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert err.startswith("error: a replication failed: a worker process died"), err
    assert "replication" in err.splitlines()[0].split("died", 1)[1] and "hint:" in err, err
    assert "Traceback" not in err and len(err.splitlines()) == 2, err
    assert not _gone_within(workers, 5)
    _intact(project)


def test_ctrl_c_stops_the_workers(project: Path) -> None:
    proc, workers = _start(project, *COMMANDS["run"])
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err == "interrupted: nothing was written (the workers were stopped)\n", err
    assert not _gone_within(workers, 5)
    _intact(project)


# --------------------------------------------------------------------------- in this process


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two renames"])
def test_a_signal_during_the_swap_waits_for_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool) -> None:
    """Ctrl-C in the middle of the swap: the new folder is put in place whole, the old one is
    removed, and only then is the interrupt raised (and :func:`writes_of` says so)."""
    from supplysim.outputs import folders

    out = tmp_path / "res"
    folders.write_folder(out, {"a.txt": "old"})
    swap = folders._swap

    def interrupted_swap(new: Path, dest: Path) -> Path | None:
        os.kill(os.getpid(), signal.SIGINT)  # arrives now, is held back until the swap is done
        return swap(new, dest)

    monkeypatch.setattr(folders, "_swap", interrupted_swap)
    if not exchange:
        monkeypatch.setattr(folders, "_exchange", lambda a, b: False)
    before = folders.writes_of(out)
    with pytest.raises(KeyboardInterrupt):
        folders.write_folder(out, {"a.txt": "new", "b.txt": "new"})
    assert (out / "a.txt").read_text(encoding="utf-8") == "new" and (out / "b.txt").exists()
    assert folders.writes_of(out) == before + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_an_interrupt_before_the_swap_keeps_the_old_folder(tmp_path: Path) -> None:
    from supplysim.outputs import folders

    out = tmp_path / "res"
    folders.write_folder(out, {"a.txt": "old"})

    class Interrupting(Mapping[str, str]):
        """Ctrl-C while the new folder's files are being made."""

        def __iter__(self) -> Iterator[str]:
            return iter(["a.txt", "b.txt"])

        def __len__(self) -> int:
            return 2

        def __getitem__(self, name: str) -> str:
            if name == "b.txt":
                raise KeyboardInterrupt
            return "new"

    with pytest.raises(KeyboardInterrupt):
        folders.write_folder(out, Interrupting())
    assert (out / "a.txt").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


@pytest.mark.parametrize("after_swap", [False, True])
@pytest.mark.parametrize("term", [False, True], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_write_says_which_folder_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], after_swap: bool, term: bool
) -> None:
    from supplysim.cli.common import Terminated, writing
    from supplysim.outputs import folders

    out = tmp_path / "res"
    folders.write_folder(out, {"a.txt": "old"})
    with pytest.raises(typer.Exit) as stop, writing(out):
        if after_swap:
            folders.write_folder(out, {"a.txt": "new"})
        raise Terminated if term else KeyboardInterrupt
    assert stop.value.exit_code == (143 if term else 130)
    err = capsys.readouterr().err
    word = "terminated" if term else "interrupted"
    expected = "the new results were written to" if after_swap else "nothing was written; "
    assert err.startswith(f"{word}: {expected}") and err.count("\n") == 1, err


def _pulled(n: int, log: list[int]) -> Iterator[int]:
    for i in range(n):
        log.append(i)
        yield -i


def test_the_pool_draws_tasks_lazily_and_places_every_result() -> None:
    """No more than the window is drawn ahead of the results; every index comes back once."""
    from supplysim.experiments.executors import WINDOW_PER_WORKER, LocalPool

    log: list[int] = []
    results = LocalPool(2).map_unordered(abs, _pulled(400, log))
    first = next(results)
    assert len(log) <= 2 * WINDOW_PER_WORKER + 1, len(log)
    rest = dict([first, *results])
    assert rest == {i: i for i in range(400)}


def test_an_interrupt_while_the_pool_shuts_down_still_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupt (Ctrl-C, or SIGTERM turned into an exception) can land while a finished pool
    waits for its workers to exit; the pool is then stopped as after any other interrupt: its
    workers and its manager thread are gone before the interrupt goes on (a manager thread left
    running at exit makes CPython 3.11 print an "Exception ignored" traceback)."""
    from concurrent.futures import ProcessPoolExecutor

    from supplysim.experiments.executors import LocalPool

    seen: list[tuple[Any, list[Any]]] = []  # (the manager thread, the worker processes) of the pool
    shutdown = ProcessPoolExecutor.shutdown

    def interrupted(self: ProcessPoolExecutor, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if wait:  # the handles, kept before shutdown() forgets them
            seen.append((self._executor_manager_thread, list(self._processes.values())))  # type: ignore[attr-defined]
            raise KeyboardInterrupt
        shutdown(self, wait=wait, cancel_futures=cancel_futures)

    monkeypatch.setattr(ProcessPoolExecutor, "shutdown", interrupted)
    with pytest.raises(KeyboardInterrupt):
        dict(LocalPool(2).map_unordered(abs, range(-20, 0)))
    ((manager, procs),) = seen
    assert manager is not None and procs, "the pool had started"
    assert not manager.is_alive()
    assert not any(proc.is_alive() for proc in procs)


def test_the_work_of_a_command_is_bounded(tmp_path: Path) -> None:
    from scenario_texts import TINY
    from supplysim.experiments.runner import check_work, expected_work
    from supplysim.scenario.errors import ScenarioError
    from supplysim.scenario.load import load_scenario

    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    sc = load_scenario(path)
    # rate 4 per day over warmup 5 + horizon 30, three policies, three replications
    assert expected_work([sc]) == pytest.approx(3 * 3 * 4 * 35)
    check_work([sc], limit=3 * 3 * 4 * 35)
    with pytest.raises(ScenarioError, match=r"3 policies × 100 replications = 4.2e\+04 expected customers"):
        check_work([sc], range(100), limit=1000)


def test_the_main_entry_point_turns_sigterm_into_exit_143(tmp_path: Path) -> None:
    """Before any command runs (while it loads): one line, 143."""
    code = (
        "import os, signal, sys, time; import supplysim.cli.app; app = sys.modules['supplysim.cli.app'];"
        "app.app = lambda **kw: (os.kill(os.getpid(), signal.SIGTERM), time.sleep(5)); app.main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 143, proc.stderr
    assert proc.stderr == "terminated\n"


def test_a_reader_never_finds_the_results_folder_missing(tmp_path: Path) -> None:
    """While a folder is rewritten again and again, a reader polling it always finds it whole
    (Linux: the swap is one ``renameat2`` exchange)."""
    import threading

    from supplysim.outputs import folders

    if not folders._exchange(tmp_path, tmp_path):  # an exchange of a folder with itself is a no-op
        pytest.skip("renameat2 is not available here")
    out = tmp_path / "res"
    folders.write_folder(out, {"n.txt": "0"})
    missing: list[int] = []
    polls = [0]
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            polls[0] += 1
            if not (out / folders.MARKER).exists():
                missing.append(polls[0])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for k in range(1, 60):
            folders.write_folder(out, {"n.txt": str(k)})
    finally:
        stop.set()
        reader.join()
    assert polls[0] > 100 and not missing, (polls[0], missing[:5])
    assert (out / "n.txt").read_text(encoding="utf-8") == "59"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_the_portable_fallback_ends_a_worker_whose_parent_died(tmp_path: Path) -> None:
    """Where ``prctl`` is missing, a worker's thread polls ``os.getppid()``: killing the parent
    ends the worker within a poll or two."""
    code = (
        "import multiprocessing as mp, os, sys, time\n"
        "import supplysim.experiments.executors as ex\n"
        "ex.sys.platform = 'elsewhere'  # not Linux: no prctl, the polling thread\n"
        "def child(parent):\n"
        "    ex._die_with_parent(parent)\n"
        "    time.sleep(60)\n"
        "p = mp.get_context('fork').Process(target=child, args=(os.getpid(),))\n"
        "p.start()\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    worker = int(proc.stdout.readline())
    time.sleep(0.3)
    assert _alive(worker)
    proc.kill()
    proc.communicate(timeout=30)
    from supplysim.experiments.executors import PARENT_POLL

    assert not _gone_within([worker], 3 * PARENT_POLL), "the worker outlived its parent"
