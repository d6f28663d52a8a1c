"""Memory of one causal DMFT sweep and the budget that bounds it.

Per Monte-Carlo sample the sweep keeps its paths: the Gaussian normals z, the forces g and
curvatures g' (float64, K+1 each) and the selection path (uint8); the memory term's response
D(k, ·) is recomputed at every step in reverse mode from g' (compiler/dmft/sample_step.py), so
no O(K²) tangent history is stored (before: K(K+1)/2 int16 per sample, 1.25 GB at K = 100,
n_s = 10⁵). One sweep needs ≈ 25 n_s (K + 1) bytes plus a k × C float32 block of adjoints
per thread — 0.25 GB at K = 100, n_s = 10⁵; 2.5 GB at K = 1000 — and this cannot be cut by
processing the samples in sequence: every kernel at step k is a mean over *all* samples,
and every sample's step k needs the kernels of step k − 1, so all samples advance in
lockstep with their paths in memory.

When the estimate exceeds the budget, :func:`statc.runtime.dmft.solve` splits the n_s
samples into the fewest equal batches that fit and runs them as independent sweeps, one
after the other, averaging their kernels and observables weighted by batch size. The
Monte-Carlo variance is that of n_s samples; the O(1/n) bias of a finite-sample sweep
(it behaves like a finite training set) is that of one batch. The budget is
``STATC_DMFT_MAX_GB`` (gigabytes, default 2) or the ``max_bytes`` argument.
"""
from __future__ import annotations

import math
import os

from statc.dsl import StatcError

DEFAULT_GB = 2.0


def budget_bytes(max_bytes: int | None = None) -> int:
    """The budget: the argument, else $STATC_DMFT_MAX_GB, else DEFAULT_GB gigabytes."""
    if max_bytes is not None:
        return int(max_bytes)
    text = os.environ.get("STATC_DMFT_MAX_GB", "")
    try:
        gb = float(text) if text else DEFAULT_GB
    except ValueError:
        raise StatcError(f"STATC_DMFT_MAX_GB must be a number of gigabytes, got `{text}`") from None
    if not gb > 0:
        raise StatcError(f"STATC_DMFT_MAX_GB must be > 0, got {gb:g}")
    return int(gb * 1e9)


def sweep_bytes(rows: int, n_samples: int, chunk: int) -> int:
    """Bytes of the per-sample arrays of one sweep of `rows` = K + 1 steps (`chunk`: samples per
    block of adjoints, one block per chunk held at a time; counted once per chunk as an upper
    bound of the per-thread blocks)."""
    adjoints = 4 * rows * chunk * min(math.ceil(n_samples / chunk), 64)
    paths = n_samples * rows * (8 + 8 + 8 + 1)        # z, g, g', selection
    return adjoints + paths + 16 * n_samples          # τ, y


def batch_count(rows: int, n_samples: int, chunk: int, max_bytes: int | None = None) -> int:
    """The fewest equal batches whose sweeps each fit the budget (1 if the whole fits)."""
    budget = budget_bytes(max_bytes)
    per_sample = sweep_bytes(rows, chunk, chunk) / chunk
    fit = int(budget // per_sample)
    if fit < 2:
        raise StatcError(f"one DMFT sample of {rows - 1} steps needs {per_sample / 1e6:.1f} MB, more than the "
                         f"memory budget of {budget / 1e9:g} GB allows for two",
                         hint="raise STATC_DMFT_MAX_GB or run fewer steps (a larger eta or a shorter time)")
    return max(1, math.ceil(n_samples / fit))
