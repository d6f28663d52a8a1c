"""Numba signatures shared by generated kernels and the precompiled runtime that calls them.

``rhs(t, y, P, dy)`` is compiled with :data:`RHS_SIGNATURE`, so that the
integrators (:mod:`statc.runtime.online.integrators`) can take it as a
first-class function: they are compiled once per installation, not once per
model, and the model's right-hand side is not re-optimised inside each of them.
"""

#: ``rhs(t, y, P, dy)``: time, state, parameters (C-contiguous float64), output.
RHS_SIGNATURE = "void(float64, float64[::1], float64[::1], float64[::1])"
