"""L3, orchestration: executors, the runner, precision targets, sweeps, optimisation, regression checks."""
