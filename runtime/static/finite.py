r"""The finite-size check: draw finite data sets from the data model, train the
same estimator with a well-kept solver, measure, and compare with the theory.

The theory never enters here.  Inputs are scaled as x/√d so that the fields are
w·x/√d and the estimator minimises Σ_μ ℓ(y_μ, w·x_μ/√d + b) + λ/2 |w|², which is
exactly scikit-learn's objectives with C = 1/λ (their ½|w|² + C Σ ℓ, divided
by C):

* logistic: ``LogisticRegression(C=1/λ, solver="lbfgs")`` — lbfgs does not
  penalise the intercept (liblinear would);
* hinge: ``SVC(kernel="precomputed", C=1/λ)`` on the Gram matrix X Xᵀ/d — an
  unpenalised intercept (LinearSVC penalises it), w = Σ_i (α_i y_i) x_i/√d;
* square: the ridge normal equations with an unpenalised bias (closed form);
* any other (a model's own convex loss): scipy's L-BFGS with the gradient from ℓ′
  (:class:`ModelLoss`).

With an L1 part, Σ ℓ + λ₁|w|₁ + λ₂/2 |w|² (elastic net; LASSO at λ₂ = 0):

* square: ``ElasticNet(alpha=(λ₁ + λ₂)/n, l1_ratio=λ₁/(λ₁ + λ₂))`` — its objective
  |y − Xw|²/(2n) + a r|w|₁ + a(1 − r)/2 |w|² is ours divided by n; the intercept
  (data centred) is unpenalised;
* logistic: ``LogisticRegression(penalty="elasticnet", solver="saga", C=1/(λ₁ + λ₂),
  l1_ratio=λ₁/(λ₁ + λ₂))`` — ½(1 − r)|w|² + r|w|₁ + C Σ ℓ is ours times C; saga does not
  penalise the intercept.

Observables per data set: the test error on ``n_test`` fresh samples and the
exact one given (w, b) — for the mixture the test field is y m + b + √(Δq) ξ
exactly at any d, for a sign teacher the angle — plus training error and loss,
m = w·w*/d, q = |w|²/d and b.  Seeds give a mean and a standard error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import ndtr

from .channels import BinaryTeacher, LinearTeacher, Mixture

# ----------------------------------------------------------------- data ---


def _sample_mixture(ch: Mixture, rng, n: int, d: int, teacher: np.ndarray):
    y = np.where(rng.random(n) < ch.rho, 1.0, -1.0)
    X = y[:, None] * teacher[None, :] / np.sqrt(d) + np.sqrt(ch.Delta) * rng.standard_normal((n, d))
    return X, y


def _sample_teacher(ch: BinaryTeacher, rng, n: int, d: int, teacher: np.ndarray):
    X = rng.standard_normal((n, d))
    z = X @ teacher / np.sqrt(d) + np.sqrt(ch.noise) * rng.standard_normal(n)
    y = np.where(z > 0, 1.0, -1.0) if ch.name == "sign" else np.where(rng.random(n) < 0.5, 1.0, -1.0)
    return X, y


def _sample_linear(ch: LinearTeacher, rng, n: int, d: int, teacher: np.ndarray):
    X = rng.standard_normal((n, d))
    return X, X @ teacher / np.sqrt(d) + np.sqrt(ch.noise) * rng.standard_normal(n)


#: teacher priors (second moment 1): name → draw(rng, d, p)
TEACHERS: dict[str, Callable] = {
    "gaussian": lambda rng, d, p: rng.standard_normal(d),
    "sparse": lambda rng, d, p: np.where(rng.random(d) < p, rng.standard_normal(d) / np.sqrt(p), 0.0),
}

SAMPLERS: dict[type, Callable] = {Mixture: _sample_mixture, BinaryTeacher: _sample_teacher,
                                  LinearTeacher: _sample_linear}


def exact_test_error(ch, m: float, q: float, b: float, rho: float) -> float:
    """The test error of a trained (w, b) given its overlaps with the actual teacher (ρ = |w*|²/d):
    mixture: the per-cluster Gaussian tails; sign/probit teacher: P(sign ω ≠ sign(z + σε)) with
    corr(ω, z + σε) = m/√(q(ρ + σ²)), i.e. arccos(corr)/π; linear: E(z − ω)² = ρ − 2m + q."""
    if isinstance(ch, Mixture):
        return ch.test_error(m, q, b)
    if isinstance(ch, LinearTeacher):
        return float(rho - 2.0 * m + q)
    if ch.name == "sign" and b == 0.0:
        return float(np.arccos(np.clip(m / np.sqrt(q * (rho + ch.noise)), -1, 1)) / np.pi)
    return float("nan")


# ------------------------------------------------------------- trainers ---


def _fit_logistic(Xs, y, lam, bias):
    from sklearn.linear_model import LogisticRegression
    clf = LogisticRegression(C=1.0 / lam, fit_intercept=bias, solver="lbfgs", tol=1e-8,
                             max_iter=100_000)
    clf.fit(Xs, y)
    return clf.coef_.ravel(), float(clf.intercept_[0]) if bias else 0.0


def _fit_hinge(Xs, y, lam, bias):
    from sklearn.svm import SVC
    if not bias:
        raise ValueError("the hinge trainer fits an unpenalised bias; use bias=True")
    clf = SVC(kernel="precomputed", C=1.0 / lam, tol=1e-8, cache_size=2000)
    clf.fit(Xs @ Xs.T, y)
    w = clf.dual_coef_.ravel() @ Xs[clf.support_]
    return w, float(clf.intercept_[0])


def _fit_square(Xs, y, lam, bias):
    n, d = Xs.shape
    if not bias:
        return np.linalg.solve(Xs.T @ Xs + lam * np.eye(d), Xs.T @ y), 0.0
    A = np.empty((d + 1, d + 1))
    A[:d, :d] = Xs.T @ Xs + lam * np.eye(d)
    A[:d, d] = A[d, :d] = Xs.sum(axis=0)
    A[d, d] = n
    sol = np.linalg.solve(A, np.concatenate([Xs.T @ y, [y.sum()]]))
    return sol[:d], float(sol[d])


TRAINERS: dict[str, Callable] = {"logistic": _fit_logistic, "hinge": _fit_hinge, "square": _fit_square}


def _fit_square_l1(Xs, y, lam, bias, lam1):
    from sklearn.linear_model import ElasticNet
    n = len(y)
    tot = lam1 + lam
    clf = ElasticNet(alpha=tot / n, l1_ratio=lam1 / tot, fit_intercept=bias, tol=1e-12, max_iter=200_000,
                     selection="cyclic")
    clf.fit(Xs, y)
    return clf.coef_.ravel(), float(clf.intercept_) if bias else 0.0


def _fit_logistic_l1(Xs, y, lam, bias, lam1):
    from sklearn.linear_model import LogisticRegression
    import inspect
    tot = lam1 + lam
    # scikit-learn ≥ 1.8 reads the penalty from l1_ratio alone (``penalty`` deprecated)
    old = inspect.signature(LogisticRegression).parameters["penalty"].default != "deprecated"
    clf = LogisticRegression(**({"penalty": "elasticnet"} if old else {}), solver="saga", C=1.0 / tot,
                             l1_ratio=lam1 / tot, fit_intercept=bias, tol=1e-10, max_iter=200_000)
    clf.fit(Xs, y)
    return clf.coef_.ravel(), float(clf.intercept_[0]) if bias else 0.0


#: trainers of the penalties with an L1 part (λ₁ > 0): loss → fit(Xs, y, λ₂, bias, λ₁)
L1_TRAINERS: dict[str, Callable] = {"square": _fit_square_l1, "logistic": _fit_logistic_l1}


@dataclass(frozen=True)
class ModelLoss:
    """A loss no registry trainer knows (a model's own, convex and smooth): ℓ and ℓ′ as
    vectorised callables; trained by scipy's L-BFGS on Σ ℓ(y, Xw/√d + b) + λ/2 |w|²
    (bias unpenalised), gradient tolerance 1e-10."""

    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def fit(self, Xs, y, lam, bias):
        from scipy.optimize import minimize
        n, d = Xs.shape

        def f(theta):
            w, b = theta[:d], (theta[d] if bias else 0.0)
            h = Xs @ w + b
            g = self.grad(y, h)
            jac = np.concatenate([Xs.T @ g + lam * w, [g.sum()] if bias else []])
            return float(np.sum(self.value(y, h)) + 0.5 * lam * w @ w), jac
        res = minimize(f, np.zeros(d + int(bias)), jac=True, method="L-BFGS-B",
                       options={"maxiter": 20_000, "gtol": 1e-10, "ftol": 1e-15})
        return res.x[:d], float(res.x[d]) if bias else 0.0


def _fit(loss, lam1: float = 0.0):
    if lam1 > 0.0:
        if not (isinstance(loss, str) and loss in L1_TRAINERS):
            raise ValueError(f"no finite-size trainer for the loss {loss!r} with an L1 penalty; "
                             f"known: {', '.join(L1_TRAINERS)}")
        fit = L1_TRAINERS[loss]
        return lambda Xs, y, lam, bias: fit(Xs, y, lam, bias, lam1)
    return TRAINERS[loss] if isinstance(loss, str) else loss.fit


def _value(loss):
    return LOSS_VALUES[loss] if isinstance(loss, str) else loss.value

LOSS_VALUES: dict[str, Callable] = {
    "logistic": lambda y, h: np.logaddexp(0.0, -y * h),
    "hinge": lambda y, h: np.maximum(0.0, 1.0 - y * h),
    "square": lambda y, h: 0.5 * (y - h) ** 2,
}

# ---------------------------------------------------------------- check ---


@dataclass
class FiniteSize:
    """Per-seed measurements (arrays) and their mean and standard error."""

    d: int
    samples: dict[str, np.ndarray]

    def mean(self, key: str) -> float:
        return float(np.mean(self.samples[key]))

    def stderr(self, key: str) -> float:
        v = self.samples[key]
        return float(np.std(v, ddof=1) / np.sqrt(len(v)))


def train_once(loss: "str | ModelLoss", ch, alpha: float, lam: float, d: int, seed: int,
               n_test: int = 20_000, lam1: float = 0.0, teacher_prior: str = "gaussian",
               teacher_p: float = 1.0) -> dict[str, float]:
    """Train on one data set of n = αd samples (penalty λ₁|w|₁ + λ/2 |w|², teacher drawn from
    ``TEACHERS[teacher_prior]``) and measure the observables; ``free_energy`` is the minimised
    objective per input coordinate."""
    rng = np.random.default_rng(seed)
    sample = SAMPLERS[type(ch)]
    teacher = TEACHERS[teacher_prior](rng, d, teacher_p)
    n = int(round(alpha * d))
    X, y = sample(ch, rng, n, d, teacher)
    w, b = _fit(loss, lam1)(X / np.sqrt(d), y, lam, bool(ch.learns_bias))
    h = X @ w / np.sqrt(d) + b
    Xt, yt = sample(ch, rng, n_test, d, teacher)
    ht = Xt @ w / np.sqrt(d) + b
    m, q, rho = float(w @ teacher / d), float(w @ w / d), float(teacher @ teacher / d)
    losses = _value(loss)(y, h)
    out = {"test_error": exact_test_error(ch, m, q, b, rho),
           "train_loss": float(np.mean(losses)),
           "free_energy": float((np.sum(losses) + lam1 * np.abs(w).sum() + 0.5 * lam * w @ w) / d),
           "m": m, "q": q, "b": b}
    if ch.labels == "binary":
        out["test_error_sampled"] = float(np.mean(yt * ht <= 0))
        out["train_error"] = float(np.mean(y * h <= 0))
    else:
        out["test_error_sampled"] = float(np.mean((yt - ht) ** 2) - ch.noise)
    return out


def finite_size(loss: str, ch, alpha: float, lam: float, d: int, seeds: int = 8,
                n_test: int = 20_000, lam1: float = 0.0, teacher_prior: str = "gaussian",
                teacher_p: float = 1.0) -> FiniteSize:
    """``seeds`` independent data sets at dimension d."""
    runs = [train_once(loss, ch, alpha, lam, d, seed, n_test, lam1, teacher_prior, teacher_p)
            for seed in range(seeds)]
    return FiniteSize(d, {k: np.array([r[k] for r in runs]) for k in runs[0]})


def compare(measured: FiniteSize, theory: dict[str, float], keys=("test_error", "train_error",
            "train_loss", "m", "q", "b"), sigmas: float = 3.0, c: float = 1.0) -> dict[str, dict]:
    """Per observable: theory, mean, s.e., and pass if |mean − theory| < sigmas·s.e. + c/d
    (c/d allows for the O(1/d) finite-size bias of smooth observables)."""
    out = {}
    for k in keys:
        mean, se = measured.mean(k), measured.stderr(k)
        dev = abs(mean - theory[k])
        out[k] = {"theory": theory[k], "mean": mean, "stderr": se,
                  "ok": bool(dev < sigmas * se + c / measured.d)}
    return out


def fit_inverse_n(Ns, means, ses) -> tuple[float, float]:
    """Weighted least squares of mean(N) = a + c/N (weights 1/SE²): the N → ∞ value a and its
    standard error.  Two sizes determine the line exactly (a = (N₂ȳ₂ − N₁ȳ₁)/(N₂ − N₁))."""
    x = 1.0 / np.asarray(Ns, dtype=float)
    y = np.asarray(means, dtype=float)
    w = 1.0 / np.maximum(np.asarray(ses, dtype=float), 1e-12) ** 2
    A = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv(A.T @ (w[:, None] * A))
    a, _ = cov @ A.T @ (w * y)
    return float(a), float(np.sqrt(cov[0, 0]))


def extrapolate(runs: list[FiniteSize], key: str) -> tuple[float, float]:
    """The d → ∞ value a and its standard error from a weighted least-squares fit
    of mean(d) = a + c/d over the dimensions measured (finite-size scaling)."""
    return fit_inverse_n([r.d for r in runs], [r.mean(key) for r in runs], [r.stderr(key) for r in runs])


def compare_scaling(runs: list[FiniteSize], theory: dict[str, float],
                    keys=("test_error", "test_error_sampled", "train_error", "train_loss", "m", "q", "b"),
                    sigmas: float = 3.0) -> dict[str, dict]:
    """Per observable: theory, the extrapolated d → ∞ value and its s.e., and pass if
    they agree within ``sigmas`` standard errors (no allowance beyond the fit's)."""
    out = {}
    for k in keys:
        ref = theory["test_error" if k == "test_error_sampled" else k]
        a, se = extrapolate(runs, k)
        out[k] = {"theory": float(ref), "extrapolated": a, "stderr": se,
                  "per_d": {r.d: (r.mean(k), r.stderr(k)) for r in runs},
                  "ok": bool(abs(a - ref) < sigmas * se)}
    return out
