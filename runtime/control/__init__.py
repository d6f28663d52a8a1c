"""Optimal control on the derived ODEs: the control problem with its exact
adjoint gradient, projections onto the admissible set, and `statc optimize`."""
