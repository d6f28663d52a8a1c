"""Integrate the compiled order-parameter ODEs and evaluate observables."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from statc.dsl import NumericalError, StatcError

from .layout import Layout

_STATUS = {
    1: "the state became non-finite or exceeded 1e100",
    2: "the step size collapsed (the equations are too stiff or singular here)",
    3: "the maximum number of steps was reached",
}


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
    if n < 1:
        raise StatcError("the number of recording times must be at least 1")
    if mode == "linear":
        return np.linspace(opts.t0, opts.t_end, int(n) + 1)
    span = opts.t_end - opts.t0
    start = span * 1e-4
    return np.concatenate([[opts.t0], opts.t0 + np.geomspace(start, span, int(n))])


def integrate(module, layout: Layout, y0: np.ndarray, P: np.ndarray, opts: RunOptions,
              seg_t: np.ndarray | None = None, seg_P: np.ndarray | None = None,
              times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Integrate from ``y0``; return (record times, states, info).

    ``times`` (sorted, starting at ``opts.t0``) replaces the recording grid.
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
    Y = np.full((t_rec.size, y0.size), np.nan)
    info = np.zeros(5)
    if opts.method == "rk4":
        if not opts.dt > 0:
            raise StatcError("the RK4 step `dt` must be positive")
        module.integrate_rk4(y0.astype(np.float64), seg_t, seg_P, t_rec, float(opts.dt), Y, info)
    elif opts.method == "dopri5":
        module.integrate_dopri(y0.astype(np.float64), seg_t, seg_P, t_rec, float(opts.rtol),
                               float(opts.atol), 0.0, int(opts.max_steps), Y, info)
    else:
        raise StatcError(f"unknown integration method `{opts.method}`", expected="`dopri5` or `rk4`")
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
            hint="a learning rate above the stability limit makes the overlaps diverge; "
                 "try a smaller learning rate" if status == 1 else
                 "try `--method rk4 --dt 0.01` or looser tolerances")
    return t_rec, Y, meta


def observables(module, meta: dict, t: np.ndarray, Y: np.ndarray, P: np.ndarray,
                rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Observables at the recorded times; ``rows[r]``: the parameters in force at t[r]."""
    names = meta["observables"]
    out = np.zeros(len(names))
    cols = {n: np.empty(t.size) for n in names}
    for r in range(t.size):
        Pr = P if rows is None else rows[r]
        module.observables(t[r], Y[r], Pr, out)
        for k, n in enumerate(names):
            cols[n][r] = out[k]
    return cols


def trajectory(layout: Layout, t: np.ndarray, Y: np.ndarray, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    cols = {"t": t}
    cols.update(obs)
    for name, flat in layout.columns():
        cols[name] = Y[:, flat]
    return cols
