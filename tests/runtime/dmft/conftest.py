"""Exact references for the dmft tests, written independently of statc.

Square loss GD is linear in w: w_k − w* = (1 − η(λ + XᵀX))^k (w_0 − w*), with XᵀX (entries of
X ~ N(0, 1/N), n = αN rows) of Marchenko–Pastur spectrum. Projecting on the teacher v and on
w⊥_0 gives (DMFT.md §6, V1), with p_k(a) = (1 − η(λ + a))^k, s(a) = a/(λ + a):

    m_k = ∫ρ [p_k (m0 − s) + s],   Q_k = ∫ρ [(p_k (m0 − s) + s)² + (Q0 − m0²) p_k²],
    train loss_k = (1/2α) ∫ρ a [(p_k (m0 − s) − λ/(λ + a))² + (Q0 − m0²) p_k²].

Heavy-ball momentum is linear too, with the error e_k = w_k − w* = p_k(XᵀX) e_0 where
p_{k+1} = (1 + β − η(λ + a)) p_k − β p_{k−1}, p_0 = p_{−1} = 1 (DMFT.md §6): same formulas.
"""
from __future__ import annotations

import numpy as np
import pytest


def marchenko_pastur_nodes(alpha: float, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Nodes a_i and weights w_i with Σ w_i f(a_i) ≈ ∫ρ_MP(a) f(a) da (α > 1, no atom at 0).

    ρ(a) = √((a₊ − a)(a − a₋))/(2πa) on [a₋, a₊], a_± = (√α ± 1)². With a = c + r x the
    square root becomes r√(1 − x²): Gauss–Chebyshev of the second kind, exact for polynomial
    f·(c + r x)^{-1}… up to the smooth 1/a factor (spectrally convergent).
    """
    lo, hi = (np.sqrt(alpha) - 1) ** 2, (np.sqrt(alpha) + 1) ** 2
    c, r = (hi + lo) / 2, (hi - lo) / 2
    i = np.arange(1, n + 1)
    x = np.cos(i * np.pi / (n + 1))
    wx = np.pi / (n + 1) * np.sin(i * np.pi / (n + 1)) ** 2
    a = c + r * x
    return a, wx * r * r / (2 * np.pi * a)


def exact_gd(alpha, lam, m0, q0, eta, steps):
    a, w = marchenko_pastur_nodes(alpha)
    k = np.arange(steps + 1)[:, None]
    return exact_linear(a, w, alpha, lam, m0, q0, (1 - eta * (lam + a)) ** k)


def heavy_ball_polynomials(a, lam, eta, beta, steps):
    """p_{k+1}(a) = (1 + β − η(λ + a)) p_k − β p_{k−1}, p_0 = p_{−1} = 1 (rows k = 0..steps)."""
    p = np.ones((steps + 1, a.shape[0]))
    prev = np.ones_like(a)
    for k in range(steps):
        p[k + 1] = (1 + beta - eta * (lam + a)) * p[k] - beta * prev
        prev = p[k]
    return p


def exact_heavy_ball(alpha, lam, m0, q0, eta, beta, steps):
    a, w = marchenko_pastur_nodes(alpha)
    return exact_linear(a, w, alpha, lam, m0, q0, heavy_ball_polynomials(a, lam, eta, beta, steps))


def exact_linear(a, w, alpha, lam, m0, q0, pk):
    """m, Q, training loss per step of a method linear in w with polynomials pk[k, node]."""
    s = a / (lam + a)
    mk = pk * (m0 - s) + s
    c0 = q0 - m0 ** 2
    m = mk @ w
    Q = (mk ** 2 + c0 * pk ** 2) @ w
    loss = (a * ((pk * (m0 - s) - lam / (lam + a)) ** 2 + c0 * pk ** 2)) @ w / (2 * alpha)
    return m, Q, loss


@pytest.fixture(scope="session")
def exact_ridge_gd():
    """``exact_ridge_gd(alpha, lam, m0, Q0, eta, steps)`` → (m, Q, train_loss) per step."""
    return exact_gd


@pytest.fixture(scope="session")
def exact_ridge_heavy_ball():
    """``exact_ridge_heavy_ball(alpha, lam, m0, Q0, eta, beta, steps)`` → (m, Q, train_loss)."""
    return exact_heavy_ball


@pytest.fixture(scope="session")
def exact_linear_method():
    """``exact_linear_method(a, w, alpha, lam, m0, Q0, pk)`` → (m, Q, train_loss) for polynomials pk."""
    return exact_linear


@pytest.fixture(scope="session")
def mp_nodes():
    return marchenko_pastur_nodes
