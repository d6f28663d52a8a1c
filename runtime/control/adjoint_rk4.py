"""Fixed-step RK4 for optimal control and its exact discrete adjoint, compiled once per installation.

Controls are piecewise constant on ``n_int`` intervals of ``nsub`` RK4 steps of size h.
On interval i the right-hand side is a mixture over "vertices" v:

    F_i(t, y) = Σ_v W[i, v] · rhs(t, y, Pv[i, v])

(one vertex of weight 1 for continuous controls; for a discrete control, one vertex per
allowed value, weighted by the fraction of samples drawn with it).  Observables are
evaluated with Pv[i, 0] (the final point with the last interval's).  The adjoint is that
of the discrete scheme, so its gradient is exact for the discretised objective.

The model's ``rhs``, ``observables``, ``rhs_vjp`` and ``obs_vjp`` come in as first-class
functions (:mod:`statc.compiler.codegen.signatures`; :func:`first_class` compiles the
needed overload of a kernel), so these drivers are compiled once, not once per model
with the model's kernels re-optimised inside each of them.
"""
from __future__ import annotations

import numpy as np
from numba import njit, types

from statc.runtime.online.integrators import RHS_TYPE, VJP_TYPE

_BIG = 1e100          # a state entry beyond this is a divergence
_V = types.float64[::1]
_M = types.float64[:, ::1]
_T = types.float64[:, :, ::1]
_f8 = types.float64
_i8 = types.int64


@njit(cache=True)
def _mix_rhs(rhs, t, y, Pv_i, W_i, out, tmp):
    out[:] = 0.0
    for v in range(W_i.shape[0]):
        w = W_i[v]
        if w != 0.0:
            rhs(t, y, Pv_i[v], tmp)
            for j in range(y.shape[0]):
                out[j] += w * tmp[j]


@njit(_i8(RHS_TYPE, _V, _T, _M, _i8, _f8, _f8, _M, _T), cache=True, nogil=True)
def control_forward(rhs, y0, Pv, W, nsub, t0, h, Ys, Zs):
    """RK4 over all intervals; Ys[s] = state after s steps.  Returns -1 or the failing step.

    If Zs has a row per step, Zs[s] keeps the stage states y2, y3, y4 of step s
    for the backward sweep (which then need not recompute them).
    """
    store = Zs.shape[0] > 1
    n = y0.shape[0]
    y = y0.copy()
    k1 = np.empty(n); k2 = np.empty(n); k3 = np.empty(n); k4 = np.empty(n)
    yt = np.empty(n); tmp = np.empty(n)
    for j in range(n):
        Ys[0, j] = y[j]
    s = 0
    for i in range(W.shape[0]):
        for m in range(nsub):
            t = t0 + s * h
            _mix_rhs(rhs, t, y, Pv[i], W[i], k1, tmp)
            for j in range(n):
                yt[j] = y[j] + 0.5 * h * k1[j]
            if store:
                for j in range(n):
                    Zs[s, 0, j] = yt[j]
            _mix_rhs(rhs, t + 0.5 * h, yt, Pv[i], W[i], k2, tmp)
            for j in range(n):
                yt[j] = y[j] + 0.5 * h * k2[j]
            if store:
                for j in range(n):
                    Zs[s, 1, j] = yt[j]
            _mix_rhs(rhs, t + 0.5 * h, yt, Pv[i], W[i], k3, tmp)
            for j in range(n):
                yt[j] = y[j] + h * k3[j]
            if store:
                for j in range(n):
                    Zs[s, 2, j] = yt[j]
            _mix_rhs(rhs, t + h, yt, Pv[i], W[i], k4, tmp)
            bad = False
            for j in range(n):
                y[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
                if not (abs(y[j]) < _BIG):
                    bad = True
            s += 1
            for j in range(n):
                Ys[s, j] = y[j]
            if bad:
                return s
    return -1


@njit(_f8(RHS_TYPE, _M, _T, _i8, _f8, _f8, _V, _V, _V), cache=True, nogil=True)
def control_objective(observables, Ys, Pv, nsub, t0, h, w_final, w_int, obs_out):
    """sum_k w_final[k] o_k(t_F) + sum_k w_int[k] * trapezoid of o_k over the steps."""
    n_int = Pv.shape[0]
    S = n_int * nsub
    tmp = np.empty(obs_out.shape[0])
    J = 0.0
    any_int = False
    for k in range(w_int.shape[0]):
        if w_int[k] != 0.0:
            any_int = True
    if any_int:
        for s in range(S + 1):
            i = min(s // nsub, n_int - 1)
            observables(t0 + s * h, Ys[s], Pv[i, 0], tmp)
            c = 0.5 * h if (s == 0 or s == S) else h
            for k in range(tmp.shape[0]):
                J += c * w_int[k] * tmp[k]
    observables(t0 + S * h, Ys[S], Pv[n_int - 1, 0], obs_out)
    for k in range(obs_out.shape[0]):
        J += w_final[k] * obs_out[k]
    return J


@njit(cache=True)
def _mix_vjp(rhs, rhs_vjp, t, y, Pv_i, W_i, kb, gy, gPv_i, gW_i, tmp, lam):
    """gy += F^T kb;  gPv_i[v] += W_v J_P^T kb;  gW_i[v] += kb . rhs(t, y, Pv_i[v])."""
    for v in range(W_i.shape[0]):
        w = W_i[v]
        if W_i.shape[0] > 1:
            rhs(t, y, Pv_i[v], tmp)
            acc = 0.0
            for j in range(y.shape[0]):
                acc += kb[j] * tmp[j]
            gW_i[v] += acc
        if w != 0.0:
            for j in range(y.shape[0]):
                lam[j] = w * kb[j]
            rhs_vjp(t, y, Pv_i[v], lam, gy, gPv_i[v])


@njit(types.void(RHS_TYPE, VJP_TYPE, VJP_TYPE, _M, _T, _T, _M, _i8, _f8, _f8, _V, _V, _V, _T, _M),
      cache=True)
def control_backward(rhs, rhs_vjp, obs_vjp, Ys, Zs, Pv, W, nsub, t0, h, w_final, w_int, gy0, gPv, gW):
    """Exact discrete adjoint of control_forward + control_objective (Zs: the stored stages).

    Fills gy0 = dJ/dy0, gPv = dJ/dPv, gW = dJ/dW (all zeroed first).
    """
    n_int = W.shape[0]
    n = Ys.shape[1]
    S = n_int * nsub
    gPv[:] = 0.0
    gW[:] = 0.0
    lam = np.zeros(n)
    obs_tmp = np.zeros(w_final.shape[0])
    any_int = False
    for k in range(w_int.shape[0]):
        if w_int[k] != 0.0:
            any_int = True
    obs_vjp(t0 + S * h, Ys[S], Pv[n_int - 1, 0], w_final, lam, gPv[n_int - 1, 0])
    if any_int:
        for k in range(w_int.shape[0]):
            obs_tmp[k] = 0.5 * h * w_int[k]
        obs_vjp(t0 + S * h, Ys[S], Pv[n_int - 1, 0], obs_tmp, lam, gPv[n_int - 1, 0])
    kb1 = np.empty(n); kb2 = np.empty(n); kb3 = np.empty(n); kb4 = np.empty(n)
    g = np.empty(n); tmp = np.empty(n); scratch = np.empty(n)
    for s in range(S - 1, -1, -1):
        i = s // nsub
        t = t0 + s * h
        y1 = Ys[s]
        y2 = Zs[s, 0]
        y3 = Zs[s, 1]
        y4 = Zs[s, 2]
        for j in range(n):
            kb4[j] = h / 6.0 * lam[j]
            kb3[j] = h / 3.0 * lam[j]
            kb2[j] = h / 3.0 * lam[j]
            kb1[j] = h / 6.0 * lam[j]
        g[:] = 0.0
        _mix_vjp(rhs, rhs_vjp, t + h, y4, Pv[i], W[i], kb4, g, gPv[i], gW[i], tmp, scratch)
        for j in range(n):
            lam[j] += g[j]
            kb3[j] += h * g[j]
        g[:] = 0.0
        _mix_vjp(rhs, rhs_vjp, t + 0.5 * h, y3, Pv[i], W[i], kb3, g, gPv[i], gW[i], tmp, scratch)
        for j in range(n):
            lam[j] += g[j]
            kb2[j] += 0.5 * h * g[j]
        g[:] = 0.0
        _mix_vjp(rhs, rhs_vjp, t + 0.5 * h, y2, Pv[i], W[i], kb2, g, gPv[i], gW[i], tmp, scratch)
        for j in range(n):
            lam[j] += g[j]
            kb1[j] += 0.5 * h * g[j]
        g[:] = 0.0
        _mix_vjp(rhs, rhs_vjp, t, y1, Pv[i], W[i], kb1, g, gPv[i], gW[i], tmp, scratch)
        for j in range(n):
            lam[j] += g[j]
        if any_int:
            c = 0.5 * h if s == 0 else h
            for k in range(w_int.shape[0]):
                obs_tmp[k] = c * w_int[k]
            obs_vjp(t, Ys[s], Pv[i, 0], obs_tmp, lam, gPv[i, 0])
    for j in range(lam.shape[0]):
        gy0[j] = lam[j]
