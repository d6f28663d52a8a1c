"""Integrate the compiled order-parameter ODEs and evaluate observables."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from statc.dsl import NumericalError, StatcError
from statc.dsl.values import MAX_RECORDS

from .layout import Layout

_STATUS = {
    -1: "a division by zero in the right-hand side (some denominator vanished)",
    1: "the state became non-finite or exceeded 1e100",
    2: "the step size collapsed (the equations are too stiff or singular here)",
    3: "the maximum number of steps was reached",
}


_HINTS = {
    -1: "a parameter or an overlap took a value where the equations are singular "
        "(e.g. a zero variance, or overlaps grown to overflow); check the parameters",
    1: "a learning rate above the stability limit makes the overlaps diverge; "
       "try a smaller learning rate",
    2: "try `--method rk4 --dt 0.01` or looser tolerances",
    3: "the run needs more steps than allowed; shorten it or loosen the tolerances",
}

#: The largest trajectory array (records × state entries, 8 bytes each): 2 GiB.
MAX_TRAJECTORY_ENTRIES = 2**28


@dataclass
class RunOptions:
    t0: float = 0.0
    t_end: float = 100.0
    record: tuple[str, int] = ("log", 200)
    method: str = "dopri5"
    rtol: float = 1e-8
    atol: float = 1e-10
    dt: float = 0.01
    max_steps: int = 10_000_000


@dataclass
class Trajectory:
    """Columns keyed by name: ``t``, observables, order parameters, scalars."""

    columns: dict[str, np.ndarray]
    info: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def keys(self):
        return self.columns.keys()


def record_times(opts: RunOptions) -> np.ndarray:
    mode, n = opts.record
    if not 1 <= n <= MAX_RECORDS:
        raise StatcError(f"the number of recording times must be in 1..{MAX_RECORDS:,}, got {n:,}",
                         hint="the integrator stops at every recorded time; "
                              "`--record 'log 200'` is plenty for a plot")
    if mode == "linear":
        return np.linspace(opts.t0, opts.t_end, int(n) + 1)
    span = opts.t_end - opts.t0
    start = span * 1e-4
    return np.concatenate([[opts.t0], opts.t0 + np.geomspace(start, span, int(n))])


def _check_memory(n_rec: int, n_state: int) -> None:
    """Refuse a trajectory array too large to allocate (records × state entries)."""
    if n_rec * n_state > MAX_TRAJECTORY_ENTRIES:
        raise StatcError(f"the trajectory would hold {n_rec:,} records × {n_state:,} state entries "
                         f"= {n_rec * n_state * 8 / 2**30:.3g} GiB, more than the "
                         f"{MAX_TRAJECTORY_ENTRIES * 8 / 2**30:.3g} GiB allowed",
                         hint="record fewer times (`--record 'log 100'`) or use smaller sizes")


def _clip(seg_t: np.ndarray, seg_P: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """The parameter segments from time t on."""
    first = min(max(int(np.searchsorted(seg_t, t, side="right")) - 1, 0), seg_P.shape[0] - 1)
    sub_t = seg_t[first:].copy()
    sub_t[0] = t
    return sub_t, seg_P[first:]


#: Wall time of one uninterruptible kernel call: Ctrl-C is answered between calls.
CHUNK_SECONDS = 0.1


def _dopri(module, y0, seg_t, seg_P, t_rec, opts: RunOptions, Y) -> np.ndarray:
    """Adaptive integration in resumable chunks of accepted steps.

    The kernel pauses after `budget` steps and leaves its state and step size
    behind, so resuming gives the trajectory of one uninterrupted call; the
    budget adapts so that a chunk lasts about :data:`CHUNK_SECONDS`.
    """
    from . import integrators          # loads its cached machine code: only when integrating
    rhs = integrators.first_class(module.rhs)
    y = y0.astype(np.float64).copy()
    t, h, r, budget = float(seg_t[0]), 0.0, 0, 64
    total = np.zeros(6)
    while True:
        sub_t, sub_P = _clip(seg_t, seg_P, t)
        info = np.zeros(6)
        left = int(opts.max_steps - total[3])
        start = time.perf_counter()
        try:
            integrators.integrate_dopri(rhs, y, sub_t, sub_P, t_rec[r:], float(opts.rtol),
                                        float(opts.atol), h, min(budget, left), Y[r:], info)
        except ZeroDivisionError:
            info[:2] = -1.0, t
            return np.concatenate([info[:2], total[2:4], [-1.0]])
        wall = time.perf_counter() - start
        total[2:4] += info[2:4]
        t, h = float(info[1]), float(info[5])
        r = int(np.searchsorted(t_rec, t, side="right"))
        if int(info[0]) != 3 or total[3] >= opts.max_steps:
            return np.concatenate([info[:2], total[2:4], info[4:5]])
        budget = int(min(max(budget * CHUNK_SECONDS / max(wall, 1e-6), 16), 1 << 24))


def _rk4(module, y0, seg_t, seg_P, t_rec, opts: RunOptions, Y) -> np.ndarray:
    """Fixed-step RK4, one kernel call per group of recording intervals (each is
    integrated on its own grid, so splitting between records changes nothing)."""
    from . import integrators
    rhs = integrators.first_class(module.rhs)
    y = y0.astype(np.float64)
    r, total, group = 0, np.zeros(5), 1
    t = float(seg_t[0])
    while True:
        end = min(r + group, t_rec.size - 1)
        sub_t, sub_P = _clip(seg_t, seg_P, t)
        if end < t_rec.size - 1:              # stop at record `end`: the segments before it
            b = float(t_rec[end])
            n = max(1, int(np.searchsorted(sub_t, b, side="left")))
            sub_t, sub_P = np.append(sub_t[:n], b), sub_P[:n]
        info = np.zeros(5)
        start = time.perf_counter()
        try:
            integrators.integrate_rk4(rhs, y, sub_t, sub_P, t_rec[r:end + 1], float(opts.dt),
                                      Y[r:end + 1], info)
        except ZeroDivisionError:
            return np.array([-1.0, t, total[2], total[3], -1.0])
        wall = time.perf_counter() - start
        total[2:4] += info[2:4]
        if int(info[0]) != 0 or end >= t_rec.size - 1:
            return np.concatenate([info[:2], total[2:4], info[4:5]])
        r, t, y = end, float(t_rec[end]), Y[end].copy()
        group = int(min(max(group * CHUNK_SECONDS / max(wall, 1e-6), 1), 1 << 20))


_METHODS = {"dopri5": _dopri, "rk4": _rk4}


def integrate(module, layout: Layout, y0: np.ndarray, P: np.ndarray, opts: RunOptions,
              seg_t: np.ndarray | None = None, seg_P: np.ndarray | None = None,
              times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Integrate from ``y0``; return (record times, states, info).

    ``times`` (sorted, starting at ``opts.t0``) replaces the recording grid.
    The kernels run in chunks of about :data:`CHUNK_SECONDS`, so Ctrl-C
    (KeyboardInterrupt) stops a run within a fraction of a second.
    """
    if times is not None:
        opts = RunOptions(**{**opts.__dict__, "t_end": float(times[-1])})
    if not opts.t_end > opts.t0:
        raise StatcError(f"the end time {opts.t_end:g} must be after the start time {opts.t0:g}",
                         hint="set it with `--t-end` or `run { time 0 .. T }`")
    t_rec = record_times(opts) if times is None else np.asarray(times, dtype=np.float64)
    if seg_t is None:
        seg_t = np.array([opts.t0, opts.t_end])
        seg_P = P[None, :].copy()
    seg_t = np.asarray(seg_t, dtype=np.float64).copy()
    seg_t[-1] = max(seg_t[-1], float(t_rec[-1]))
    if opts.method not in _METHODS:
        raise StatcError(f"unknown integration method `{opts.method}`", expected="`dopri5` or `rk4`")
    if opts.method == "rk4" and not opts.dt > 0:
        raise StatcError("the RK4 step `dt` must be positive")
    _check_memory(t_rec.size, y0.size)
    Y = np.full((t_rec.size, y0.size), np.nan)
    info = _METHODS[opts.method](module, y0, seg_t, np.ascontiguousarray(seg_P), t_rec, opts, Y)
    status = int(info[0])
    meta = {"rhs_evaluations": int(info[2]), "steps": int(info[3]), "method": opts.method}
    if status != 0:
        t_fail = info[1]
        last = np.where(np.all(np.isfinite(Y), axis=1))[0]
        detail = ""
        if status == 1 and info[4] >= 0:
            detail = f"; first bad entry: {layout.entry_name(int(info[4]))}"
        good = Y[last[-1]] if last.size else y0
        worst = int(np.argmax(np.abs(good)))
        raise NumericalError(
            f"integration stopped at t = {t_fail:.6g}: {_STATUS.get(status, 'unknown failure')}{detail}"
            f" (largest entry at the last good record: {layout.entry_name(worst)} = {good[worst]:.4g})",
            hint=_HINTS.get(status))
    return t_rec, Y, meta


def observables(module, meta: dict, t: np.ndarray, Y: np.ndarray, P: np.ndarray,
                rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Observables at the recorded times; ``rows[r]``: the parameters in force at t[r].

    A NaN or infinite observable is numerical trouble, reported with its time
    (the state was finite there, so the observable's own formula is at fault).
    """
    names = meta["observables"]
    out = np.zeros(len(names))
    cols = {n: np.empty(t.size) for n in names}
    for r in range(t.size):
        Pr = P if rows is None else rows[r]
        try:
            module.observables(t[r], Y[r], Pr, out)
        except ZeroDivisionError:
            raise NumericalError(f"an observable divides by zero at t = {t[r]:.6g}",
                                 hint="an expression in `observe` is singular at this state "
                                      "(e.g. a ratio of overlaps that are 0)") from None
        for k, n in enumerate(names):
            if not np.isfinite(out[k]):
                raise NumericalError(
                    f"observable `{n}` is {out[k]} at t = {t[r]:.6g} (the state is finite there)",
                    hint=f"the formula of `{n}` in `observe` overflows or is undefined at this state")
            cols[n][r] = out[k]
    return cols


def trajectory(layout: Layout, t: np.ndarray, Y: np.ndarray, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    cols = {"t": t}
    cols.update(obs)
    for name, flat in layout.columns():
        cols[name] = Y[:, flat]
    return cols
