"""Algorithm entries: the selection chain's law, and the identities b = 1 ≡ GD, τ = η/b ≡ SGD."""
from __future__ import annotations

import numpy as np
import pytest

from statc.dsl import StatcError
from statc.runtime.dmft import (DmftProblem, get_loss, make_algorithm, make_teacher, sample_selection, solve,
                                solve_repeats)

ETA = 0.25


def gmm_problem(name: str, steps: int = 12, **params) -> DmftProblem:
    return DmftProblem(make_teacher("gmm", rho=0.5, Delta=1.0), get_loss("logistic"),
                       make_algorithm(name, ETA, **params), alpha=2.0, eta=ETA, steps=steps, lam=0.1, m0=0.1, Q0=1.0)


def test_persistent_chain_has_the_stationary_law_of_design():
    # two-state chain with per-step rates p01 = η/τ, p10 = (1−b)η/(bτ): stationary P(s=1) = b and
    # lag-ℓ autocorrelation (1 − p01 − p10)^ℓ (exact for a Markov chain started stationary).
    b, tau = 0.3, 1.0
    alg = make_algorithm("persistent", ETA, b=b, tau=tau)
    s = sample_selection(alg, np.random.default_rng(1), 200_000, 6).astype(float)
    lam1 = 1 - ETA / tau - (1 - b) * ETA / (b * tau)
    n = s.shape[0]
    se_mean = np.sqrt(b * (1 - b) / n)           # binomial standard error per column
    assert np.all(np.abs(s.mean(axis=0) - b) < 4 * se_mean)
    for lag in (1, 3):
        corr = np.mean((s[:, 0] - b) * (s[:, lag] - b)) / (b * (1 - b))
        assert corr == pytest.approx(lam1 ** lag, abs=4 / np.sqrt(n))   # correlation estimate error ~ 1/√n


def test_sgd_selection_is_iid_bernoulli():
    s = sample_selection(make_algorithm("sgd", ETA, b=0.2), np.random.default_rng(2), 200_000, 4).astype(float)
    n = s.shape[0]
    assert np.all(np.abs(s.mean(axis=0) - 0.2) < 4 * np.sqrt(0.16 / n))
    corr = np.mean((s[:, 1] - 0.2) * (s[:, 2] - 0.2)) / 0.16
    assert abs(corr) < 4 / np.sqrt(n)


def test_batch_fraction_one_is_gd_identically():
    gd = solve(gmm_problem("gd"), 3000, seed=5)
    sgd1 = solve(gmm_problem("sgd", b=1.0), 3000, seed=5)
    for name in gd.columns:
        np.testing.assert_array_equal(gd.columns[name], sgd1.columns[name])


def test_persistent_with_tau_eta_over_b_is_plain_sgd():
    b = 0.4
    sgd = gmm_problem("sgd", b=b)
    pers = gmm_problem("persistent", b=b, tau=ETA / b)
    # the same law: the chain with p01 = b, p10 = 1 − b forgets its state every step
    assert pers.algorithm.p01 == pytest.approx(b) and pers.algorithm.p10 == pytest.approx(1 - b)
    # statistically, with independent seeds: the difference of the two means within 3 standard errors
    a = solve_repeats(sgd, 4000, repeats=6, seed=11)
    c = solve_repeats(pers, 4000, repeats=6, seed=12)
    for name in ("m", "Q", "train_loss"):
        se = np.hypot(a.stderr[name][1:], c.stderr[name][1:])
        assert np.all(np.abs(a.mean[name][1:] - c.mean[name][1:]) < 3 * se), name
    # and it is not a vacuous comparison: GD differs from this SGD by many standard errors
    g = solve_repeats(gmm_problem("gd"), 4000, repeats=6, seed=13)
    se = np.hypot(a.stderr["Q"][-1], g.stderr["Q"][-1])
    assert abs(a.mean["Q"][-1] - g.mean["Q"][-1]) > 5 * se


@pytest.mark.parametrize("name, params, message", [
    ("sgd", {"b": 0.0}, "batch fraction"),
    ("persistent", {"b": 0.5, "tau": 0.1}, "persistent SGD needs"),
    ("langevin", {"T": -1.0}, "temperature"),
    ("adam", {}, "unknown DMFT algorithm"),
])
def test_bad_algorithm_parameters_are_clear_errors(name, params, message):
    with pytest.raises(StatcError, match=message):
        make_algorithm(name, ETA, **params)
