"""A shop's records: reading its exports (orders, receipts, stockout spells; ``data.md``).

The input edge of ``supplysim fit`` and ``supplysim backtest``, beside the scenario
reader: it imports only :mod:`supplysim.scenario` (for its error type and hints), and
the estimators (:mod:`supplysim.analysis.fit`) read what it returns.

    >>> from supplysim.records import read_records            # doctest: +SKIP
    >>> rec = read_records("orders.csv", stockouts="stockouts.csv", time_unit="day")
"""

from __future__ import annotations

from supplysim.records.model import UNIT_SECONDS, Orders, Receipts, Records, Stockouts
from supplysim.records.read import (
    MAX_PROBLEMS,
    MAX_RECORD_BYTES,
    Problem,
    RecordsError,
    list_skus,
    parse_time,
    read_records,
)

__all__ = [
    "MAX_PROBLEMS",
    "MAX_RECORD_BYTES",
    "UNIT_SECONDS",
    "Orders",
    "Problem",
    "Receipts",
    "Records",
    "RecordsError",
    "Stockouts",
    "list_skus",
    "parse_time",
    "read_records",
]
