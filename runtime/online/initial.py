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
    return y


def _apply_init_block(model, layout: Layout, values, y) -> None:
    for it in model.inits:
        b = layout.block(it.name)
        view = y[b.offset:b.offset + b.size].reshape(b.shape)
        ranges = [range(n) for n in b.shape]
        for idx in itertools.product(*ranges):
            env = dict(values)
            env.update({name: i + 1 for name, i in zip(it.indices, idx)})
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
