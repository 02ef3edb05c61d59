"""Bounds at the edge: every number of every shipped scenario, set to an extreme value.

For each numeric key path of a shipped scenario (found by walking the resolved scenario's
dump, base model and policy bodies) and each value of :data:`EXTREMES`, the case asserts:

* ``supplysim validate --set PATH=VALUE`` exits 0 or 2, with one clear message and no
  traceback when it exits 2;
* when it exits 0, a short ``supplysim run --replications 2 --horizon H --workers 1
  --no-report`` of the same scenario exits 0 (or 2 with one clear message: the shorter
  horizon may make a duration too long for the run) in a forked child process with a
  time limit and an address-space limit (``RLIMIT_AS``), so a hang or a runaway queue
  fails the case instead of the machine.

The fast sample (one scenario, the values that used to break the run most often; the tiny
durations are covered by :data:`REFUSED`) runs with the suite; the whole corpus is marked
``slow``. ``python tests/test_bounds.py`` prints the count of cases and
of failures.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clirun import CliResult, cli

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("scenarios/textbook/*.yaml")])

EXTREMES = ("0", "-1", "1.0e-9", "1.0e+9", "1.0e+308", str(10**30), ".nan", ".inf", "true", "'1e400'")
"""The values tried at every numeric key: zero, negative, tiny, large, the largest double,
an integer no machine word holds, not-a-number, infinity, a boolean and an overflowing text."""

FAST_VALUES = ("1.0e+308", str(10**30), "true")
FAST_SCENARIO = "backorder_vs_out_of_stock.yaml"

TIME_LIMIT = 60.0
"""Seconds a short run may take (a run of the shipped scenarios takes well under one)."""
MEMORY_LIMIT = 2 * 1024**3
"""Address space of the run [bytes]: NumPy and SciPy map ~1 GB of it before any work."""
RUN_HORIZON = "30"


@dataclass(frozen=True)
class Case:
    scenario: Path
    path: str
    value: str

    @property
    def id(self) -> str:
        return f"{self.scenario.stem}:{self.path}={self.value}"


def _numeric_paths(data: object, prefix: str) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _numeric_paths(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data[:3]):
            yield from _numeric_paths(value, f"{prefix}.{i}")
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield prefix


def key_paths(scenario: Path) -> list[str]:
    """The numeric key paths of a scenario: its base model and settings, then its policy bodies."""
    from supplysim.scenario.load import load_scenario
    from supplysim.scenario.yaml_source import read_yaml

    sc = load_scenario(scenario)
    dump = sc.model_dump(by_alias=True, exclude={"policies", "sweep"}, exclude_none=True)
    paths = list(_numeric_paths(dump, ""))
    raw, _ = read_yaml(scenario.read_text(encoding="utf-8"), str(scenario))
    bodies = raw.get("policies") or {}
    for name, body in bodies.items():
        paths += [f"policies.{name}.{p}" for p in _numeric_paths(body or {}, "")]
    return list(dict.fromkeys(paths))


def cases(scenarios: list[Path], values: tuple[str, ...]) -> list[Case]:
    return [Case(s, p, v) for s in scenarios for p in key_paths(s) for v in values]


def _run_child(args: list[str], cwd: str, conn: object) -> None:  # pragma: no cover - in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    res = cli(Path(cwd), *args)
    conn.send((res.returncode, res.stdout[-2000:], res.stderr[-4000:]))  # type: ignore[attr-defined]


_warm: set[Path] = set()
"""Scenarios whose short run this process has already made (see :func:`warm_up`)."""


def warm_up(scenario: Path, cwd: Path) -> None:
    """One short run of ``scenario`` as written, in this process, once per process.

    The command line imports the simulator, SciPy and the writers only when a run starts;
    made once here before :func:`limited_run` forks, they are inherited by every forked
    child instead of being imported again in each (≈ 0.5–0.9 s of CPU per case). The
    child still runs the whole command under the same limits.
    """
    if scenario in _warm:
        return
    res = cli(cwd, *_short_run(scenario, cwd / "warm-up"))
    assert res.returncode == 0, f"the short run of {scenario.name} as written: {res.stderr[-400:]}"
    _warm.add(scenario)


def _short_run(scenario: Path, out: Path, *settings: str) -> list[str]:
    """The arguments of the short run of ``scenario`` into ``out``, with ``--set SETTING`` for each setting."""
    sets = [a for s in settings for a in ("--set", s)]
    return [
        "run", str(scenario), *sets, "--replications", "2", "--horizon", RUN_HORIZON, "--warmup", "0",
        "--workers", "1", "--no-report", "--out", str(out),
    ]  # fmt: skip


def limited_run(cwd: Path, *args: str) -> CliResult:
    """``supplysim ARGS`` in a forked child with :data:`TIME_LIMIT` and :data:`MEMORY_LIMIT`."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run_child, args=(list(args), str(cwd), child))
    proc.start()
    child.close()
    got = parent.poll(TIME_LIMIT)
    if not got:
        proc.kill()
        proc.join()
        return CliResult(-9, "", f"timed out after {TIME_LIMIT:g} s")
    try:
        code, out, err = parent.recv()
    except EOFError:
        proc.join()
        return CliResult(proc.exitcode or -1, "", "the child died (memory limit?)")
    proc.join()
    return CliResult(code, out, err)


def problem(case: Case, tmp: Path) -> str | None:
    """What is wrong with ``case``, or None when it behaves."""
    setting = f"{case.path}={case.value}"
    res = cli(tmp, "validate", str(case.scenario), "--set", setting)
    if res.returncode not in (0, 2) or "Traceback" in res.stderr:
        return f"validate exit {res.returncode}: {res.stderr[-400:]}"
    if res.returncode == 2:
        return _unclear(res)
    warm_up(case.scenario, tmp)
    run = limited_run(tmp, *_short_run(case.scenario, tmp / "out", setting))
    if run.returncode == 0:
        return None
    if run.returncode == 2:
        return _unclear(run)
    return f"validate ok but run exit {run.returncode}: {run.stderr[-400:]}"


def _unclear(res: CliResult) -> str | None:
    err = res.stderr
    if res.stdout or not err.startswith("error: ") or err.count("error:") != 1 or "Traceback" in err:
        return f"unclear message: {err[-400:]}"
    if len(err.splitlines()) > 8 or any(len(line) > 400 for line in err.splitlines()):
        return f"message too long: {err[:400]}"
    return None


FAST = cases([ROOT / "scenarios" / FAST_SCENARIO], FAST_VALUES)

FLAGSHIP = ROOT / "scenarios" / FAST_SCENARIO
BIG = str(10**30)

REFUSED = [
    ("demand.quantity={dist: choice, values: [" + BIG + "]}", "demand.quantity.values"),
    ("supplier.lead_time={dist: lognormal, mean: 5, sd: 1.0e+308}", "at most 1e+15"),
    ("supplier.lead_time={dist: gamma, mean: 5, cv: 1.0e+308}", "at most 1e+15"),
    ("supplier.lead_time={dist: gamma, mean: 5, cv: 50}", "coefficient of variation"),
    ("supplier.lead_time={dist: weibull, shape: 0.2, scale: 3}", "coefficient of variation"),
    ("supplier.lead_time={dist: weibull, shape: 0.01, scale: 3}", "mean and sd are at most"),
    ("supplier.servers=" + BIG, "supplier.servers"),
    ("supplier.servers=10001", "less than or equal to 10000"),
    ("store.initial_stock=1000000001", "less than or equal to 1000000000"),
    ("replenishment.order_quantity=" + BIG, "replenishment"),
    ("supplier.yield={dist: uniform, low: 0.5, high: 1.0e+308}", "supplier.yield.high"),
    ("demand.quantity={dist: negative_binomial, mean: 5, sd: 1.0e+155}", "demand.quantity"),
    ("supplier.lead_time=1.0e+308", "supplier.lead_time"),
    ("supplier.lead_time=1.0e+9", "would not end within a replication"),
    ("supplier.lead_time={dist: exponential, mean: 1.0e+7}", "would not end within a replication"),
    ("supplier.disruptions={every: 1.0e-9, duration: 1.0e-9}", "outages per replication"),
    ("supplier.disruptions={every: 1.0e+308, duration: 1}", "supplier.disruptions.every"),
    ("supplier.disruptions={every: 1.0e-9, duration: 40, clock: pause}", "with clock: pause"),
    ("demand.events=[{name: a, start: 1, end: 2, multiplier: 1.0e+9}]", "at the peak of the demand profile"),
    ("demand.trend=1.0e+9", "at the peak of the demand profile"),
    ("demand.rate=true", "not a boolean"),
    ("store.initial_stock=true", "not a boolean"),
    ("demand.rate='1e400'", "demand.rate"),
    ("name='abc\n'", "name"),
    ("replications=100001", "less than or equal to 100000"),
]


@pytest.mark.parametrize(("setting", "needle"), REFUSED, ids=[s for s, _ in REFUSED])
def test_values_the_run_cannot_simulate_are_refused(setting: str, needle: str, tmp_path: Path) -> None:
    """The inputs of the hardening report that used to validate and then break the run."""
    from clirun import assert_one_clear_message

    res = cli(tmp_path, "validate", str(FLAGSHIP), "--set", setting)
    assert_one_clear_message(res)
    assert needle in res.stderr, res.stderr


@pytest.mark.parametrize(
    "option", [["--replications", "100001"], ["--precision", "0.1", "--max-replications", "100001"]]
)
def test_replications_on_the_command_line_are_bounded(option: list[str], tmp_path: Path) -> None:
    res = cli(tmp_path, "run", str(FLAGSHIP), *option, "--no-report", "--out", str(tmp_path / "o"))
    assert res.returncode == 2, res.stderr
    assert "100000" in res.stderr
    assert not (tmp_path / "o").exists()


AT_THE_BOUND = [
    "supplier.servers=10000",
    "store.initial_stock=1000000000",
    "replenishment.order_quantity=1000000000",
    "replenishment.reorder_point=-1000000000",
    "supplier.lead_time={dist: gamma, mean: 5, cv: 10}",
    "supplier.lead_time=400",
]


@pytest.mark.parametrize("setting", AT_THE_BOUND)
def test_values_at_the_bound_run(setting: str, tmp_path: Path) -> None:
    """A value at its bound validates and runs: the bounds are not tighter than the engine."""
    assert cli(tmp_path, "validate", str(FLAGSHIP), "--set", setting).returncode == 0
    warm_up(FLAGSHIP, tmp_path)
    res = limited_run(tmp_path, *_short_run(FLAGSHIP, tmp_path / "o", setting))
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("case", FAST, ids=[c.id for c in FAST])
def test_extreme_value_fast(case: Case, tmp_path: Path) -> None:
    assert problem(case, tmp_path) is None


def test_the_corpus_is_large() -> None:
    """The slow corpus holds at least 1,000 cases."""
    assert len(cases(SCENARIOS, EXTREMES)) >= 1000


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_extreme_values_everywhere(scenario: Path, tmp_path: Path) -> None:
    found = [(c.id, p) for c in cases([scenario], EXTREMES) if (p := problem(c, tmp_path)) is not None]
    assert not found, "\n".join(f"{i}: {p}" for i, p in found)


if __name__ == "__main__":  # pragma: no cover - the count for the notes
    import tempfile

    sys.path.insert(0, str(Path(__file__).parent))
    picked = [ROOT / "scenarios" / a for a in sys.argv[1:]] or SCENARIOS
    total = failed = 0
    with tempfile.TemporaryDirectory() as d:
        for c in cases(picked, EXTREMES):
            total += 1
            p = problem(c, Path(d))
            if p is not None:
                failed += 1
                print(f"FAIL {c.id}: {p.splitlines()[0] if p.splitlines() else p}", flush=True)
    print(f"{total} cases, {failed} failed", file=sys.stderr)
    os._exit(0)
