"""Numba kernels of the causal DMFT sweep (DMFT.md §5).

The sample-side step (source and memory layout in compiler/dmft/sample_step.py, compiled
inside each generated module) advances all n_s Monte-Carlo copies of the sample-side process
by one step k, in parallel over blocks of samples:

    ω(k) = Σ_{l≤k} L(k, l) z(l)                              (conditional extension)
    h(k) = m_k τ + √Δ ω(k) − ηΔ Σ_{j<k} R(k, j) g(j)          (field with memory)
    g(k) = κ s(k) ℓ'(y, h(k)),   g'(k) = κ s(k) ℓ''(y, h(k))
    D(k, j) = ∂h(k)/∂h(j):  a(p) = −ηΔ g'(p)(R(k, p) + Σ_{q=p+1}^{k−1} R(q, p) a(q)) = D(k, p)
    (reverse mode, p = k − 1 … 0, from the stored paths g' only)

and accumulates, per block, the sums whose means are the kernels Γ(k, j) = E[g'(k) D(k, j)]
(j ≤ k), E_gg(k, l) = E[g(k) g(l)] (l ≤ k), E[τ g(k)], the training loss E[ℓ(y, h(k))] and
the training error E[1{y h(k) < 0}]. This module holds the small serial pieces around it
(Cholesky row, reduction of the block sums).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit

from .losses import Loss

#: extra slots after Γ (k+1 entries) and E_gg (k+1 entries) in a row of partial sums
EXTRA = 3          # E[τ g], training loss, training error


def sample_step_kernel(loss: Loss):
    """The parallel sample-side step for `loss`: the generated module's own kernel for a
    compiled model, else (registry losses) a module generated once into the kernel cache."""
    if loss.step is not None:
        return loss.step
    return _registry_module(loss).sample_step


@lru_cache(maxsize=None)
def _registry_module(loss: Loss):
    from statc.compiler.cache import KernelCache, kernel_key as source_key
    from statc.compiler.dmft.codegen import registry_module
    names = tuple(f.py_func.__name__ for f in (loss.value, loss.d1, loss.d2))
    source = registry_module(loss.value.py_func.__module__, names)
    kernel_key = source_key(source)
    cache = KernelCache()
    cache.store(kernel_key, kernel_key, source, {"dmft_registry_loss": loss.name})
    return cache.load_module(kernel_key)


@njit(cache=True)
def cholesky_row(C_row, L, k, tol):
    """Row k of the lower Cholesky factor L of C, given rows < k; semi-definite aware.

    L(k, l) = (C(k, l) − Σ_{j<l} L(k, j) L(l, j)) / L(l, l), set to 0 where the pivot
    L(l, l) was dropped; pivot² = C(k, k) − Σ_{l<k} L(k, l)². A pivot² ≤ tol·scale (scale
    the largest diagonal so far) is dropped (L(k, k) = 0): the new direction is already
    spanned by the past path. Returns pivot² / scale (negative beyond round-off means C is
    not positive semi-definite; the caller reports it).
    """
    scale = 0.0
    for l in range(k):
        if L[l, l] * L[l, l] > scale:
            scale = L[l, l] * L[l, l]
    if C_row[k] > scale:
        scale = C_row[k]
    s2 = 0.0
    for l in range(k):
        if L[l, l] > 0.0:
            acc = C_row[l]
            for j in range(l):
                acc -= L[k, j] * L[l, j]
            L[k, l] = acc / L[l, l]
        else:
            L[k, l] = 0.0
        s2 += L[k, l] * L[k, l]
    piv2 = C_row[k] - s2
    if scale <= 0.0:
        L[k, k] = 0.0
        return 0.0
    L[k, k] = math.sqrt(piv2) if piv2 > tol * scale else 0.0
    return piv2 / scale


@njit(cache=True)
def reduce_partial(partial, k, n, gamma, egg, scalars):
    """Sample means of the block sums of step k into Γ[k, :k+1], E_gg (both triangles) and
    `scalars` (E[τ g], training loss, training error, then the model's training averages)."""
    width = 2 * (k + 1) + scalars.shape[0]
    tot = np.zeros(width)
    for c in range(partial.shape[0]):
        for i in range(width):
            tot[i] += partial[c, i]
    for j in range(k + 1):
        gamma[k, j] = tot[j] / n
        egg[k, j] = tot[k + 1 + j] / n
        egg[j, k] = egg[k, j]
    for i in range(scalars.shape[0]):
        scalars[i] = tot[2 * (k + 1) + i] / n
