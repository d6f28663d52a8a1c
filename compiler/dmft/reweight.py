"""Training-set means under `given` on a data-model parameter: which are defined, and how.

The training set of a dmft model is drawn once, at the model's own parameters, and the
dynamics is trained on it; `mean(f(y, yhat) given p = v over train)` can therefore mean only
the mean over that fixed set **reweighted** to the law of the data at p = v:

    E_train[f W] / E_train[W],   W = P_v(sample) / P_p(sample)     (self-normalised)

which is defined (in the N → ∞ limit, and as a Monte-Carlo estimate whose error shrinks like
1/√n_s) only when the likelihood ratio W depends on a finite number of per-sample scalars and
has a finite second moment under the model's law, E_p[W²] < ∞. The per-sample scalars the
effective process carries are the label y and the teacher field τ = v·x/√N; the conditional
law of the field h given (τ, y) is the trained one and is not reweighted.

* mixture `x = c μ + √Δ z`, `y = c`, imbalance ρ: W(y) = (1 + y)/2·ρ′/ρ + (1 − y)/2·(1 − ρ′)/(1 − ρ),
  defined for 0 < ρ < 1 and 0 ≤ ρ′ ≤ 1 (ρ′ = 1: exactly the mean over the c = +1 samples).
* linear teacher with label noise `y = wt.x + √s ε`: the noise ε = y − τ is N(0, s), so
  W(y, τ) = √(s/s′) exp((y − τ)² (1/(2s) − 1/(2s′))); E_s[W²] = s/√(s′(2s − s′)) is finite iff
  0 < s′ < 2s (s′ = 0, noiseless labels, is a point mass that no reweighting of a noisy set
  reaches; s′ ≥ 2s gives weights of infinite variance, so no 1/√n_s error bar).
* the mixture's Δ (and any input-side parameter): the input is N-dimensional, and the laws of
  x at Δ and Δ′ ≠ Δ are mutually singular as N → ∞ (the ratio is a product of N factors), so
  no reweighting of the fixed set defines it — a located error; a fresh-sample mean (no
  `over train`) at the given Δ is defined and supported.

Each entry gives the factors [(sample factor, ratio)] with W = Σ factor·ratio: the sample
factors are functions of (y, τ) and of run-time coefficients (parameter expressions bound per
run, symbols made by `coef`), the ratios parameter expressions that go into the formula.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .equations import TAU, Y


@dataclass(frozen=True)
class Reweight:
    """One reweightable data parameter: the factors of W and the range where W ∈ L²."""

    factors: Callable          # (old, new, coef) → [(sample factor in y, τ, coefficients; ratio)]
    valid: Callable[[float, float], bool]
    domain: str                # the valid range for error messages, `{v}` = the parameter as the user wrote it
    what: str = ""             # the parameter, in words


def _mixture_rho(old, new, coef):
    return [((1 + Y) / 2, new / old), ((1 - Y) / 2, (1 - new) / (1 - old))]


def _label_noise(old, new, coef):
    c = coef(1 / (2 * old) - 1 / (2 * new))
    return [(sp.exp(c * (Y - TAU) ** 2), sp.Integer(1))]      # √(s/s′) cancels (self-normalised)


#: (teacher registry name, data parameter) → how a training mean is reweighted to a given value
TRAIN_REWEIGHT: dict[tuple[str, str], Reweight] = {
    ("gmm", "rho"): Reweight(_mixture_rho, lambda old, new: 0 < old < 1 and 0 <= new <= 1,
                             "0 < {v} < 1 for the model and 0 <= {v}' <= 1 for the given value", "the cluster imbalance"),
    ("linear", "sigma2"): Reweight(_label_noise, lambda old, new: old > 0 and 0 < new < 2 * old,
                                   "{v} > 0 for the model and 0 < {v}' < 2 {v} for the given value (the "
                                   "weights' variance {v}/sqrt({v}'(2 {v} - {v}')) is finite)",
                                   "the label-noise variance"),
}

#: why a data parameter cannot be reweighted (the message of the located error)
NOT_REWEIGHTABLE = {
    "Delta": "the laws of the N-dimensional input x at two values of {v} are mutually singular as "
             "N -> infinity (the likelihood ratio is a product of N factors), so no reweighting of the fixed "
             "training set defines the mean",
}


def check_values(teacher: str, name: str, old: float, new: float, spelled: str | None = None) -> str | None:
    """None when the reweighting of `name` from `old` to `new` is defined, else why not.

    `spelled`: the parameter as the model writes it (`s` for `y = wt.x + sqrt(s) * noise`,
    `sigma^2` for `sigma * noise`); the registry key `name` is internal and never shown."""
    rw = TRAIN_REWEIGHT[(teacher, name)]
    if rw.valid(float(old), float(new)):
        return None
    v = spelled or f"({rw.what or 'the data parameter'})"
    what = f"{rw.what} {spelled}" if spelled and rw.what else v
    return (f"a training-set mean `given` {what} = {float(new):g} (model value {float(old):g}) is not "
            f"defined by reweighting the training set: it needs {rw.domain.format(v=v)}")


def spelling(expr) -> str:
    """A data-model parameter expression as the user would write it (`sigma^2`, not `sigma**2`)."""
    return str(expr).replace("**", "^")
