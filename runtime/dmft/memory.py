"""Memory of one causal DMFT sweep and the budget that bounds it.

Per Monte-Carlo sample the sweep keeps its whole history: the forward tangent
G(p, j) = g'(p) D(p, j) for j < p ≤ K (int16 with a float32 scale per entry and chunk of
samples, K(K+1)/2 entries), the path normals z, the forces g and curvatures g' (float64, K+1
each) and the selection path (uint8). So one sweep needs ≈ n_s (K² + 25K) bytes — 1.25 GB at
K = 100, n_s = 10⁵ — and this cannot be cut by
processing the samples in sequence: every kernel at step k is a mean over *all* samples,
and every sample's step k needs the kernels of step k − 1, so all samples advance in
lockstep with their histories in memory.

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


def tri_size(rows: int) -> int:
    """Packed size of the strict lower triangle of a rows × rows matrix."""
    return rows * (rows - 1) // 2


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
    """Bytes of the per-sample arrays of one sweep of `rows` = K + 1 steps (samples padded to
    whole chunks of `chunk` in the tangent)."""
    n_chunks = math.ceil(n_samples / chunk)
    tangent = (2 * n_chunks * chunk + 4 * n_chunks) * max(tri_size(rows + 1), 1)     # int16 + scales
    paths = n_samples * rows * (8 + 8 + 8 + 1)        # z, g, g', selection
    return tangent + paths + 16 * n_samples           # τ, y


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
