"""What does the store promise? The quoted wait, as one pure function.

A customer wanting ``qty`` units joins the back of the queue (FIFO: everyone
ahead is served first), so its last unit is the ``need``-th unit still to
arrive, with

    need = backordered + qty − on_hand   [units].

With need ≤ 0 the units are already on the shelf: the quote is 0. Otherwise the
outstanding orders of every supplier are walked by estimated arrival (each
supplier's :class:`Outlook`, see :mod:`supplysim.sim.supplier` for how it
estimates); the quote is the estimated arrival of the order that brings the
need-th unit, minus now. If the outstanding orders cannot cover it, the rest is
assumed to come with one new order placed at the replenishment rule's next
opportunity with the supplier the sourcing rule would use (``docs/model.md``,
"Quoted wait").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Outlook", "quoted_wait"]


class Outlook(NamedTuple):
    """What one supplier expects at one moment: a snapshot, computed by one call and kept by nobody."""

    times: np.ndarray[Any, np.dtype[np.float64]]
    """Estimated arrival of each outstanding order, in order of placement [time]."""
    units: np.ndarray[Any, np.dtype[np.int64]]
    """Units each outstanding order will deliver."""
    new_arrival: float
    """Estimated arrival of one more order placed at the replenishment rule's next opportunity [time]."""


def quoted_wait(now: float, need: int, outstanding: Sequence[Outlook], new_arrival: float) -> float:
    """The wait quoted to a customer whose last unit is the ``need``-th still to arrive [time].

    Args:
        now: the current time [time].
        need: backordered + qty − on_hand [units] (see the module docstring).
        outstanding: every supplier's outlook (their outstanding orders).
        new_arrival: estimated arrival of a new order, for units the outstanding orders
            cannot cover [time].
    """
    if need <= 0:
        return 0.0
    if len(outstanding) == 1:
        times, units = outstanding[0].times, outstanding[0].units
    else:
        times = np.concatenate([o.times for o in outstanding])
        units = np.concatenate([o.units for o in outstanding])
    if len(times) and int(units.sum()) >= need:
        order = np.argsort(times, kind="stable")
        covered = np.cumsum(units[order])
        return float(times[order[int(np.searchsorted(covered, need))]]) - now
    return new_arrival - now
