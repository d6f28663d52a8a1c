"""Weight-side recursions of the causal sweep (DMFT.md §2, §2.1), one registry entry per
update rule, and the weight-side order parameters they report.

Notation: decay d = 1 − ηλ, memory c = ηαΔ, Γ the memory kernel, E[τ g] the signal force.
`U` are the kernels of the point where the gradient is evaluated (A, R, m of the sweep; the
sample fields are h = U·x/√N); `W` those of the iterate w reported in the trajectory.

* heavy ball (β = 0 is GD/SGD): U = W = w, x_{k+1} = (d + β) x_k − β x_{k−1}
  − c Σ_j Γ(k, j) x_j for x = A (A_{−1} = A_0) and x = R(·, j) (R(j, j) = 0, R(j+1, j) = 1), and
  m_{k+1} = (d + β) m_k − β m_{k−1} − ηα E[τ g(k)] (m_{−1} = m_0);
* Nesterov: U = u_k = w_k + β(w_k − w_{k−1}), w_{k+1} = u_k − η∇L(u_k). Per component,
  W_{k+1} = d U_k − c Σ_l Γ(k, l) U_l (+1 for R(·, k): the field enters the force at step k),
  W_0 = U_0, and U_{k+1} = (1 + β) W_{k+1} − β W_k; so R(j+1, j) = 1 + β (DMFT.md §2.1). The
  signal: W^m_{k+1} = d m_k − ηα E[τ g(k)], W^m_0 = m_0. The reported m, Q are those of w:
  m_w = W^m, C⊥_w(k, k) = (A^w_k)²(Q0 − m0²) + η²αΔ R^w(k, ·) E_gg R^w(k, ·)ᵀ + 2ηT |R^w(k, ·)|².
"""
from __future__ import annotations

import math

import numpy as np

from statc.dsl import NumericalError


def sphere_step(p, K, k: int) -> None:
    """A_{k+1}, R(k+1, ·), m_{k+1} under |w|²/N = q (DMFT.md §2.2): the GD recursions with the
    decay d_k = 1 − ηλ_k of the Lagrange multiplier λ_k chosen so that Q_{k+1} = q.

    Each of A_{k+1}, R(k+1, 0..k), m_{k+1} is affine in d: x_{k+1} = d x¹ + x⁰ (x¹ = A_k,
    [R(k, 0..k−1), 0], m_k; x⁰ the memory and signal terms, and R(k+1, k) = 1). So
    Q_{k+1} = m² + (Q0 − m0²)A² + η²αΔ r E_gg rᵀ + 2ηT r·r is a quadratic a d² + 2b d + c = q
    with kernel coefficients (a = Q_k = q). The root continuous in η (d → 1 as η → 0) is
    d = (−b + √(b² − a(c − q)))/a; none real is a numerical error at step k (the step
    η|∇L⊥| is longer than the radius: decrease η).
    """
    eta, ad = p.eta, p.alpha * p.delta
    mem = eta * ad
    gk = K.gamma[k, : k + 1]
    x1 = np.zeros(k + 1)
    x1[:k] = K.R[k, :k]
    x0 = np.zeros(k + 1)
    if k:
        x0[:k] = -mem * (gk @ K.R[: k + 1, :k])
    x0[k] = 1.0
    A1, A0 = K.A[k], -mem * (gk @ K.A[: k + 1])
    m1, m0 = K.m[k], -eta * p.alpha * K.etg[k]
    E = K.egg[: k + 1, : k + 1]
    T, c0, q = p.algorithm.temperature, p.Q0 - p.m0 ** 2, p.sphere

    def form(u, v):
        return eta * eta * ad * (u @ E @ v) + 2.0 * eta * T * (u @ v)

    a = m1 * m1 + c0 * A1 * A1 + form(x1, x1)
    b = m1 * m0 + c0 * A1 * A0 + form(x1, x0)
    c = m0 * m0 + c0 * A0 * A0 + form(x0, x0)
    disc = b * b - a * (c - q)
    if not (a > 0 and disc >= 0 and math.isfinite(disc)):
        raise NumericalError(
            f"DMFT step {k} (t = {k * eta:g}): no real Lagrange multiplier keeps |w|²/N = {q:g} "
            f"(quadratic a = {a:.4g}, b = {b:.4g}, c = {c:.4g}: discriminant {disc:.4g} < 0)",
            hint="the gradient step orthogonal to w is longer than the radius; decrease eta")
    d = (-b + math.sqrt(disc)) / a
    K.lam[k] = (1.0 - d) / eta
    K.A[k + 1] = d * A1 + A0
    K.R[k + 1, : k + 1] = d * x1 + x0
    K.m[k + 1] = d * m1 + m0


def heavy_ball_step(p, K, k: int) -> None:
    """A_{k+1}, R(k+1, ·), m_{k+1} from Γ(k, ·) and E[τ g(k)] (heavy ball; β = 0: GD)."""
    beta = p.algorithm.beta
    decay = 1.0 - p.eta * p.lam + beta
    mem = p.eta * p.alpha * p.delta
    gk = K.gamma[k, : k + 1]
    prev = max(k - 1, 0)
    K.A[k + 1] = decay * K.A[k] - beta * K.A[prev] - mem * (gk @ K.A[: k + 1])
    if k:
        K.R[k + 1, :k] = decay * K.R[k, :k] - beta * K.R[k - 1, :k] - mem * (gk @ K.R[: k + 1, :k])
    K.R[k + 1, k] = 1.0
    K.m[k + 1] = decay * K.m[k] - beta * K.m[prev] - p.eta * p.alpha * K.etg[k]
    K.lam[k] = p.lam


def _w_level(p, K, k: int) -> tuple[float, np.ndarray, float]:
    """(W^A_k, W^R(k, 0..k), W^m_k): the iterate w_k's components from the U kernels of step k − 1."""
    W_R = np.zeros(k + 1)
    if k == 0:
        return K.A[0], W_R, K.m[0]
    d, c = 1.0 - p.eta * p.lam, p.eta * p.alpha * p.delta
    g = K.gamma[k - 1, :k]
    W_A = d * K.A[k - 1] - c * (g @ K.A[:k])
    W_R[:k] = d * K.R[k - 1, :k] - c * (g @ K.R[:k, :k])
    W_R[k - 1] += 1.0
    return W_A, W_R, d * K.m[k - 1] - p.eta * p.alpha * K.etg[k - 1]


def nesterov_step(p, K, k: int) -> None:
    """U_{k+1} = (1 + β) W_{k+1} − β W_k for A, R(·, j ≤ k) and m (Nesterov)."""
    beta = p.algorithm.beta
    a1, r1, m1 = _w_level(p, K, k + 1)
    a0, r0, m0 = _w_level(p, K, k)
    K.A[k + 1] = (1 + beta) * a1 - beta * a0
    K.R[k + 1, : k + 1] = (1 + beta) * r1[: k + 1] - beta * np.append(r0, 0.0)[: k + 1]
    K.m[k + 1] = (1 + beta) * m1 - beta * m0
    K.lam[k] = p.lam


def evaluation_point(p, K) -> tuple[np.ndarray, np.ndarray]:
    """(m, C⊥(k, k)) of the point where the gradient is evaluated, which is w itself."""
    return K.m.copy(), np.diag(K.C_perp).copy()


def nesterov_iterate(p, K) -> tuple[np.ndarray, np.ndarray]:
    """(m, C⊥(k, k)) of the iterate w_k (not the look-ahead point u_k) from the U kernels."""
    rows = len(K.m)
    m_w, c_w = np.empty(rows), np.empty(rows)
    c0 = p.Q0 - p.m0 ** 2
    for k in range(rows):
        a, r, m = _w_level(p, K, k)
        r = r[:k]
        m_w[k] = m
        c_w[k] = a * a * c0 + p.eta ** 2 * p.alpha * p.delta * (r @ K.egg[:k, :k] @ r) \
            + 2.0 * p.eta * p.algorithm.temperature * (r @ r)
    return m_w, c_w


#: rule → (weight step, (m, C⊥ diagonal) of the reported iterate)
RULES = {"heavy_ball": (heavy_ball_step, evaluation_point), "nesterov": (nesterov_step, nesterov_iterate),
         "sphere": (sphere_step, evaluation_point)}


def rule(p) -> str:
    """The problem's weight-side rule: `sphere` under the constraint, else its momentum rule."""
    return "sphere" if getattr(p, "sphere", 0.0) else p.algorithm.momentum_rule


def weight_step(p, K, k: int) -> None:
    """The weight-side step of the problem's update rule."""
    RULES[rule(p)][0](p, K, k)


def iterate(p, K) -> tuple[np.ndarray, np.ndarray]:
    """(m_k, C⊥_w(k, k)) of the iterate w_k reported in the trajectory."""
    return RULES[rule(p)][1](p, K)
