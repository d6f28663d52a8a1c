"""V4: GD on a convex loss converges to the empirical-risk minimiser.

Logistic loss + ridge on the symmetric two-cluster mixture (α = 2, Δ = 1, λ = 0.1): the DMFT
of GD at long time against the minimiser of Σ_μ ℓ(y_μ, w·x_μ/√N) + (λ/2)|w|² found by
scipy's L-BFGS on finite data sets (N = 1000, 8 seeds), whose observables carry a seed
standard error (≈ 1e-2 on m) and an O(1/N) finite-size bias (≈ 1e-3), below that error.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import erfc, expit

from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve_repeats

ALPHA, LAM, N, SEEDS = 2.0, 0.1, 1000, 8


def erm_observables(seed: int) -> dict[str, float]:
    """Draw a mixture data set and minimise the ridge-logistic risk with L-BFGS (to gtol 1e-10)."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(N)
    v *= math.sqrt(N) / np.linalg.norm(v)
    n = int(ALPHA * N)
    c = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    X = (np.outer(c, v) / math.sqrt(N) + rng.standard_normal((n, N))) / math.sqrt(N)

    def risk(w):
        u = c * (X @ w)
        f = np.logaddexp(0.0, -u).sum() + 0.5 * LAM * w @ w
        grad = X.T @ (-c * expit(-u)) + LAM * w
        return f, grad

    w = minimize(risk, np.zeros(N), jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "maxiter": 5000}).x
    h = X @ w
    m, Q = w @ v / N, w @ w / N
    return {"m": m, "Q": Q, "train_loss": np.logaddexp(0.0, -c * h).mean(), "train_error": np.mean(c * h < 0),
            "test_error": 0.5 * erfc(m / math.sqrt(2 * Q))}   # exact population error of this w


@pytest.mark.slow
def test_gd_long_time_limit_is_the_erm_minimiser():
    p = DmftProblem(make_teacher("gmm", rho=0.5, Delta=1.0), get_loss("logistic"), make_algorithm("gd", 0.5),
                    alpha=ALPHA, eta=0.5, steps=100, lam=LAM, m0=0.0, Q0=1.0)
    theory = solve_repeats(p, 10000, repeats=4, seed=7)
    erm = [erm_observables(s) for s in range(SEEDS)]
    for name in ("m", "Q", "train_loss", "train_error", "test_error"):
        vals = np.array([e[name] for e in erm])
        se_erm = vals.std(ddof=1) / math.sqrt(SEEDS)
        col, se = theory.mean[name], theory.stderr[name]
        # converged: the last 20 steps (t = 40 → 50) move the DMFT by far less than its error
        assert abs(col[-1] - col[-21]) < 0.2 * se[-1], name
        assert abs(col[-1] - vals.mean()) < 3 * math.hypot(se[-1], se_erm), name
