"""The skip connection's O(1/N) finite-size shift in models/dae_paper.model.

    python docs/dae_paper_b_finite_size.py [Delta] [seeds] [N]

A plain NumPy online SGD of the notebook's network (independent of statc's
simulator): the notebook's initial condition drawn at dimension N (seed 195),
alpha_F N steps at constant training noise Delta, eta = 5 for w and for b
(b moves by eta xt.e / N^2).  It prints the seed mean of b(alpha_F) with its
standard error.  The theory (the notebook's and statc's, leading order in N)
gives b(alpha_F) from db/dalpha = eta (sqrt(1 - D) s - b ((1 - D) s + D)) alone,
0.019271 at Delta = 0.3 for every N; the simulated b exceeds it by about 1.0/N
(N = 1000: 0.02027 +- 0.00003; N = 4000: 0.01953 +- 0.00001), the O(1) part
of xt.e that the N -> infinity drift drops.
"""
from __future__ import annotations

import sys

import numpy as np


def final_b(D: float = 0.3, seeds: int = 20, N: int = 1000, eta: float = 5.0, s: float = 0.01,
            alpha_F: float = 0.8) -> tuple[float, float]:
    rs = np.random.RandomState(195)
    mus = rs.normal(0, 1.0, size=(2, N)) / np.sqrt(N)
    w = 0.2 * mus + rs.normal(0, 1 / np.sqrt(N), size=(2, N))
    w0 = w * (np.sqrt(N) / 2) / np.linalg.norm(w, axis=1, keepdims=True)
    sq = np.sqrt(N)
    out = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        W, b = w0.copy(), 0.0
        for _ in range(int(round(alpha_F * N))):
            x = mus[rng.integers(2)] + np.sqrt(s) * rng.standard_normal(N)
            xt = np.sqrt(1 - D) * x + np.sqrt(D) * rng.standard_normal(N)
            lam = W @ xt / sq
            e = x - b * xt - W.T @ lam / sq
            W = W + eta / sq * (np.outer(lam, e) + np.outer(W @ e / sq, xt))
            b = b + eta * (xt @ e) / N**2
        out.append(b)
    return float(np.mean(out)), float(np.std(out, ddof=1) / np.sqrt(seeds))


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:]]
    D = args[0] if args else 0.3
    seeds = int(args[1]) if len(args) > 1 else 20
    N = int(args[2]) if len(args) > 2 else 1000
    print(D, N, *final_b(D, seeds, N))
