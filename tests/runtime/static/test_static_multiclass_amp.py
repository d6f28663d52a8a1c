"""K-class GAMP (runtime/static/amp_multiclass.py) and `statc check` of the Bayes-optimal K-class models.

References statc's state evolution did not produce: the channel function against the SE's own
max-trick integral (multiclass.z_out) and finite differences, K = 2 against the binary sign channel
of the scalar code path (channels.py), the prior denoisers against brute-force sums and their
Jacobian identity, and the finite-size GAMP estimate (empirical overlaps of a drawn teacher)
against the SE fixed point through `statc check`'s pass rule — which must also FAIL for an SE at the
wrong α."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from statc.cli import main
from statc.runtime.static import amp_multiclass as am
from statc.runtime.static import multiclass as mc
from statc.runtime.static.channels import channel
from statc.runtime.static.multiclass_prior import row_prior

ROOT = Path(__file__).resolve().parents[3]
BO, RADEMACHER = ROOT / "models" / "multiclass_bo.model", ROOT / "models" / "multiclass_rademacher_bo.model"


def test_gout_is_the_state_evolutions_channel_and_its_jacobian():
    """g = ∇ log Z_y equals ∇Z_y/Z_y of multiclass.z_out (the SE's channel) at each sample's label,
    ∂g is the finite-difference Jacobian of g, symmetric and negative semi-definite (log-concave Z)."""
    rng = np.random.default_rng(0)
    K, n, s = 3, 300, 0.7
    mu, y = 1.5 * rng.standard_normal((n, K)), rng.integers(0, K, n)
    logz, g, dg = mc.gout_label(y, mu, s)
    Z, dZ = mc.z_out(mu, s, order=120)
    rows = np.arange(n)
    assert np.abs(np.exp(logz) - Z[rows, y]).max() < 1e-12
    assert np.abs(g - dZ[rows, y] / Z[rows, y][:, None]).max() < 1e-9
    h, fd = 1e-5, np.empty((n, K, K))
    for j in range(K):
        e = np.zeros(K)
        e[j] = h
        fd[:, :, j] = (mc.gout_label(y, mu + e, s)[1] - mc.gout_label(y, mu - e, s)[1]) / (2 * h)
    assert np.abs(fd - dg).max() < 1e-7 * max(1.0, np.abs(dg).max())
    assert np.abs(dg - np.swapaxes(dg, 1, 2)).max() < 1e-12
    assert np.linalg.eigvalsh(dg).max() < 1e-12


def test_gout_k2_is_the_binary_sign_channel_far_from_the_boundary():
    """K = 2, V = v I: Z_0(μ) = Φ((μ₀ − μ₁)/√(2v)) — the sign channel's Z_out at ω_u = (μ₀ − μ₁)/√2,
    variance v (channels.BinaryTeacher.bo_gout); g_μ = (g_u, −g_u)/√2, including samples with
    Z ~ e^{−200} (the re-centred rule)."""
    v = 0.3
    du = np.array([-20.0, -6.0, -1.0, 0.0, 0.5, 3.0, 8.0])       # (μ₀ − μ₁)/√2 ... in units of ω_u
    mu = np.stack([du / np.sqrt(2), -du / np.sqrt(2)], axis=1)
    y = np.zeros(len(du), dtype=np.int64)
    logz, g, dg = mc.gout_label(y, mu, np.sqrt(v))
    gb, dgb = channel("sign").bo_gout(np.ones(len(du)), du, v)
    from scipy.special import log_ndtr
    assert np.allclose(logz, log_ndtr(du / np.sqrt(v)), rtol=1e-12, atol=1e-13)
    assert np.allclose(g[:, 0] * np.sqrt(2), gb, rtol=1e-10, atol=1e-14)
    assert np.allclose(g[:, 1], -g[:, 0], rtol=1e-12, atol=1e-14)
    assert np.allclose(dg[:, 0, 0] * 2, dgb, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("prior", ["gaussian", "rademacher"])
def test_prior_denoiser_is_the_posterior_of_a_row(prior):
    """denoise(γ, Λ): the posterior mean of w ∝ P(w) e^{−½wᵀΛw + γᵀw} (Gaussian: closed form; ±1: the
    brute-force sum over the 8 rows written here) and the mean covariance = the Jacobian ∂f/∂γ."""
    rng = np.random.default_rng(1)
    K, d = 3, 5
    A = rng.standard_normal((K, K))
    Lam = A @ A.T
    gamma = rng.standard_normal((d, K))
    pr = row_prior(prior, K)
    f, C = pr.denoise(gamma, Lam)
    if prior == "gaussian":
        assert np.allclose(f, np.linalg.solve(np.eye(K) + Lam, gamma.T).T, atol=1e-12)
    else:
        import itertools
        rows = np.array(list(itertools.product((-1.0, 1.0), repeat=K)))
        for i in range(d):
            e = np.exp(-0.5 * np.einsum("sa,ab,sb->s", rows, Lam, rows) + rows @ gamma[i])
            assert np.allclose(f[i], e @ rows / e.sum(), atol=1e-12)
    h, jac = 1e-6, np.zeros((K, K))
    for a in range(K):
        e = np.zeros(K)
        e[a] = h
        jac[:, a] = ((pr.denoise(gamma + e, Lam)[0] - pr.denoise(gamma - e, Lam)[0]) / (2 * h)).mean(0)
    assert np.abs(jac - C).max() < 1e-7


def test_gamp_converges_and_follows_nishimori_at_small_size():
    """d = 300, K = 3, α = 2: GAMP from Ŵ = 0 converges (< 100 sweeps) and its estimate satisfies
    Nishimori's identity m̄ ≈ q̄ within the finite-size spread; both Onsager forms give close estimates."""
    Wt, X, y = am.draw(np.random.default_rng(5), 300, 3, 2.0)
    a = am.gamp(X, y, 3)
    b = am.gamp(X, y, 3, onsager="nishimori")
    assert a.converged and b.converged and a.iterations < 100
    oa, ob = am.observables(a.W, Wt), am.observables(b.W, Wt)
    assert abs(oa["m"] - oa["q"]) < 0.05 and abs(oa["test_error"] - ob["test_error"]) < 0.01


def test_check_multiclass_bo_passes_and_fails_at_a_wrong_alpha(cache_dir, tmp_path, capsys):
    """`statc check` of models/multiclass_bo.model (K = 3, α = 2) at N = 300, 5 seeds: GAMP agrees with
    the SE (rows in check.json like the other kinds); the SE at α = 1 (test error 0.40 vs 0.29)
    FAILs on the same data sets."""
    out = tmp_path / "chk"
    base = ["check", str(BO), "--N", "300", "--seeds", "5"]
    assert main(base + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "PASS" in text and "GAMP iterations" in text
    rows = json.loads((out / "check.json").read_text())["rows"]
    assert {r["name"] for r in rows} == {"test_error", "m", "q"} and all(r["ok"] for r in rows)
    assert main(base + ["--theory-set", "alpha=1"]) == 1
    text = capsys.readouterr().out
    assert "FAIL" in text and "<-- outside" in text


@pytest.mark.slow
def test_check_multiclass_bo_at_n_2000(cache_dir, capsys):
    """Acceptance: the SE matches GAMP at N = 2000, K = 3, Gaussian teacher, 8 seeds (and N = 1000:
    the a + c/N extrapolation too)."""
    assert main(["check", str(BO), "--N", "1000,2000", "--seeds", "8"]) == 0
    assert "PASS" in capsys.readouterr().out


@pytest.mark.slow
def test_gamp_rademacher_lands_on_the_uninformed_branch():
    """±1 binary perceptron (K = 2, rows ±(1, −1)/√2; α_IT = 1.2447, α_sp = 1.4929 from this code's SE,
    Györgyi: 1.245): GAMP from Ŵ = 0 at d = 1000 stays on the low-error (metastable) branch at α = 1.3,
    between α_IT and α_sp — where the equilibrium is perfect recovery — within the check's pass rule
    (4 seeds; measured 0.1639, 0.1634, 0.1658, 0.1998 vs the SE's 0.1754), and reaches perfect recovery
    above α_sp (α = 1.7)."""
    from statc.runtime.judge import allowance, critical_value
    from statc.runtime.static.multiclass_prior import DiscreteRowPrior
    s2 = np.sqrt(0.5)
    binary = DiscreteRowPrior(np.array([[s2, -s2], [-s2, s2]]), np.array([0.5, 0.5]))
    low = mc.bayes_optimal_k_branches(2, 1.3, binary)
    assert low["informed"].perfect and not low["uninformed"].perfect
    runs = [am.bo_train_once(2, 1.3, 1000, s, binary, max_iter=3000) for s in range(4)]
    assert all(r["converged"] for r in runs)
    e = np.array([r["test_error"] for r in runs])
    se = e.std(ddof=1) / 2
    theory = low["uninformed"].test_error
    assert abs(e.mean() - theory) <= allowance(se, critical_value(1, 4), 10.0, theory, 1000)
    assert e.min() > 0.1                                   # far from the informed (perfect) branch
    hi = [am.bo_train_once(2, 1.7, 1000, s, binary) for s in range(3)]
    assert mc.bayes_optimal_k(2, 1.7, binary).perfect
    assert max(abs(r["test_error"]) for r in hi) < 1e-5 and min(r["q"] for r in hi) > 0.999


@pytest.mark.slow
def test_check_multiclass_rademacher_bo(cache_dir, capsys):
    """models/multiclass_rademacher_bo.model (K = 3, ±1 rows, α = 2 < α_IT = 2.40): GAMP with the ±1
    prior's denoiser agrees with the SE (measured at N = 500, 4 seeds: test error 0.2755 ± 0.0018 vs
    0.27102)."""
    assert main(["check", str(RADEMACHER), "--N", "500", "--seeds", "4"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "the informed start reaches the same fixed point" in out
