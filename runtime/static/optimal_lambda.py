r"""The ridge strength that minimises the fixed point's test error: λ*(α) = argmin_λ ε_g(α, λ).

A 1-D minimisation over u = log λ (scipy's Brent, ``minimize_scalar(method="brent")``) of the
replica fixed point's test error.  Brent needs a bracket u_a < u_b < u_c with
ε(u_b) < min(ε(u_a), ε(u_c)); it is found by walking from the starting triple in the downhill
direction (steps of ``step`` in log λ) until the middle value is the lowest, within
[log λ_min, log λ_max] — if the minimum sits at an edge (e.g. λ* → 0) this is reported
(``bracketed`` False) and the edge value returned, never silently a grid point.

Each evaluation is one fixed point, started from the nearest λ already solved (warm start: the
fixed point moves continuously with λ), so the search costs ~10–15 fixed points.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.optimize import minimize_scalar


@dataclass
class OptimalLambda:
    lam: float                      #: λ*
    test_error: float               #: ε_g(α, λ*)
    bracketed: bool                 #: a true interior bracket was found
    bracket: tuple[float, float, float]   #: (λ_a, λ_b, λ_c) handed to Brent
    evaluations: dict = field(default_factory=dict)   #: λ → test error (every fixed point solved)
    states: dict = field(default_factory=dict, repr=False)  #: log λ → (λ, state) of every solve


def optimal_lambda(solve: Callable[[float, object], tuple[float, object]], start: float = 0.1,
                   step: float = np.log(3.0), lam_min: float = 1e-4, lam_max: float = 1e2,
                   xtol: float = 0.02) -> OptimalLambda:
    """λ* for one α.  ``solve(λ, init)`` returns (test error, state) with ``init`` a state of a
    previous call (or None); the state is reused as the warm start of the nearest λ.

    xtol: the tolerance of Brent in log λ (ε_g is flat at λ*: a 2 % error in λ* changes ε_g by
    far less than the fixed point's own tolerance)."""
    cache: dict[float, tuple[float, object]] = {}

    def f(u: float) -> float:
        u = float(u)
        if u in cache:
            return cache[u][0]
        init = cache[min(cache, key=lambda v: abs(v - u))][1] if cache else None
        err, state = solve(float(np.exp(u)), init)
        cache[u] = (float(err), state)
        return float(err)

    lo, hi = np.log(lam_min), np.log(lam_max)
    a, b, c = np.log(start) - step, np.log(start), np.log(start) + step
    bracketed = False
    while True:
        fa, fb, fc = f(a), f(b), f(c)
        if fb < fa and fb < fc:
            bracketed = True
            break
        if fa <= fc:                      # downhill towards small λ
            if a - step < lo:
                break
            a, b, c = a - step, a, b
        else:
            if c + step > hi:
                break
            a, b, c = b, c, c + step
    evals = lambda: {float(np.exp(u)): v[0] for u, v in sorted(cache.items())}
    states = lambda: {u: (float(np.exp(u)), v[1]) for u, v in cache.items()}
    if not bracketed:
        u = min(cache, key=lambda v: cache[v][0])
        return OptimalLambda(float(np.exp(u)), cache[u][0], False, tuple(np.exp([a, b, c])), evals(), states())
    minimize_scalar(f, bracket=(a, b, c), method="brent", options={"xtol": xtol / max(abs(b), 1.0)})
    u = min(cache, key=lambda v: cache[v][0])          # Brent's best is one of the evaluated points
    return OptimalLambda(float(np.exp(u)), cache[u][0], True, tuple(np.exp([a, b, c])), evals(), states())
