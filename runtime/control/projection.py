r"""Exact projection onto box ∩ budget sets, and the spectral projected gradient method.

A budget constrains the mean of one control's block of decision variables:
``mean(eta) <= 1`` directly, ``fraction(D == v) = f`` through the fractions of
samples (for two values, the fraction of ``v_1`` is the variable and that of
``v_0`` is one minus it).  The feasible set is then a product over blocks of

.. math::  \{x \in [l, u]^n : a \le \bar x \le b\},

whose Euclidean projection is :math:`x = \mathrm{clip}(y - \tau, l, u)` with
τ = 0 if the clipped mean is within [a, b], else the τ (found by bisection; the
mean is monotone in τ) that puts it on the violated bound.

``spg`` is the nonmonotone spectral projected gradient method (Birgin,
Martínez & Raydan 2000): steps :math:`P(x - \alpha g) - x` with Barzilai–Borwein
α and an Armijo test against the worst of the last 10 values.  Each iteration
costs one adjoint gradient (more only when the line search backtracks), and
the iterates stay exactly feasible — which SLSQP's dense QP (whose cost grows as
the cube of the number of intervals) does not give for free.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class MeanBand:
    block: slice
    low: float
    high: float


def project_block(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, a: float, b: float) -> np.ndarray:
    x = np.clip(y, lo, hi)
    m = x.mean()
    if a - 1e-15 <= m <= b + 1e-15:
        return x
    target = a if m < a else b
    t_lo, t_hi = (y - hi).min() - 1.0, (y - lo).max() + 1.0     # mean(clip(y - τ)) spans [lo, hi]
    for _ in range(200):
        t = 0.5 * (t_lo + t_hi)
        if np.clip(y - t, lo, hi).mean() > target:
            t_lo = t
        else:
            t_hi = t
        if t_hi - t_lo < 1e-15 * max(1.0, abs(t)):
            break
    return np.clip(y - 0.5 * (t_lo + t_hi), lo, hi)


def projector(bounds: list[tuple[float, float]], bands: list[MeanBand]):
    lo, hi = np.array(bounds, dtype=float).T

    def project(y: np.ndarray) -> np.ndarray:
        x = np.clip(y, lo, hi)
        for band in bands:
            s = band.block
            x[s] = project_block(y[s], lo[s], hi[s], band.low, band.high)
        return x
    return project


def spg(fun, x0: np.ndarray, project, maxiter: int = 200, tol: float = 1e-9, memory: int = 10,
        callback=None) -> tuple[np.ndarray, float, int, str]:
    """Minimise ``fun`` (returning value and gradient) over a convex set given by ``project``."""
    x = project(np.asarray(x0, dtype=float))
    f, g = fun(x)
    hist = [f]
    pg = project(x - g) - x
    alpha = 1.0 / max(np.abs(pg).max(), 1e-12)
    for it in range(1, maxiter + 1):
        d = project(x - alpha * g) - x
        if np.abs(project(x - g) - x).max() < tol:
            return x, f, it - 1, "projected gradient below tolerance"
        gd = float(g @ d)
        fmax = max(hist[-memory:])
        lam = 1.0
        while True:
            xn = x + lam * d
            fn, gn = fun(xn)
            if fn <= fmax + 1e-4 * lam * gd or lam < 1e-12:
                break
            lam = max(0.1 * lam, min(0.5 * lam, -0.5 * lam * lam * gd / (fn - f - lam * gd)))
        s, yv = xn - x, gn - g
        sy = float(s @ yv)
        alpha = float(s @ s) / sy if sy > 0 else 1e10
        alpha = min(max(alpha, 1e-10), 1e10)
        if abs(f - fn) <= tol * max(1.0, abs(f)) and lam * np.abs(d).max() < tol ** 0.5:
            x, f, g = xn, fn, gn
            return x, f, it, "change in objective below tolerance"
        x, f, g = xn, fn, gn
        hist.append(f)
        if callback is not None:
            callback(f)
    return x, f, maxiter, "iteration limit reached"
