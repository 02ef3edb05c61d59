"""Smoke test of ``benchmarks/startup.py``: it measures what it says and always reports.

No timing is asserted here (the targets are the benchmark's business, and it
exits 0 whatever they say). Two kinds of checks:

* the helper that measures one command, on tiny commands: the CPU time is that
  of the child, the peak RSS is at least what the child allocated, and a failing
  command is reported with its output;
* the whole script with ``--quick`` (≈ 30 s: nine CLI runs, each paying the
  start-up it measures), hence ``slow``: it exits 0, prints every figure with
  its verdict, and its JSON holds a finite positive ratio for each.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "startup.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("supplysim_benchmark_startup", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_measure_counts_the_childs_cpu_and_memory(bench: ModuleType, tmp_path: Path) -> None:
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    allocate = "b = bytearray(200 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
    idle = bench.measure([sys.executable, "-c", "import time; time.sleep(0.3)"])
    busy_sample = bench.measure([sys.executable, "-c", busy], log=tmp_path / "busy.log")
    big = bench.measure([sys.executable, "-c", allocate])
    assert idle.cpu < 0.25 <= idle.wall  # sleeping costs wall time, not CPU time
    assert busy_sample.cpu >= 0.3
    assert big.rss >= 200  # a lower bound only: a child inherits the peak RSS of its parent (pytest) at exec


def test_measure_reports_a_failing_command(bench: ModuleType, tmp_path: Path) -> None:
    code = "import sys; print('the reason'); sys.exit(3)"
    with pytest.raises(bench.CommandFailed, match=r"status 3\n(.|\n)*the reason"):
        bench.measure([sys.executable, "-c", code], log=tmp_path / "fail.log")


def test_reference_yaml_is_the_throughput_scenario(bench: ModuleType) -> None:
    text = bench.reference_yaml()
    assert text.startswith("name: throughput-benchmark\n")
    assert "policy: base_stock" in text


@pytest.mark.slow
def test_quick_run_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "startup.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick", "--repeats", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    figures = document["figures"]
    lines = done.stdout.splitlines()
    for figure in figures:
        assert math.isfinite(figure["ratio"]) and figure["ratio"] > 0, figure
        verdict = {True: "PASS", False: "FAIL", None: "info"}[figure["passed"]]
        assert any(line.startswith(figure["name"]) and line.endswith(verdict) for line in lines), figure["name"]
    assert {f["passed"] is None for f in figures} == {True, False}  # targets and information rows
    for command in document["commands"].values():
        assert len(command["cpu_s"]) == 1 and command["median_peak_rss_mib"] > 0
