"""The finite-size Bayes-optimal estimators (runtime/static/amp.py) against closed forms:
for the linear channel with a Gaussian prior the posterior mean is ridge regression at
λ = σ², (XᵀX/d + σ²)⁻¹Xᵀy/√d; for the mixture it is the Gaussian posterior of the means."""
from __future__ import annotations

import numpy as np
import pytest

from statc.runtime.static.amp import bo_train_once, gamp
from statc.runtime.static.bayes import PRIORS
from statc.runtime.static.channels import channel
from statc.runtime.static.finite import SAMPLERS


@pytest.mark.parametrize("alpha, noise", [(0.5, 0.3), (2.0, 1.0)])
def test_gamp_on_the_linear_channel_is_the_exact_posterior_mean(alpha, noise):
    ch = channel("linear", noise=noise)
    rng = np.random.default_rng(3)
    d = 400
    teacher = rng.standard_normal(d)
    X, y = SAMPLERS[type(ch)](ch, rng, int(alpha * d), d, teacher)
    res = gamp(X, y, ch, PRIORS["gaussian"], tol=1e-12)
    Xs = X / np.sqrt(d)
    exact = np.linalg.solve(Xs.T @ Xs + noise * np.eye(d), Xs.T @ y)
    assert res.converged and np.max(np.abs(res.w - exact)) < 1e-8


def test_gamp_sign_channel_overlaps_follow_nishimori():
    """At the Bayes-optimal estimate m = ŵ·w*/d and q = |ŵ|²/d agree up to fluctuations,
    and GAMP converges from ŵ = 0."""
    r = [bo_train_once(channel("sign"), "gaussian", 2.0, 500, s) for s in range(3)]
    assert all(x["converged"] for x in r)
    assert abs(np.mean([x["m"] - x["q"] for x in r])) < 0.02
