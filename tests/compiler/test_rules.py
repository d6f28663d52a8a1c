"""Learning rules of the seed papers, derived from their model files alone.

References: the dropout learning curve of Mori & Mignacco (2025); exact
limits (feedback equal to the readout is backprop; batch B = 1 and B → ∞;
two erf conventions related by a rescaling); closed forms for mini-batch
linear regression.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "fixtures" / "good"


def test_dropout_reference_value(load):
    """keep = 0.7, η = 1, σ = 0.3, zero initial weights, T = 1: ε_g(t = 5) = 0.03648."""
    m = load("dropout")
    tr = m.run(t_end=5, init_N=0, rtol=1e-10, atol=1e-12)
    assert tr["Q[1,1]"][0] == 0.0 and tr["T[1,1]"][0] == 1.0
    assert tr["eps_g"][-1] == pytest.approx(0.03648, abs=1e-4)


def test_dropout_optimal_keep_is_below_one(load):
    m = load("dropout")
    keeps = np.linspace(0.4, 1.0, 13)
    eps = [m.run(t_end=5, init_N=0, keep=k, record="linear 1")["eps_g"][-1] for k in keeps]
    best = keeps[int(np.argmin(eps))]
    assert best < 1.0
    assert min(eps) < eps[-1] - 1e-3          # dropout helps beyond numerical noise


def test_dropout_masks_keep_one_is_plain_sgd(load):
    """keep = p_test = 1 switches dropout off: the masks' moments keep^j must all be 1."""
    m = load("dropout")
    on = m.run(t_end=5, init_N=0, keep=1.0)
    # against the same network trained by the plain committee model (v = 1, M = 1)
    plain = load("saad_solla").run(t_end=5, init_N=0, K=2, M=1, eta=1.0, sigma=0.3,
                                   init_from=None)
    # saad_solla starts from Q = 1e-6 I, dropout from 0: compare after the transient
    assert on["eps_g"][-1] == pytest.approx(plain["eps_g"][-1], rel=1e-3)


def test_feedback_equal_to_readout_is_backprop(load):
    fa = load(GOOD / "committee_fa_equal.model")
    bp = load("saad_solla")
    a = fa.run(t_end=50, init_N=0, eta_v=0.0, rtol=1e-12, atol=1e-14)
    b = bp.run(t_end=50, init_N=0, eta_v=0.0, rtol=1e-12, atol=1e-14)
    # same equations, terms summed in another order: equal to the integrator's tolerance
    assert np.max(np.abs(a["eps_g"] - b["eps_g"])) < 1e-10


def test_feedback_alignment_differs_from_backprop(load):
    fa = load("feedback_alignment")
    a = fa.run(t_end=50, init_N=0)
    assert np.all(np.isfinite(a["eps_g"]))
    assert a["eps_g"][-1] < 0.5 * a["eps_g"][0]                # it learns
    # readouts move towards the feedback direction (alignment)
    assert a["v[1]"][-1] > 0 and a["v[2]"][-1] > 0


@pytest.mark.parametrize("B", [1, 4, 32])
def test_minibatch_linear_regression_closed_form(load, B):
    """dε/dt = −η(2 − η/B) ε + η²σ²/(2B): the η² terms carry 1/B."""
    m = load("linear_regression")
    eta, sigma = 0.8, 0.5
    tr = m.run(t_end=10, eta=eta, sigma=sigma, B=B, init_N=0, rtol=1e-11, atol=1e-13)
    rate = eta * (2 - eta / B)
    e_inf = eta**2 * sigma**2 / (2 * B) / rate
    exact = e_inf + (tr["eps_g"][0] - e_inf) * np.exp(-rate * tr["t"])
    assert np.max(np.abs(tr["eps_g"] - exact)) < 1e-6


def test_large_batch_is_gradient_flow(load):
    """B → ∞: gradient flow on the population risk, ε(t) = ε0 e^{−2ηt}, whatever σ."""
    m = load("linear_regression")
    tr = m.run(t_end=5, eta=0.8, sigma=0.5, B=1e9, init_N=0, rtol=1e-11, atol=1e-13)
    exact = tr["eps_g"][0] * np.exp(-2 * 0.8 * tr["t"])
    assert np.max(np.abs(tr["eps_g"] - exact)) < 1e-6


def test_erf_conventions_agree_after_rescaling(load):
    """erf(λ) with w = w'/√2 is erf(λ'/√2); SGD at η on w is SGD at 2η on w'."""
    a = load(GOOD / "erf_unscaled.model").run(t_end=100, init_N=0)
    b = load(GOOD / "erf_scaled.model").run(t_end=100, init_N=0)
    assert np.max(np.abs(a["eps_g"] - b["eps_g"])) < 1e-8
    assert np.max(np.abs(2 * a["Q[1,2]"] - b["Q[1,2]"])) < 1e-8


def test_no_rule_specific_branches_in_the_compiler():
    """Rules are data (compiler/online/update_rules.py), never branches in the derivation."""
    for name in ("online/derive_online.py", "gaussian/expectation.py", "gaussian/expand.py",
                 "codegen/kernels.py", "codegen/simulator.py"):
        src = (ROOT / "compiler" / name).read_text().lower()
        assert not re.search(r"dropout|feedback|pepita|curriculum|committee", src), name


def _rhs_at_start(model, **params):
    from statc.runtime import params as pm
    from statc.runtime.online.initial import initial_state
    from statc.runtime.online.layout import make_layout
    c = model.compiled
    values = pm.resolve(c.model, c.meta, params)
    P = pm.vector(c.meta, values)
    layout = make_layout(c.meta, values)
    y = initial_state(c, layout, values, P, init_N=0)
    dy = np.zeros_like(y)
    c.module.rhs(0.0, y, P, dy)
    return {name: dy[i] for name, i in layout.columns()}


@pytest.mark.slow  # ~100 s of CPU (compiles three feedback models); CI time
def test_pepita_is_afa_to_first_order_in_c(load):
    """PEPITA's update (h − h_err)/c · x_err → AFA's as the projection strength c → 0."""
    afa = _rhs_at_start(load("afa"))
    gaps = []
    for c in (0.1, 0.05):
        pep = _rhs_at_start(load("pepita"), c=c)
        gaps.append(max(abs(pep[k] - afa[k]) for k in ("Q[1,1]", "Q[1,2]", "R[1,1]", "S[1]")))
    assert 0.4 < gaps[1] / gaps[0] < 0.6               # O(c): halving c halves the gap
    assert abs(2 * gaps[1] - gaps[0]) < 0.2 * gaps[0]  # and extrapolates to 0 at c = 0


@pytest.mark.slow  # ~100 s of CPU (compiles three feedback models); CI time
def test_feedback_rules_trail_backprop(load):
    """On the same task and start, AFA and PEPITA learn more slowly than backprop."""
    bp = load(GOOD / "two_layer_backprop.model").run(t_end=30, init_N=0, record="linear 1")
    afa = load("afa").run(t_end=30, init_N=0, record="linear 1")
    pep = load("pepita").run(t_end=30, init_N=0, record="linear 1", c=0.5)
    assert bp["eps_g"][-1] < 0.5 * afa["eps_g"][-1]
    assert bp["eps_g"][-1] < 0.5 * pep["eps_g"][-1]
    assert abs(pep["eps_g"][-1] - afa["eps_g"][-1]) < 0.3 * afa["eps_g"][-1]


def test_curriculum_fixed_schedules(load):
    """η = 3, t_F = 12, Δ ∈ {0, 2}, half easy: the three fixed curricula differ,
    and all lie above the framework's published optimum (0.1467)."""
    m = load("curriculum")
    sched = {
        "easy_hard": {"Delta": [(0, 6, 0.0), (6, 12, 2.0)]},
        "hard_easy": {"Delta": [(0, 6, 2.0), (6, 12, 0.0)]},
        "alternating": {"Delta": [(t, t + 1, float(2 * (t % 2))) for t in range(12)]},
    }
    final = {k: m.run(init_N=0, schedule=s, record="linear 4")["err"][-1] for k, s in sched.items()}
    vals = sorted(final.values())
    assert vals[1] - vals[0] > 1e-3 and vals[2] - vals[1] > 1e-3
    assert min(vals) > 0.1467
    assert max(vals) < 0.5                                    # all of them learn


def test_continual_forgetting_grows_with_dissimilarity(load):
    m = load("continual")
    forget = []
    for rho in (0.9, 0.6, 0.3, 0.0):
        tr = m.run(t_end=40, init_N=0, rho=rho, record="linear 40")
        i = int(np.argmin(np.abs(tr["t"] - 20)))
        forget.append(tr["eps1"][-1] - tr["eps1"][i])
    assert all(b > a for a, b in zip(forget, forget[1:]))


def test_mean_field_readout_is_a_fixed_readout_of_one_over_K(load):
    """yhat = Σ_k g(λ_k)/K, written in the model file, equals fixed readouts v_k = 1/K."""
    from statc.runtime import params as pm
    from statc.runtime.online import runner
    from statc.runtime.online.initial import initial_state
    from statc.runtime.online.layout import make_layout
    sizes = {"K": 3, "M": 2, "eta": 0.8}
    mf = load(GOOD / "meanfield_readout.model").run(t_end=30, init_N=0, **sizes)
    c = load("saad_solla").compiled
    values = pm.resolve(c.model, c.meta, {**sizes, "eta_v": 0.0})
    layout = make_layout(c.meta, values)
    y0 = initial_state(c, layout, values, pm.vector(c.meta, values), init_N=0)
    v = layout.block("v")
    y0[v.offset:v.offset + v.size] = 1.0 / 3
    ref = runner.run(c, {**sizes, "eta_v": 0.0}, y0=y0, times=mf["t"])
    assert np.max(np.abs(ref["eps_g"] - mf["eps_g"])) < 1e-9


@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_gmm_online_error_and_mean_dynamics(load, rho):
    """Linear student on a two-cluster mixture (U = mu·mu/N = 1).

    The error of given overlaps is P(c (c M + √Δ λ) < 0) = Φ(−M/√(ΔQ)) for
    either label, and the mean overlap obeys, whatever ρ,
    dM/dt = η(1 − M) − ηΔ E[(w·z)(mu·z)]/N − ηλM = η(1 − M) − η(Δ + λ)M:
    the noise projected on mu correlates with the student through M itself."""
    from scipy.stats import norm
    m = load("gmm_online")
    Delta, eta, lam = 0.5, 0.2, 0.1
    tr = m.run(t_end=20, init_N=0, rho=rho, rtol=1e-11, atol=1e-13)
    Q, M = tr["Q"], tr["M"]
    assert np.allclose(tr["err"], norm.cdf(-M / np.sqrt(Delta * Q)), atol=1e-12)
    rate = eta * (1 + Delta + lam)
    exact = eta / rate + (M[0] - eta / rate) * np.exp(-rate * tr["t"])
    assert np.max(np.abs(M - exact)) < 1e-7
