"""α-continuation: a curve of ERM fixed points, each warm-started from the
previous α.  When a point fails, the interval from the last converged α is
walked in 2, 4, … 2^k warm-started steps (k ≤ ``max_halvings``) before the
point is reported with the error that stopped it."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .erm import FixedPoint, FixedPointError


def _walk(make, start: float, target: float, state, pieces: int, solve_kw) -> FixedPoint:
    fp = None
    for a in np.linspace(start, target, pieces + 1)[1:]:
        fp = make(float(a)).solve(init=state, **solve_kw)
        state = fp.state()
    return fp


def alpha_curve(make: Callable[[float], object], alphas: Sequence[float],
                init=(0.3, 0.5, 1.0, 0.0), max_halvings: int = 5, **solve_kw
                ) -> list[tuple[float, FixedPoint | FixedPointError]]:
    """[(α, fixed point or the error that stopped it)] along ``alphas``;
    ``make(α)`` builds the problem (an :class:`~.erm.ERM`)."""
    out: list[tuple[float, FixedPoint | FixedPointError]] = []
    state, last = tuple(init), None
    for a in map(float, alphas):
        result: FixedPoint | FixedPointError | None = None
        for k in range(0 if last is None else max_halvings + 1):
            try:
                result = _walk(make, last, a, state, 2 ** k, solve_kw)
                break
            except FixedPointError as e:
                result = e
        if last is None:
            try:
                result = make(a).solve(init=state, **solve_kw)
            except FixedPointError as e:
                result = e
        if isinstance(result, FixedPoint):
            state, last = result.state(), a
        out.append((a, result))
    return out
