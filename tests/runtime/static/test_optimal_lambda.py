"""optimal_lambda: the bracket walk and Brent over log λ, on functions whose minimiser is known."""
from __future__ import annotations

import numpy as np
import pytest

from statc.runtime.static.optimal_lambda import optimal_lambda


def _counting(fun):
    calls = []

    def solve(lam, init):
        calls.append((lam, init))
        return fun(lam), lam                       # the state is the λ it was solved at
    return solve, calls


@pytest.mark.parametrize("lam_star", [0.004, 0.07, 3.0])
def test_finds_an_interior_minimum_and_warm_starts_from_the_nearest(lam_star):
    solve, calls = _counting(lambda lam: 0.3 + 0.01 * np.log(lam / lam_star) ** 2)
    r = optimal_lambda(solve, start=0.03)
    assert r.bracketed
    lam_a, lam_b, lam_c = r.bracket
    assert lam_a < lam_star < lam_c
    assert abs(np.log(r.lam / lam_star)) < 0.05
    assert r.test_error == pytest.approx(0.3, abs=1e-5)
    assert calls[0][1] is None and all(init is not None for _, init in calls[1:])
    for lam, init in calls[1:]:                    # warm start: the nearest λ solved before
        earlier = [l for l, _ in calls[:calls.index((lam, init))]]
        assert init == min(earlier, key=lambda l: abs(np.log(l / lam)))


def test_reports_an_unbracketed_edge_minimum():
    solve, _ = _counting(lambda lam: 0.2 + lam)    # decreasing towards λ → 0
    r = optimal_lambda(solve, start=0.03, lam_min=1e-3)
    assert not r.bracketed
    assert r.lam == pytest.approx(min(r.evaluations))
    assert r.lam >= 1e-3
