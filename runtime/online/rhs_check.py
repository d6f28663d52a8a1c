"""Per-step check: the derived right-hand side against a Monte Carlo of the
generated microscopic update, at one given state.

At a state y — overlaps O_ab = u_a·u_b/N and scalars θ — the theory gives
dO/dt = f(y) and dθ/dt = g(y) (the kernel ``rhs``).  The simulator's own
step (the generated ``sim_steps``, one SGD step on fresh samples, written
from the Model IR and never from the equations) is applied to vectors
realised in dimension n with *exactly* the overlaps of y, then undone, many
times.  With t = steps/n, one step's increments

    n·ΔO_ab = Δ(u_a·u_b),   n·Δθ

are unbiased samples of the drift at dimension n.  Their mean is
f(y) + b/n + O(1/n²): the fields λ = u·x/√n are exactly N(0, O) at any n,
so the finite-n part comes only from |x|²/n (the η² term and the exact
per-sample norms of models that read them), from the decay factor
(1 − η·λ/n)² and from products of moves along vectors — each a polynomial
or smooth function of 1/n.  The estimate is therefore taken at two sizes
n₁ < n₂ = 4n₁ and extrapolated linearly in 1/n,

    f̂ = (4·m(n₂) − m(n₁)) / 3,   SE² = (16·SE₂² + SE₁²) / 9,

which removes the b/n term; what remains, c/(n₁n₂), is far below the
sampling error at the default n₁ = 250 (measured on saad_solla at a random
state, 10⁵ steps: the raw mean at n = 10 is off by at most 2.6e-3, 2.6 SE,
so b ≈ 0.03 and c/(n₁n₂) is of order 1e-7).  The extrapolation costs a
factor ≈ 1.7 in SE for a fixed number of steps.

Observables are compared too: the kernel ``observables`` against the
simulator's held-out averages (``sim_measure``) at the same realised state,
their standard error from independent batches.

The pass rule is that of a two-sided test at level α = 0.01 with a
Bonferroni correction over all compared entries: |theory − MC| ≤ z*·SE.
A deterministic error of the theory (e.g. a quadrature of a kinked
integrand) shows up as |z| growing like √samples.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from .layout import Layout, make_layout
from statc.runtime.params import vector
from .simulate import Simulation, realise

ALPHA = 0.01


#: relative floor of an entry's standard error (rounding of double-precision sums)
SE_FLOOR = 1e-12


@dataclass(frozen=True)
class RhsEntry:
    """One compared entry: a state derivative (``dQ[1,2]``) or an observable."""
    name: str
    theory: float
    mc: float
    se: float

    @property
    def z(self) -> float:
        """(theory − MC) / SE, with SE floored at 1e-12·max(1, |theory|): an entry that does not
        depend on the random draws (a skip weight's observable) has a rounding-level SE, and a
        difference in its last bits is not evidence."""
        d = self.theory - self.mc
        if d == 0.0:
            return 0.0
        return d / max(self.se, SE_FLOOR * max(1.0, abs(self.theory)))


@dataclass
class RhsReport:
    entries: list[RhsEntry]
    z_crit: float
    samples: int
    sizes: tuple[int, int]

    @property
    def max_abs_z(self) -> float:
        return max((abs(e.z) for e in self.entries), default=0.0)

    @property
    def passed(self) -> bool:
        return self.max_abs_z <= self.z_crit

    def lines(self) -> list[str]:
        hdr = f"{'entry':<14} {'theory':>14} {'Monte Carlo':>26} {'z':>7}  ok"
        out = [hdr, "-" * len(hdr)]
        for e in self.entries:
            mc = f"{e.mc:.8g} ± {e.se:.2g}"
            out.append(f"{e.name:<14} {e.theory:>14.8g} {mc:>26} {e.z:>7.2f}  "
                       f"{'yes' if abs(e.z) <= self.z_crit else 'NO'}")
        return out

    def rule(self) -> str:
        return (f"rhs rule: |theory - MC| <= {self.z_crit:.2f} SE for every entry (alpha = {ALPHA} "
                f"two-sided, Bonferroni over {len(self.entries)} entries; MC of the generated "
                f"microscopic step, {self.samples} samples at n = {self.sizes[0]} and "
                f"{self.sizes[1]}, extrapolated linearly in 1/n)")


# ------------------------------------------------------------------ states
def _vector_sizes(meta: dict, values: dict[str, float]) -> list[tuple[str, int]]:
    def size(s) -> int:
        return int(s) if isinstance(s, int) else int(round(values[s]))
    return [(v["name"], size(v["size"])) for v in meta["sim"]["vectors"]]


def gram_of_state(meta: dict, values: dict[str, float], layout: Layout, y: np.ndarray) -> np.ndarray:
    """The Gram matrix u_a·u_b/N of every vector, read from the overlap blocks of y
    (pairs without a block, which nothing depends on, are 0)."""
    vecs = _vector_sizes(meta, values)
    offs = np.cumsum([0] + [s for _, s in vecs])
    where = {name: k for k, (name, _) in enumerate(vecs)}
    gram = np.zeros((offs[-1], offs[-1]))
    for b in layout.blocks:
        if b.kind != "overlap":
            continue
        i, j = where[b.families[0]], where[b.families[1]]
        blk = y[b.offset:b.offset + b.size].reshape(b.shape)
        gram[offs[i]:offs[i + 1], offs[j]:offs[j + 1]] = blk
        gram[offs[j]:offs[j + 1], offs[i]:offs[i + 1]] = blk.T
    return gram


def random_state(compiled, values: dict[str, float], seed: int = 0) -> np.ndarray:
    """A generic valid state: overlaps of random vectors (norms² in [0.36, 1.69],
    random angles; 400 dimensions) and scalars at their initial values plus
    N(0, 0.3²) — away from every symmetric point, so that no entry vanishes by
    symmetry."""
    meta = compiled.meta
    layout = make_layout(meta, values)
    rng = np.random.default_rng([seed, 0x7243])
    vecs = _vector_sizes(meta, values)
    d = sum(s for _, s in vecs)
    V = rng.uniform(0.6, 1.3, (d, 1)) * rng.standard_normal((d, 400)) / math.sqrt(400)
    gram = V @ V.T
    offs = np.cumsum([0] + [s for _, s in vecs])
    where = {name: k for k, (name, _) in enumerate(vecs)}
    y = np.zeros(layout.size)
    inits = compiled.module.scalar_inits(vector(meta, values))
    for b in layout.blocks:
        view = y[b.offset:b.offset + b.size].reshape(b.shape)
        if b.kind == "overlap":
            i, j = where[b.families[0]], where[b.families[1]]
            view[:] = gram[offs[i]:offs[i + 1], offs[j]:offs[j + 1]]
        else:
            view[:] = np.asarray(inits[b.name]) + 0.3 * rng.standard_normal(b.shape)
    return y


# ------------------------------------------------------------ Monte Carlo
class _OneStep:
    """The simulator at dimension n, realised at the state y, stepped and reset."""

    def __init__(self, compiled, values, P, y, n: int, seed: int):
        meta = compiled.meta
        self.m = compiled.module
        self.layout = make_layout(meta, values)
        self.sim = Simulation(compiled, values, n, seed)
        self.sim.P = P
        vecs = _vector_sizes(meta, values)
        gram = gram_of_state(meta, values, self.layout, y)
        self.V = realise(gram, n, np.random.default_rng([seed, 0x52]))
        off = 0
        self.rows = {}
        for name, size in vecs:
            self.sim.U[name] = self.V[off:off + size]        # C-contiguous row views
            self.rows[name] = np.arange(off, off + size)
            off += size
        self.scalars = [b for b in self.layout.blocks if b.kind == "scalar"]
        self.S = np.concatenate([y[b.offset:b.offset + b.size] for b in self.scalars]) \
            if self.scalars else np.zeros(0)
        pos = 0
        for b in self.scalars:
            self.sim.S[b.name] = self.S[pos:pos + b.size]
            pos += b.size
        self.acc = ([np.empty_like(self.sim.U[v]) for v in self.sim.sim["trained_vectors"]]
                    + [np.empty_like(self.sim.S[s]) for s in self.sim.sim["dthetas"]])
        self.n = n
        self.P = P

    def increments(self, samples: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard error of the one-step drift, in the layout of y.

        The loop over steps is the kernel module's ``sim_drift`` (the template
        compiler/codegen/templates/drift.py, compiled and cached with the
        simulator): ~2.5 µs a step at n = 100 and 400 instead of ~35 µs driven
        from Python."""
        V, S, n = self.V, self.S, self.n
        bufs = tuple(self.sim._buffers() + self.sim.G + self.sim.D + self.acc)
        g1, g2 = np.zeros((V.shape[0], V.shape[0])), np.zeros((V.shape[0], V.shape[0]))
        s1, s2 = np.zeros_like(S), np.zeros_like(S)
        self.m.sim_drift(int(samples), self.P, self.sim.rs, V, S, float(n), g1, g2, s1, s2, *bufs)
        mean = np.zeros(self.layout.size)
        var = np.zeros(self.layout.size)
        pos = 0
        for b in self.layout.blocks:
            sl = slice(b.offset, b.offset + b.size)
            if b.kind == "overlap":
                r, c = self.rows[b.families[0]], self.rows[b.families[1]]
                m1, m2 = g1[np.ix_(r, c)].ravel() / samples, g2[np.ix_(r, c)].ravel() / samples
            else:
                m1, m2 = s1[pos:pos + b.size] / samples, s2[pos:pos + b.size] / samples
                pos += b.size
            mean[sl] = m1
            var[sl] = np.maximum(m2 - m1 * m1, 0.0)
        return mean, np.sqrt(var / max(samples - 1, 1))

    def observables(self, n_test: int, batches: int) -> tuple[np.ndarray, np.ndarray]:
        vals = np.array([self.sim.observables(max(1, n_test // batches)) for _ in range(batches)])
        return vals.mean(axis=0), vals.std(axis=0, ddof=1) / math.sqrt(batches)


def check_rhs(compiled, values: dict[str, float], y: np.ndarray | None = None, *,
              theory_values: dict[str, float] | None = None, samples: int = 100_000,
              n: int = 250, seed: int = 0, n_test: int = 200_000, observables: bool = True,
              P: np.ndarray | None = None, P_theory: np.ndarray | None = None) -> RhsReport:
    """Compare ``rhs`` and ``observables`` at state y (default: :func:`random_state`)
    with a Monte Carlo of the generated microscopic step.

    ``samples`` steps are split 1 : 4 between n and 4n (the split that minimises
    the extrapolated variance (16·σ²/S₂ + σ²/S₁)/9 for a fixed total, when the
    per-step variance does not depend on n).  ``theory_values`` (default
    ``values``) are the parameters on the theory side only: a diagnostic that
    shows the comparison can fail.  Parameters are taken at their unscheduled
    values, t = 0, unless the parameter vectors ``P`` (simulator) and
    ``P_theory`` are given (a schedule at the state's time).
    ``observables = False`` compares the drift entries only.
    """
    meta = compiled.meta
    layout = make_layout(meta, values)
    if P is None:
        P = vector(meta, values)
    if P_theory is None:
        P_theory = vector(meta, theory_values) if theory_values is not None else P
    if y is None:
        y = random_state(compiled, values, seed)
    dy = np.zeros(layout.size)
    compiled.module.rhs(0.0, y, P_theory, dy)

    n1, n2 = n, 4 * n
    s1 = max(2, samples // 5)
    small = _OneStep(compiled, values, P, y, n1, seed + 1)
    large = _OneStep(compiled, values, P, y, n2, seed + 2)
    m1, e1 = small.increments(s1)
    m2, e2 = large.increments(samples - s1)
    mc = (4.0 * m2 - m1) / 3.0
    se = np.sqrt(16.0 * e2 ** 2 + e1 ** 2) / 3.0

    entries = [RhsEntry(f"d{name}", float(dy[flat]), float(mc[flat]), float(se[flat]))
               for name, flat in layout.columns()]
    if observables:
        obs = np.zeros(len(meta["observables"]))
        compiled.module.observables(0.0, y, P_theory, obs)
        om, oe = large.observables(n_test, 20)
        entries += [RhsEntry(name, float(obs[k]), float(om[k]), float(oe[k]))
                    for k, name in enumerate(meta["observables"])]
    z_crit = float(norm.isf(ALPHA / (2 * len(entries))))
    return RhsReport(entries, z_crit, samples, (n1, n2))
