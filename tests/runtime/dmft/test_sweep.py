"""The causal sweep: first step in closed form, NumPy reference, semi-definite paths, trouble reports."""
from __future__ import annotations

import numpy as np
import pytest

from statc.dsl import NumericalError
from statc.runtime.dmft import DmftProblem, draw_inputs, get_loss, make_algorithm, make_teacher, solve, solve_repeats
from statc.runtime.dmft.reference import solve_numpy

ALPHA, ETA, LAM, M0, Q0, DELTA, RHO = 2.0, 0.25, 0.1, 0.3, 1.0, 0.7, 0.6


def logistic_gmm(steps: int, alg: str = "gd", **params) -> DmftProblem:
    return DmftProblem(make_teacher("gmm", rho=RHO, Delta=DELTA), get_loss("logistic"),
                       make_algorithm(alg, ETA, **params), alpha=ALPHA, eta=ETA, steps=steps, lam=LAM, m0=M0, Q0=Q0)


def test_first_step_matches_gauss_hermite_quadrature():
    """V7: m_1 = (1 − ηλ) m0 − ηα E[τ g(0)], A_1 = 1 − ηλ − ηαΔ E[ℓ''(y, h(0))], with
    h(0) = m0 τ + √(Δ(Q0 − m0²)) ω, τ = c + √Δ ζ: a 2-d Gaussian integral per cluster,
    done here by 60×60-point Gauss–Hermite (error ≪ 1e-10 for these smooth integrands)."""
    x, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / w.sum()
    zeta, omega = np.meshgrid(x, x, indexing="ij")
    W = np.outer(w, w)
    etg = gpp = 0.0
    for c, pc in ((1.0, RHO), (-1.0, 1 - RHO)):
        tau = c + np.sqrt(DELTA) * zeta
        h = M0 * tau + np.sqrt(DELTA * (Q0 - M0 ** 2)) * omega
        sig = 1 / (1 + np.exp(c * h))                  # σ(−c h)
        etg += pc * np.sum(W * tau * (-c * sig))
        gpp += pc * np.sum(W * sig * (1 - sig))
    m1 = (1 - ETA * LAM) * M0 - ETA * ALPHA * etg
    A1 = 1 - ETA * LAM - ETA * ALPHA * DELTA * gpp
    est = solve_repeats(logistic_gmm(1), 20000, repeats=8, seed=3)
    A = np.array([r.kernels.A[1] for r in est.runs])
    assert abs(est.mean["m"][1] - m1) < 3 * est.stderr["m"][1]
    assert abs(A.mean() - A1) < 3 * A.std(ddof=1) / np.sqrt(len(A))


@pytest.mark.parametrize("alg, params", [("gd", {}), ("persistent", {"b": 0.5, "tau": 1.0}),
                                         ("langevin", {"T": 0.05})])
def test_numba_sweep_equals_numpy_reference(alg, params):
    """The parallel kernel and the plain NumPy sweep compute the same kernels from the same
    random numbers (statc computes the memory's response in reverse mode with float32 adjoints,
    NumPy as a stored float32 forward tangent: the same sums in another order, agreement to ~1e-8
    relative)."""
    p = logistic_gmm(10, alg, **params)
    inputs = draw_inputs(p, 400, seed=9)
    a = solve(p, 400, inputs=inputs)
    b = solve_numpy(p, 400, inputs=inputs)
    for name in ("gamma", "egg", "R", "C_perp", "m", "A"):
        np.testing.assert_allclose(getattr(a.kernels, name), getattr(b.kernels, name), rtol=1e-5, atol=1e-8,
                                   err_msg=name)
    assert np.all(a.kernels.gamma[np.triu_indices(11, 1)] == 0)
    assert np.all(a.kernels.R[np.triu_indices(11, 0)] == 0)


def test_zero_start_and_converged_paths_are_semi_definite():
    """m0 = Q0 = 0 makes C⊥(0, 0) = 0; a long GD run makes C⊥ nearly singular (w_k − w_{k−1} → 0).
    Both go through with dropped pivots and no NaN."""
    p = DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("gd", 0.5), alpha=3.0, eta=0.5,
                    steps=60, lam=0.5, m0=0.0, Q0=0.0)
    r = solve(p, 2000, seed=1)
    assert r.kernels.L[0, 0] == 0.0
    assert np.all(np.isfinite(r.columns["m"])) and np.isfinite(r.columns["Q"]).all()
    assert np.sum(np.diag(r.kernels.L) == 0.0) > 5      # late pivots were dropped as converged


def test_divergence_names_the_step_and_cause():
    # square loss GD is unstable for η > 2/(λ + a₊) with a₊ = (√α + 1)² ≈ 7.5: η = 1 diverges
    p = DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("gd", 1.0), alpha=3.0, eta=1.0,
                    steps=400, lam=0.0, m0=0.0, Q0=1.0)
    with pytest.raises(NumericalError, match=r"DMFT step \d+ \(t = [0-9.]+\)") as err:
        solve(p, 500, seed=0)
    assert err.value.exit_code == 3


def test_memory_budget_splits_the_samples_into_averaged_batches():
    """Over the budget, n_s samples run as the fewest equal independent sweeps that fit, averaged
    with weights n_batch/n_s: exactly the mean of those sweeps run by hand on the spawned seeds."""
    from statc.runtime.dmft.memory import sweep_bytes
    from statc.runtime.dmft.sweep import chunk_size, sweep
    p = logistic_gmm(8)
    rows, n, C = 9, 1000, chunk_size(9)
    per_sample = sweep_bytes(rows, C, C) / C
    r = solve(p, n, seed=5, max_bytes=int(300.5 * per_sample))       # 300 samples fit: 4 batches of 250
    assert r.info["batches"] == 4 and sum(r.info["batch_samples"]) == n
    parts = [sweep(p, size, s) for size, s in zip(r.info["batch_samples"], np.random.SeedSequence(5).spawn(4))]
    for name in ("m", "Q", "train_loss", "test_error"):
        expect = sum(q.n_samples * q.columns[name] for q in parts) / n
        np.testing.assert_allclose(r.columns[name], expect, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(r.kernels.gamma, sum(q.n_samples * q.kernels.gamma for q in parts) / n, rtol=1e-12)
    assert solve(p, n, seed=5).info["batches"] == 1                 # the default budget holds it whole


def test_memory_budget_too_small_for_two_samples_is_an_error():
    from statc.dsl import StatcError
    with pytest.raises(StatcError, match="memory budget"):
        solve(logistic_gmm(8), 100, seed=0, max_bytes=500)   # one sample needs ~420 bytes
