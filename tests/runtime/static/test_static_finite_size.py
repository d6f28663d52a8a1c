"""The fixed point against the same estimator trained on finite data.

The finite-size side (``statc.runtime.static.finite``) samples the mixture,
trains with scikit-learn (logistic, hinge) or the ridge normal equations
(square), and measures; it never uses the derived equations.  Observables are
extrapolated to d → ∞ by a weighted fit a + c/d over two dimensions, and must
agree with the theory within 3 standard errors of the extrapolated value (the
fit's own error: no extra allowance).  Seeds are fixed, so the outcome is
deterministic; a 3σ criterion on 7 observables fails by chance with p ≈ 2%.
"""
from __future__ import annotations

import numpy as np
import pytest

from statc.runtime.static.channels import channel
from statc.runtime.static.erm import ERM
from statc.runtime.static.finite import compare_scaling, finite_size

SETTING = dict(alpha=2.0, lam=0.1)
MIXTURE = dict(rho=0.3, Delta=1.0)


def _check(loss, dims, seeds):
    ch = channel("mixture", **MIXTURE)
    theory = ERM(loss, ch, SETTING["alpha"], SETTING["lam"]).solve().observables
    runs = [finite_size(loss, ch, SETTING["alpha"], SETTING["lam"], d, seeds=seeds) for d in dims]
    report = compare_scaling(runs, theory)
    bad = {k: v for k, v in report.items() if not v["ok"]}
    assert not bad, bad


def test_square_loss_mixture_finite_size(cache_dir):
    _check("square", (200, 400), seeds=8)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["logistic", "hinge"])
def test_logistic_and_hinge_mixture_finite_size(loss, cache_dir):
    _check(loss, (500, 1000), seeds=8)


def test_inverse_n_fit_recovers_the_intercept_and_its_error():
    """mean(N) = a + c/N exactly at two sizes: a = (N₂ȳ₂ − N₁ȳ₁)/(N₂ − N₁), and the standard
    error propagates as √(N₂²σ₂² + N₁²σ₁²)/(N₂ − N₁)."""
    from statc.runtime.static.finite import fit_inverse_n
    a, se = fit_inverse_n([200, 400], [0.3 + 5 / 200, 0.3 + 5 / 400], [0.01, 0.02])
    assert a == pytest.approx(0.3, abs=1e-12)
    assert se == pytest.approx(np.sqrt(400**2 * 0.02**2 + 200**2 * 0.01**2) / 200, rel=1e-10)
