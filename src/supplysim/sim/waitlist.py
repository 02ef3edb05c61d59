"""What happens after a customer is disappointed? The "notify me" waitlist and goodwill.

The waitlist sees the store through :class:`~supplysim.sim.ports.StoreView`;
goodwill is told of each disappointment by the store and thins the arrivals.
"""

from __future__ import annotations

import math
from collections import deque

from supplysim.scenario import Goodwill as GoodwillConfig
from supplysim.scenario import Waitlist as WaitlistConfig
from supplysim.sim.ports import StoreView
from supplysim.sim.trace import Event

__all__ = ["Goodwill", "Waitlist"]


class _Entry:
    __slots__ = ("cid", "converts", "counted", "deadline", "qty")

    def __init__(self, cid: int, qty: int, deadline: float, converts: bool, counted: bool) -> None:
        self.cid = cid
        self.qty = qty
        self.deadline = deadline
        self.converts = converts
        self.counted = counted


class Waitlist:
    """Customers shown "out of stock" who asked to be notified, first come first served.

    A customer joins with probability ``join`` (its own uniform draw) and stays
    interested until its patience runs out. When stock returns, the list is
    walked in order: those no longer interested leave, a customer who decides not
    to buy (probability 1 − ``convert``) leaves, and a buyer takes its whole
    request if available stock allows; otherwise it keeps its place and the walk
    stops (nobody overtakes it), to resume at the next delivery.
    """

    def __init__(self, cfg: WaitlistConfig) -> None:
        self.join_p = cfg.join
        self.convert_p = cfg.convert
        self.entries: deque[_Entry] = deque()

    def offer(
        self, store: StoreView, now: float, cid: int, qty: int, u_join: float, u_convert: float, patience: float
    ) -> None:
        """A customer was shown "out of stock": it may join."""
        if u_join >= self.join_p:
            return
        counted = store.measuring
        if counted:
            store.count_waitlist_join()
        self.entries.append(_Entry(cid, qty, now + patience, u_convert < self.convert_p, counted))
        store.log(now, Event.WAITLIST, cid, qty, "joined")

    def notify(self, store: StoreView, now: float) -> None:
        """Stock has returned: serve interested buyers in order while stock allows."""
        entries = self.entries
        while entries and store.available > 0:
            head = entries[0]
            if head.deadline < now or not head.converts:
                entries.popleft()
                store.log(now, Event.WAITLIST, head.cid, head.qty, "left" if head.deadline < now else "declined")
                continue
            if store.available < head.qty:
                return
            entries.popleft()
            store.ship_recovered(now, head.cid, head.qty, head.counted)


class Goodwill:
    """A disappointment stock D(t) that decays with time constant ``memory``.

    Each lost, cancelled or expired customer adds 1 to D; a potential customer
    arriving at t actually comes with probability exp(−churn · D(t)) – the
    "goodwill" model of Nerlove & Arrow (1962) with stockouts as negative
    investment. Thinning a Poisson process with this history-dependent
    probability gives arrival intensity λ(t)·exp(−churn · D(t)).
    """

    def __init__(self, cfg: GoodwillConfig) -> None:
        self.churn = cfg.churn
        self.memory = cfg.memory
        self.stock = 0.0
        self.t_last = 0.0

    def _decay(self, now: float) -> None:
        if now > self.t_last:
            self.stock *= math.exp(-(now - self.t_last) / self.memory)
            self.t_last = now

    def disappoint(self, now: float) -> None:
        """One more disappointed customer at ``now``."""
        self._decay(now)
        self.stock += 1.0

    def comes(self, now: float, u: float) -> bool:
        """Whether a potential customer with uniform draw ``u`` arrives at ``now``."""
        if self.stock == 0.0:
            return True
        self._decay(now)
        return u < math.exp(-self.churn * self.stock)
