"""Stochastic gradient flow (`algorithm sgf`, DMFT.md §1, §3): the η → 0 limit at fixed (b, τ) of
persistent SGD, by Richardson extrapolation 2 f(η/2) − f(η) (runtime/dmft/flow.py).

References not derived by statc: square loss, linear teacher, ridge λ (Marchenko–Pastur density ρ,
conftest.py). Gradient flow (b = 1) is exact: w(t) − w* = e^{−t(λ + XᵀX)}(w_0 − w*), i.e. the
polynomials p_t(a) = e^{−(λ+a)t} in the V1 formulas. For b < 1 there is no closed form; the tests
check the two limits the design note states: the discrete persistent-SGD DMFT converges to the
flow at rate O(η), and as τ → 0 the flow reduces to gradient flow on κb × loss (κ = 1/b: the loss
itself), the distance shrinking ∝ τ (the telegraph noise's variance per unit time is ∝ τ).
"""
from __future__ import annotations

import numpy as np
import pytest

from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve_repeats
from statc.runtime.dmft.flow import estimate, simulate_estimate

ALPHA, LAM, M0, Q0, T_END = 3.0, 0.5, 0.2, 1.04, 1.0


def ridge(name, eta, t_end=T_END, **kw):
    return DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm(name, eta, **kw), alpha=ALPHA,
                       eta=eta, steps=int(round(t_end / eta)), lam=LAM, m0=M0, Q0=Q0)


def exact_on_grid(mp_nodes, exact_linear_method, pk_of_t, times):
    a, w = mp_nodes(ALPHA)
    return exact_linear_method(a, w, ALPHA, LAM, M0, Q0, np.stack([pk_of_t(a, t) for t in times]))


def test_flow_at_b_1_is_gradient_flow(mp_nodes, exact_linear_method):
    """`sgf` with b = 1 is gradient flow: the DMFT's extrapolation equals the exact Richardson
    combination of GD at η and η/2 within Monte-Carlo error, and that combination is O(η²) from the
    exact flow (DMFT.md V1: m(0.5) = 0.6846, m(1) = 0.7729)."""
    eta = 0.05
    est = estimate(ridge("sgf", eta, b=1.0), 3000, 6, seed=4)
    t = est.mean["t"]
    coarse = exact_on_grid(mp_nodes, exact_linear_method, lambda a, s: (1 - eta * (LAM + a)) ** round(s / eta), t)
    fine = exact_on_grid(mp_nodes, exact_linear_method,
                         lambda a, s: (1 - eta / 2 * (LAM + a)) ** round(2 * s / eta), t)
    flow = exact_on_grid(mp_nodes, exact_linear_method, lambda a, s: np.exp(-(LAM + a) * s), t)
    assert flow[0][10] == pytest.approx(0.6846, abs=1e-4) and flow[0][20] == pytest.approx(0.7729, abs=1e-4)
    for i, name in enumerate(("m", "Q", "train_loss")):
        richardson = 2 * fine[i] - coarse[i]
        se = est.stderr[name][1:]
        assert np.all(np.abs(est.mean[name][1:] - richardson[1:]) <= 3.5 * se), name
        # the extrapolation removes the O(η) error of GD: 10× smaller than GD's own at this η
        assert np.abs(richardson - flow[i]).max() < 0.1 * np.abs(coarse[i] - flow[i]).max(), name


@pytest.fixture(scope="module")
def persistent_ladder():
    """persistent SGD b = 0.5, τ = 0.5 at η = 0.1, 0.05, 0.025 on the grid t = 0.1 j."""
    out = {}
    for eta in (0.1, 0.05, 0.025):
        est = solve_repeats(ridge("persistent", eta, b=0.5, tau=0.5), 20000, 8, seed=1)
        stride = round(0.1 / eta)
        out[eta] = {k: (est.mean[k][::stride], est.stderr[k][::stride]) for k in ("m", "train_loss")}
    return out


def test_discrete_persistent_sgd_converges_to_the_flow_at_rate_eta(persistent_ladder):
    """f(η) − f(η/2) ≈ 2 (f(η/2) − f(η/4)) (O(η) convergence): the ratio of the summed differences
    over t = 0.1..1 is in [1.5, 3.5] for m and the training loss (measured 2.7 and 1.9 at
    n_s = 20 000 × 8; the differences are 10–20 Monte-Carlo standard errors)."""
    L = persistent_ladder
    for name in ("m", "train_loss"):
        d1 = (L[0.1][name][0] - L[0.05][name][0])[1:].sum()
        d2 = (L[0.05][name][0] - L[0.025][name][0])[1:].sum()
        se2 = np.sqrt(((L[0.05][name][1] ** 2 + L[0.025][name][1] ** 2)[1:]).sum())
        assert abs(d2) > 5 * se2, name                    # the effect is resolved
        assert 1.5 < d1 / d2 < 3.5, (name, d1, d2)


def test_sgf_is_the_limit_of_the_ladder(persistent_ladder):
    """The `sgf` extrapolation from η = 0.05 lies beyond f(0.025), on the line through f(0.05) and
    f(0.025): |sgf − f(0.025)| ≈ |f(0.05) − f(0.025)| (Richardson), within Monte-Carlo error."""
    fl = estimate(ridge("sgf", 0.05, b=0.5, tau=0.5), 20000, 8, seed=2)
    L = persistent_ladder
    for name in ("m", "train_loss"):
        flow, se = fl.mean[name][::2][1:], fl.stderr[name][::2][1:]
        f2, f3 = L[0.05][name][0][1:], L[0.025][name][0][1:]
        # the flow is on the far side of f(0.025) from f(0.05), at the extrapolated distance
        pred = 2 * f3 - f2
        tol = 3.5 * np.sqrt(se ** 2 + 4 * L[0.025][name][1][1:] ** 2 + L[0.05][name][1][1:] ** 2)
        assert np.all(np.abs(flow - pred) <= tol + 0.5 * np.abs(f2 - f3)), name
        assert np.sum(np.abs(flow - f3)) < np.sum(np.abs(f2 - f3)) * 1.6 and np.sum(np.abs(flow - f2)) > np.sum(
            np.abs(f3 - f2)), name


@pytest.mark.slow
def test_flow_with_short_persistence_reduces_to_gradient_flow(mp_nodes, exact_linear_method):
    """τ → 0 (κ = 1/b): the flow tends to gradient flow on the loss; the distance of the training
    loss at t = 0.5..1 shrinks ∝ τ (ratio per halving of τ in [1.4, 2.8]; measured 1.8, 1.9)."""
    t = np.arange(11) * 0.1
    gf = exact_on_grid(mp_nodes, exact_linear_method, lambda a, s: np.exp(-(LAM + a) * s), t)
    dist = []
    for tau in (0.4, 0.2, 0.1):
        fl = estimate(ridge("sgf", 0.02, b=0.5, tau=tau), 20000, 8, seed=3)
        diff = fl.mean["train_loss"][::5] - gf[2]
        dist.append(diff[5:].sum())
        assert np.all(diff[5:] > 0)                       # the noise raises the training loss
    assert 1.4 < dist[0] / dist[1] < 2.8 and 1.4 < dist[1] / dist[2] < 2.8, dist


@pytest.mark.slow
def test_sgf_dmft_matches_the_simulated_flow():
    """The simulator's flow (runs at η and η/2 on one data set per seed, extrapolated) against the
    DMFT flow, persistent b = 0.5, τ = 0.5 on the ridge problem, N = 1500, 6 seeds, t = 0.2..1."""
    p = ridge("sgf", 0.05, b=0.5, tau=0.5)
    th = estimate(p, 8000, 6, seed=6)
    sim = simulate_estimate(p, 1500, 6, seed=8, n_test=500)
    for k in (4, 8, 12, 16, 20):
        for name in ("m", "Q", "train_loss"):
            se = np.hypot(th.stderr[name][k], sim.stderr[name][k])
            assert abs(th.mean[name][k] - sim.mean[name][k]) <= 3.5 * se + 10 / 1500, (name, k)
