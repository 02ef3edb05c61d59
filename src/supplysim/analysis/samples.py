"""What the figures show of one replication, recorded while it ran (bounded memory).

The experiment's first replication of every policy records its stock path on a window
of the run (:mod:`supplysim.sim.recorder`) and keeps its wait sketch; this module turns
them into plain data for the figures. Nothing here or above runs the model again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from supplysim.sim.recorder import PathWindow, StatePath
from supplysim.sim.replication import ReplicationResult

__all__ = ["DISPLAY_SPAN", "PolicySample", "StatePath", "display_window", "policy_sample"]

DISPLAY_SPAN = 120.0
"""Time units of the recorded stock path (readable steps in a figure)."""

DISPLAY_POINTS = 2000
"""Samples of the recorded path: a step every span/2000, finer than a figure's pixels."""


def display_window(warmup: float, horizon: float, span: float = DISPLAY_SPAN) -> PathWindow:
    """The recorded window: ``span`` time units starting a little before the end of the
    warm-up (an eighth of the span), so the picture is mostly the measured window, clipped
    to the run [0, warmup + horizon]."""
    end = warmup + horizon
    span = min(span, end)
    start = max(0.0, min(warmup - 0.125 * span, end - span))
    return PathWindow(start, min(end, start + span), DISPLAY_POINTS)


@dataclass(frozen=True)
class PolicySample:
    """One policy's recorded replication: its sampled stock path and its waits."""

    replication: int
    window: tuple[float, float]
    """The recorded window [start, end) [time]."""
    times: np.ndarray
    """Sample instants [time], evenly spaced over the window; each value holds until the next."""
    on_hand: np.ndarray
    """Units on hand at each sample."""
    backordered: np.ndarray
    """Units owed to waiting customers at each sample."""
    inventory_position: np.ndarray
    """On hand + on order − backordered at each sample [units]."""
    wait_values: np.ndarray
    """Waits of the window's customers served after waiting [time] (exact, or histogram bin
    centres within 0.2% once there are more than a few thousand), with ``wait_weights``."""
    wait_weights: np.ndarray
    """How many customers each of ``wait_values`` stands for."""
    mean_wait: float
    """Exact mean of those waits [time] (NaN if nobody waited)."""
    p90_wait: float
    """90th percentile of those waits [time]."""
    served_after_wait: int
    """Customers of the window served after waiting."""
    gave_up: int
    """Customers of the window who cancelled or whose backorder expired."""
    locations: dict[str, StatePath] = field(default_factory=dict)
    """For a network: the path of every store (listed order), then of the warehouse, on the same
    instants as ``times`` (the top-level arrays are then the first store's; waits are every store's
    together). Empty for a single store."""


def policy_sample(result: ReplicationResult, replication: int, window: PathWindow) -> PolicySample:
    """The figures' data of a replication run with the path window ``window``."""
    if result.path is None:
        raise ValueError("this replication did not record a sample path")
    path = result.path
    values, weights = result.waits.distribution()
    c = result.counters
    return PolicySample(
        replication=replication,
        window=(window.start, window.end),
        times=path.times,
        on_hand=path.on_hand,
        backordered=path.backordered,
        inventory_position=path.inventory_position,
        wait_values=values,
        wait_weights=weights,
        mean_wait=result.waits.mean,
        p90_wait=result.waits.quantile(0.9),
        served_after_wait=c.served_after_wait,
        gave_up=c.cancelled + c.expired,
        locations=dict(result.paths) if result.paths is not None else {},
    )
