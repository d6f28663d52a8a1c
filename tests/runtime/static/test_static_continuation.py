"""α-continuation reproduces cold solves; the L1 regulariser's closed form
against Monte Carlo of its scalar denoiser."""
from __future__ import annotations

import numpy as np
import pytest

from statc.runtime.static.channels import channel
from statc.runtime.static.continuation import alpha_curve
from statc.runtime.static.erm import ERM, FixedPoint
from statc.runtime.static.regularisers import lasso


def test_alpha_curve_matches_cold_solves(cache_dir):
    ch = channel("mixture", rho=0.3, Delta=1.0)
    alphas = np.linspace(0.5, 4.0, 8)
    curve = alpha_curve(lambda a: ERM("logistic", ch, a, 0.05), alphas, tol=1e-12)
    assert [a for a, _ in curve] == list(alphas)
    for a, fp in curve[::3]:
        assert isinstance(fp, FixedPoint)
        cold = ERM("logistic", ch, a, 0.05).solve(tol=1e-12)
        # both converged to 1e-12 in the scaled residual; contraction factor
        # ≤ 0.9 leaves at most 1e-11 between them
        assert fp.m == pytest.approx(cold.m, abs=1e-9) and fp.q == pytest.approx(cold.q, abs=1e-9)
    errors = [fp.observables["test_error"] for _, fp in curve]
    assert all(np.diff(errors) < 0)          # more data, lower error at fixed small λ here


def test_lasso_denoiser_by_monte_carlo():
    rng = np.random.default_rng(1)
    mhat, qhat, Vhat, lam, rho = 0.7, 0.4, 1.3, 0.5, 1.0
    n = 2_000_000
    ws = rng.normal(0.0, np.sqrt(rho), n)
    b = mhat * ws + np.sqrt(qhat) * rng.standard_normal(n)
    eta = np.sign(b) * np.maximum(np.abs(b) - lam, 0.0) / Vhat
    mc = {"m": eta * ws, "q": eta * eta, "V": (np.abs(b) > lam) / Vhat}
    m, q, V = lasso(mhat, qhat, Vhat, lam, rho)
    for key, val in (("m", m), ("q", q), ("V", V)):
        se = mc[key].std() / np.sqrt(n)
        assert abs(mc[key].mean() - val) < 5 * se, key      # 5σ: deterministic seed, 3 checks
