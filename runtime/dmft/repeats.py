"""Independent Monte-Carlo repeats of the DMFT sweep and their standard errors.

Each repeat is a full sweep with its own n_s samples (seeds from one SeedSequence), so the
repeats are i.i.d. estimates of the trajectory; the reported value is their mean and the
Monte-Carlo standard error is the sample standard deviation over repeats divided by
√repeats (DMFT.md §5: never validate on one seed). A stochastic gradient flow (`algorithm sgf`)
is extrapolated to η → 0 repeat by repeat by flow.estimate, which dispatches to this for the
discrete algorithms.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import DmftProblem
from .sweep import DmftRun, solve


@dataclass
class DmftEstimate:
    """Mean trajectory, its Monte-Carlo standard error, and the individual repeats."""

    mean: dict[str, np.ndarray]
    stderr: dict[str, np.ndarray]
    runs: list[DmftRun]

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)


def solve_repeats(problem: DmftProblem, n_samples: int, repeats: int = 4, seed: int = 0) -> DmftEstimate:
    """`repeats` independent sweeps of n_s = `n_samples` samples; mean ± standard error."""
    if repeats < 2:
        raise ValueError("a Monte-Carlo standard error needs at least 2 repeats")
    if problem.algorithm.flow:
        raise ValueError("a stochastic gradient flow (`algorithm sgf`) is solved by flow.estimate (η → 0)")
    seeds = np.random.SeedSequence(seed).spawn(repeats)
    runs = [solve(problem, n_samples, s) for s in seeds]
    mean, stderr = {}, {}
    for name in runs[0].columns:
        stack = np.stack([r.columns[name] for r in runs])
        mean[name] = stack.mean(axis=0)
        stderr[name] = stack.std(axis=0, ddof=1) / np.sqrt(repeats)
    stderr["t"] = np.zeros_like(mean["t"])
    return DmftEstimate(mean, stderr, runs)
