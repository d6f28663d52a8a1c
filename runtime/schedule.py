"""Parameters as piecewise-constant functions of time (schedules).

A schedule comes from the file (``schedule Delta { 0 .. 6 = 0; 6 .. 12 = 2 }``)
or from a CSV (``--schedule file.csv``: a column ``t`` and one column per
scheduled parameter; the value of row i holds from t_i until t_{i+1}, the
last row until the end; other columns — observables of a ``control.csv`` —
are ignored).  Outside its pieces a parameter keeps its ordinary value.

The integrator receives the union of all breakpoints as segments with one
parameter vector each, so the adaptive steps never straddle a jump; the
simulator switches parameters at the step nearest to each breakpoint.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from statc.dsl import StatcError
from statc.dsl.evaluate import evaluate

Pieces = list[tuple[float, float, float]]          # (start, end, value)


def from_model(model, values: dict[str, float], schedules=None) -> dict[str, Pieces]:
    """Pieces of the file's `schedule` blocks (or of ``schedules``, e.g. a control baseline's)."""
    out: dict[str, Pieces] = {}
    for sc in model.schedules if schedules is None else schedules:
        pieces = []
        for p in sc.pieces:
            try:
                a, b, v = (evaluate(e, values) for e in (p.t0, p.t1, p.value))
            except StatcError as err:
                raise err.located(model.filename, model.source) from None
            if not b > a:
                raise StatcError(f"empty schedule piece {a:g} .. {b:g}", p.span,
                                 hint="pieces are `start .. end = value` with start < end",
                                 filename=model.filename, source=model.source)
            pieces.append((a, b, v))
        pieces.sort()
        for (a0, b0, _), (a1, _, _) in zip(pieces, pieces[1:]):
            if a1 < b0:
                raise StatcError(f"schedule of `{sc.name}` has overlapping pieces at t = {a1:g}",
                                 sc.span, filename=model.filename, source=model.source)
        out[sc.name] = pieces
    return out


def from_csv(path: str | Path, params: list[str], int_params: list[str]) -> dict[str, Pieces]:
    path = Path(path)
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise StatcError(f"cannot read schedule `{path}`: {err.strerror}") from None
    if not rows or "t" not in rows[0]:
        raise StatcError(f"schedule `{path}` needs a header with a column `t` and at least one row",
                         hint="e.g. `t,eta` then rows `0,1.0` and `5,0.5`")
    names = [c for c in rows[0] if c in params and c not in int_params]
    if not names:
        raise StatcError(f"schedule `{path}` has no column named after a parameter",
                         expected="one of " + ", ".join(p for p in params if p not in int_params))
    try:
        t = np.array([float(r["t"]) for r in rows])
        cols = {n: np.array([float(r[n]) for r in rows]) for n in names}
    except (TypeError, ValueError):
        raise StatcError(f"schedule `{path}` has a value that is not a number") from None
    if np.any(np.diff(t) <= 0):
        raise StatcError(f"the times of schedule `{path}` must increase strictly")
    ends = np.append(t[1:], math.inf)
    return {n: [(float(a), float(b), float(v)) for a, b, v in zip(t, ends, cols[n])] for n in names}


def segments(param_order: list[str], values: dict[str, float], schedules: dict[str, Pieces],
             t0: float, t_end: float) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints seg_t (t0 … t_end) and one parameter row per segment."""
    cuts = {t0, t_end}
    for pieces in schedules.values():
        for a, b, _ in pieces:
            for x in (a, b):
                if t0 < x < t_end:
                    cuts.add(x)
    seg_t = np.array(sorted(cuts))
    base = np.array([values[p] for p in param_order], dtype=np.float64)
    seg_P = np.tile(base, (seg_t.size - 1, 1))
    for name, pieces in schedules.items():
        j = param_order.index(name)
        for s in range(seg_t.size - 1):
            mid = 0.5 * (seg_t[s] + seg_t[s + 1])
            for a, b, v in pieces:
                if a <= mid < b:
                    seg_P[s, j] = v
    return seg_t, seg_P


def at(seg_t: np.ndarray, seg_P: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Parameter rows in force at times t (a jump belongs to the later segment)."""
    s = np.clip(np.searchsorted(seg_t, t, side="right") - 1, 0, seg_P.shape[0] - 1)
    return seg_P[s]


def params_at(param_order: list[str], values: dict[str, float], schedules: dict[str, Pieces],
              t: float) -> np.ndarray:
    """The parameter vector in force at time t.

    A jump belongs to the later piece; a piece that nothing follows also holds
    at its end (``5 .. 10 = 0.1`` with a run ending at 10 reads 0.1 at t = 10).
    Theory and simulator both read parameters through this function.
    """
    row = np.array([values[p] for p in param_order], dtype=np.float64)
    for name, pieces in schedules.items():
        starts = {a for a, _, _ in pieces}
        for a, b, v in pieces:
            if a <= t < b or (t == b and b not in starts):
                row[param_order.index(name)] = v
    return row
