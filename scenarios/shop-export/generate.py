"""Write the example shop's records: a year of Kettle & Co.'s orders, receipts and stockouts.

The truth is ``truth.yaml`` beside this script (documented there): one replication of its
single policy, with its seed, is simulated with the event trace, and the trace of the
measured year is told as the shop's exports (``supplysim.analysis.records``) and dated
from Monday 6 January 2025, 00:00 (``supplysim.outputs.exports``). The output is the same
on every run.

    python scenarios/shop-export/generate.py [--out DIR]
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from supplysim.analysis.records import display_for, records_from_trace
from supplysim.outputs.exports import write_exports
from supplysim.scenario import load_scenario
from supplysim.sim.replication import simulate

HERE = Path(__file__).resolve().parent
START = datetime(2025, 1, 6)
"""The first day of the export: a Monday, as the truth's warm-up is a whole number of weeks."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder of the three CSV files (default: here)")
    args = parser.parse_args()
    truth = load_scenario(HERE / "truth.yaml")
    (cfg,) = truth.policies.values()
    result = simulate(cfg, seed=truth.seed, replication=0, horizon=truth.horizon, warmup=truth.warmup, trace=True)
    assert result.trace is not None
    records = records_from_trace(result.trace, display_for(cfg), truth.warmup, truth.warmup + truth.horizon)
    for path in write_exports(args.out, records, START, truth.time_unit).values():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
