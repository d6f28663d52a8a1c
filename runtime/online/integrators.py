"""Adaptive Dormand–Prince 5(4) and fixed-step RK4 for a model's order-parameter ODEs.

Compiled once per installation (Numba's on-disk cache beside this file): the model's
``rhs(t, y, P, dy)`` comes in as a first-class function of signature
:data:`~statc.compiler.codegen.signatures.RHS_SIGNATURE` and is called through its
address, so a cold model compile no longer builds — and LLVM no longer re-optimises with
the right-hand side linked in — an integrator of its own (saad_solla: ~5.7 s of CPU).

Parameters may change at segment boundaries ``seg_t`` (piecewise-constant schedules):
row s of ``seg_P`` holds the parameters on [seg_t[s], seg_t[s+1]).
info[0] = status (0 ok, 1 non-finite state, 2 step size underflow, 3 too many steps),
info[1] = time reached, info[2] = RHS evaluations, info[3] = accepted steps,
info[4] = index of the first bad state entry.  ``integrate_dopri`` also leaves its
state in y0 and its next step size in info[5] when it returns: after ``max_steps``
accepted steps (status 3) the caller can resume from there (same trajectory), which
keeps a long run interruptible.

Rows are copied element by element (Numba compiles an array-to-array slice assignment
with its shape-error path), and the status helpers take floats (an int argument that is
a constant at its call site is typed ``Literal[int]`` and would compile one more
specialisation per constant).
"""
from __future__ import annotations

import functools

import numpy as np
from numba import njit, types
from numba.core.dispatcher import Dispatcher
from numba.core.sigutils import normalize_signature

from statc.compiler.codegen.signatures import RHS_SIGNATURE, VJP_SIGNATURE


def _function_type(signature: str) -> types.FunctionType:
    args, ret = normalize_signature(signature)
    return types.FunctionType(ret(*args))


RHS_TYPE = _function_type(RHS_SIGNATURE)
VJP_TYPE = _function_type(VJP_SIGNATURE)


@functools.lru_cache(maxsize=256)
def first_class(kernel: Dispatcher, signature: str = RHS_SIGNATURE) -> Dispatcher:
    """``kernel`` (a lazily compiled dispatcher of a generated module) with its overload
    for ``signature`` compiled or loaded from Numba's cache, ready to be passed as a
    first-class function.  Memoised: ``Dispatcher.compile`` re-parses the signature and
    takes the compiler lock (~0.2 ms), and the control problem asks on every gradient."""
    kernel.compile(signature)
    return kernel


_V = types.float64[::1]
_M = types.float64[:, ::1]

_A21 = 1.0 / 5.0
_A31, _A32 = 3.0 / 40.0, 9.0 / 40.0
_A41, _A42, _A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
_A51, _A52, _A53, _A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
_A61, _A62, _A63, _A64, _A65 = 9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0
_B1, _B3, _B4, _B5, _B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
_E1, _E3, _E4, _E5, _E6, _E7 = (71.0 / 57600.0, -71.0 / 16695.0, 71.0 / 1920.0,
                                -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0)
_C2, _C3, _C4, _C5 = 0.2, 0.3, 0.8, 8.0 / 9.0
_BIG = 1e100


@njit(cache=True)
def _finish(info, status, t, nfev, nsteps, bad):
    info[0] = status
    info[1] = t
    info[2] = nfev
    info[3] = nsteps
    info[4] = bad


@njit(cache=True)
def _pause(info, status, t, nfev, nsteps, bad, h, y, y0):
    _finish(info, status, t, nfev, nsteps, bad)
    info[5] = h
    for i in range(y.shape[0]):
        y0[i] = y[i]


@njit(cache=True)
def _bad_entry(y):
    for i in range(y.shape[0]):
        v = y[i]
        if not (abs(v) < _BIG):
            return i
    return -1


@njit(types.int64(_M, _V, types.int64, types.float64, _V), cache=True)
def _record(out_Y, t_rec, r, t, y):
    """Store ``y`` in every row of ``out_Y`` from ``r`` on whose recording time is ≤ t;
    return the next row.  (An explicit signature: a bare ``0`` argument would otherwise
    compile a second, ``Literal[int]``, specialisation.)"""
    while r < t_rec.shape[0] and t_rec[r] <= t:
        out_Y[r, :] = y
        r += 1
    return r


@njit(types.void(RHS_TYPE, _V, _V, _M, _V, types.float64, types.float64, types.float64, types.int64, _M, _V),
      cache=True)
def integrate_dopri(rhs, y0, seg_t, seg_P, t_rec, rtol, atol, h_init, max_steps, out_Y, info):
    n = y0.shape[0]
    y = y0.copy()
    k1 = np.empty(n); k2 = np.empty(n); k3 = np.empty(n); k4 = np.empty(n)
    k5 = np.empty(n); k6 = np.empty(n); k7 = np.empty(n)
    yt = np.empty(n); ynew = np.empty(n)
    t = seg_t[0]
    r = _record(out_Y, t_rec, 0, t, y)
    nfev = 0
    nsteps = 0
    span = seg_t[seg_t.shape[0] - 1] - seg_t[0]
    h = h_init if h_init > 0 else 1e-4 * max(span, 1e-12)
    for s in range(seg_P.shape[0]):
        P = seg_P[s]
        t_end = seg_t[s + 1]
        rhs(t, y, P, k1)
        nfev += 1
        while t < t_end:
            target = t_end
            if r < t_rec.shape[0] and t_rec[r] < target:
                target = t_rec[r]
            hh = min(h, target - t)
            landing = hh >= target - t
            rhs_t = t
            for i in range(n):
                yt[i] = y[i] + hh * _A21 * k1[i]
            rhs(rhs_t + _C2 * hh, yt, P, k2)
            for i in range(n):
                yt[i] = y[i] + hh * (_A31 * k1[i] + _A32 * k2[i])
            rhs(rhs_t + _C3 * hh, yt, P, k3)
            for i in range(n):
                yt[i] = y[i] + hh * (_A41 * k1[i] + _A42 * k2[i] + _A43 * k3[i])
            rhs(rhs_t + _C4 * hh, yt, P, k4)
            for i in range(n):
                yt[i] = y[i] + hh * (_A51 * k1[i] + _A52 * k2[i] + _A53 * k3[i] + _A54 * k4[i])
            rhs(rhs_t + _C5 * hh, yt, P, k5)
            for i in range(n):
                yt[i] = y[i] + hh * (_A61 * k1[i] + _A62 * k2[i] + _A63 * k3[i] + _A64 * k4[i] + _A65 * k5[i])
            rhs(rhs_t + hh, yt, P, k6)
            for i in range(n):
                ynew[i] = y[i] + hh * (_B1 * k1[i] + _B3 * k3[i] + _B4 * k4[i] + _B5 * k5[i] + _B6 * k6[i])
            rhs(rhs_t + hh, ynew, P, k7)
            nfev += 6
            err = 0.0
            for i in range(n):
                e = hh * (_E1 * k1[i] + _E3 * k3[i] + _E4 * k4[i] + _E5 * k5[i] + _E6 * k6[i] + _E7 * k7[i])
                sc = atol + rtol * max(abs(y[i]), abs(ynew[i]))
                err += (e / sc) ** 2
            err = np.sqrt(err / max(n, 1))
            if not (err == err) or _bad_entry(ynew) >= 0:
                if hh < 1e-14 * max(abs(t), 1.0):
                    _pause(info, 1.0, t, float(nfev), float(nsteps), float(_bad_entry(ynew)), h, y, y0)
                    return
                h = 0.25 * hh
                continue
            if err <= 1.0:
                t = target if landing else t + hh
                for i in range(n):
                    y[i] = ynew[i]
                    k1[i] = k7[i]
                nsteps += 1
                r = _record(out_Y, t_rec, r, t, y)
                fac = 10.0 if err == 0.0 else min(10.0, max(0.2, 0.9 * err ** -0.2))
                if not landing or fac < 1.0:
                    h = hh * fac
                if nsteps >= max_steps:
                    _pause(info, 3.0, t, float(nfev), float(nsteps), -1.0, h, y, y0)
                    return
            else:
                h = hh * max(0.2, 0.9 * err ** -0.2)
                if h < 1e-14 * max(abs(t), 1.0):
                    _pause(info, 2.0, t, float(nfev), float(nsteps), -1.0, h, y, y0)
                    return
    _pause(info, 0.0, t, float(nfev), float(nsteps), -1.0, h, y, y0)


@njit(cache=True)
def _rk4_step(rhs, t, y, h, P, k1, k2, k3, k4, yt):
    n = y.shape[0]
    rhs(t, y, P, k1)
    for i in range(n):
        yt[i] = y[i] + 0.5 * h * k1[i]
    rhs(t + 0.5 * h, yt, P, k2)
    for i in range(n):
        yt[i] = y[i] + 0.5 * h * k2[i]
    rhs(t + 0.5 * h, yt, P, k3)
    for i in range(n):
        yt[i] = y[i] + h * k3[i]
    rhs(t + h, yt, P, k4)
    for i in range(n):
        y[i] += h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0


@njit(types.void(RHS_TYPE, _V, _V, _M, _V, types.float64, _M, _V), cache=True)
def integrate_rk4(rhs, y0, seg_t, seg_P, t_rec, dt, out_Y, info):
    n = y0.shape[0]
    y = y0.copy()
    k1 = np.empty(n); k2 = np.empty(n); k3 = np.empty(n); k4 = np.empty(n); yt = np.empty(n)
    t = seg_t[0]
    r = _record(out_Y, t_rec, 0, t, y)
    nsteps = 0
    for s in range(seg_P.shape[0]):
        P = seg_P[s]
        t_end = seg_t[s + 1]
        while t < t_end:
            target = t_end
            if r < t_rec.shape[0] and t_rec[r] < target:
                target = t_rec[r]
            m = max(1, int(np.ceil((target - t) / dt - 1e-9)))
            h = (target - t) / m
            for _ in range(m):
                _rk4_step(rhs, t, y, h, P, k1, k2, k3, k4, yt)
                t += h
                nsteps += 1
                bad = _bad_entry(y)
                if bad >= 0:
                    _finish(info, 1.0, t, float(4 * nsteps), float(nsteps), float(bad))
                    return
            t = target
            r = _record(out_Y, t_rec, r, t, y)
    _finish(info, 0.0, t, float(4 * nsteps), float(nsteps), -1.0)
