"""Per-sample losses ℓ(y, h) of a generalised linear student, with ∂_hℓ and ∂²_hℓ.

The DMFT sample-side process needs the force g = B ℓ'(y, h) and the curvature
g' = B ℓ''(y, h) of one sample (DMFT.md §2); the training loss needs ℓ itself. Each
entry is three `@njit` scalar functions that the sample-side kernel closes over, so a
new loss is one registry entry. (The DSL path will generate these three functions from
the model's loss by SymPy differentiation; the entries below are the hand-written
counterparts used by the numerical core and its tests.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from numba import njit

from statc.dsl import StatcError


@dataclass(frozen=True)
class Loss:
    """ℓ(y, h) with its first two h-derivatives, as Numba scalar functions."""

    name: str
    value: Callable[[float, float], float]
    d1: Callable[[float, float], float]
    d2: Callable[[float, float], float]
    step: Callable | None = None       # the generated module's sample-side kernel, if any


@njit(cache=True)
def _square(y, h):
    return 0.5 * (h - y) ** 2


@njit(cache=True)
def _square_d1(y, h):
    return h - y


@njit(cache=True)
def _square_d2(y, h):
    return 1.0


@njit(cache=True)
def _logistic(y, h):
    # log(1 + e^{-yh}) without overflow for large |yh|
    u = -y * h
    if u > 0.0:
        return u + math.log1p(math.exp(-u))
    return math.log1p(math.exp(u))


@njit(cache=True)
def _logistic_d1(y, h):
    # -y σ(-yh), σ the logistic function, written to avoid exp overflow
    u = y * h
    if u >= 0.0:
        e = math.exp(-u)
        return -y * e / (1.0 + e)
    return -y / (1.0 + math.exp(u))


@njit(cache=True)
def _logistic_d2(y, h):
    # y² σ(yh) σ(-yh)
    e = math.exp(-abs(y * h))
    return y * y * e / (1.0 + e) ** 2


@njit(cache=True)
def _phase(y, h):
    return 0.25 * (h * h - y) ** 2


@njit(cache=True)
def _phase_d1(y, h):
    return h * (h * h - y)


@njit(cache=True)
def _phase_d2(y, h):
    return 3.0 * h * h - y


LOSSES: dict[str, Loss] = {
    "square": Loss("square", _square, _square_d1, _square_d2),
    "logistic": Loss("logistic", _logistic, _logistic_d1, _logistic_d2),
    "phase_retrieval": Loss("phase_retrieval", _phase, _phase_d1, _phase_d2),
}


def get_loss(name: str) -> Loss:
    """The registry entry `name`, or a StatcError listing the known losses."""
    try:
        return LOSSES[name]
    except KeyError:
        raise StatcError(f"unknown DMFT loss `{name}`",
                         expected=", ".join(sorted(LOSSES))) from None
