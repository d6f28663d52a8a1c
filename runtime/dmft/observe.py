"""User observables of a dmft model at run time (`observe` statements; compiler/dmft/observe.py).

An :class:`Observables` holds the model's generated functions: per-sample averages
`train_fns` (over the training set; @njit functions of (y, τ, h, coef) with τ the teacher field
and coef the run-time coefficients of reweighted means, compiler/dmft/reweight.py) and
`test_fns` (over a fresh sample; @njit functions of (y, h)), and `values(m, Q, train, test)`, the formulas with the parameters
bound. Theory and simulation each compute their own m, Q and averages and call the same
formulas (the model's definition of the observable, not a DMFT equation):

* DMFT: training averages are means over the effective sample process at each step (summed
  in the sample step); fresh-sample averages use h = m_k τ + √(Δ C⊥(k, k)) ξ with (τ, y)
  from the data model and ξ ~ N(0, 1) (no memory term: the sample was never trained on),
  n_fresh draws per step, common to all steps;
* simulation (simulate.py): the n = αN training samples and the held-out test samples.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
from numba import njit

from statc.compiler.dmft.reweight import check_values
from statc.dsl import StatcError

from .teachers import make_teacher


@lru_cache(maxsize=None)
def elementwise_train(fn):
    """An array version out[i] = fn(y[i], tau[i], h[i], coef) of a training average."""
    @njit(cache=False)
    def apply(y, tau, h, coef, out):
        for i in range(h.shape[0]):
            out[i] = fn(y[i], tau[i], h[i], coef)
        return out
    return apply


@lru_cache(maxsize=None)
def elementwise(fn):
    """An array version out[i] = fn(y[i], h[i]) of a Numba scalar function of (y, h)."""
    @njit(cache=False)
    def apply(y, h, out):
        for i in range(h.shape[0]):
            out[i] = fn(y[i], h[i])
        return out
    return apply


def _no_values(m, Q, train, test) -> dict:
    return {}


@dataclass(frozen=True)
class Observables:
    """The user observables of one model at fixed parameters."""

    names: tuple[str, ...] = ()
    train_fns: tuple = ()
    test_fns: tuple = ()
    values: Callable = field(default=_no_values)
    replicas: tuple[str, ...] = ()     # replica-distance columns (replicas.py, simulate.py)
    fdt: tuple[str, ...] = ()          # FDT effective temperatures (fdt.py; summary, not columns)
    #: per FDT name: (window t1, t2, lags s1, s2) in time units, None where the model left the default
    fdt_windows: tuple = ()
    #: per fresh mean: the data model (teachers.py) its samples are drawn from under the mean's
    #: `given`, or None for the model's own
    test_teachers: tuple = ()
    #: run-time coefficients of the training averages (float64 array)
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_train(self) -> int:
        return len(self.train_fns)

    def columns(self, m: np.ndarray, Q: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict[str, np.ndarray]:
        """Per-step columns from m, Q (rows,) and the averages (rows × n_train, rows × n_test)."""
        if not self.names:
            return {}
        rows = [self.values(m[k], Q[k], train[k], test[k]) for k in range(len(m))]
        return {name: np.array([r[name] for r in rows]) for name in self.names}

    def sample_means(self, fns: tuple, y: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Means over samples of each function in `fns` at fields h (one row)."""
        buf = np.empty(h.shape[0])
        return np.array([elementwise(f)(y, h, buf).mean() for f in fns])

    def train_means(self, y: np.ndarray, tau: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Means over the training samples (labels y, teacher fields τ, fields h) of each training
        average (one row)."""
        buf = np.empty(h.shape[0])
        return np.array([elementwise_train(f)(y, tau, h, self.coef, buf).mean() for f in self.train_fns])

    def test_groups(self, teacher) -> list[tuple[object, list[int]]]:
        """The fresh means grouped by the data model they draw from: [(teacher, indices)], the
        model's own `teacher` first (means without a `given` on a data parameter)."""
        groups: list[tuple[object, list[int]]] = [(teacher, [])]
        for i in range(len(self.test_fns)):
            t = self.test_teachers[i] if i < len(self.test_teachers) else None
            if t is None:
                groups[0][1].append(i)
                continue
            for g, idx in groups[1:]:
                if g == t:                 # frozen dataclasses: equal parameters, one set of draws
                    idx.append(i)
                    break
            else:
                groups.append((t, [i]))
        return [g for g in groups if g[1]]


NO_OBSERVABLES = Observables()


def from_module(mod, P, teacher: str = "") -> Observables:
    """The observables of a generated dmft module at the parameter vector P (`teacher`: the
    registry name of the model's data model, for fresh means with a `given`)."""
    names = tuple(getattr(mod, "OBSERVE_NAMES", ()))
    replicas = tuple(getattr(mod, "REPLICA_NAMES", ()))
    fdt = tuple(getattr(mod, "FDT_NAMES", ()))
    windows = tuple(mod.fdt_windows(P)) if hasattr(mod, "fdt_windows") else ((None,) * 4,) * len(fdt)
    if not names:
        return Observables(replicas=replicas, fdt=fdt, fdt_windows=windows) if replicas or fdt else NO_OBSERVABLES
    data = mod.test_teacher_values(P) if hasattr(mod, "test_teacher_values") else ()
    teachers = tuple(None if d is None else make_teacher(teacher, **d) for d in data)
    spelled = tuple(getattr(mod, "REWEIGHT_SPELLED", ()))      # absent in modules cached before it
    for i, (name, old, new) in enumerate(mod.train_reweights(P)):
        why = check_values(teacher, name, old, new, spelled[i] if i < len(spelled) else None)
        if why:
            raise StatcError(why, hint="change the parameter values or the `given` of the training mean")
    return Observables(names, tuple(mod.TRAIN_OBS), tuple(mod.TEST_OBS),
                       lambda m, Q, train, test: mod.observe_values(P, m, Q, train, test), replicas, fdt, windows,
                       teachers, np.ascontiguousarray(mod.train_coefficients(P), dtype=np.float64))


def fresh_means(problem, m: np.ndarray, c_perp: np.ndarray, n_fresh: int, seed) -> np.ndarray:
    """DMFT fresh-sample averages per step: rows × n_test, h = m_k τ + √(Δ C⊥(k, k)) ξ."""
    obs = problem.observe
    out = np.zeros((len(m), len(obs.test_fns)))
    if not obs.test_fns:
        return out
    rng = np.random.default_rng(seed)
    for teacher, idx in obs.test_groups(problem.teacher):
        # a `given` data model: its own (τ, y) and Δ (h = m τ + √(Δ C⊥) ξ, m and C⊥ of the trained w)
        tau, y = teacher.effective(rng, n_fresh)
        xi = rng.standard_normal(n_fresh)
        delta = problem.delta if teacher is problem.teacher else teacher.delta
        sd = np.sqrt(delta * np.maximum(c_perp, 0.0))
        fns = tuple(obs.test_fns[i] for i in idx)
        for k in range(len(m)):
            out[k, idx] = obs.sample_means(fns, y, m[k] * tau + sd[k] * xi)
    return out


def fresh_seed(seed) -> np.random.SeedSequence:
    """A seed for the fresh samples, independent of the sweep's own random numbers."""
    parent = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.random.SeedSequence(parent.entropy, spawn_key=parent.spawn_key + (2**31 - 1,))
