"""The spherical constraint `constrain w.w = q` (DMFT.md §2.2): |w|²/N = q held by a Lagrange
multiplier, w_{k+1} = d_k w_k − η∇L(w_k), d_k = 1 − ηλ_k with |w_{k+1}|² = qN.

Exact reference (computed here, independently of statc): for square loss and a noiseless linear
teacher, ∇L = XᵀX(w − v), so w_{k+1} = (d_k − ηXᵀX) w_k + ηXᵀX v is linear in w_0 and v with the
scalars d_k. In the eigenbasis of XᵀX (Marchenko–Pastur density ρ, X entries N(0, 1/N)) each
mode a carries w_k(a) = p_k(a) w_0(a) + s_k(a) v(a), p_{k+1} = (d_k − ηa) p_k, s_{k+1} = (d_k − ηa) s_k
+ ηa, p_0 = 1, s_0 = 0; v and w⊥_0 are isotropic in that basis, so

    m_k = ∫ρ [p_k m0 + s_k],   Q_k = ∫ρ [(p_k m0 + s_k)² + (q − m0²) p_k²],

and d_k is the root → 1 of the quadratic Q_{k+1}(d) = q (p, s at k+1 are affine in d_k). The DMFT
must reproduce m_k and λ_k = (1 − d_k)/η at every step within its Monte-Carlo error, with
Q ≡ q; the simulator must hold |w|²/N = q to round-off and agree with m_k at finite N.
"""
from __future__ import annotations

import numpy as np
import pytest

from statc.dsl import NumericalError, StatcError
from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve, solve_repeats
from statc.runtime.dmft.simulate import simulate, simulate_seeds

ALPHA, M0, ETA, STEPS = 3.0, 0.2, 0.05, 40


def exact_sphere(mp_nodes, alpha, m0, eta, steps, q=1.0):
    """(m_k, λ_k) of GD on the sphere |w|²/N = q, square loss, noiseless linear teacher."""
    a, w = mp_nodes(alpha)
    c0 = q - m0 ** 2
    p, s = np.ones_like(a), np.zeros_like(a)
    m, lam = [m0], []
    for _ in range(steps):
        p1, p0 = p, -eta * a * p                   # x_{k+1} = d x1 + x0
        s1, s0 = s, -eta * a * s + eta * a
        qa = ((p1 * m0 + s1) ** 2 + c0 * p1 ** 2) @ w
        qb = ((p1 * m0 + s1) * (p0 * m0 + s0) + c0 * p1 * p0) @ w
        qc = ((p0 * m0 + s0) ** 2 + c0 * p0 ** 2) @ w
        d = (-qb + np.sqrt(qb * qb - qa * (qc - q))) / qa
        p, s = d * p1 + p0, d * s1 + s0
        m.append((p * m0 + s) @ w)
        lam.append((1 - d) / eta)
    return np.array(m), np.array(lam)


def problem(q=1.0, eta=ETA, steps=STEPS, T=0.0):
    alg = make_algorithm("langevin", eta, T=T) if T else make_algorithm("gd", eta)
    return DmftProblem(make_teacher("linear"), get_loss("square"), alg, alpha=ALPHA, eta=eta, steps=steps,
                       m0=M0, Q0=q, sphere=q)


@pytest.fixture(scope="module")
def sphere_dmft():
    return solve_repeats(problem(), n_samples=4000, repeats=6, seed=20261202)


def test_exact_reference_is_on_the_sphere_and_tends_to_the_signal(mp_nodes):
    m, lam = exact_sphere(mp_nodes, ALPHA, M0, ETA, 400)
    assert m[-1] == pytest.approx(1.0, abs=1e-3)          # the sphere holds the teacher: m → 1
    assert abs(lam[-1]) < 1e-3                            # at w = v the force and λ vanish


def test_dmft_on_the_sphere_matches_the_exact_solution_at_every_step(sphere_dmft, mp_nodes):
    m, lam = exact_sphere(mp_nodes, ALPHA, M0, ETA, STEPS)
    est = sphere_dmft
    assert np.abs(est.mean["Q"] - 1.0).max() < 1e-9      # the constraint, in every repeat
    for r in est.runs:
        assert np.abs(r.columns["Q"] - 1.0).max() < 1e-9
    se = est.stderr["m"][1:]
    assert np.all(se > 0)
    dev = np.abs(est.mean["m"][1:] - m[1:]) / se
    assert dev.max() < 3.5, f"m: worst step {dev.argmax() + 1} at {dev.max():.2f} standard errors"
    lams = np.stack([r.kernels.lam[:-1] for r in est.runs])
    lam_se = lams.std(axis=0, ddof=1) / np.sqrt(len(lams))
    dev = np.abs(lams.mean(axis=0) - lam) / lam_se
    assert dev.max() < 3.5, f"λ: worst step {dev.argmax()} at {dev.max():.2f} standard errors"


def test_simulator_holds_the_constraint_and_matches_the_exact_solution(mp_nodes):
    m, _ = exact_sphere(mp_nodes, ALPHA, M0, ETA, STEPS)
    runs = [simulate(problem(), 600, s, n_test=50) for s in np.random.SeedSequence(3).spawn(4)]
    for r in runs:
        assert np.abs(r["Q"] - 1.0).max() < 1e-12
    ms = np.stack([r["m"] for r in runs])
    se = ms.std(axis=0, ddof=1)[1:] / 2
    # O(1/N) finite-size bias allowed on top of 4 standard errors (4 seeds, N = 600)
    assert np.all(np.abs(ms.mean(axis=0)[1:] - m[1:]) <= 4 * se + 10 / 600)


def test_other_radius_and_langevin_keep_the_constraint():
    q = 2.5
    run = solve(problem(q=q, steps=10, T=0.3), 500, seed=1)
    assert np.abs(run.columns["Q"] - q).max() < 1e-9
    sim = simulate(problem(q=q, steps=10, T=0.3), 300, 0, n_test=20)
    assert np.abs(sim["Q"] - q).max() < 1e-12


def test_no_real_multiplier_is_a_numerical_error_naming_the_step():
    big = problem(eta=3.0, steps=5)                       # the step is far longer than the radius
    with pytest.raises(NumericalError, match=r"DMFT step \d+ \(t = [0-9.]+\): no real Lagrange multiplier"):
        solve(big, 200, seed=0)
    with pytest.raises(NumericalError, match=r"simulation step \d+ .*no real Lagrange multiplier"):
        simulate(big, 200, 0, n_test=10)


def test_problem_rejects_an_off_sphere_start_ridge_or_momentum():
    base = dict(teacher=make_teacher("linear"), loss=get_loss("square"), alpha=2.0, eta=0.1, steps=3, m0=0.1)
    with pytest.raises(StatcError, match="needs Q0 = 1"):
        DmftProblem(algorithm=make_algorithm("gd", 0.1), Q0=1.5, sphere=1.0, **base)
    with pytest.raises(StatcError, match="ridge has no effect"):
        DmftProblem(algorithm=make_algorithm("gd", 0.1), Q0=1.0, sphere=1.0, lam=0.1, **base)
    with pytest.raises(StatcError, match="momentum"):
        DmftProblem(algorithm=make_algorithm("momentum", 0.1, beta=0.5), Q0=1.0, sphere=1.0, **base)


@pytest.mark.slow
def test_phase_retrieval_sphere_model_dmft_matches_simulation():
    """models/phase_retrieval_sphere.model at α = 3, m0 = 0.3, η = 0.04, t ≤ 2: GD and persistent SGD
    (b = 0.5, τ = 1), DMFT (4000 × 4) against simulation (N = 2000, 6 seeds) within 3.5 combined SE
    (+ 10/N) at 5 times; Q ≡ 1 on both sides."""
    import statc
    from pathlib import Path
    from statc.runtime.dmft.from_model import problem_from_model
    compiled = statc.load(Path(__file__).resolve().parents[3] / "models" / "phase_retrieval_sphere.model").compiled
    for extra in ({}, {"b": 0.5, "tau": 1.0}):
        p, _ = problem_from_model(compiled, {"alpha": 3, "m0": 0.3, "eta": 0.04, **extra}, 2.0)
        th = solve_repeats(p, 4000, 4, seed=5)
        sim = simulate_seeds(p, 2000, 6, seed=9, n_test=500)
        assert np.abs(th.mean["Q"] - 1).max() < 1e-9 and np.abs(sim.mean["Q"] - 1).max() < 1e-9
        for k in np.linspace(p.steps / 5, p.steps, 5).round().astype(int):
            for name in ("m", "train_loss"):
                se = np.hypot(th.stderr[name][k], sim.stderr[name][k])
                assert abs(th.mean[name][k] - sim.mean[name][k]) <= 3.5 * se + 10 / 2000, (extra, name, k)
