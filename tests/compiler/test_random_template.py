"""The simulator's random numbers (compiler/codegen/templates/random.py, appended to every
generated simulator module).

* ``fill_normal`` is the very stream of repeated ``rand_normal`` calls, state included
  (its fast path keeps the state in locals; the rare branch goes through ``rs``);
* that stream is standard normal: moments and a Kolmogorov–Smirnov test on 10⁶ draws,
  and the tail beyond the ziggurat's base strip r = 3.4426 has the normal mass
  2Φ(−r) = 5.76e-4 (the rare branch is exercised ~10⁴ times).
"""
from __future__ import annotations

import numpy as np
from scipy import stats


def test_fill_normal_is_the_stream_of_rand_normal(load):
    m = load("saad_solla").compiled.module
    rs_a, rs_b = m.rng_state(7), m.rng_state(7)
    out = np.empty(100_003)
    m.fill_normal(rs_a, out, 2.5)
    ref = np.array([2.5 * m.rand_normal(rs_b) for _ in range(out.size)])
    assert np.array_equal(out, ref)
    assert np.array_equal(rs_a, rs_b)


def test_fill_normal_is_standard_normal(load):
    m = load("saad_solla").compiled.module
    rs = m.rng_state(11)
    x = np.empty(1_000_000)
    m.fill_normal(rs, x, 1.0)
    n = x.size
    # mean, variance, fourth moment within 5 standard errors of 0, 1, 3
    assert abs(x.mean()) < 5 / np.sqrt(n)
    assert abs(x.var() - 1) < 5 * np.sqrt(2 / n)
    assert abs(np.mean(x**4) - 3) < 5 * np.sqrt(96 / n)
    assert stats.kstest(x, "norm").pvalue > 1e-4
    r = 3.442619855899
    tail = np.mean(np.abs(x) > r)
    p = 2 * stats.norm.sf(r)
    assert abs(tail - p) < 5 * np.sqrt(p / n)
