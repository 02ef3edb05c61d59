"""Exact fingerprints of the simulator's output, to prove that a change to the hot path changed no number.

For every shipped scenario (``scenarios/*.yaml``, ``scenarios/benchmarks/*.yaml``) and the
benchmark lines of ``benchmarks/throughput.py``, every policy, replications 0 and 1, over a
short horizon: one run with a full trace and one without. The fingerprint of a run is the
SHA-256 of its counters, its wait sketch, its supplier statistics, its network statistics
and every trace row (written with ``repr``, so floats are compared to the last bit). The
traced and the untraced run must agree on every count.

Usage::

    .venv/bin/python benchmarks/fingerprint.py --record /tmp/before.json   # before a change
    .venv/bin/python benchmarks/fingerprint.py --compare /tmp/before.json  # after it: exit 1 on any difference
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from supplysim.scenario import ModelConfig
from supplysim.scenario.load import load_scenario, parse_scenario
from supplysim.sim import simulate
from supplysim.sim.stats import WaitSketch

ROOT = Path(__file__).resolve().parents[1]
HORIZON_CAP = 400.0
"""Longest horizon fingerprinted [time] (plus the scenario's warm-up)."""


def _throughput() -> ModuleType:
    path = ROOT / "benchmarks" / "throughput.py"
    spec = importlib.util.spec_from_file_location("supplysim_benchmark_throughput", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def models() -> dict[str, tuple[ModelConfig, float, float]]:
    """Every model fingerprinted: name → (model, horizon, warm-up)."""
    out: dict[str, tuple[ModelConfig, float, float]] = {}
    paths = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "benchmarks").glob("*.yaml"))
    for path in paths:
        scenario = load_scenario(path)
        for name, cfg in scenario.policies.items():
            key = f"{path.relative_to(ROOT)}:{name}"
            out[key] = (cfg, min(scenario.horizon, HORIZON_CAP), scenario.warmup)
    bench = _throughput()
    for line, text in bench.LINES.items():
        scenario = parse_scenario(text, file=f"<{line}>")
        out[f"throughput:{line}"] = (scenario.policies[scenario.baseline], 300.0, 10.0)
    return out


def as_plain(value: Any) -> Any:
    """A result as plain JSON-able values, every float as its ``repr`` (to the last bit)."""
    if isinstance(value, WaitSketch):
        values, weights = value.distribution()
        return [value.count, repr(value.total), repr(values.tolist()), repr(weights.tolist())]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    return repr(value)


def fingerprint(cfg: ModelConfig, horizon: float, warmup: float, replication: int) -> dict[str, str]:
    """The digests of one replication: its numbers (untraced), its numbers (traced) and its trace."""
    plain = simulate(cfg, seed=11, replication=replication, horizon=horizon, warmup=warmup)
    traced = simulate(cfg, seed=11, replication=replication, horizon=horizon, warmup=warmup, trace=True)

    def numbers(result: Any) -> str:
        body = [
            as_plain(result.counters),
            as_plain(result.waits),
            as_plain(result.suppliers),
            as_plain(result.network),
            repr(result.final_on_hand),
        ]
        return hashlib.sha256(json.dumps(body).encode()).hexdigest()

    rows = "\n".join(repr(tuple(row)) for row in traced.trace or [])
    return {
        "numbers": numbers(plain),
        "traced numbers": numbers(traced),
        "trace": hashlib.sha256(rows.encode()).hexdigest(),
    }


def collect() -> dict[str, dict[str, str]]:
    """The fingerprints of every model and replication."""
    out: dict[str, dict[str, str]] = {}
    for name, (cfg, horizon, warmup) in models().items():
        for r in (0, 1):
            out[f"{name}#{r}"] = fingerprint(cfg, horizon, warmup, r)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--record", type=Path, help="write the fingerprints to this JSON file")
    group.add_argument("--compare", type=Path, help="compare with the fingerprints in this JSON file")
    args = parser.parse_args(argv)
    now = collect()
    bad = [k for k, v in now.items() if v["numbers"] != v["traced numbers"]]
    for k in bad:
        print(f"{k}: the traced run's numbers differ from the untraced run's")
    if args.record is not None:
        args.record.write_text(json.dumps(now, indent=1, sort_keys=True), encoding="utf-8")
        print(f"{len(now)} runs fingerprinted → {args.record}")
        return 1 if bad else 0
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    differ = [f"{k}: {part}" for k, v in before.items() for part in v if now.get(k, {}).get(part) != v[part]]
    for line in differ:
        print(f"changed: {line}")
    print(f"{len(before)} runs compared: {len(differ)} difference(s)")
    return 1 if differ or bad else 0


if __name__ == "__main__":
    sys.exit(main())
