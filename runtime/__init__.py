"""Runtime: integration, initial conditions, results (and later simulation, control)."""
