"""Initial conditions of the order parameters and scalars.

Three sources, applied in this order:

1. the declared distributions: vectors ``~ gaussian(scale = s)`` are drawn at a
   finite ``init_N`` (default 1000, seeded) and their overlaps measured —
   ``init_N = 0`` takes the N → ∞ values instead (s² δ_ab within a family, 0
   across families); scalars take their declared values;
2. the file's ``init { ... }`` block, entry by entry;
3. a previous run's ``trajectory.csv`` (its last row), when given.
"""
from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np

from statc.dsl import StatcError
from statc.dsl.evaluate import evaluate

from .layout import Layout


def _vectors(meta, layout: Layout, module, P, init_N: int, seed: int | None):
    scales = module.vector_scales(P)
    sizes = {}
    for b in layout.blocks:
        if b.kind == "overlap":
            sizes[b.families[0]] = b.shape[0]
            sizes[b.families[1]] = b.shape[1]
    if init_N <= 0:
        return None, scales, sizes
    rng = np.random.default_rng(seed)
    draws = {name: rng.standard_normal((sizes[name], init_N)) * scales[name]
             for name in sizes}
    return draws, scales, sizes


def initial_state(compiled, layout: Layout, values: dict[str, float], P: np.ndarray,
                  init_N: int = 1000, seed: int | None = 0, from_csv: str | Path | None = None,
                  draws: dict | None = None) -> np.ndarray:
    meta, module = compiled.meta, compiled.module
    y = np.zeros(layout.size)
    if draws is None:
        draws, scales, _ = _vectors(meta, layout, module, P, init_N, seed)
    else:
        scales = module.vector_scales(P)
    for b in layout.blocks:
        view = y[b.offset:b.offset + b.size].reshape(b.shape)
        if b.kind == "overlap":
            u, w = b.families
            if draws is not None:
                n = draws[u].shape[1]
                view[:] = draws[u] @ draws[w].T / n
            elif u == w:
                view[:] = np.eye(b.shape[0]) * scales[u] ** 2
        else:
            view[:] = module.scalar_inits(P)[b.name]
    _apply_init_block(compiled.model, layout, values, y)
    if from_csv is not None:
        _apply_csv(layout, Path(from_csv), y)
    check_gram(compiled.model, layout, y, source=f"`{from_csv}`" if from_csv is not None else None)
    return y


def check_gram(model, layout: Layout, y: np.ndarray, source: str | None = None) -> None:
    """Refuse initial overlaps that no vectors can have.

    The overlaps u_a·u_b/N of real vectors form a Gram matrix, which is
    positive semi-definite; the fields are Gaussian with this covariance, so a
    matrix with a negative eigenvalue (e.g. |R|² > Q T) has no meaning and
    would make the Gaussian expectations NaN.  Checked on every principal
    submatrix whose blocks the model tracks (all of it when every pair of
    vector families has an order parameter).  The error points at the `init`
    statements that set the offending blocks.
    """
    blocks = {frozenset(b.families): b for b in layout.blocks if b.kind == "overlap"}
    families = list(dict.fromkeys(f for b in layout.blocks if b.kind == "overlap" for f in b.families))
    groups = [families] if all(frozenset((u, w)) in blocks for u in families for w in families) else \
        [[u, w] if u != w else [u] for i, u in enumerate(families) for w in families[i:]
         if frozenset((u, w)) in blocks and frozenset((u,)) in blocks and frozenset((w,)) in blocks]
    for group in groups:
        sizes = [blocks[frozenset((f,))].shape[0] for f in group]
        offs = np.cumsum([0] + sizes)
        G = np.zeros((offs[-1], offs[-1]))
        for i, u in enumerate(group):
            for j, w in enumerate(group):
                b = blocks[frozenset((u, w))]
                M = y[b.offset:b.offset + b.size].reshape(b.shape)
                G[offs[i]:offs[i + 1], offs[j]:offs[j + 1]] = M if b.families == (u, w) else M.T
        if not np.all(np.isfinite(G)):
            continue                      # non-finite entries are the integrator's to report
        low = float(np.linalg.eigvalsh((G + G.T) / 2).min())
        scale = max(1.0, float(np.abs(np.diag(G)).max()))
        if low >= -1e-9 * scale:          # rounding of a measured Gram matrix is ~1e-15 * scale
            continue
        names = {blocks[frozenset((u, w))].name for u in group for w in group}
        inits = [it for it in model.inits if it.name in names]
        from_where = source or ("the `init` block" if inits else "the declared distributions")
        err = StatcError(
            f"the initial overlaps of {', '.join(f'`{f}`' for f in group)} are not a valid covariance "
            f"(smallest eigenvalue {low:.4g} < 0), set by {from_where}",
            inits[0].span if inits and source is None else None,
            expected="overlaps that vectors can have: a positive semi-definite matrix",
            hint="e.g. R[k,m]^2 <= Q[k,k] T[m,m] and |Q[k,l]| <= sqrt(Q[k,k] Q[l,l]); "
                 f"the blocks involved: {', '.join(sorted(names))}")
        raise err.located(model.filename, model.source) if err.span else err


def _apply_init_block(model, layout: Layout, values, y) -> None:
    for it in model.inits:
        b = layout.block(it.name)
        view = y[b.offset:b.offset + b.size].reshape(b.shape)
        ranges = [range(n) for n in b.shape]
        for idx in itertools.product(*ranges):
            if any(isinstance(n, int) and n != i + 1 for n, i in zip(it.indices, idx)):
                continue                  # a literal entry, `Q[1,2] = ...`: only that one
            env = dict(values)
            env.update({name: i + 1 for name, i in zip(it.indices, idx) if isinstance(name, str)})
            try:
                view[idx] = evaluate(it.value, env)
            except StatcError as err:
                raise err.located(model.filename, model.source) from None
            if b.symmetric and len(idx) == 2:
                view[idx[1], idx[0]] = view[idx]


def _apply_csv(layout: Layout, path: Path, y) -> None:
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise StatcError(f"cannot read `{path}`: {err.strerror}") from None
    if not rows:
        raise StatcError(f"`{path}` has no rows", hint="pass a trajectory.csv written by `statc run`")
    last = rows[-1]
    for b in layout.blocks:
        for name, flat in b.entries():
            if name not in last:
                raise StatcError(f"`{path}` has no column `{name}`",
                                 hint="the trajectory must come from the same model and sizes")
            y[flat] = float(last[name])
            if b.kind == "overlap" and b.symmetric:
                local = flat - b.offset
                a, c = divmod(local, b.shape[1])
                y[b.offset + c * b.shape[1] + a] = y[flat]
