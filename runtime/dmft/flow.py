"""Stochastic gradient flow (`algorithm sgf`, DMFT.md §1, §3): the η → 0 limit at fixed
batch fraction b and persistence time τ of persistent SGD (plain SGD for τ = 0, GD for b = 1).

The causal sweep is the exact DMFT of the discrete algorithm at step η, whose observables
differ from the flow's by O(η) (Euler discretisation of the weight side, per-step selection
rates η/τ, (1 − b)η/(bτ) of the telegraph process). The flow is obtained by Richardson
extrapolation from the steps η and η/2 on the common time grid t = kη:

    f_flow(t) = 2 f_{η/2}(t) − f_η(t) + O(η²).

Theory (:func:`solve_flow`): per Monte-Carlo repeat, one sweep at η and one at η/2 (independent
random numbers), combined; the standard error is over repeats of the combination. The cost is
that of the η/2 sweep (8× the η sweep, O(K³)) plus one ninth. Simulation
(:func:`simulate_flow_seeds`): per seed, the microscopic rule at η and at η/2 on the **same**
training set and start (same seed; only the selection paths and Langevin noise differ),
combined the same way. `kernels` of the result are those of the η/2 sweeps.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from statc.dsl import StatcError

from .algorithms import at_step
from .problem import DmftProblem
from .repeats import DmftEstimate, solve_repeats
from .simulate import SimEstimate, simulate, simulate_seeds
from .sweep import solve


def half_step(problem: DmftProblem) -> DmftProblem:
    """The same problem at step η/2 over the same time (twice the steps)."""
    p = problem
    return replace(p, eta=p.eta / 2, steps=2 * p.steps, algorithm=at_step(p.algorithm, p.eta, p.eta / 2))


def extrapolate(coarse: dict[str, np.ndarray], fine: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """2 f(η/2) − f(η) on the coarse grid (column `t` kept from the coarse run)."""
    out = {name: 2.0 * fine[name][::2] - col for name, col in coarse.items()}
    out["t"] = coarse["t"]
    return out


def _check(problem: DmftProblem) -> None:
    if problem.observe.fdt:
        raise StatcError("fdt(...) is not supported with `algorithm sgf` yet",
                         hint="measure the FDT temperature of persistent SGD at a small step (`algorithm sgd`)")


def solve_flow(problem: DmftProblem, n_samples: int, repeats: int, seed: int = 0):
    """The flow's trajectory: mean and standard error over repeats of the extrapolation."""
    _check(problem)
    fine_problem = half_step(problem)
    pairs = np.random.SeedSequence(seed).spawn(repeats)
    combos, fine_runs = [], []
    for s in pairs:
        s_coarse, s_fine = s.spawn(2)
        coarse = solve(problem, n_samples, s_coarse)
        fine = solve(fine_problem, n_samples, s_fine)
        combos.append(extrapolate(coarse.columns, fine.columns))
        fine_runs.append(fine)
    mean, stderr = {}, {}
    for name in combos[0]:
        stack = np.stack([c[name] for c in combos])
        mean[name] = stack.mean(axis=0)
        stderr[name] = stack.std(axis=0, ddof=1) / math.sqrt(repeats)
    stderr["t"] = np.zeros_like(mean["t"])
    return DmftEstimate(mean, stderr, fine_runs)


def simulate_flow_seeds(problem: DmftProblem, N: int, seeds: int, seed: int = 0, n_test: int = 4000):
    """Finite-size flow: per seed the extrapolation of the runs at η and η/2 on one data set."""
    _check(problem)
    fine_problem = half_step(problem)
    runs = [extrapolate(simulate(problem, N, s, n_test), simulate(fine_problem, N, s, n_test))
            for s in np.random.SeedSequence(seed).spawn(seeds)]
    per_seed = {name: np.stack([r[name] for r in runs]) for name in runs[0]}
    mean = {k: a.mean(axis=0) for k, a in per_seed.items()}
    stderr = {k: a.std(axis=0, ddof=1) / math.sqrt(seeds) for k, a in per_seed.items()}
    return SimEstimate(mean, stderr, per_seed)


def estimate(problem: DmftProblem, n_samples: int, repeats: int, seed: int = 0) -> DmftEstimate:
    """The DMFT of `problem` over independent repeats: the flow's extrapolation for `sgf`, else
    the discrete algorithm (repeats.solve_repeats)."""
    if problem.algorithm.flow:
        return solve_flow(problem, n_samples, repeats, seed)
    return solve_repeats(problem, n_samples, repeats, seed)


def simulate_estimate(problem: DmftProblem, N: int, seeds: int, seed: int = 0, n_test: int = 4000) -> SimEstimate:
    """Finite-size runs of `problem` over seeds: extrapolated for `sgf`, else the discrete rule."""
    if problem.algorithm.flow:
        return simulate_flow_seeds(problem, N, seeds, seed, n_test)
    return simulate_seeds(problem, N, seeds, seed, n_test)
