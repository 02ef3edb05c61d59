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
from typing import NamedTuple

__all__ = ["Outlook", "quoted_wait"]


class Outlook(NamedTuple):
    """What one supplier expects at one moment: a snapshot, computed by one call and kept by nobody.

    Plain lists: a store has a handful of orders out, and a few Python operations on them cost
    less than building arrays (a quote is on the path of every customer met by a shortage).
    """

    times: list[float]
    """Estimated arrival of each outstanding order, in order of placement [time]."""
    units: list[int]
    """Units each outstanding order will deliver."""
    new_arrival: float
    """Estimated arrival of one more order placed at the replenishment rule's next opportunity [time]."""


def quoted_wait(now: float, need: int, outstanding: Sequence[Outlook], new_arrival: float) -> float:
    """The wait quoted to a customer whose last unit is the ``need``-th still to arrive [time].

    The outstanding orders are taken by estimated arrival (ties in order of the outlooks and of
    placement); the quote is the arrival of the first order at which the running total of units
    reaches ``need``, minus ``now``; ``new_arrival`` − ``now`` when they cannot cover it.

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
        times = [t for o in outstanding for t in o.times]
        units = [u for o in outstanding for u in o.units]
    if times and sum(units) >= need:
        covered = 0
        for i in sorted(range(len(times)), key=times.__getitem__):  # stable: ties keep their order
            covered += units[i]
            if covered >= need:
                return times[i] - now
    return new_arrival - now
