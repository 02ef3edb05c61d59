"""What a replication produces: its counts, for :mod:`supplysim.analysis.indicators`."""

from __future__ import annotations

from dataclasses import dataclass, field

from supplysim.sim.recorder import StatePath
from supplysim.sim.stats import Counters, WaitSketch
from supplysim.sim.trace import TraceRow
from supplysim.sim.warehouse import NetworkResult

__all__ = ["ReplicationResult", "SupplierStats"]


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication produced."""

    counters: Counters
    waits: WaitSketch
    horizon: float
    final_on_hand: int
    trace: list[TraceRow] | None
    suppliers: dict[str, SupplierStats] = field(default_factory=dict)
    path: StatePath | None = None
    """The sampled state path, when the run was asked to record one."""
    network: NetworkResult | None = None
    """Per store and the warehouse, for a network (``counters``/``waits`` are then every store's together)."""
    paths: dict[str, StatePath] | None = None
    """For a network asked to record: the sampled path of every store (in listed order), then of the
    warehouse (``path`` is then the first store's)."""


@dataclass(frozen=True)
class SupplierStats:
    """One supplier's window statistics."""

    orders: int
    units: int
    cost: float
    lead_sum: float
    """Sum of realised lead times (arrival − placement) of the orders placed in the window [time]."""
    delayed: int
    down_time: float | None
    """Time down in the window [time]; None without disruptions."""
