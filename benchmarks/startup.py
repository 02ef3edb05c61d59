"""Start-up and presentation costs of the command line.

What it measures
----------------
Every figure is a ratio against a reference measured in the same run:

1. **Start-up.** ``supplysim validate scenarios/backorder_vs_out_of_stock.yaml``
   against ``python -c "import numpy, yaml, pydantic"`` – the libraries that
   loading and validating a scenario needs, so the ratio is what the command
   costs beyond them (target ≤ 1.5). For information, ``python -c "import
   supplysim"`` and ``supplysim --help`` against the same reference.
2. **The report.** ``supplysim run`` with its report (``plots/`` and
   ``report.html``) against the same run with ``--no-report`` (target ≤ 1.3),
   on (a) the flagship scenario, ``--workers 1``, and (b) the benchmark model
   of ``benchmarks/throughput.py`` (its ``SCENARIO_YAML``) at 40,000 days, one
   replication, ``--workers 1``.
3. **Memory.** Peak RSS of the run (b) with its report at 40,000 days against
   the same at 1,000 days (target ≤ 1.2): nothing should grow with the horizon.

How
---
Each command runs in a fresh subprocess that is reaped with ``os.wait4``, which
gives the CPU time (user + system) and the peak resident set size of that child
alone (with any descendants it waited for); wall time is printed for
information only. The CLI is the ``supplysim`` script next to
``sys.executable`` (``python -m supplysim`` if there is none), run from the
repository root. Each repeat runs every command once, in reverse order on every
other repeat, so a slow spell of the shared machine hits all commands alike;
the figures are the medians over ``--repeats`` and the ratios are ratios of
medians. A first untimed pass warms the disk and font caches and writes the
bytecode caches (skipped with ``--quick``); the commands run with
``PYTHONDONTWRITEBYTECODE`` removed from their environment, as a user's would.
Results folders go to a temporary directory removed at the end.

This process imports nothing but the standard library, and reads the reference
model's YAML from ``benchmarks/throughput.py`` in a subprocess: on Linux a child
inherits its parent's peak RSS at ``exec``, so a parent larger than the
commands measured would inflate their ``ru_maxrss``. The header prints this
process's own peak, the floor of every RSS figure.

The targets are printed with PASS or FAIL; the exit status is 0 whatever they
say (this is a measurement, not a test), and 1 only if a command itself fails.

Usage::

    .venv/bin/python benchmarks/startup.py                # full run, 2–3 minutes
    .venv/bin/python benchmarks/startup.py --quick        # smoke run: 1 repeat, 4,000 vs 1,000 days
    .venv/bin/python benchmarks/startup.py --repeats 5 --json results/startup.json
    make bench-startup                                    # the full run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
"""Repository root: the working directory of every command."""
FLAGSHIP = "scenarios/backorder_vs_out_of_stock.yaml"
"""The flagship scenario, relative to :data:`ROOT`."""
LONG_HORIZON = 40_000.0
"""Days of the long run of the benchmark model."""
SHORT_HORIZON = 1_000.0
"""Days of the short run of the benchmark model (the memory reference)."""
QUICK_LONG_HORIZON = 4_000.0
"""Days of the long run with ``--quick``."""
REPEATS = 3
"""Default number of timed repeats."""
REFERENCE_IMPORTS = "import numpy, yaml, pydantic"
"""What the start-up reference imports."""

Metric = Literal["cpu", "rss"]


# ---------------------------------------------------------------------------- measuring one command


@dataclass(frozen=True)
class Sample:
    """What one run of a command cost."""

    cpu: float
    """User + system CPU seconds of the child (and the descendants it waited for)."""
    rss: float
    """Peak resident set size of the child [MiB]."""
    wall: float
    """Wall-clock seconds (for information: the machine is shared)."""


_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The commands' environment: this one, but bytecode is cached (``__pycache__``) as for any
installed package, so that a command does not compile supplysim's modules again each time it
runs when the environment says not to write bytecode. The warm-up pass writes the caches."""


class CommandFailed(RuntimeError):
    """A measured command exited with a non-zero status."""


def measure(argv: Sequence[str], *, cwd: Path | None = None, log: Path | None = None) -> Sample:
    """Run ``argv`` once in a fresh child process; its CPU time, peak RSS and wall time.

    Standard output and error go to ``log`` (discarded if None). Raises
    :class:`CommandFailed`, with the end of the log, if the command fails.
    """
    with open(log if log is not None else os.devnull, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=_ENV, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log is not None else ""
        raise CommandFailed(f"{shlex.join(argv)} exited with status {proc.returncode}\n{tail}")
    return Sample(cpu=usage.ru_utime + usage.ru_stime, rss=_mib(usage.ru_maxrss), wall=wall)


def _mib(maxrss: int) -> float:
    """``ru_maxrss`` in MiB (kibibytes on Linux, bytes on macOS)."""
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 2**10


def own_peak_rss() -> float:
    """This process's peak RSS [MiB]: no child's RSS can be reported below it."""
    import resource

    return _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def cli() -> list[str]:
    """How to start the command line: the venv's ``supplysim`` script, else ``python -m supplysim``."""
    script = Path(sys.executable).parent / "supplysim"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "supplysim"]


def reference_yaml() -> str:
    """``SCENARIO_YAML`` of ``benchmarks/throughput.py``, read in a subprocess (see the module docstring)."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import throughput; sys.stdout.write(throughput.SCENARIO_YAML)"
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "benchmarks")], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CommandFailed(f"cannot read SCENARIO_YAML from benchmarks/throughput.py:\n{done.stderr[-2000:]}")
    return done.stdout


# ---------------------------------------------------------------------------- the commands and the comparisons


@dataclass
class Command:
    """A command measured in every repeat."""

    key: str
    """Identifier (in the JSON output)."""
    label: str
    """Name of its table row."""
    argv: list[str]
    """The command line, without ``--out``."""
    report: bool | None = None
    """For ``supplysim run``: whether the report is expected (checked after each run); None: no results folder."""
    samples: list[Sample] = field(default_factory=list)

    def median(self, metric: Metric) -> float:
        """Median over the samples of ``cpu`` or ``rss``."""
        return float(statistics.median(getattr(s, metric) for s in self.samples))

    def run(self, tmp: Path, n: int) -> Sample:
        """Measure once (the ``n``-th run); a run gets a fresh ``--out`` folder, checked and removed afterwards."""
        argv = list(self.argv)
        out = tmp / f"{self.key}-{n}"
        if self.report is not None:
            argv += ["--out", str(out)]
        sample = measure(argv, cwd=ROOT, log=tmp / f"{self.key}.log")
        if self.report is not None:
            if (out / "report.html").exists() != self.report:
                raise CommandFailed(f"{shlex.join(argv)}: report.html {'missing' if self.report else 'written'}")
            shutil.rmtree(out)
        return sample


@dataclass(frozen=True)
class Comparison:
    """One figure: a command's median against its reference's, with an optional target."""

    name: str
    subject: str
    reference: str
    metric: Metric
    target: float | None
    """Largest acceptable ratio; None: for information."""


def commands(reference_model: Path, long_horizon: float, short_horizon: float) -> list[Command]:
    """Every command measured, in the order of a forward repeat."""
    py, sim = [sys.executable], cli()
    run_flagship = [*sim, "run", FLAGSHIP, "--workers", "1", "--quiet"]
    run_reference = [*sim, "run", str(reference_model), "--replications", "1", "--workers", "1", "--quiet"]
    long, short = ["--horizon", f"{long_horizon:g}"], ["--horizon", f"{short_horizon:g}"]
    return [
        Command("import_reference", f"python -c '{REFERENCE_IMPORTS}'", [*py, "-c", REFERENCE_IMPORTS]),
        Command("import_supplysim", "python -c 'import supplysim'", [*py, "-c", "import supplysim"]),
        Command("help", "supplysim --help", [*sim, "--help"]),
        Command("validate", "supplysim validate (flagship)", [*sim, "validate", FLAGSHIP]),
        Command("flagship_report", "run flagship", run_flagship, report=True),
        Command("flagship_no_report", "run flagship --no-report", [*run_flagship, "--no-report"], report=False),
        Command("reference_long", f"run reference {long_horizon:g} d", [*run_reference, *long], report=True),
        Command(
            "reference_long_no_report",
            f"run reference {long_horizon:g} d --no-report",
            [*run_reference, *long, "--no-report"],
            report=False,
        ),
        Command("reference_short", f"run reference {short_horizon:g} d", [*run_reference, *short], report=True),
    ]


COMPARISONS = [
    Comparison("validate vs imports (CPU)", "validate", "import_reference", "cpu", 1.5),
    Comparison("import supplysim vs imports (CPU)", "import_supplysim", "import_reference", "cpu", None),
    Comparison("--help vs imports (CPU)", "help", "import_reference", "cpu", None),
    Comparison("flagship: report vs --no-report (CPU)", "flagship_report", "flagship_no_report", "cpu", 1.3),
    Comparison("reference: report vs --no-report (CPU)", "reference_long", "reference_long_no_report", "cpu", 1.3),
    Comparison("reference: long vs short run (peak RSS)", "reference_long", "reference_short", "rss", 1.2),
]
"""The figures printed, in order."""

UNITS = {"cpu": "CPU-s", "rss": "MiB"}


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=None, help=f"timed runs of each command (default {REPEATS})")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: 1 repeat (unless --repeats), {QUICK_LONG_HORIZON:g} vs {SHORT_HORIZON:g} days, no warm-up",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    args = parser.parse_args(argv)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else REPEATS)
    if repeats < 1:
        parser.error("--repeats must be ≥ 1")
    long_horizon = QUICK_LONG_HORIZON if args.quick else LONG_HORIZON

    try:
        with tempfile.TemporaryDirectory(prefix="supplysim-startup-") as tmp_name:
            tmp = Path(tmp_name)
            model = tmp / "throughput_reference.yaml"
            model.write_text(reference_yaml(), encoding="utf-8")
            cmds = commands(model, long_horizon, SHORT_HORIZON)
            _header(cmds, repeats, long_horizon, warm=not args.quick)
            _measure_all(cmds, tmp, repeats, warm=not args.quick)
    except CommandFailed as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1

    print()
    _print_commands(cmds)
    print()
    figures = _print_comparisons({c.key: c for c in cmds})
    if args.json is not None:
        _write_json(args.json, cmds, figures, repeats, long_horizon)
        print(f"\nfigures written to {args.json}")
    return 0


def _measure_all(cmds: list[Command], tmp: Path, repeats: int, *, warm: bool) -> None:
    """An untimed warm-up pass (if ``warm``), then ``repeats`` interleaved passes."""
    if warm:
        print("warm-up pass (not timed)", flush=True)
        for cmd in cmds:
            cmd.run(tmp, 0)
    for i in range(repeats):
        start = time.perf_counter()
        order = cmds if i % 2 == 0 else cmds[::-1]
        for cmd in order:
            cmd.samples.append(cmd.run(tmp, i + 1))
        print(f"  repeat {i + 1}/{repeats}: {time.perf_counter() - start:.0f} s wall", flush=True)


def _header(cmds: list[Command], repeats: int, long_horizon: float, *, warm: bool) -> None:
    print(f"Python {platform.python_version()}, {platform.machine()}, {_cpus()} CPU(s), commit {_commit()}")
    print(
        f"{repeats} repeat(s){', after a warm-up pass' if warm else ''}; benchmark model at "
        f"{long_horizon:g} and {SHORT_HORIZON:g} days; this process's peak RSS {own_peak_rss():.1f} MiB "
        "(the floor of every RSS figure)"
    )
    print("commands (run from the repository root; runs also get --out <temporary folder>):")
    for cmd in cmds:
        print(f"  {cmd.key:<26}{shlex.join(_shorten(cmd.argv))}")
    print(flush=True)


def _print_commands(cmds: list[Command]) -> None:
    print(f"{'command':<44}{'CPU-s':>8}{'CPU-s per repeat':>22}{'peak RSS MiB':>14}{'wall s':>8}")
    for cmd in cmds:
        each = " ".join(f"{s.cpu:.2f}" for s in cmd.samples)
        wall = statistics.median(s.wall for s in cmd.samples)
        print(f"{cmd.label:<44}{cmd.median('cpu'):>8.2f}{each:>22}{cmd.median('rss'):>14.1f}{wall:>8.2f}")


def _print_comparisons(by_key: dict[str, Command]) -> list[dict[str, Any]]:
    """Print one row per :data:`COMPARISONS` entry; return the figures for the JSON output."""
    figures: list[dict[str, Any]] = []
    print(f"{'figure':<42}{'subject':>14}{'reference':>14}{'ratio':>9}{'target':>9}  verdict")
    for comp in COMPARISONS:
        subject = by_key[comp.subject].median(comp.metric)
        reference = by_key[comp.reference].median(comp.metric)
        ratio = subject / reference if reference > 0 else float("inf")
        passed = None if comp.target is None else ratio <= comp.target
        unit = UNITS[comp.metric]
        target = "" if comp.target is None else f"≤ {comp.target:g}"
        verdict = "info" if passed is None else ("PASS" if passed else "FAIL")
        shown = f"{f'{subject:.2f} {unit}':>14}{f'{reference:.2f} {unit}':>14}"
        print(f"{comp.name:<42}{shown}{ratio:>8.2f}x{target:>9}  {verdict}")
        figures.append(
            {
                "name": comp.name,
                "metric": comp.metric,
                "unit": unit,
                "subject": comp.subject,
                "reference": comp.reference,
                "subject_median": subject,
                "reference_median": reference,
                "ratio": ratio,
                "target": comp.target,
                "passed": passed,
            }
        )
    return figures


def _write_json(
    path: Path, cmds: list[Command], figures: list[dict[str, Any]], repeats: int, long_horizon: float
) -> None:
    document = {
        "benchmark": "startup",
        "commit": _commit(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": _cpus(),
        "repeats": repeats,
        "horizons": {"long": long_horizon, "short": SHORT_HORIZON},
        "commands": {
            c.key: {
                "label": c.label,
                "argv": _shorten(c.argv),
                "cpu_s": [s.cpu for s in c.samples],
                "peak_rss_mib": [s.rss for s in c.samples],
                "wall_s": [s.wall for s in c.samples],
                "median_cpu_s": c.median("cpu"),
                "median_peak_rss_mib": c.median("rss"),
            }
            for c in cmds
        },
        "figures": figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _shorten(argv: list[str]) -> list[str]:
    """The command line for display: paths relative to the repository root where they can be."""
    shown = []
    for arg in argv:
        path = Path(arg)
        if path.is_absolute() and path.is_relative_to(ROOT):
            arg = str(path.relative_to(ROOT))
        elif path.is_absolute() and path.parent.name.startswith("supplysim-startup-"):
            arg = f"<tmp>/{path.name}"
        shown.append(arg)
    return shown


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
