"""K-class Bayes-optimal state evolution with discrete teacher rows (runtime/static/multiclass_prior.py,
models/multiclass_rademacher_bo.model).

References statc's K-class code did not derive: Györgyi (1990), the binary perceptron with ±1 weights has
its information-theoretic transition at α_IT ≈ 1.245 (Barbier et al. 2019 quote 1.249) and the spinodal
of the uninformed branch at α_sp ≈ 1.493; the scalar code path (bayes.py, prior `rademacher`, a 1-D
tanh integral) for the same problem; the entropy of the label-relevant projection of an i.i.d. ±1 row,
(K − 2^{1−K}) log 2 (STATIC.md §6).

The binary ±1 perceptron is the K = 2 argmax channel with rows ±(1, −1)/√2 (sign(z₁ − z₂) = sign(u·x));
note that i.i.d. ±1 rows at K = 2 are a different problem: u* = w₁* − w₂* has entries 0 (prob. ½) and
±2, a diluted teacher, whose transition is at α_IT ≈ 2.073 (measured with this code, slow test)."""
import numpy as np
import pytest

from statc.runtime.static import multiclass as mc
from statc.runtime.static.bayes import bayes_optimal
from statc.runtime.static.channels import channel
from statc.runtime.static.multiclass_prior import DiscreteRowPrior, projector, row_prior

S2 = np.sqrt(0.5)
BINARY = DiscreteRowPrior(np.array([[S2, -S2], [-S2, S2]]), np.array([0.5, 0.5]))


@pytest.mark.parametrize("K", [2, 3, 4])
def test_entropy_of_the_projected_row(K):
    assert row_prior("rademacher", K).entropy == pytest.approx((K - 2.0 ** (1 - K)) * np.log(2), abs=1e-12)
    assert BINARY.entropy == pytest.approx(np.log(2), abs=1e-15)


def test_k2_binary_rows_equal_the_scalar_rademacher_perceptron():
    """The K-dim prior sum and argmax channel at K = 2 with rows ±(1, −1)/√2 against the scalar code
    (q and the free entropy, uninformed start, α = 1.3 between α_IT and α_sp)."""
    p = mc.bayes_optimal_k(2, 1.3, BINARY)
    b = bayes_optimal(channel("sign"), 1.3, prior="rademacher")["uninformed"]
    assert p.qbar == pytest.approx(b.q, abs=1e-9)
    assert p.free_entropy == pytest.approx(b.free_entropy, abs=1e-9)
    assert p.test_error == pytest.approx(b.test_error, abs=1e-9)


def test_gyorgyi_alpha_it_from_the_k_class_free_entropy():
    """α_IT where Φ(uninformed branch) = −H = −log 2 (the perfect branch), by Brent in (1.1, 1.4)."""
    a_it = mc.alpha_it_k(2, BINARY, 1.1, 1.4, tol=1e-4)
    assert abs(a_it - 1.247) < 3e-3          # 1.245 (Györgyi) – 1.249 (Barbier et al.); measured 1.2447


@pytest.mark.slow
def test_gyorgyi_spinodal_and_the_k2_iid_rows():
    """The spinodal α_sp ≈ 1.493 (bisection on the uninformed start's outcome) and, for i.i.d. ±1 rows
    at K = 2 (a diluted ternary teacher), both thresholds lie above the binary ones."""
    t = mc.transition_k(2, BINARY, 1.1, 1.7, tol=1e-3)
    assert abs(t["alpha_IT"] - 1.247) < 3e-3 and abs(t["alpha_sp"] - 1.493) < 2e-3
    t2 = mc.transition_k(2, "rademacher", 1.5, 3.0, tol=1e-3)
    assert t2["alpha_IT"] > t["alpha_IT"] + 0.5 and t2["alpha_sp"] > t2["alpha_IT"]


def test_informed_start_of_a_discrete_prior_is_perfect_above_alpha_it():
    """α = 1.6 > α_sp (binary rows): both starts reach perfect recovery (q̄ = 1, Φ = −log 2); at
    α = 1.3 the informed start is perfect, the uninformed one is not, and Φ(perfect) > Φ(low)."""
    hi = mc.bayes_optimal_k_branches(2, 1.6, BINARY)
    assert hi["uninformed"].perfect and hi["informed"].perfect
    mid = mc.bayes_optimal_k_branches(2, 1.3, BINARY)
    assert mid["informed"].perfect and not mid["uninformed"].perfect
    assert mid["informed"].free_entropy == -np.log(2) > mid["uninformed"].free_entropy


def test_branch_trick_gives_both_thresholds_k2():
    """Every fixed point of the symmetric SE on α(q̄) = F⁻¹(q̄)/c(q̄): its maximum is the spinodal
    (1.493) and Φ + log 2 changes sign on the low branch at α_IT (1.245–1.249)."""
    qb = np.linspace(0.5, 0.99, 36)
    t = mc.transition_from_branch(mc.branch_curve_k(2, BINARY, qb), np.log(2))
    assert abs(t["alpha_IT"] - 1.247) < 3e-3
    assert abs(t["alpha_sp"] - 1.493) < 2e-3


def test_rademacher_model_reports_both_branches(cache_dir, tmp_path):
    """models/multiclass_rademacher_bo.model at K = 2 (i.i.d. ±1 rows: α_IT ≈ 2.073, α_sp ≈ 2.486):
    at α = 1.9 the low branch is the equilibrium and the informed start is perfect (hysteresis); at
    α = 2.3 the perfect branch wins (test error 0, Φ = −1.5 log 2)."""
    import json
    from pathlib import Path
    from statc.cli import main
    model = Path(__file__).resolve().parents[3] / "models" / "multiclass_rademacher_bo.model"
    out = {}
    for a in (1.9, 2.3):
        assert main(["run", str(model), "--set", "K=2", "--set", f"alpha={a}", "--out", str(tmp_path / str(a))]) == 0
        out[a] = json.loads((tmp_path / str(a) / "summary.json").read_text())
    lo, hi = out[1.9], out[2.3]
    assert lo["equilibrium"] == "uninformed" and lo["hysteresis"] and lo["starts"]["informed"]["perfect"]
    assert 0 < lo["final"]["test_error"] < 0.5
    assert hi["equilibrium"] == "informed" and hi["final"]["test_error"] == 0.0
    assert hi["final"]["free_entropy"] == pytest.approx(-1.5 * np.log(2), abs=1e-12)
    assert not hi["starts"]["uninformed"]["perfect"]


def test_quadrature_maps_are_continuous_at_symmetric_overlaps():
    """range_factor: A Aᵀ = S, and a permutation-symmetric overlap (degenerate eigenspace) perturbed by
    1e-13 moves the ±1 prior's overlap and the channel's Fisher matrix by rounding only (eigh's arbitrary
    basis there made them jump by 3e-8: the K = 3 ±1 SE stalled at a 1e-7 residual)."""
    P = projector(3)
    rng = np.random.default_rng(0)
    E = rng.standard_normal((3, 3))
    E = P @ (E + E.T) @ P * 1e-13
    A = mc.range_factor(2.3 * P)
    assert A.shape == (3, 2) and np.abs(A @ A.T - 2.3 * P).max() < 1e-14
    pr = row_prior("rademacher", 3)
    assert np.abs(pr.overlap(2.3 * P) - pr.overlap(2.3 * P + E)).max() < 1e-12
    ch = mc.ArgmaxChannel(3)
    assert np.abs(ch.bo_qhat(0.69 * P)[0] - ch.bo_qhat(0.69 * P + E)[0]).max() < 1e-12
