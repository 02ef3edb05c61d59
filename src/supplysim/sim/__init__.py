"""The discrete-event model: clock, streams, customers, store, suppliers, rules."""

from supplysim.sim.replication import Replication, ReplicationResult, simulate

__all__ = ["Replication", "ReplicationResult", "simulate"]
