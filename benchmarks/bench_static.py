#!/usr/bin/env python
"""The static kind: a logistic GMM fixed point and a 40-point α curve, statc vs
a NumPy/SciPy reference written here (``scipy.integrate.quad`` over ξ, the
prox by ``scipy.optimize.brentq`` in its bracket [u₀, u₀ + V], the bias by
``brentq`` each sweep — as public code does), in the same process, both to a
1e-8 residual with the same damping.

The reference's 40-point curve would take tens of minutes; it is timed on
``--ref-points`` of the 40 α values (warm-started like statc's) and scaled to
40, which the JSON says.  Accuracy: the largest difference of (m, q, V, b)
between the two at the points both solved.

    python benchmarks/bench_static.py [--ref-points 3]   # writes benchmarks/results/static.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
from pathlib import Path

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import expit

from _common import cpu_name
from statc.runtime.static.channels import channel
from statc.runtime.static.continuation import alpha_curve
from statc.runtime.static.erm import ERM

RESULTS = Path(__file__).resolve().parent / "results" / "static.json"
LAM, RHO, DELTA, DAMP, TOL = 0.1, 0.3, 1.0, 0.5, 1e-8
PDF = lambda x: np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _prox(omega, y, V):
    u0 = y * omega
    u = brentq(lambda u: u - u0 - V * expit(-u), u0, u0 + V, xtol=1e-14, rtol=1e-15)
    return y * u, 1.0 / (1.0 + V * expit(u) * expit(-u))


def _E(g):
    return quad(lambda x: g(x) * PDF(x), -11, 11, epsabs=1e-12, epsrel=1e-10, limit=200)[0]


def _f(y, m, q, V, b):
    sd, Vp = np.sqrt(DELTA * q), DELTA * V

    def f(xi):
        om = y * m + b + sd * xi
        return (_prox(om, y, Vp)[0] - om) / Vp

    def df(xi):
        return (_prox(y * m + b + sd * xi, y, Vp)[1] - 1.0) / Vp
    return f, df


def reference(alpha, init=(0.3, 0.5, 1.0, 0.0)):
    m, q, V, b = init
    for it in range(1, 5001):
        mean_f = lambda bb: sum(p * _E(_f(y, m, q, V, bb)[0]) for y, p in ((1, RHO), (-1, 1 - RHO)))
        lo, hi = b - 1.0, b + 1.0
        while mean_f(lo) < 0 or mean_f(hi) > 0:
            lo, hi = lo - (hi - lo), hi + (hi - lo)
        b = brentq(mean_f, lo, hi, xtol=1e-13)
        qh = vh = mh = 0.0
        for y, p in ((1, RHO), (-1, 1 - RHO)):
            f, df = _f(y, m, q, V, b)
            qh += alpha * DELTA * p * _E(lambda x: f(x) ** 2)
            vh -= alpha * DELTA * p * _E(df)
            mh += alpha * p * y * _E(f)
        V1 = 1 / (LAM + vh)
        new = np.array([mh * V1, (mh * mh + qh) * V1 * V1, V1])
        res = float(np.sum(np.abs(new - (m, q, V)) / np.maximum(1.0, np.abs(new))))
        m, q, V = (1 - DAMP) * new + DAMP * np.array([m, q, V])
        if res < TOL:
            return (m, q, V, b), it
    raise RuntimeError("reference did not converge")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref-points", type=int, default=3)
    args = ap.parse_args()
    ch = channel("mixture", rho=RHO, Delta=DELTA)
    ERM("logistic", ch, 2.0, LAM).solve(tol=TOL)                      # compile / load kernels
    t = time.perf_counter()
    fp = ERM("logistic", ch, 2.0, LAM).solve(tol=TOL, damping=DAMP)
    t_one = time.perf_counter() - t
    t = time.perf_counter()
    ref_state, ref_it = reference(2.0)
    t_ref_one = time.perf_counter() - t
    diff_one = float(np.max(np.abs(np.array(fp.state()) - ref_state)))

    alphas = np.linspace(0.5, 5.0, 40)
    t = time.perf_counter()
    curve = alpha_curve(lambda a: ERM("logistic", ch, a, LAM), alphas, tol=TOL, damping=DAMP)
    t_curve = time.perf_counter() - t
    idx = np.linspace(0, 39, args.ref_points).round().astype(int)
    t, diffs, state = time.perf_counter(), [], (0.3, 0.5, 1.0, 0.0)
    for i in idx:
        state, _ = reference(alphas[i], init=state)
        diffs.append(float(np.max(np.abs(np.array(curve[i][1].state()) - state))))
    t_ref_curve = (time.perf_counter() - t) * 40 / len(idx)
    out = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_name(), "python": platform.python_version()},
        "setting": {"loss": "logistic", "lambda": LAM, "rho": RHO, "Delta": DELTA, "damping": DAMP,
                    "tol": TOL},
        "one_point": {"alpha": 2.0, "statc_s": t_one, "reference_s": t_ref_one,
                      "speedup": t_ref_one / t_one, "statc_sweeps": fp.iterations,
                      "reference_sweeps": ref_it, "max_state_difference": diff_one},
        "curve_40": {"statc_s": t_curve, "reference_s_scaled": t_ref_curve,
                     "reference_points_timed": len(idx), "speedup": t_ref_curve / t_curve,
                     "max_state_difference": max(diffs)},
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
