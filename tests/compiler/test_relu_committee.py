"""models/relu_committee.model: the derived equations against the microscopic rule.

1. **Per step (fast).**  At a given state the N → ∞ drift of the overlaps is an
   expectation over the fields (λ, ν) ~ N(0, [[Q, R], [Rᵀ, T]]) of the SGD step
   written here from the model's rule, not from statc's equations::

       φ_k = −η (ŷ − y) v_k Θ(λ_k),   ŷ = Σ_k v_k relu(λ_k),   y = Σ_m vt_m relu(ν_m)
       dQ_kl/dt = E[φ_k λ_l + φ_l λ_k + φ_k φ_l],   dR_km/dt = E[φ_k ν_m],
       eps_g = ½ E[(ŷ − y)²].

   10⁷ samples; each entry must lie within 3 standard errors of the sample mean
   (the acceptance criterion of issue 17; the MC is seeded, so deterministic).
   The previous Gauss–Hermite evaluation (STATC_LEGACY_KINK_QUADRATURE=1)
   misses dQ at these states by 3–23 SE (e.g. dQ[1,2] 2.239e-2 vs 2.559e-2 ± 1.4e-4).
2. **Trajectories (slow).**  ``runtime.check.compare``: the generated simulator
   at N = 10⁴, 16 seeds, the theory started from the same overlaps, differences
   paired per seed; |z| < 3 for eps_g, Q and R at the pre-declared times
   t = 0, 1, 2, 5, 10, 20.  Finite-size corrections to seed averages are O(1/N)
   (here ~1e-4 of the scale, far below the paired SE of ~1e-2/√16).

   *Initial condition.*  The trajectory runs from ``tests/fixtures/good/
   relu_committee_o1.model``: the model with an ``init`` block that puts the
   students O(1) away from the symmetric manifold (Q = ½·δ, R = 0.2·δ + 0.05·k·m),
   not from the model's ``gaussian(scale = 1e-3)``.  From 1e-3 the students sit
   near the unspecialised plateau (eps_g ≈ 0.094 (K = M = 2), 0.10 (K = 3, M = 2)
   from t ≈ 10 on), which they leave along the directions in which they differ —
   directions of size O(1/√N) that the simulation's SGD noise sets (the very
   first step already moves w by more than its initial norm, |Δw|²/N ≈ η²/N ≫
   Q(0) = 1e-6), while the theory, started from the seed's initial overlaps,
   keeps the initial, noise-free ones.  The paired difference is then an O(1)
   difference of escape times, not an O(1/N) correction: measured (K = 3, M = 2,
   16 seeds, N = 2500) the eps_g difference grows from z ≈ 0 at t ≤ 14 to
   z = 3.8, 4.4, 5.4 at t = 16, 18, 20, the simulation leaving the plateau first
   (at N = 10⁴, where escape comes later, |z| ≤ 1.6 up to t = 20).  The tiny
   init has a second finite-N effect: while N·Q ≲ 1 the overlaps do not
   concentrate and the √Q growth of the ReLU drift is slowed (Jensen), so at
   t = 1 the simulation lags the theory by ~150 steps (N = 10⁴, 16 seeds: Q and R
   all ahead in the theory, z up to 3.2) — O(1/N) in t but with a constant ~150;
   the per-step RHS along the same theory trajectory agrees with 10⁷-sample
   Monte Carlo of the microscopic step within 2.7 SE at t = 0 … 20 (no atom error;
   commands in the closing note of issue 17).  From the O(1) initial condition
   there is no plateau before t = 20 and the comparison tests what it should: the
   atoms along a generic, non-degenerate path.

   *Multiple comparisons.*  "|z| < 3 at every time" over m comparisons
   (K = M = 2: 8 quantities, K = 3: 13, × 6 times) is a family of tests: with
   S seeds each |z| is Student-t with S − 1 dof, P(|t₁₅| > 3) = 0.009, so a
   correct theory would fail a 10-seed, 11-time version (P(|t₉| > 3) = 0.015,
   ~150 comparisons) most of the time.  Hence 16 seeds and 6 pre-declared times;
   the comparisons are strongly correlated (Q, R and eps_g move together), so
   the false-alarm rate is well below the union bound m·0.009.  Measured
   (2026-12-01, 78 min on 2 shared cores): max |z| K = M = 2 eps_g 2.49, Q 1.97,
   R 1.13; K = 3, M = 2 eps_g 2.31, Q 2.15, R 2.09.  (The per-step family of
   ``statc check`` is off here: the per-step acceptance is test 1.)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from statc.runtime import params as pm
from statc.runtime.check import CheckConfig, compare
from statc.runtime.online.layout import make_layout

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "relu_committee.model"
MODEL_O1 = ROOT / "tests" / "fixtures" / "good" / "relu_committee_o1.model"
N_SAMPLES = 10_000_000
CHUNK = 500_000
N_SE = 3.0

CONFIGS = [{"K": 2, "M": 2, "eta": 0.5}, {"K": 3, "M": 2, "eta": 0.5}]


def _state(rng, K, M, n_dim=400):
    """Overlaps of random vectors, students partly aligned with the teachers."""
    WT = rng.standard_normal((M, n_dim)) / np.sqrt(n_dim)
    W = 0.6 * rng.standard_normal((K, n_dim)) / np.sqrt(n_dim)
    W[:M] += 0.5 * WT[:K]
    return W @ W.T, W @ WT.T, WT @ WT.T


def _monte_carlo(Q, R, T, eta, seed):
    K, M = R.shape
    L = np.linalg.cholesky(np.block([[Q, R], [R.T, T]]))
    rng = np.random.default_rng(seed)
    s1 = {"Q": np.zeros((K, K)), "R": np.zeros((K, M)), "eps_g": 0.0}
    s2 = {k: np.zeros_like(v) for k, v in s1.items()}
    for _ in range(N_SAMPLES // CHUNK):
        z = L @ rng.standard_normal((K + M, CHUNK))
        lam, nu = z[:K], z[K:]
        delta = np.maximum(lam, 0).sum(0) - np.maximum(nu, 0).sum(0)
        phi = -eta * delta * (lam > 0)
        x = {"Q": phi[:, None] * lam[None] + lam[:, None] * phi[None] + phi[:, None] * phi[None],
             "R": phi[:, None] * nu[None], "eps_g": 0.5 * delta ** 2}
        for k in s1:
            s1[k] = s1[k] + x[k].sum(-1)
            s2[k] = s2[k] + (x[k] ** 2).sum(-1)
    out = {}
    for k in s1:
        mean = s1[k] / N_SAMPLES
        out[k] = (mean, np.sqrt(np.maximum(s2[k] / N_SAMPLES - mean ** 2, 0) / (N_SAMPLES - 1)))
    return out


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"K{c['K']}M{c['M']}")
def test_rhs_matches_monte_carlo(load, cfg):
    m = load(MODEL)
    meta = m.compiled.meta
    assert not meta["quadratures"], "a kinked atom went to Gauss–Hermite"
    values = pm.resolve(m.compiled.model, meta, cfg)
    P = pm.vector(meta, values)
    layout = make_layout(meta, values)
    rng = np.random.default_rng(cfg["K"])
    Q, R, T = _state(rng, cfg["K"], cfg["M"])
    y = np.zeros(layout.size)
    for name, arr in (("Q", Q), ("R", R), ("T", T), ("v", np.ones(cfg["K"])), ("vt", np.ones(cfg["M"]))):
        blk = layout.block(name)
        y[blk.offset:blk.offset + blk.size] = arr.ravel()
    dy = np.full(layout.size, np.nan)
    m.compiled.module.rhs(0.0, y, P, dy)
    obs = np.full(1, np.nan)
    m.compiled.module.observables(0.0, y, P, obs)
    mc = _monte_carlo(Q, R, T, cfg["eta"], seed=17)
    bad = []
    for name in ("Q", "R"):
        blk = layout.block(name)
        got = dy[blk.offset:blk.offset + blk.size]
        mean, se = mc[name]
        for i, (g, mu, s) in enumerate(zip(got, mean.ravel(), se.ravel())):
            if abs(g - mu) > N_SE * s:
                bad.append(f"d{layout.entry_name(blk.offset + i)}: {g:+.6e} vs {mu:+.6e} ± {s:.1e}")
    mean, se = mc["eps_g"]
    if abs(obs[0] - mean) > N_SE * se:
        bad.append(f"eps_g: {obs[0]:+.6e} vs {mean:+.6e} ± {se:.1e}")
    assert not bad, "\n".join(bad)


@pytest.mark.slow
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"K{c['K']}M{c['M']}")
def test_theory_matches_simulation(load, cfg):
    m = load(MODEL_O1)
    values = pm.resolve(m.compiled.model, m.compiled.meta, cfg)
    times = np.array([0.0, 1.0, 2.0, 5.0, 10.0, 20.0])
    result = compare(m.compiled, values, CheckConfig(Ns=[10_000], seeds=16, n_test=10_000,
                                                     jobs=2, times=times, step_states=0), progress=False)
    worst = {}
    for c in result["comparisons"]:
        if c.name == "eps_g" or c.name.startswith(("Q[", "R[")):
            z = np.abs(c.diff) / np.where(c.diff_sem > 0, c.diff_sem, np.inf)
            print(f"{c.name:8s}", " ".join(f"{v:+6.2f}" for v in c.diff / np.where(
                c.diff_sem > 0, c.diff_sem, np.inf)))
            worst[c.name] = float(np.max(z))
    print("max |z| over t ≤ 20:", {k: round(v, 2) for k, v in worst.items()})
    assert worst and max(worst.values()) < 3.0, worst
