"""Finite-size simulation of gradient methods on a fixed training set (independent of the DMFT).

Draws a teacher direction v (|v|² = N), a training set of n = round(αN) samples from the
data model's microscopic definition (`teacher.draw`), the warm start w_0 = m0 v + w⊥_0
(|w⊥_0|² = N(Q0 − m0²)), and runs the algorithm's microscopic rule on that set for every step:

    h = X w/√N,  g_μ = κ s_μ(k) ℓ'(y_μ, h_μ),
    w ← w − η (λ w + Xᵀ g/√N) + β (w − w_prev) + √(2ηT) ξ   (heavy ball β; w_{−1} = w_0);
    Nesterov: u = w + β(w − w_prev), h = X u/√N, w ← u − η (λ u + Xᵀ g/√N) (+ noise).
Under `constrain w.w = q` (problem.sphere = q) the rule is the Lagrange-multiplier one of the
theory (DMFT.md §2.2): w ← d w + u with u = −η Xᵀg/√N (+ √(2ηT) ξ) and the scalar
d = 1 − ηλ_k solving |d w + u|² = qN (:func:`lagrange_decay`, the root → 1 as η → 0).
The training loss and error (and training averages) are measured at the fields h of the
point where the gradient is evaluated; m, Q and the test metric at w.

Observables per step: m = w·v/N (|w·v|/N for sign-symmetric data: phase retrieval), Q = |w|²/N, training loss (1/n)Σ ℓ, training error
(1/n)Σ 1{y h < 0}, the test metric on `n_test` fresh samples of the same model, and the
model's `observe` statements (training averages over the n samples, fresh averages over the
test samples — a held-out set of its own, drawn with the same v, for a fresh mean whose
`given` changes the data model — through the model's own formulas: observe.py). `replica_distance`: a second
copy w_b of the run on the same X, y from the same w_0 with its own selection chain and
Langevin noise (its own generator), D = |w − w_b|²/N.
Nothing here uses a DMFT kernel; the only shared pieces are the model (labels, loss
functions) and the algorithm's selection chain.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from statc.dsl import NumericalError

from .algorithms import sample_selection
from .observe import elementwise
from .problem import DmftProblem


@dataclass
class SimEstimate:
    """Seed-averaged observables and their standard errors (std over seeds / √seeds)."""

    mean: dict[str, np.ndarray]
    stderr: dict[str, np.ndarray]
    per_seed: dict[str, np.ndarray]


def initial_weights(rng: np.random.Generator, v: np.ndarray, m0: float, Q0: float) -> np.ndarray:
    N = v.shape[0]
    u = rng.standard_normal(N)
    u -= (u @ v) / (v @ v) * v
    u *= math.sqrt(N * (Q0 - m0 * m0)) / np.linalg.norm(u) if Q0 > m0 * m0 else 0.0
    return m0 * v + u


def lagrange_decay(w: np.ndarray, u: np.ndarray, q: float, k: int, eta: float) -> float:
    """d = 1 − ηλ_k with |d w + u|²/N = q: the root of (w·w) d² + 2(w·u) d + u·u − qN = 0 that
    tends to 1 as η → 0; none real (the step u orthogonal to w is longer than the radius) is a
    numerical error at step k."""
    N = w.shape[0]
    a, b, c = w @ w, w @ u, u @ u - q * N
    disc = b * b - a * c
    if not (a > 0 and disc >= 0 and math.isfinite(disc)):
        raise NumericalError(f"simulation step {k} (t = {k * eta:g}): no real Lagrange multiplier keeps "
                             f"|w|²/N = {q:g} (the step orthogonal to w is longer than the radius)",
                             hint="decrease eta")
    return (-b + math.sqrt(disc)) / a


def teacher_direction(teacher, rng: np.random.Generator, N: int) -> np.ndarray:
    """The teacher vector v with |v|² = N: isotropic, or shaped by the teacher (`shape`: the
    structured covariance's per-eigen-direction scales θ_i, spectral.py)."""
    v = rng.standard_normal(N)
    shape = getattr(teacher, "shape", None)
    if shape is not None:
        v = shape(v)
    return v * (math.sqrt(N) / np.linalg.norm(v))


def simulate(problem: DmftProblem, N: int, seed=0, n_test: int = 4000) -> dict[str, np.ndarray]:
    """One finite-size run of `problem` at dimension N; columns as in the DMFT trajectory."""
    p = problem
    rng = np.random.default_rng(seed)
    n = int(round(p.alpha * N))
    v = teacher_direction(p.teacher, rng, N)
    X, y = p.teacher.draw(rng, v, n)
    tau = X @ v / math.sqrt(N)                     # teacher fields of the training samples
    Xt, yt = p.teacher.draw(rng, v, n_test)
    w = initial_weights(rng, v, p.m0, p.Q0)
    q = p.sphere
    w_prev = w                                     # heavy ball: w_{−1} = w_0
    sel = sample_selection(p.algorithm, rng, n, p.steps + 1)
    ell, d1 = elementwise(p.loss.value), elementwise(p.loss.d1)
    alg = p.algorithm
    noise = math.sqrt(2.0 * p.eta * alg.temperature)
    rows = p.steps + 1
    cols = {name: np.zeros(rows) for name in ("m", "Q", "train_loss", "train_error", "test")}
    buf = np.empty(n)
    sqN = math.sqrt(N)
    obs = p.observe
    # fresh means with a `given` data model: their own held-out sets, same teacher vector v
    test_sets = [(idx, (Xt, yt) if t is p.teacher else t.draw(rng, v, n_test))
                 for t, idx in obs.test_groups(p.teacher)] if obs.names else []
    symmetric = getattr(p.teacher, "sign_symmetric", False)
    train_means = np.zeros((rows, len(obs.train_fns)))
    test_means = np.zeros((rows, len(obs.test_fns)))
    look_ahead = alg.momentum_rule == "nesterov"
    # replica b (`replica_distance`): same data and w_0, its own selection and Langevin noise
    rng_b = np.random.default_rng(rng.integers(2**63)) if obs.replicas else None
    sel_b = sample_selection(alg, rng_b, n, p.steps + 1) if rng_b is not None else None
    w_b, dist = w.copy(), np.zeros(rows)
    w_b_prev = w_b

    def step(w, w_prev, s, rs, k, h=None):
        """One step of the algorithm from (w_k, w_{k−1}) with selection s and noise stream rs:
        (w_{k+1}, w_k); h = X u/√N at the gradient point u when the caller has it."""
        u = w + alg.beta * (w - w_prev) if look_ahead else w     # where the gradient is evaluated
        g = alg.kappa * s * d1(y, X @ u / sqN if h is None else h, np.empty(n))
        if q:                                      # the sphere: Lagrange multiplier, DMFT.md §2.2
            d = -p.eta * (X.T @ g / sqN) + (noise * rs.standard_normal(N) if noise else 0.0)
            return lagrange_decay(w, d, q, k, p.eta) * w + d, w
        if look_ahead:
            new = u - p.eta * (p.lam * u + X.T @ g / sqN)
        else:
            new = w - p.eta * (p.lam * w + X.T @ g / sqN) + alg.beta * (w - w_prev)
        if noise:
            new += noise * rs.standard_normal(N)
        return new, w

    for k in range(rows):
        u = w + alg.beta * (w - w_prev) if look_ahead else w     # where the gradient is evaluated
        h = X @ u / sqN
        cols["m"][k] = abs(w @ v) / N if symmetric else w @ v / N
        cols["Q"][k] = w @ w / N
        cols["train_loss"][k] = ell(y, h, buf).mean()
        cols["train_error"][k] = np.mean(y * h < 0)
        ht = Xt @ w / sqN
        cols["test"][k] = p.teacher.sample_metric(ht, yt).mean()
        if obs.names:
            train_means[k] = obs.train_means(y, tau, h)
            for idx, (Xg, yg) in test_sets:
                hg = ht if Xg is Xt else Xg @ w / sqN
                test_means[k, idx] = obs.sample_means(tuple(obs.test_fns[i] for i in idx), yg, hg)
        if not np.all(np.isfinite(h)):
            raise NumericalError(f"simulation step {k} (t = {k * p.eta:g}): the weights became non-finite")
        if rng_b is not None:
            dist[k] = (w - w_b) @ (w - w_b) / N
        if k == p.steps:
            break
        if rng_b is not None:
            w_b, w_b_prev = step(w_b, w_b_prev, sel_b[:, k], rng_b, k)
        w, w_prev = step(w, w_prev, sel[:, k], rng, k, h)
    out = {"t": p.eta * np.arange(rows), "m": cols["m"], "Q": cols["Q"], "train_loss": cols["train_loss"]}
    if p.teacher.classification:
        out["train_error"] = cols["train_error"]
    out[p.teacher.test_metric] = cols["test"]
    out.update(obs.columns(cols["m"], cols["Q"], train_means, test_means))
    out.update({name: dist for name in obs.replicas})
    return out


def simulate_seeds(problem: DmftProblem, N: int, seeds: int = 6, seed: int = 0, n_test: int = 4000) -> SimEstimate:
    """`seeds` independent data sets and runs; mean and standard error over seeds (the discrete
    algorithm; a stochastic gradient flow goes through flow.simulate_estimate)."""
    runs = [simulate(problem, N, s, n_test) for s in np.random.SeedSequence(seed).spawn(seeds)]
    per_seed = {name: np.stack([r[name] for r in runs]) for name in runs[0]}
    mean = {k: a.mean(axis=0) for k, a in per_seed.items()}
    stderr = {k: a.std(axis=0, ddof=1) / math.sqrt(seeds) for k, a in per_seed.items()}
    return SimEstimate(mean, stderr, per_seed)
