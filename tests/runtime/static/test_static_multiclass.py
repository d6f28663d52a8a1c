"""K-class teacher–student perceptron, Bayes-optimal state evolution (runtime/static/multiclass.py).

References not derived by statc's K-class code: the binary sign-perceptron SE (K = 2 maps onto it
exactly: u = (w₁ − w₂)/√2 is a binary teacher with N(0, 1) entries, q_binary = tr(PqP)/(K−1)),
the closed form arccos(√q)/π, the classical α·ε → 0.4417, and Monte Carlo of the K-dimensional
Gaussian integrals (to its error bar)."""
import numpy as np
import pytest

from statc.runtime.static import multiclass as mc
from statc.runtime.static.bayes import bayes_optimal
from statc.runtime.static.channels import channel


@pytest.mark.parametrize("alpha", [0.5, 3.0])
def test_k2_is_the_binary_sign_perceptron(alpha):
    p = mc.bayes_optimal_k(2, alpha)
    b = bayes_optimal(channel("sign"), alpha)["uninformed"]
    assert p.qbar == pytest.approx(b.q, abs=1e-8)
    assert p.test_error == pytest.approx(b.test_error, abs=1e-8)
    assert p.test_error == pytest.approx(np.arccos(np.sqrt(p.qbar)) / np.pi, abs=1e-10)
    assert np.abs(p.q @ np.ones(2)).max() < 1e-12          # the 1-direction is uninformed


def test_k2_alpha_times_error_approaches_the_classical_limit():
    """α·ε_BO → 0.4417 (Györgyi–Tishby / Opper–Haussler) — at α = 60 within 1e-3 and below it."""
    p = mc.bayes_optimal_k(2, 60.0)
    assert 60.0 * p.test_error == pytest.approx(0.4417, abs=1e-3)


def test_z_out_against_monte_carlo_k3():
    """Z_k(μ) = P(argmax z = k), z ~ N(μ, s² I): max trick vs 10⁶ samples (4 σ); the gradient
    against central finite differences of Z."""
    rng = np.random.default_rng(0)
    mu, s = np.array([[0.3, -0.5, 0.1]]), 0.8
    Z, dZ = mc.z_out(mu, s)
    z = mu + s * rng.standard_normal((1_000_000, 3))
    freq = np.bincount(z.argmax(1), minlength=3) / len(z)
    err = np.sqrt(freq * (1 - freq) / len(z))
    assert np.all(np.abs(Z[0] - freq) < 4 * err)
    assert Z.sum() == pytest.approx(1.0, abs=1e-12)
    h = 1e-5
    for j in range(3):
        e = np.zeros((1, 3)); e[0, j] = h
        fd = (mc.z_out(mu + e, s)[0] - mc.z_out(mu - e, s)[0]) / (2 * h)
        assert np.allclose(dZ[0, :, j], fd[0], atol=1e-8)


def test_test_error_against_monte_carlo_k3():
    """ε = P(argmax ω ≠ argmax z), ω ~ N(0, q), z | ω ~ N(ω, I − q): orthant formula vs 10⁶ samples."""
    rng = np.random.default_rng(1)
    q = 0.7 * mc.projector(3)
    eps = mc.ArgmaxChannel(3).test_error(q, q)
    n = 1_000_000
    lam, U = np.linalg.eigh(q)
    om = (rng.standard_normal((n, 3)) * np.sqrt(np.clip(lam, 0, None))) @ U.T
    lv, Uv = np.linalg.eigh(np.eye(3) - q)
    z = om + (rng.standard_normal((n, 3)) * np.sqrt(lv)) @ Uv.T
    mc_eps = np.mean(om.argmax(1) != z.argmax(1))
    assert abs(eps - mc_eps) < 4 * np.sqrt(mc_eps * (1 - mc_eps) / n)


@pytest.mark.parametrize("qbar", [0.6, pytest.param(0.97, marks=pytest.mark.slow)])
def test_outer_rules_agree(qbar):
    """The channel's ω-integral for K = 3: graded polar rule (6 points per panel) against a finer
    one (10) and, where the integrand is smooth, against tensor Gauss–Hermite 40²."""
    q = qbar * mc.projector(3)
    s, _ = mc.isotropic_scale(np.eye(3) - q)
    lam, U = np.linalg.eigh(q)
    lam, U = lam[1:], U[:, 1:]
    A = U * np.sqrt(lam)

    def M(xi, w):
        return mc.fisher(xi @ A.T, w, s)
    coarse = M(*mc._rule_polar(U, lam, s, 6))
    if qbar < 0.7:                                  # smooth: tensor Gauss–Hermite is a reference
        assert np.abs(coarse - M(*mc._rule_tensor(2, 40))).max() < 1e-10
    else:                                           # sharp: refinement
        assert np.abs(coarse - M(*mc._rule_polar(U, lam, s, 10))).max() < 1e-8 * np.abs(coarse).max()


def test_k3_fixed_point():
    """K = 3 at α = 1: the fixed point is permutation-symmetric on its own (q = q̄P, measured, not
    imposed), Gaussian-prior consistent, and its error lies between perfect and chance (2/3)."""
    p = mc.bayes_optimal_k(3, 1.0)
    P = mc.projector(3)
    assert np.abs(p.q - p.qbar * P).max() < 1e-9
    assert p.anisotropy < 1e-9
    qh = np.trace(p.qhat) / 2
    assert p.qbar == pytest.approx(qh / (1 + qh), abs=1e-9)
    assert 0.0 < p.test_error < 2.0 / 3.0
    low = mc.bayes_optimal_k(3, 0.05)
    assert p.test_error < low.test_error < 2.0 / 3.0


@pytest.mark.slow
@pytest.mark.parametrize("d", [1000, 2000])
def test_k3_state_evolution_matches_gamp_at_finite_size(d):
    """GAMP (runtime/static/amp_multiclass.py, same Z_k) at d = 1000 and 2000, K = 3, α = 2, 4 seeds:
    the exact test error of its estimate (from the empirical overlaps with the drawn teacher) and q̄
    agree with the uninformed SE fixed point within 3 standard errors + 1/d·(scale)."""
    from statc.runtime.static import amp_multiclass as am
    K, alpha = 3, 2.0
    se = mc.bayes_optimal_k(K, alpha)
    ch, P = mc.ArgmaxChannel(K), mc.projector(K)
    errs, qbars = [], []
    for seed in range(4):
        Wt, X, y = am.draw(np.random.default_rng(seed), d, K, alpha)
        res = am.gamp(X, y, K)
        assert res.converged and res.iterations < 300
        W = res.W
        q, m, rho = W.T @ W / d, W.T @ Wt / d, Wt.T @ Wt / d
        errs.append(ch.test_error(m, q, rho))
        qbars.append(np.trace(P @ q @ P) / (K - 1))
    for vals, theory in ((errs, se.test_error), (qbars, se.qbar)):
        mean, se_ = np.mean(vals), np.std(vals, ddof=1) / np.sqrt(len(vals))
        assert abs(mean - theory) < 3 * se_ + theory / d


def test_free_entropy_k2_equals_binary_and_is_stationary_k3():
    """Φ(q, q̂) = −½ tr(q q̂) + ½ tr q̂ − ½ log det(I + q̂) + α Σ_k⟨Z_k log Z_k⟩: at K = 2 the binary
    perceptron's Φ (bayes.free_entropy, scalar code); at K = 3 stationary along q = q̄P and
    q̂ = q̂̄P at the fixed point (central differences, against the size of a generic slope)."""
    from statc.runtime.static.bayes import free_entropy
    p2 = mc.bayes_optimal_k(2, 1.5)
    b = bayes_optimal(channel("sign"), 1.5)["uninformed"]
    assert p2.free_entropy == pytest.approx(b.free_entropy, abs=1e-8)
    assert b.free_entropy == pytest.approx(free_entropy(channel("sign"), "gaussian", 1.5, b.q, b.qhat), abs=1e-12)
    alpha = 1.0
    p = mc.bayes_optimal_k(3, alpha)
    ch, P = mc.ArgmaxChannel(3), mc.projector(3)
    qb, qhb = p.qbar, float(np.trace(p.qhat)) / 2
    phi = lambda a, c: mc.free_entropy_k(ch, "gaussian", alpha, a * P, c * P)
    h = 1e-4
    d_q = (phi(qb + h, qhb) - phi(qb - h, qhb)) / (2 * h)
    d_qh = (phi(qb, qhb + h) - phi(qb, qhb - h)) / (2 * h)
    slope = abs((phi(qb, qhb + 0.1) - phi(qb, qhb)) / 0.1)           # away from the fixed point
    assert abs(d_q) < 1e-6 and abs(d_qh) < 1e-6 and slope > 1e-3
