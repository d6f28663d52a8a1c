r"""Finite-size K-class ERM for `statc check` (STATIC.md §9): draw a teacher W* (d×K, i.i.d. N(0, 1)
or ±1 entries), n = αd Gaussian inputs, labels y = argmax_k (W*ᵀx/√d)_k, train, measure.

Inputs are scaled as X/√d, so the estimator minimises Σ_μ ℓ(y_μ, Wᵀx_μ/√d) + λ/2 |W|²_F:

* cross-entropy, K ≥ 3: scikit-learn's multinomial ``LogisticRegression(C=1/λ, fit_intercept=False,
  solver="lbfgs")`` — its objective ½|W|²_F + C Σ CE is ours times C = 1/λ;
* cross-entropy, K = 2: scikit-learn fits the binary model β (P(y = 2) = σ(β·x)); the multinomial
  minimiser has W = [−β/2, β/2] (the ridge's minimum at fixed w₂ − w₁ = β), λ/2|W|² = λ/4|β|², so
  ½|β|² + C Σ ℓ with C = 2/λ;
* square loss to the one-hot label: the ridge normal equations W = (XᵀX/d + λI)⁻¹ Xᵀ Y/√d;
* any other convex loss of the scores: scipy's L-BFGS on the exact objective with the gradient of
  the model's generated kernel.

The theory never enters here.  Observables per data set: the exact test error of W given the
empirical overlaps m = WᵀW*/d, q = WᵀW/d, ρ = W*ᵀW*/d (for Gaussian inputs the test fields are
exactly N(0, [[q, m], [mᵀ, ρ]]); multiclass.ArgmaxChannel.test_error), the training error and
loss, free_energy = the minimised objective / d, and the subspace scalars m̄, q̄ = tr(P x P)/(K − 1).
"""
from __future__ import annotations

import math

import numpy as np

from .multiclass import ArgmaxChannel
from .multiclass_erm import subspace

TEACHERS = {"gaussian": lambda rng, shape: rng.standard_normal(shape),
            "rademacher": lambda rng, shape: np.where(rng.random(shape) < 0.5, 1.0, -1.0)}


def draw(rng: np.random.Generator, d: int, K: int, alpha: float, teacher: str = "gaussian"):
    """(W* (d×K), X (n×d), y (n,) in 0..K−1)."""
    n = int(round(alpha * d))
    Wt = TEACHERS[teacher](rng, (d, K))
    X = rng.standard_normal((n, d))
    return Wt, X, np.argmax(X @ Wt, axis=1)


def fit_cross_entropy(Xs: np.ndarray, y: np.ndarray, K: int, lam: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    if K == 2:
        clf = LogisticRegression(C=2.0 / lam, fit_intercept=False, solver="lbfgs", tol=1e-10, max_iter=100_000)
        clf.fit(Xs, y)
        beta = clf.coef_.ravel()
        return np.stack([-beta / 2, beta / 2], axis=1)
    clf = LogisticRegression(C=1.0 / lam, fit_intercept=False, solver="lbfgs", tol=1e-10, max_iter=100_000)
    clf.fit(Xs, y)
    if list(clf.classes_) != list(range(K)):
        raise ValueError("a class is missing from the training set; use a larger N or alpha")
    return clf.coef_.T.copy()


def fit_square(Xs: np.ndarray, y: np.ndarray, K: int, lam: float) -> np.ndarray:
    d = Xs.shape[1]
    Y = np.eye(K)[y]
    return np.linalg.solve(Xs.T @ Xs + lam * np.eye(d), Xs.T @ Y)


def fit_lbfgs(mod):
    """A trainer for a model's own K-class loss (kernel module ``mod``): L-BFGS on the objective."""
    def fit(Xs, y, K, lam):
        from scipy.optimize import minimize
        n, d = Xs.shape
        g, Hm = np.empty(K), np.empty((K, K))

        def f(theta):
            W = theta.reshape(d, K)
            h = Xs @ W
            val = np.empty(n)
            mod.losses_k(np.ascontiguousarray(h), y.astype(np.int64), val)
            G = np.empty((n, K))
            for i in range(n):
                mod.grad_hess(int(y[i]), h[i], g, Hm)
                G[i] = g
            return float(val.sum() + 0.5 * lam * theta @ theta), (Xs.T @ G + lam * W).ravel()
        res = minimize(f, np.zeros(d * K), jac=True, method="L-BFGS-B",
                       options={"maxiter": 20_000, "gtol": 1e-10, "ftol": 1e-15})
        return res.x.reshape(d, K)
    return fit


TRAINERS = {"cross_entropy": fit_cross_entropy, "square": fit_square}


def train_once(fit, mod, K: int, alpha: float, lam: float, d: int, seed: int,
               teacher: str = "gaussian") -> dict[str, float]:
    """One data set: train with ``fit`` (a TRAINERS entry or fit_lbfgs) and measure."""
    rng = np.random.default_rng(seed)
    Wt, X, y = draw(rng, d, K, alpha, teacher)
    Xs = X / math.sqrt(d)
    W = fit(Xs, y, K, lam)
    h = np.ascontiguousarray(Xs @ W)
    val = np.empty(len(y))
    mod.losses_k(h, y.astype(np.int64), val)
    m, q, rho = W.T @ Wt / d, W.T @ W / d, Wt.T @ Wt / d
    return {"test_error": ArgmaxChannel(K).test_error(m, q, rho), "train_error": float(np.mean(h.argmax(1) != y)),
            "train_loss": float(val.mean()), "free_energy": float((val.sum() + 0.5 * lam * np.sum(W * W)) / d),
            "m": subspace(m), "q": subspace(q)}


def registry_name(mod, K: int) -> str:
    """The registry trainer the model's loss equals, by its values at random scores ("" if none)."""
    rng = np.random.default_rng(1)
    h = rng.standard_normal((50, K)) * 2
    y = rng.integers(0, K, 50)
    val = np.empty(50)
    mod.losses_k(np.ascontiguousarray(h), y.astype(np.int64), val)
    lse = np.log(np.exp(h).sum(1))
    refs = {"cross_entropy": lse - h[np.arange(50), y],
            "square": 0.5 * ((h - np.eye(K)[y]) ** 2).sum(1)}
    return next((k for k, r in refs.items() if np.allclose(val, r, rtol=1e-12, atol=1e-12)), "")
