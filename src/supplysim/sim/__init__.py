"""The discrete-event model: clock, streams, customers, store, suppliers, rules."""

from supplysim.sim.model import ReplicationResult, simulate

__all__ = ["ReplicationResult", "simulate"]
