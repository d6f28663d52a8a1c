#!/usr/bin/env python
"""Gauss–Hermite over arguments vs over leaves, on a DAE-type expectation.

The K = 2 denoising autoencoder on two-cluster data needs expectations like

    E[g(u0) g(u1) v0 v1],   u_k = m_k + ℓ_k  (fields of w_k on the corrupted input,
                             shifted by c·√(1−Δ)·M_k),  v_j linear fields,

with ℓ, v linear forms of four Gaussian leaves (w_k·z, w_k·ξ).  statc used to
integrate over the leaves (4-D tensor rule, 16 points per dimension); it now
integrates over the two distinct arguments of the nonlinear factors (2-D, 48
points) with the linear factors integrated exactly given them
(``ArgQuadrature``).  Both kernels come from ``compiler/codegen_quadrature.py``
and run in this process on the same random (C, m); the reference is a 40-point
tensor rule over all four leaves.  (The leaf atom here has no closed-form last
leaf; statc's leaf path uses one only when a leaf appears in a single factor,
which here none does: every leaf enters both u's and both v's.)

    python benchmarks/bench_quadrature.py     # writes benchmarks/results/quadrature.json
"""
from __future__ import annotations

import datetime
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import sympy as sp
from scipy.special import erf

from _common import cpu_name
from statc.compiler.codegen.quadrature import load_standalone
from statc.compiler.ir.equation_ir import ArgQuadrature, Quadrature

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "quadrature.json"


def build(tmp: Path):
    """Both atoms.  Leaves z0..z3 ~ N(0, S); the leaf atom gets the four forms'
    coefficients (a 4×4 matrix A: rows u0, u1, v0, v1 = A z) and the shifts as
    deterministic extras."""
    z = sp.symbols("z0:4", real=True)
    e = sp.symbols("e0:18", real=True)
    A = [[e[4 * r + c] for c in range(4)] for r in range(4)]
    lin = [sum(A[r][c] * z[c] for c in range(4)) for r in range(4)]
    u0, u1 = lin[0] + e[16], lin[1] + e[17]
    integrand = sp.erf(u0 / sp.sqrt(2)) * sp.erf(u1 / sp.sqrt(2)) * lin[2] * lin[3]
    return load_standalone([Quadrature("leaf4", 4, integrand, 18),
                            ArgQuadrature("arg2", (("g",), ("g",)), 2)], tmp)


def reference(S, A, m, n=40):
    x, wt = np.polynomial.hermite_e.hermegauss(n)
    wt = wt / np.sqrt(2 * np.pi)
    L = np.linalg.cholesky(S)
    g = np.meshgrid(*[x] * 4, indexing="ij")
    xi = np.stack([a.ravel() for a in g])
    W = np.prod(np.meshgrid(*[wt] * 4, indexing="ij"), axis=0).ravel()
    y = A @ (L @ xi)
    F = erf((y[0] + m[0]) / np.sqrt(2)) * erf((y[1] + m[1]) / np.sqrt(2)) * y[2] * y[3]
    return float(np.sum(W * F))


def timed(fn, args, reps):
    fn(*args)                                   # compile
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn(*args)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def main() -> None:
    rng = np.random.default_rng(0)
    B = rng.standard_normal((4, 5)) * 0.6
    S = B @ B.T / 5 + 0.2 * np.eye(4)
    A = rng.standard_normal((4, 4)) * 0.7
    m = np.array([0.4, -0.3])
    with tempfile.TemporaryDirectory() as tmp:
        mod = build(Path(tmp))
        leaf_args = [S[i, j] for i in range(4) for j in range(i, 4)] + list(A.ravel()) + list(m)
        C = A @ S @ A.T                           # covariance of (u0, u1, v0, v1)
        arg_args = [C[i, j] for i in range(4) for j in range(i, 4)] + [m[0], m[1], 0.0, 0.0]
        ref = reference(S, A, m)
        v_leaf, v_arg = mod.leaf4(*leaf_args), mod.arg2(*arg_args)
        t_leaf = timed(mod.leaf4, leaf_args, 20)
        t_arg = timed(mod.arg2, arg_args, 2000)
    out = {
        "date": datetime.date.today().isoformat(),
        "machine": {"cpu": cpu_name(), "python": platform.python_version()},
        "expectation": "E[g(u0) g(u1) v0 v1], 4 Gaussian leaves, shifted u",
        "leaf_quadrature": {"points": "16^4", "seconds": t_leaf, "abs_error": abs(v_leaf - ref)},
        "arg_quadrature": {"points": "48^2", "seconds": t_arg, "abs_error": abs(v_arg - ref)},
        "speedup": t_leaf / t_arg,
        "reference": ref,
    }
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"leaf quadrature (16^4 points): {t_leaf * 1e6:9.1f} µs, error {abs(v_leaf - ref):.1e}")
    print(f"arg quadrature  (48^2 points): {t_arg * 1e6:9.1f} µs, error {abs(v_arg - ref):.1e}")
    print(f"speed-up {t_leaf / t_arg:.0f}x   (wrote {RESULTS.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
