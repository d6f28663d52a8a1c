"""Code generation: Equation IR and Model IR → real `.py` modules of
``@numba.njit(cache=True)`` kernels (RHS, observables, quadratures, adjoint,
finite-N simulator), plus the hand-written templates appended to them."""
