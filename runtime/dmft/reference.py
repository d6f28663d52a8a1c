"""A plain NumPy implementation of the same causal sweep, for tests and the benchmark.

Vectorised over samples, one Python loop over steps and one over the tangent's source
rows p, as a careful researcher would write it in a notebook. It shares the weight-side
recursions and the Cholesky extension with `sweep` (they are O(K²) per step and not
where the time goes) and re-implements the sample side, the O(K³ n_s) part.
"""
from __future__ import annotations

import time

import numpy as np

from .problem import DmftProblem
from .sweep import DmftRun, Inputs, check_finite, draw_inputs, extend_cholesky, new_kernels, observables
from .weights import weight_step


def _vectorised(fn, y: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Apply a Numba scalar loss function elementwise (through its Python implementation)."""
    return np.vectorize(fn.py_func, otypes=[float])(y, h)


def solve_numpy(problem: DmftProblem, n_samples: int, seed=0, inputs: Inputs | None = None,
                losses=None) -> DmftRun:
    """The sweep of :func:`statc.runtime.dmft.solve` in NumPy; same inputs → same kernels.

    `losses` = (ℓ, ℓ', ℓ'') as NumPy ufunc-like callables of (y, h); by default the loss
    entry's scalar functions are vectorised (slow; the benchmark passes NumPy expressions).
    """
    start = time.perf_counter()
    p = problem
    rows = p.steps + 1
    inp = inputs if inputs is not None else draw_inputs(p, n_samples, seed)
    if losses is None:
        losses = tuple((lambda y, h, f=f: _vectorised(f, y, h)) for f in (p.loss.value, p.loss.d1, p.loss.d2))
    ell, d1, d2 = losses
    K = new_kernels(rows)
    K.m[0], K.A[0] = p.m0, 1.0
    g = np.zeros((n_samples, rows))
    gp = np.zeros((n_samples, rows))
    D: list[np.ndarray] = []           # D[k] has shape (n_samples, k): D(k, j), j < k
    B = p.algorithm.kappa * inp.sel.T.astype(float)
    sq, ed = np.sqrt(p.delta), p.eta * p.delta
    train_loss, train_error = np.zeros(rows), np.zeros(rows)
    for k in range(rows):
        extend_cholesky(p, K, k)
        omega = inp.z[: k + 1].T @ K.L[k, : k + 1]
        h = K.m[k] * inp.tau + sq * omega - ed * (g[:, :k] @ K.R[k, :k])
        g[:, k] = B[:, k] * d1(inp.y, h)
        gp[:, k] = B[:, k] * d2(inp.y, h)
        row = np.zeros((n_samples, k))
        a = gp[:, :k] * K.R[k, :k]
        for q in range(k):
            row[:, :q] += a[:, q : q + 1] * D[q]
            row[:, q] += a[:, q]
        Dk = (-ed * row).astype(np.float32)
        D.append(Dk)
        K.gamma[k, :k] = (gp[:, k : k + 1] * Dk).mean(axis=0)
        K.gamma[k, k] = gp[:, k].mean()
        K.egg[k, : k + 1] = (g[:, k : k + 1] * g[:, : k + 1]).mean(axis=0)
        K.egg[: k + 1, k] = K.egg[k, : k + 1]
        K.etg[k] = (inp.tau * g[:, k]).mean()
        train_loss[k] = ell(inp.y, h).mean()
        train_error[k] = (inp.y * h < 0).mean()
        check_finite(p, K, k, np.array([K.etg[k], train_loss[k]]))
        if k < p.steps:
            weight_step(p, K, k)
    return DmftRun(p, observables(p, K, train_loss, train_error), K, n_samples,
                   seconds=time.perf_counter() - start)
