"""The derived online equations against results statc did not derive.

* online linear regression: the exact exponential relaxation;
* Saad & Solla (1995): the symmetric plateau of the erf committee as η → 0;
* Goldt et al. (2019): the asymptotic error of a noisy erf perceptron as η → 0.

The two η → 0 limits are checked by Richardson extrapolation from η and η/2:
the finite-η corrections are O(η), so the extrapolant is exact to O(η²).
"""
from __future__ import annotations

import math

import numpy as np
import pytest


def test_linear_regression_closed_form(load):
    m = load("linear_regression")
    eta, sigma = 0.5, 0.5
    tr = m.run(t_end=20, eta=eta, sigma=sigma, init_N=0, rtol=1e-11, atol=1e-13)
    e_inf = eta * sigma**2 / (2 * (2 - eta))
    e0 = tr["eps_g"][0]
    # student of scale 0.5 and a unit teacher, uncorrelated: eps_0 = (Q + T)/2
    assert e0 == pytest.approx((0.25 + 1.0) / 2, rel=1e-12)
    exact = e_inf + (e0 - e_inf) * np.exp(-eta * (2 - eta) * tr["t"])
    assert np.max(np.abs(tr["eps_g"] - exact)) < 1e-6
    assert tr["t"][0] == 0.0


@pytest.mark.parametrize("eta", [0.3, 1.2])
def test_linear_regression_other_rates(load, eta):
    m = load("linear_regression")
    tr = m.run(t_end=10, eta=eta, sigma=0.3, init_N=0, rtol=1e-11, atol=1e-13)
    e_inf = eta * 0.09 / (2 * (2 - eta))
    exact = e_inf + (tr["eps_g"][0] - e_inf) * np.exp(-eta * (2 - eta) * tr["t"])
    assert np.max(np.abs(tr["eps_g"] - exact)) < 1e-6


def _plateau(m, eta):
    tr = m.run(t_end=40 / eta, eta=eta, init_N=0, record="linear 400")
    e, t = tr["eps_g"], tr["t"]
    rate = np.abs(np.gradient(e, t))
    i = 10 + int(np.argmin(rate[10:]))
    return e[i]


def test_saad_solla_symmetric_plateau(load):
    """K = M = 2, T = I, v = v* = 1: ε_plateau → (K/π)[π/6 − K asin(1/(2K))] as η → 0."""
    m = load("saad_solla")
    K = 2
    exact = (K / math.pi) * (math.pi / 6 - K * math.asin(1 / (2 * K)))
    assert exact == pytest.approx(0.011611, abs=1e-6)
    e1, e2 = _plateau(m, 0.01), _plateau(m, 0.005)
    assert abs(e2 - exact) < abs(e1 - exact)            # converges as η → 0
    assert abs(e2 - exact) < 0.006 * 0.005              # O(η) distance
    assert 2 * e2 - e1 == pytest.approx(exact, abs=2e-6)  # Richardson: O(η²)


def test_saad_solla_plateau_from_random_start(load):
    """From tiny random overlaps (N = 1000 draw) the run sits on the plateau, then escapes."""
    m = load("saad_solla")
    exact = (2 / math.pi) * (math.pi / 6 - 2 * math.asin(0.25))
    tr = m.run(t_end=8000, eta=0.05, init_N=1000, seed=1, record="linear 800")
    e, t = tr["eps_g"], tr["t"]
    # the draw of T at N = 1000 is I up to O(1/sqrt(N)); the plateau moves by as much
    on = (t > 100) & (t < 400)
    assert np.all(np.abs(e[on] - exact) / exact < 0.15)
    assert e[-1] < 1e-3 * exact                          # specialisation: the plateau is left


def test_goldt_noisy_asymptotic_error(load):
    """erf, K = M = 1, noisy teacher: ε*/(ησ²) → 1/(2√3 π) as η → 0."""
    m = load("saad_solla")
    exact = 1 / (2 * math.sqrt(3) * math.pi)
    sigma = 0.5
    ratios = []
    for eta in (0.02, 0.01):
        tr = m.run(t_end=300 / eta, eta=eta, K=1, M=1, sigma=sigma, init_N=0,
                   record="log 50", rtol=1e-10, atol=1e-12)
        assert abs(tr["eps_g"][-1] - tr["eps_g"][-2]) < 1e-6 * tr["eps_g"][-1]  # converged
        ratios.append(tr["eps_g"][-1] / (eta * sigma**2))
    assert abs(ratios[1] - exact) < abs(ratios[0] - exact)
    assert 2 * ratios[1] - ratios[0] == pytest.approx(exact, rel=1e-5)


def test_compile_is_independent_of_K(load):
    """K and M are runtime values: one kernel serves every size."""
    m = load("saad_solla")
    a = m.run(t_end=5, K=2, M=2, init_N=0)
    b = m.run(t_end=5, K=5, M=3, init_N=0)
    assert "Q[5,5]" in b and "Q[3,3]" not in a and "R[5,3]" in b
