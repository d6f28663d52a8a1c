"""Finite-N simulation of a compiled model with its generated simulator kernel.

The simulator lives in the kernel module but is generated from the Model IR
(see :mod:`statc.compiler.codegen.simulator`); this module only allocates its
buffers, draws the initial vectors, steps it between recording times and
measures order parameters (from the vectors) and observables (on fresh
held-out samples).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from statc.dsl import StatcError

from .initial import initial_state
from .layout import Layout, make_layout
from statc.runtime.params import vector
from statc.runtime.schedule import params_at, segments


#: Wall time of one uninterruptible simulator call: Ctrl-C is answered between calls.
CHUNK_SECONDS = 0.1


@dataclass
class SimResult:
    t: np.ndarray
    columns: dict[str, np.ndarray]       # observables and state entries, per record
    y0: np.ndarray                       # measured initial state (theory starts here)
    steps: int
    seconds: float


def _size(s, values) -> int:
    return int(s) if isinstance(s, int) else int(round(values[s]))


def realise(gram: np.ndarray, N: int, rng: np.random.Generator) -> np.ndarray:
    """Vectors (rows) of length N whose overlaps u·v/N equal `gram` exactly."""
    n = gram.shape[0]
    if N < n:
        raise StatcError(f"N = {N} is smaller than the number of vectors ({n})")
    q, _ = np.linalg.qr(rng.standard_normal((N, n)))
    evals, evecs = np.linalg.eigh((gram + gram.T) / 2)
    if evals.min() < -1e-9 * max(1.0, evals.max()):
        raise StatcError("the initial overlaps are not a valid Gram matrix (not positive "
                         f"semi-definite: smallest eigenvalue {evals.min():.3g})",
                         hint="check the `init` block")
    root = evecs * np.sqrt(np.clip(evals, 0, None))
    return root @ q.T * np.sqrt(N)


class Simulation:
    """One seed of the finite-N dynamics."""

    def __init__(self, compiled, values: dict[str, float], N: int, seed: int, schedule: dict | None = None):
        self.c = compiled
        self.m = compiled.module
        self.meta = compiled.meta
        self.sim = self.meta["sim"]
        self.values = values
        self.P = vector(self.meta, values)
        self.layout: Layout = make_layout(self.meta, values)
        self.N = int(N)
        rng = np.random.default_rng([seed, 0x5747])
        self.rs = self.m.rng_state(seed)
        self.U = self._vectors(rng)
        theory0 = initial_state(compiled, self.layout, values, self.P, init_N=0)
        self.S = {}
        for s in self.sim["scalars"]:
            b = self.layout.block(s["name"])
            self.S[s["name"]] = theory0[b.offset:b.offset + b.size].copy()
        self.X = {x: np.empty(self.N) for x in self.sim["inputs"]}
        self.F = {(f["vector"], f["input"]): np.empty(self.U[f["vector"]].shape[0])
                  for f in self.sim["fields"]}
        self.Z = {r["name"]: np.empty(_size(r["size"], values)) for r in self.sim["randoms"]}
        self.OV = [np.empty((self.U[u].shape[0], self.U[w].shape[0])) for u, w in self.sim["overlaps"]]
        self.NRM = []
        if self.sim.get("norms"):
            # x_r·x_s/N per sample (squared norms) and N itself
            n_in = len(self.sim["inputs"])
            self.NRM = [np.zeros((n_in, n_in)), np.array([float(self.N)])]
        self.G = [np.empty(self.U[g["vector"]].shape[0]) for g in self.sim["grads"]]
        self.D = [np.empty_like(self.S[s]) for s in self.sim["dthetas"]]
        self.acc = ([np.empty_like(self.U[v]) for v in self.sim["trained_vectors"]]
                    + [np.empty_like(self.S[s]) for s in self.sim["dthetas"]])
        self.steps = 0
        self.chunk = 256                  # SGD steps per kernel call, adapted to CHUNK_SECONDS
        self.schedule = schedule or {}
        if self.schedule:
            seg_t, seg_P = segments(self.meta["params"], values, self.schedule, 0.0, 1.0)
            self.P = seg_P[0].copy()

    def _vectors(self, rng) -> dict[str, np.ndarray]:
        model = self.c.model
        names = [v["name"] for v in self.sim["vectors"]]
        sizes = [_size(v["size"], self.values) for v in self.sim["vectors"]]
        if model.inits:
            # prescribed initial overlaps: realise them exactly at this N
            y0 = initial_state(self.c, self.layout, self.values, self.P, init_N=0)
            offs = np.cumsum([0] + sizes)
            gram = np.zeros((offs[-1], offs[-1]))
            for b in self.layout.blocks:
                if b.kind != "overlap":
                    continue
                i, j = names.index(b.families[0]), names.index(b.families[1])
                blk = y0[b.offset:b.offset + b.size].reshape(b.shape)
                gram[offs[i]:offs[i + 1], offs[j]:offs[j + 1]] = blk
                gram[offs[j]:offs[j + 1], offs[i]:offs[i + 1]] = blk.T
            V = realise(gram, self.N, rng)
            return {n: np.ascontiguousarray(V[offs[k]:offs[k + 1]]) for k, n in enumerate(names)}
        scales = self.m.vector_scales(self.P)
        return {n: rng.standard_normal((s, self.N)) * scales[n] for n, s in zip(names, sizes)}

    def _buffers(self) -> list:
        return ([self.U[v["name"]] for v in self.sim["vectors"]] + [self.X[x] for x in self.sim["inputs"]]
                + [self.F[(f["vector"], f["input"])] for f in self.sim["fields"]]
                + [self.S[s["name"]] for s in self.sim["scalars"]]
                + [self.Z[r["name"]] for r in self.sim["randoms"]] + self.OV + self.NRM)

    def advance_to(self, t: float) -> None:
        """Run SGD steps up to time t; parameters switch at the scheduled breakpoints."""
        target = int(round(t * self.N))
        if target <= self.steps:
            return
        seg_t, seg_P = segments(self.meta["params"], self.values, self.schedule,
                                self.steps / self.N, target / self.N)
        for s in range(seg_P.shape[0]):
            end = target if s == seg_P.shape[0] - 1 else int(round(seg_t[s + 1] * self.N))
            while self.steps < end:
                # in chunks of ~CHUNK_SECONDS, so that Ctrl-C is answered; the kernel keeps its
                # state in the buffers and the generator state, so chunks change nothing
                n = min(end - self.steps, self.chunk)
                start = time.perf_counter()
                self.m.sim_steps(n, seg_P[s], self.rs, *self._buffers(), *self.G, *self.D, *self.acc)
                self.steps += n
                wall = time.perf_counter() - start
                if n == self.chunk:
                    self.chunk = int(min(max(n * CHUNK_SECONDS / max(wall, 1e-6), 16), 1 << 30))
        self.P = params_at(self.meta["params"], self.values, self.schedule, target / self.N)

    def state(self) -> np.ndarray:
        """The order parameters measured from the vectors, in the theory's layout."""
        y = np.zeros(self.layout.size)
        for b in self.layout.blocks:
            view = y[b.offset:b.offset + b.size].reshape(b.shape)
            if b.kind == "overlap":
                u, w = b.families
                view[:] = self.U[u] @ self.U[w].T / self.N
            else:
                view[:] = self.S[b.name]
        if not np.all(np.isfinite(y)):
            raise StatcError(f"the simulation diverged before t = {self.steps / self.N:.4g} "
                             f"(N = {self.N}): non-finite weights",
                             hint="the learning rate may be above the stability limit")
        return y

    def observables(self, n_test: int) -> list[float]:
        means = np.zeros(self.sim["n_means"])
        if means.size:
            self.m.sim_measure(int(n_test), self.P, self.rs, *self._buffers(), means)
        overlaps = {f"{u}:{w}": self.U[u] @ self.U[w].T / self.N for u, w in self.sim["overlaps"]}
        return self.m.sim_observables(self.P, means, self.S, overlaps)


def simulate(compiled, values: dict[str, float], N: int, seed: int, times: np.ndarray,
             n_test: int = 10_000, schedule: dict | None = None) -> SimResult:
    """Run one seed to each time in `times` (t = steps/N), measuring as it goes."""
    t0 = time.perf_counter()
    sim = Simulation(compiled, values, N, seed, schedule)
    names = compiled.meta["observables"]
    layout = sim.layout
    cols = {n: np.empty(times.size) for n in names}
    entries = layout.columns()
    for name, _ in entries:
        cols[name] = np.empty(times.size)
    y0 = None
    for r, t in enumerate(times):
        sim.advance_to(t)
        y = sim.state()
        if r == 0:
            y0 = y.copy()
        obs = sim.observables(n_test)
        for k, n in enumerate(names):
            cols[n][r] = obs[k]
        for name, flat in entries:
            cols[name][r] = y[flat]
    return SimResult(np.asarray(times, float), cols, y0, sim.steps, time.perf_counter() - t0)
