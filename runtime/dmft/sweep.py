"""The causal one-sweep DMFT solver (DMFT.md §5) for one Monte-Carlo repeat.

Every kernel at step k depends only on steps < k, so one sweep k = 0..K solves the
self-consistency exactly (no damped global iteration):

1. row k of C⊥ from A, R and E_gg of earlier steps;
2. row k of its Cholesky factor, extending each sample's Gaussian path ω conditionally;
3. the sample side (field, force, curvature, the response D(k, ·) in reverse mode) for all n_s
   samples → Γ(k, ·), E_gg(k, ·), E[τ g(k)], training loss and error (`kernels.sample_step_kernel`);
4. the weight side: A_{k+1}, R(k+1, ·), m_{k+1} (weights.py: GD/SGD as below, the heavy ball,
   Nesterov's look-ahead point).

Weight-side recursions (per coordinate of w⊥, linear because the regulariser is quadratic):
  A_{k+1} = (1 − ηλ)A_k − ηαΔ Σ_{j≤k} Γ(k, j) A_j,
  R(k+1, k) = 1,  R(k+1, j) = (1 − ηλ)R(k, j) − ηαΔ Σ_{l=j+1}^{k} Γ(k, l) R(l, j)  (j < k),
  m_{k+1} = (1 − ηλ)m_k − ηα E[τ g(k)],
  C⊥(k, l) = A_k A_l (Q0 − m0²) + η²αΔ Σ_{p<k, q<l} R(k, p)R(l, q)E_gg(p, q)
             + 2ηT Σ_{p<min(k,l)} R(k, p)R(l, p).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from statc.dsl import NumericalError

from .algorithms import sample_selection
from .kernels import cholesky_row, reduce_partial, sample_step_kernel
from .memory import batch_count
from .observe import fresh_means, fresh_seed
from .problem import DmftProblem
from . import spectral
from .replicas import replica_distance
from .weights import iterate, weight_step

#: pivots² below PIVOT_TOL × (largest variance so far) are dropped (semi-definite C⊥). A kept
#: pivot just above the threshold divides later rows' round-off by √PIVOT_TOL: at 1e-9 that
#: drove heavy-ball ridge runs (whose C⊥ has numerical rank ~15 of 100) to relative pivots of
#: −7e-6 (β = 0.8, 100 steps); at 1e-7 the worst is −3e-13. A dropped direction carries at most
#: √1e-7 ≈ 3e-4 of the path's amplitude, far below the Monte-Carlo error at any practical n_s.
PIVOT_TOL = 1e-7
#: a pivot² below −NEG_TOL × scale is not round-off: C⊥ is not positive semi-definite
NEG_TOL = 1e-6


@dataclass
class Inputs:
    """The random numbers of one repeat: per-sample (τ, y), path normals z[l, μ] and
    selection s[k, μ] (steps × samples: the sample index is the fast axis)."""

    tau: np.ndarray
    y: np.ndarray
    z: np.ndarray
    sel: np.ndarray


def draw_inputs(problem: DmftProblem, n_samples: int, seed) -> Inputs:
    """All random numbers of one repeat, from one NumPy generator seeded by `seed`."""
    rng = np.random.default_rng(seed)
    rows = problem.steps + 1
    tau, y = problem.teacher.effective(rng, n_samples)
    z = np.ascontiguousarray(rng.standard_normal((n_samples, rows)).T)
    sel = np.ascontiguousarray(sample_selection(problem.algorithm, rng, n_samples, rows).T)
    return Inputs(np.ascontiguousarray(tau), np.ascontiguousarray(y), z, sel)


@dataclass
class Kernels:
    """The deterministic kernels of the sweep, (K+1)-vectors and (K+1)×(K+1) matrices."""

    m: np.ndarray
    A: np.ndarray
    R: np.ndarray          # R[k, j], j < k (zero elsewhere)
    C_perp: np.ndarray     # C⊥[k, l]
    gamma: np.ndarray      # Γ[k, j], j ≤ k
    egg: np.ndarray        # E_gg[k, l] (symmetric)
    etg: np.ndarray        # E[τ g(k)]
    L: np.ndarray          # Cholesky factor of C⊥ (semi-definite aware)
    lam: np.ndarray        # λ_k of the step k → k+1: the ridge, or the Lagrange multiplier on the sphere
    spectral: object = None   # per-level weight-side state with a structured covariance (spectral.py)


@dataclass
class DmftRun:
    """One repeat: per-step observables and the kernels."""

    problem: DmftProblem
    columns: dict[str, np.ndarray]
    kernels: Kernels
    n_samples: int
    seconds: float = 0.0
    info: dict = field(default_factory=dict)


def new_kernels(rows: int) -> Kernels:
    z1, z2 = (lambda: np.zeros(rows)), (lambda: np.zeros((rows, rows)))
    return Kernels(z1(), z1(), z2(), z2(), z2(), z2(), z1(), z2(), z1())


def covariance_row(p: DmftProblem, K: Kernels, k: int) -> np.ndarray:
    """C⊥(k, l) for l ≤ k from A, R rows ≤ k and E_gg(< k, < k)."""
    c0 = p.Q0 - p.m0 ** 2
    row = c0 * K.A[k] * K.A[: k + 1]
    if k:
        Rk = K.R[k, :k]
        Rl = K.R[: k + 1, :k]
        row = row + p.eta ** 2 * p.alpha * p.delta * (Rl @ (K.egg[:k, :k] @ Rk))
        T = p.algorithm.temperature
        if T:
            row = row + 2.0 * p.eta * T * (Rl @ Rk)
    return row


def reported(p: DmftProblem, K: Kernels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, Q, test metric) of the iterate w_k (identity covariance)."""
    m_w, c_w = iterate(p, K)
    Q = m_w ** 2 + c_w
    return m_w, Q, np.array([p.teacher.test_error(a, q) for a, q in zip(m_w, Q)])


@dataclass(frozen=True)
class WeightSide:
    """The weight-side pieces of the sweep: row k of C⊥ (and the sample side's m_k, R(k, ·)), the
    step k → k + 1, the (m, C⊥ diagonal) of a fresh sample's field, and the reported m, Q, test."""

    row: object
    step: object
    fresh: object
    reported: object


#: identity covariance (§2, with the update rules of weights.py) or a spectrum (§2.3, spectral.py)
WEIGHT_SIDES = {
    "identity": WeightSide(covariance_row, weight_step, iterate, reported),
    "spectral": WeightSide(spectral.covariance_row, spectral.weight_step, spectral.fresh_point, spectral.reported),
}


def weight_side(p: DmftProblem) -> WeightSide:
    return WEIGHT_SIDES["spectral" if getattr(p.teacher, "spectrum", None) is not None else "identity"]


def extend_cholesky(p: DmftProblem, K: Kernels, k: int) -> None:
    """Row k of C⊥ and of its factor; a clearly negative pivot is numerical trouble."""
    row = weight_side(p).row(p, K, k)
    K.C_perp[k, : k + 1] = row
    K.C_perp[: k + 1, k] = row
    rel = cholesky_row(K.C_perp[k], K.L, k, PIVOT_TOL)
    if not np.isfinite(rel) or rel < -NEG_TOL:
        raise NumericalError(
            f"DMFT step {k} (t = {k * p.eta:g}): the correlation kernel C⊥ is not positive "
            f"semi-definite (relative pivot {rel:.3g})",
            hint="the kernels diverged or lost precision; try a smaller step size eta")


def check_finite(p: DmftProblem, K: Kernels, k: int, scalars: np.ndarray) -> None:
    if not (np.all(np.isfinite(K.gamma[k, : k + 1])) and np.all(np.isfinite(K.egg[k, : k + 1]))
            and np.all(np.isfinite(scalars)) and np.isfinite(K.m[k])):
        raise NumericalError(
            f"DMFT step {k} (t = {k * p.eta:g}): the kernels became non-finite (the dynamics diverged)",
            hint="the step size eta may be too large for this loss; try a smaller one")


#: the k × C float32 block of adjoints of one chunk is kept under this many bytes (L1/L2) where
#: C ≥ MIN_CHUNK allows; measured at k = 100, n_s = 2·10⁴: C = 160 (64 KiB) 28 ms per step, C = 80
#: 37 ms, C = 40 48 ms; at k = 1000, n_s = 4000: C = 16 1.67 s, 32 0.96 s, 64 0.58 s, 128–512
#: 0.42–0.48 s (short sample loops cost more than an L2-resident block)
ACCUMULATOR_BYTES = 1 << 16
MIN_CHUNK = 128


def chunk_size(rows: int) -> int:
    """Samples per chunk C: a multiple of 8 in [MIN_CHUNK, 512], with a (rows × C) float32 block
    of adjoints of at most ACCUMULATOR_BYTES where that leaves C ≥ MIN_CHUNK."""
    return int(max(MIN_CHUNK, min(512, ACCUMULATOR_BYTES // (4 * rows) // 8 * 8)))


def default_blocks(n_chunks: int) -> int:
    """Blocks of chunks for the parallel loop: a few per thread, ≥ 1 chunk each."""
    from numba import get_num_threads
    return max(1, min(n_chunks, 8 * get_num_threads()))


def solve(problem: DmftProblem, n_samples: int, seed=0, inputs: Inputs | None = None,
          max_bytes: int | None = None) -> DmftRun:
    """The DMFT with n_s = `n_samples` Monte-Carlo samples of the effective process: one causal
    sweep, or, when its memory (`memory.sweep_bytes`) exceeds the budget, independent sweeps
    over equal batches of the samples, averaged (`memory.py`)."""
    if n_samples < 2:
        raise ValueError("the DMFT needs at least 2 Monte-Carlo samples")
    rows = problem.steps + 1
    batches = 1 if inputs is not None else batch_count(rows, n_samples, chunk_size(rows), max_bytes)
    if batches == 1:
        return sweep(problem, n_samples, seed, inputs)
    start = time.perf_counter()
    sizes = [n_samples * (i + 1) // batches - n_samples * i // batches for i in range(batches)]
    parent = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    runs = [sweep(problem, size, s) for size, s in zip(sizes, parent.spawn(batches))]
    return combine(runs, seconds=time.perf_counter() - start)


def combine(runs: list[DmftRun], seconds: float) -> DmftRun:
    """Sample-size-weighted mean of the kernels and observables of independent sweeps (the
    Cholesky factor is the first sweep's)."""
    n = sum(r.n_samples for r in runs)
    w = [r.n_samples / n for r in runs]
    mean = lambda arrays: sum(wi * a for wi, a in zip(w, arrays))            # noqa: E731
    K = Kernels(**{f: mean([getattr(r.kernels, f) for r in runs]) for f in ("m", "A", "R", "C_perp", "gamma",
                                                                             "egg", "etg", "lam")},
                L=runs[0].kernels.L)
    cols = {name: mean([r.columns[name] for r in runs]) for name in runs[0].columns}
    return DmftRun(runs[0].problem, cols, K, n, seconds=seconds,
                   info={"batches": len(runs), "batch_samples": [r.n_samples for r in runs]})


def sweep(problem: DmftProblem, n_samples: int, seed=0, inputs: Inputs | None = None) -> DmftRun:
    """One causal sweep with n_s = `n_samples` Monte-Carlo samples of the effective process."""
    start = time.perf_counter()
    p = problem
    rows = p.steps + 1
    inp = inputs if inputs is not None else draw_inputs(p, n_samples, seed)
    K = new_kernels(rows)
    K.m[0], K.A[0] = p.m0, 1.0
    side = weight_side(p)
    if side is WEIGHT_SIDES["spectral"]:
        spectral.check_supported(p)
        K.spectral = spectral.new_state(p, rows)
    g = np.zeros((rows, n_samples))
    gp = np.zeros((rows, n_samples))
    C = chunk_size(rows)
    n_chunks = -(-n_samples // C)
    n_extra = 3 + p.observe.n_train
    partial = np.zeros((default_blocks(n_chunks), 2 * rows + n_extra))
    step = sample_step_kernel(p.loss)
    scalars = np.zeros(n_extra)
    train_means = np.zeros((rows, p.observe.n_train))
    sqrt_delta, eta_delta = np.sqrt(p.delta), p.eta * p.delta
    train_loss, train_error = np.zeros(rows), np.zeros(rows)
    for k in range(rows):
        extend_cholesky(p, K, k)
        partial[:, : 2 * (k + 1) + n_extra] = 0.0
        step(k, K.m[k], sqrt_delta, eta_delta, p.algorithm.kappa, K.L[k, : k + 1].copy(),
             K.R[k, :k].copy(), np.ascontiguousarray(K.R[:k, :k].T), inp.tau, inp.y, inp.z, inp.sel, g, gp, C,
             partial, p.observe.coef)
        reduce_partial(partial, k, n_samples, K.gamma, K.egg, scalars)
        K.etg[k] = scalars[0]
        train_loss[k], train_error[k] = scalars[1], scalars[2]
        train_means[k] = scalars[3:]
        check_finite(p, K, k, scalars)
        if k < p.steps:
            side.step(p, K, k)
    m_w, c_w = side.fresh(p, K)
    test_means = fresh_means(p, m_w, c_w, n_samples, fresh_seed(seed))
    cols = observables(p, K, train_loss, train_error, train_means, test_means)
    if p.observe.replicas:
        D = replica_distance(p, K, n_samples, seed)
        cols.update({name: D for name in p.observe.replicas})
    return DmftRun(p, cols, K, n_samples,
                   seconds=time.perf_counter() - start, info={"batches": 1, "batch_samples": [n_samples]})


def observables(p: DmftProblem, K: Kernels, train_loss: np.ndarray, train_error: np.ndarray,
                train_means: np.ndarray | None = None, test_means: np.ndarray | None = None) -> dict:
    """trajectory columns: t, m (|m| for sign-symmetric data), Q = m² + C⊥(k, k), train_loss,
    train_error, test metric, and the model's observables from m, Q and their training /
    fresh-sample averages. m, Q and test quantities are those of the iterate w_k; training
    quantities are at the point where the gradient is evaluated (w_k itself except for
    Nesterov, where it is the look-ahead u_k)."""
    m_w, Q, test = weight_side(p).reported(p, K)
    m = np.abs(m_w) if getattr(p.teacher, "sign_symmetric", False) else m_w
    cols = {"t": p.eta * np.arange(p.steps + 1), "m": m, "Q": Q, "train_loss": train_loss}
    if p.teacher.classification:
        cols["train_error"] = train_error
    cols[p.teacher.test_metric] = test
    if p.observe.names and train_means is not None:
        cols.update(p.observe.columns(m, Q, train_means, test_means))
    return cols
