"""Numba signatures shared by generated kernels and the precompiled runtime that calls them.

The integrators (:mod:`statc.runtime.online.integrators`) and the control RK4 and
its adjoint (:mod:`statc.runtime.control.adjoint_rk4`) take a model's kernels as
first-class functions of these signatures: they are compiled once per installation,
not once per model, and the model's kernels are not re-optimised inside each of them.
The kernels themselves are compiled lazily, the overload a driver needs on first use.
"""

#: ``rhs(t, y, P, dy)``: time, state, parameters (C-contiguous float64), output.
RHS_SIGNATURE = "void(float64, float64[::1], float64[::1], float64[::1])"

#: ``observables(t, y, P, out)`` has the same signature.
OBSERVABLES_SIGNATURE = RHS_SIGNATURE

#: ``rhs_vjp(t, y, P, lam, gy, gP)`` and ``obs_vjp(t, y, P, wbar, gy, gP)``.
VJP_SIGNATURE = "void(float64, float64[::1], float64[::1], float64[::1], float64[::1], float64[::1])"
