"""DMFT against the finite-size simulator, and the simulator against exact results.

The simulator runs the microscopic algorithm on a fixed training set of n = αN samples;
it never uses a DMFT kernel. Comparisons are at a few times, each within 3 standard errors
of the difference (DMFT repeats and simulation seeds are independent, so the errors add in
quadrature). Finite-size corrections of the seed-averaged observables are O(1/N) ≈ 1e-3 at
N = 1000 (checked: Q after one step at N = 1000 and 2000 agree with the closed form within
1σ, 2σ), below the seed-to-seed standard errors (≈ 3e-3 on Q with 16 seeds), so no extra
allowance is added.
"""
from __future__ import annotations

import numpy as np
import pytest

from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve_repeats
from statc.runtime.dmft.simulate import simulate_seeds

ALPHA, ETA, LAM, STEPS, N, SEEDS = 2.0, 0.25, 0.1, 20, 1000, 16
CHECK_STEPS = (4, 10, 20)          # t = 1, 2.5, 5


def gmm(alg: str = "gd", eta: float = ETA, **params) -> DmftProblem:
    return DmftProblem(make_teacher("gmm", rho=0.5, Delta=1.0), get_loss("logistic"),
                       make_algorithm(alg, eta, **params), alpha=ALPHA, eta=eta, steps=STEPS, lam=LAM, m0=0.0, Q0=1.0)


def z_scores(a, b, names, steps=CHECK_STEPS) -> dict[str, np.ndarray]:
    idx = list(steps)
    return {n: (a.mean[n][idx] - b.mean[n][idx]) / np.hypot(a.stderr[n][idx], b.stderr[n][idx]) for n in names}


NAMES = ("m", "Q", "train_loss", "train_error", "test_error")


@pytest.fixture(scope="module")
def gd_theory():
    return solve_repeats(gmm(), 20000, repeats=4, seed=101)


@pytest.fixture(scope="module")
def gd_sim():
    return simulate_seeds(gmm(), N, seeds=SEEDS, seed=202)


def test_logistic_gd_on_the_mixture_matches_simulation(gd_theory, gd_sim):
    z = z_scores(gd_sim, gd_theory, NAMES)
    for name, zs in z.items():
        assert np.all(np.abs(zs) < 3.0), f"{name}: z = {np.round(zs, 2)}"
    # the comparison has power: m moves by ≫ its error between the checked times
    assert gd_theory.mean["m"][20] - gd_theory.mean["m"][4] > 50 * gd_sim.stderr["m"][20]


def test_simulation_with_another_step_size_is_detected(gd_theory):
    """Changing η on the simulation side only (0.25 → 0.3, same number of steps) must fail."""
    other = simulate_seeds(gmm(eta=0.3), N, seeds=6, seed=303)
    z = z_scores(other, gd_theory, ("m",), steps=(20,))
    assert abs(z["m"][0]) > 3.0


def test_simulator_reproduces_the_exact_ridge_solution(exact_ridge_gd):
    """Square loss, linear teacher, ridge GD: sim m(t) against the Marchenko–Pastur closed
    form (conftest.py), no DMFT involved."""
    p = DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("gd", 0.1),
                    alpha=3.0, eta=0.1, steps=20, lam=0.5, m0=0.2, Q0=1.04)
    sim = simulate_seeds(p, N, seeds=8, seed=404)
    m, Q, loss = exact_ridge_gd(3.0, 0.5, 0.2, 1.04, 0.1, 20)
    for name, exact in (("m", m), ("Q", Q), ("train_loss", loss)):
        dev = np.abs(sim.mean[name][1:] - exact[1:]) / sim.stderr[name][1:]
        assert dev.max() < 3.0, f"{name}: {dev.max():.2f} standard errors"


@pytest.mark.slow
def test_logistic_sgd_on_the_mixture_matches_simulation():
    p = gmm("sgd", b=0.3)
    theory = solve_repeats(p, 20000, repeats=4, seed=505)
    sim = simulate_seeds(p, N, seeds=SEEDS, seed=606)
    for name, zs in z_scores(sim, theory, NAMES).items():
        assert np.all(np.abs(zs) < 3.0), f"{name}: z = {np.round(zs, 2)}"
