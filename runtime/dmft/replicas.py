"""Replica distance by the two-replica DMFT (DMFT.md §4): `observe D = replica_distance(w)`.

Two runs a, b on the same training set from the same w_0 with independent selection paths
(and independent Langevin noise). Their single-replica kernels (m, A, R) are identical and
come from the causal sweep; the new object is the cross kernel. Per coordinate of w⊥ the
weight-side solution is w⊥_r(k) = A_k w⊥_0 − η Σ_{p<k} R(k, p)(√Δ ν_r(p) − √(2T/η) ξ_r(p)),
with Cov(ν_r(p), ν_s(q)) = α E[g_r(p) g_s(q)] (the data are shared, so the two force
processes are correlated through each sample's pair of fields), thermal noises independent:

  C_rs(k, l) = A_k A_l (Q0 − m0²) + η²αΔ Σ_{p<k, q<l} R(k, p) R(l, q) E[g_r(p) g_s(q)]
               + δ_rs 2ηT Σ_{p<min(k,l)} R(k, p) R(l, p),

  D(k) = |w_a(k) − w_b(k)|²/N = C_aa(k, k) + C_bb(k, k) − 2 C_ab(k, k)   (m cancels).

Sample side, per Monte-Carlo sample (same τ, y for both replicas, independent selection
s_r): h_r(k) = m_k τ + √Δ ω_r(k) − ηΔ Σ_{j<k} R(k, j) g_r(j), g_r = κ s_r ℓ'(y, h_r), with the
pair path (ω_a, ω_b) jointly Gaussian of covariance [[C_aa, C_ab], [C_ba, C_bb]]. Like the
single sweep this is causal: row k of every block needs E only at steps < k, so one pass
extends the joint path (variables interleaved a_0, b_0, a_1, b_1, …) by a semi-definite
Cholesky row per variable. The joint covariance is the Gram matrix of the Monte-Carlo
forces, hence PSD for any n_s; with full-batch GD and T = 0, s_a = s_b makes ω_b(k) = ω_a(k)
(zero pivots) and D ≡ 0 up to round-off. Cost O(K² n_s): no tangent is needed because Γ is
a single-replica kernel already known.
"""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from statc.dsl import NumericalError

from .algorithms import sample_selection
from .kernels import cholesky_row
from .observe import elementwise

#: same semantics as sweep.PIVOT_TOL / NEG_TOL (semi-definite Cholesky)
PIVOT_TOL, NEG_TOL = 1e-7, 1e-6


def replica_seed(seed) -> np.random.SeedSequence:
    """A seed for the pair pass, independent of the sweep's and the fresh samples' numbers."""
    parent = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.random.SeedSequence(parent.entropy, spawn_key=parent.spawn_key + (2**31 - 2,))


def _joint_row(p, m_A, R, E, k: int, r: int) -> np.ndarray:
    """Covariances of ω_r(k) with every ω_s(l), l ≤ k (interleaved order), up to itself.

    E is the (2·rows)² matrix of E[g_s(p) g_s'(q)] in the same interleaved order."""
    eta, ad, T = p.eta, p.alpha * p.delta, p.algorithm.temperature
    c0 = p.Q0 - p.m0 ** 2
    n = 2 * k + r + 1
    cols = np.arange(n)
    steps, reps = cols // 2, cols % 2
    row = c0 * m_A[k] * m_A[steps]
    if k:
        Rk = R[k, :k]
        Rl = R[steps][:, :k]                              # (n, k)
        E_r = E[2 * np.arange(k) + r]                     # rows g_r(p), p < k: (k, 2 rows)
        for s in (0, 1):
            sel = reps == s
            Es = E_r[:, 2 * np.arange(k) + s]             # E[g_r(p) g_s(q)]: (k, k)
            row[sel] += eta ** 2 * ad * (Rl[sel] @ (Es.T @ Rk))
            if T and s == r:
                row[sel] += 2.0 * eta * T * (Rl[sel] @ Rk)
    return row


def replica_distance(problem, K, n_samples: int, seed) -> np.ndarray:
    """D(k) for k = 0..steps from the sweep's kernels K (m, A, R) and a fresh pair process of
    `n_samples` Monte-Carlo samples.

    BLAS is held to one thread: its small per-step products are latency-bound, and after the
    sweep's Numba worker threads a multi-threaded OpenBLAS contends with them (measured 20×
    slower on 2 cores, K = 80, n_s = 8000: 21 s instead of 1.0 s)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _replica_distance(problem, K, n_samples, seed)


def _replica_distance(problem, K, n_samples: int, seed) -> np.ndarray:
    p = problem
    # heavy ball: w is the evaluation point and the closure keeps its form (DMFT.md §2.1), with
    # the second-order A and R of the sweep. Nesterov: the sweep's A, R are those of the
    # look-ahead point u (where the fields h = u·x/√N live), so the pair pass samples u-fields with
    # the same closure, and D of the iterate w comes from w's response W^R (weights.py) below.
    rows = p.steps + 1
    rng = np.random.default_rng(replica_seed(seed))
    tau, y = p.teacher.effective(rng, n_samples)
    z = rng.standard_normal((2 * rows, n_samples))
    sel = [sample_selection(p.algorithm, rng, n_samples, rows).T for _ in (0, 1)]
    d1 = elementwise(p.loss.d1)
    buf = np.empty(n_samples)
    L = np.zeros((2 * rows, 2 * rows))
    C = np.zeros((2 * rows, 2 * rows))
    E = np.zeros((2 * rows, 2 * rows))
    g = np.zeros((2 * rows, n_samples))
    sqd, eta_delta, kappa = np.sqrt(p.delta), p.eta * p.delta, p.algorithm.kappa
    D = np.zeros(rows)
    for k in range(rows):
        for r in (0, 1):
            i = 2 * k + r
            row = _joint_row(p, K.A, K.R, E, k, r)
            C[i, : i + 1] = row
            C[: i + 1, i] = row
            rel = cholesky_row(C[i], L, i, PIVOT_TOL)
            if not np.isfinite(rel) or rel < -NEG_TOL:
                raise NumericalError(f"two-replica DMFT step {k} (t = {k * p.eta:g}): the joint correlation "
                                     f"kernel is not positive semi-definite (relative pivot {rel:.3g})",
                                     hint="the kernels diverged or lost precision; try a smaller step size eta")
            omega = L[i, : i + 1] @ z[: i + 1]
            h = K.m[k] * tau + sqd * omega
            if k:
                h -= eta_delta * (K.R[k, :k] @ g[2 * np.arange(k) + r])
            g[i] = kappa * sel[r][k] * d1(y, h, buf)
        # E[g_s(k) g_s'(l)] for the two new variables against all so far (both orders)
        new = g[2 * k: 2 * k + 2]
        block = new @ g[: 2 * k + 2].T / n_samples
        E[2 * k: 2 * k + 2, : 2 * k + 2] = block
        E[: 2 * k + 2, 2 * k: 2 * k + 2] = block.T
        D[k] = C[2 * k, 2 * k] + C[2 * k + 1, 2 * k + 1] - 2.0 * C[2 * k + 1, 2 * k]
    if p.algorithm.momentum_rule == "nesterov":
        D = iterate_distance(p, K, E)
    if not np.all(np.isfinite(D)):
        raise NumericalError("two-replica DMFT: the replica distance became non-finite",
                             hint="the step size eta may be too large for this loss")
    return D


def iterate_distance(p, K, E: np.ndarray) -> np.ndarray:
    """D(k) of the iterate w when the sweep's kernels are those of Nesterov's look-ahead point.

    Both runs start from the same w_0, so A and the signal cancel in w_a − w_b; what is left is
    w_a(k) − w_b(k) = −η Σ_{p<k} W^R(k, p)(√Δ(ν_a(p) − ν_b(p)) − √(2T/η)(ξ_a(p) − ξ_b(p))), with
    W^R the response of w (weights._w_level), hence
    D(k) = η²αΔ W^R (E_aa + E_bb − E_ab − E_ba) W^Rᵀ + 4ηT |W^R|² (noises of the two runs independent)."""
    from .weights import _w_level
    rows = p.steps + 1
    D = np.zeros(rows)
    for k in range(1, rows):
        r = _w_level(p, K, k)[1][:k]
        a, b = 2 * np.arange(k), 2 * np.arange(k) + 1
        diff = E[np.ix_(a, a)] + E[np.ix_(b, b)] - E[np.ix_(a, b)] - E[np.ix_(b, a)]
        D[k] = p.eta ** 2 * p.alpha * p.delta * (r @ diff @ r) + 4.0 * p.eta * p.algorithm.temperature * (r @ r)
    return D
