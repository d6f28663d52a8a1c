"""Runtime of the online kind: state layout, initial overlaps, ODE integration,
the finite-N simulator driver and `statc run`."""
