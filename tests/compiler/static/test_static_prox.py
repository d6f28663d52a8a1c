"""The derived proximal operators against a direct numerical minimisation.

Reference: scipy's bounded Brent minimisation of (h − ω)²/(2V) + ℓ(y, h)
written here with numpy (not the generated code); its argmin is accurate to
~1e-9 (xatol=1e-12, and the objective is strongly convex with modulus 1/V so
the argmin error is of the order of the tolerance).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit

from statc.compiler.static.build import NonConvexLoss, load
from statc.compiler.static.losses import H, Y, Loss, Sigmoid

REFERENCE = {
    "square": lambda y, h: 0.5 * (y - h) ** 2,
    "hinge": lambda y, h: max(0.0, 1.0 - y * h),
    "logistic": lambda y, h: np.logaddexp(0.0, -y * h),
}
RULES = {"square": "linear", "hinge": "hinge", "logistic": "newton"}


def _argmin(name, omega, y, V):
    obj = lambda h: (h - omega) ** 2 / (2 * V) + REFERENCE[name](y, h)
    span = abs(omega) + 2 * V + 10
    return minimize_scalar(obj, bounds=(omega - span, omega + span), method="bounded",
                           options={"xatol": 1e-12}).x


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_prox_is_the_argmin(name, cache_dir):
    mod = load(name)
    assert mod.PROX_RULE == RULES[name]
    rng = np.random.default_rng(0)
    for _ in range(200):
        omega, y = rng.normal(0, 4), rng.choice([-1.0, 1.0])
        V = float(np.exp(rng.uniform(np.log(1e-3), np.log(1e3))))
        h, dh = mod.prox(omega, y, V)
        assert abs(h - _argmin(name, omega, y, V)) < 1e-7 * (1 + abs(h))
        eps = 1e-6
        fd = (mod.prox(omega + eps, y, V)[0] - mod.prox(omega - eps, y, V)[0]) / (2 * eps)
        kinks = np.empty(4)
        near = [abs(omega - k) < 2 * eps for k in kinks[:mod.kinks(y, V, kinks)]]
        if not any(near):
            assert abs(dh - fd) < 1e-6                # central difference error O(eps²·h''')


def test_logistic_prox_survives_huge_fields(cache_dir):
    """Plain Newton diverges and exp overflows here; the bracketed solve does not."""
    mod = load("logistic")
    for omega, V in [(-800.0, 5.0), (800.0, 1e4), (-50.0, 1e6), (0.0, 1e8)]:
        h, dh = mod.prox(omega, 1.0, V)
        assert np.isfinite(h) and 0.0 < dh <= 1.0
        assert abs(h - omega - V * expit(-h)) < 1e-9 * (1 + abs(h) + V)


def test_non_convex_loss_is_refused(cache_dir):
    with pytest.raises(NonConvexLoss, match="not convex"):
        load(Loss("sigmoid_margin", Sigmoid(-Y * H), "binary"))


def test_square_loss_closed_form_is_sympys(cache_dir):
    """The linear rule is SymPy's solve: h* = (ω + V y)/(1 + V)."""
    mod = load("square")
    assert mod.prox(0.3, 2.0, 0.5) == pytest.approx(((0.3 + 0.5 * 2.0) / 1.5, 1 / 1.5), abs=1e-15)


@pytest.mark.parametrize("V", [0.01, 1.0, 12.7, 100.0, 1e4])
def test_logistic_prox_residual_on_a_dense_grid(V, cache_dir):
    """Newton inside the bracket may cycle (g is neither convex nor concave);
    the safeguard must bisect then.  Regression: V = 12.7 once left |g| = 12."""
    mod = load("logistic")
    for y in (1.0, -1.0):
        for omega in np.linspace(-40.0, 40.0, 40001):
            h, _ = mod.prox(omega, y, V)
            assert abs(h - omega - V * y * expit(-y * h)) < 1e-12 * (1 + abs(omega) + V)
