"""L2, pure numbers: the KPI registry, indicators of a replication, intervals, experiments as data."""
