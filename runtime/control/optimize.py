"""`statc optimize`: optimal protocols on the derived equations.

Steps (see README, "Optimal protocols"):

1. the best *constant* protocol: a grid over each time-dependent control's
   range, then L-BFGS-B on the constant values (and final-time controls);
2. the optimal protocol from there (and from ``multistart − 1`` random
   protocols): L-BFGS-B with box bounds, SLSQP when the file sets budgets,
   gradients from the exact discrete adjoint;
3. a discrete control is optimised relaxed (fractions of samples per
   interval), rounded by sum-up rounding (a `fraction` budget is then restored
   exactly), and refined by moving single switches one interval while the
   objective improves;
4. outputs: ``control.csv``, ``summary.json`` (key ``objective``),
   ``control.png`` — all written atomically.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import optimize as sopt

from statc.dsl import NumericalError, StatcError
from statc.dsl.evaluate import evaluate

from .problem import ControlProblem
from .projection import MeanBand, projector, spg
from statc.runtime.results import write_csv, write_figure, write_json
from statc.runtime.schedule import from_model


@dataclass
class Result:
    z: np.ndarray
    objective: float
    constant_z: np.ndarray
    constant_objective: float
    relaxed_objective: float | None
    baselines: dict[str, float]
    iterations: int
    timings: dict = field(default_factory=dict)
    messages: list = field(default_factory=list)


def _project(p: ControlProblem, z: np.ndarray) -> np.ndarray:
    lo, hi = np.array(p.bounds()).T
    return np.clip(z, lo, hi)


def _bands(p: ControlProblem) -> list[MeanBand] | None:
    """Budgets as bands on block means, or None when they are not of that form (m > 2 values)."""
    if p.choice is not None and len(p.choice.values) > 2:
        return None
    sl = p.slices()
    bands: dict[str, MeanBand] = {}
    for kind, name, value, rel, bound in p.budgets:
        target = bound
        flip = False
        if kind == "fraction" and abs(value - p.choice.values[0]) <= 1e-12 * max(1.0, abs(value)):
            target, flip = 1.0 - bound, True     # the variable is the fraction of the other value
        band = bands.setdefault(name, MeanBand(sl[name], -np.inf, np.inf))
        le, ge = (rel in ("<=", "=")), (rel in (">=", "="))
        if flip:
            le, ge = ge, le
        if le:
            band.high = min(band.high, target)
        if ge:
            band.low = max(band.low, target)
    return list(bands.values())


def _minimize(p: ControlProblem, z0: np.ndarray, maxiter: int, tol: float, progress=None):
    cons = p.budget_constraints()

    def fun(z):
        try:
            J, g = p.value_and_grad(z)
        except NumericalError:
            # a diverging trial protocol: a line search backs off from an infinite value
            return np.inf, np.zeros(z.size)
        if progress is not None:
            progress(J)
        return J, g
    bands = _bands(p) if cons else None
    if bands is not None and cons:
        x, f, nit, msg = spg(fun, z0, projector(p.bounds(), bands), maxiter=maxiter, tol=tol)
        return x, float(f), nit, msg
    if cons:
        clean = [{k: v for k, v in c.items() if k != "describe"} for c in cons]
        res = sopt.minimize(fun, z0, jac=True, method="SLSQP", bounds=p.bounds(), constraints=clean,
                            options={"maxiter": maxiter, "ftol": tol})
    else:
        res = sopt.minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=p.bounds(),
                            options={"maxiter": maxiter, "ftol": tol, "gtol": 1e-10})
    return _project(p, res.x), float(res.fun), int(res.nit), str(res.message)


def best_constant(p: ControlProblem, maxiter: int, tol: float) -> tuple[np.ndarray, float]:
    """The best protocol that is constant in time (subject to the budgets)."""
    timed = p.timed
    ch = p.choice
    fixed_fr = None
    if ch is not None:
        m = len(ch.values)
        fixed_fr = [1.0 / m] * (m - 1)
        for kind, name, value, rel, bound in p.budgets:
            if kind == "fraction" and rel == "=":
                k = min(range(m), key=lambda j: abs(ch.values[j] - value))
                rest = (1.0 - bound) / (m - 1)
                fixed_fr = [bound if j == k else rest for j in range(1, m)] if k > 0 else \
                    [(1.0 - bound) / (m - 1)] * (m - 1)
    upper = {c.name: c.values[1] for c in timed}
    lower = {c.name: c.values[0] for c in timed}
    for kind, name, value, rel, bound in p.budgets:
        if kind == "mean" and rel in ("<=", "="):
            upper[name] = min(upper[name], bound)
        if kind == "mean" and rel in (">=", "="):
            lower[name] = max(lower[name], bound)
    start = {c.name: p.values[c.name] for c in timed}
    best = (np.inf, None)
    grid_name = timed[0].name if timed else None
    grid = np.linspace(lower[grid_name], upper[grid_name], 41) if timed else [None]

    def at(g):
        vals = dict(start)
        if grid_name is not None:
            vals[grid_name] = g
        z = p.constant({k: min(max(v, lower[k]), upper[k]) for k, v in vals.items()},
                       fractions=fixed_fr)
        try:
            return p.objective(z), z
        except Exception:                  # noqa: BLE001 — a diverging constant is just not the best
            return None

    # the grid's forward solves are independent and release the GIL: one thread per core
    with ThreadPoolExecutor(max_workers=max(1, min(len(grid), os.cpu_count() or 1))) as pool:
        for r in pool.map(at, grid):       # in grid order: the same choice as a serial scan
            if r is not None and r[0] < best[0]:
                best = r
    if best[1] is None:
        raise StatcError("every constant protocol diverges", hint="narrow the control bounds")
    z = best[1]
    # polish: the constant values (and final controls, and free fractions) by L-BFGS-B
    free = [c.name for c in timed] + [c.name for c in p.finals]
    free_fr = ch is not None and not any(k == "fraction" and r == "=" for k, _, _, r, _ in p.budgets)
    sl = p.slices()

    def expand(x):
        zz = z.copy()
        o = 0
        for name in free:
            zz[sl[name]] = x[o]
            o += 1
        if free_fr:
            m = len(ch.values) - 1
            zz[sl[ch.name]] = np.repeat(x[o:o + m], p.n)
        return zz

    def fun(x):
        J, g = p.value_and_grad(expand(x))
        gx = [g[sl[name]].sum() for name in free]
        if free_fr:
            m = len(ch.values) - 1
            gx += list(g[sl[ch.name]].reshape(m, p.n).sum(axis=1))
        return J, np.array(gx)
    x0 = [z[sl[name]][0] for name in free]
    bounds = [(lower[c.name], upper[c.name]) for c in timed] + [tuple(c.values) for c in p.finals]
    if free_fr:
        m = len(ch.values) - 1
        x0 += list(z[sl[ch.name]].reshape(m, p.n)[:, 0])
        band = next((b for b in (_bands(p) or []) if b.block == sl[ch.name]), None)
        if band is not None and m == 1:        # an inequality budget on the fraction
            bounds.append((max(0.0, band.low), min(1.0, band.high)))
            x0[-1] = min(max(x0[-1], bounds[-1][0]), bounds[-1][1])
        else:
            bounds += [(0.0, 1.0)] * m
    if x0:
        res = sopt.minimize(fun, np.array(x0), jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": maxiter, "ftol": tol})
        if res.fun < best[0]:
            return expand(res.x), float(res.fun)
    return z, float(best[0])


def _round(p: ControlProblem, z: np.ndarray) -> np.ndarray:
    """Round the fractions of a discrete control to one value per interval.

    Sum-up rounding (Sager, Bock & Diehl 2012): walk through the intervals,
    accumulate each value's share and give the interval to the value with the
    largest accumulated deficit.  The rounded protocol's running shares stay
    within one interval of the relaxed ones, so its trajectory stays close to
    the relaxed trajectory; a `fraction` budget is then restored exactly by
    reassigning the intervals where the relaxed share of the value is largest
    (or smallest).
    """
    ch = p.choice
    sl = p.slices()[ch.name]
    m = len(ch.values)
    W = p.weights(z)
    pick = np.zeros(p.n, dtype=int)
    deficit = np.zeros(m)
    for i in range(p.n):
        deficit += W[i]
        pick[i] = int(np.argmax(deficit))
        deficit[pick[i]] -= 1.0
    for kind, name, value, rel, bound in p.budgets:
        if kind != "fraction":
            continue
        k = min(range(m), key=lambda j: abs(ch.values[j] - value))
        count = int(round(bound * p.n))
        have = int((pick == k).sum())
        if have > count and rel in ("=", "<="):
            drop = [i for i in np.argsort(W[:, k], kind="stable") if pick[i] == k][:have - count]
            for i in drop:
                pick[i] = int(np.argmax(np.where(np.arange(m) == k, -1.0, W[i])))
        elif have < count and rel in ("=", ">="):
            add = [i for i in np.argsort(-W[:, k], kind="stable") if pick[i] != k][:count - have]
            pick[add] = k
    out = z.copy()
    onehot = np.zeros((m - 1, p.n))
    for i, k in enumerate(pick):
        if k > 0:
            onehot[k - 1, i] = 1.0
    out[sl] = onehot.reshape(-1)
    return out


def _refine_switches(p: ControlProblem, z: np.ndarray, J: float, max_passes: int = 50):
    """Move switches of a two-valued protocol by one interval while it helps (budgets kept)."""
    ch = p.choice
    sl = p.slices()[ch.name]
    keep_count = any(k == "fraction" for k, *_ in p.budgets)
    for _ in range(max_passes):
        improved = False
        s = z[sl].copy()
        for i in range(p.n - 1):
            if s[i] == s[i + 1]:
                continue
            cand = [np.concatenate([s[:i], [s[i + 1], s[i]], s[i + 2:]])]     # shift the switch
            if not keep_count:
                cand += [np.where(np.arange(p.n) == i, s[i + 1], s),
                         np.where(np.arange(p.n) == i + 1, s[i], s)]
            for c in cand:
                zz = z.copy()
                zz[sl] = c
                Jc = p.objective(zz)
                if Jc < J - 1e-12:
                    z, J, improved = zz, Jc, True
                    s = z[sl].copy()
                    break
        if not improved:
            break
    return z, J


def optimize(p: ControlProblem, *, maxiter: int | None = None, multistart: int | None = None,
             tol: float = 1e-10, seed: int = 0, progress: bool = False) -> Result:
    block = p.compiled.model.control
    opts = {o.name: float(evaluate(o.value, p.values)) for o in block.options}
    maxiter = int(maxiter if maxiter is not None else opts.get("maxiter", 200))
    multistart = int(multistart if multistart is not None else opts.get("multistart", 1))
    if maxiter < 1 or multistart < 1:
        raise StatcError("`maxiter` and `multistart` must be at least 1",
                         hint="e.g. `--maxiter 200 --multistart 4`")
    t_start = time.perf_counter()
    zc, Jc = best_constant(p, maxiter, tol)
    t_const = time.perf_counter() - t_start
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=maxiter * multistart, desc="optimize", unit="grad", leave=False)

    def tick(J):
        if bar is not None:
            bar.update(1)
            bar.set_postfix(objective=f"{p.sign * J:.6g}")
    rng = np.random.default_rng(seed)
    best = (Jc, zc)
    iters = 0
    messages = []
    starts = [zc]
    lo, hi = np.array(p.bounds()).T
    for _ in range(multistart - 1):
        starts.append(lo + (hi - lo) * rng.random(p.size))
    for z0 in starts:
        z, J, nit, msg = _minimize(p, z0, maxiter, tol, tick)
        iters += nit
        messages.append(msg)
        if J < best[0] and _feasible(p, z):
            best = (J, z)
    if bar is not None:
        bar.close()
    z, J = best[1], best[0]
    relaxed = None
    if p.choice is not None:
        relaxed = J
        z = _round(p, z)
        J = p.objective(z)
        z, J = _refine_switches(p, z, J)
    model = p.compiled.model
    finals = {c.name: float(zc[p.slices()[c.name]][0]) for c in p.finals}
    protocols = {bl.name: from_model(model, p.values, bl.schedules) for bl in block.baselines}
    controlled = {c.name for c in p.controls}
    in_file = {k: v for k, v in from_model(model, p.values).items() if k in controlled}
    if in_file:
        protocols["file_schedule"] = in_file
    baselines = {name: p.sign * p.objective(p.from_schedules(scheds, finals))
                 for name, scheds in protocols.items()}
    return Result(z, p.sign * J, zc, p.sign * Jc, None if relaxed is None else p.sign * relaxed,
                  baselines, iters, {"constant_s": t_const, "total_s": time.perf_counter() - t_start},
                  messages)


def _feasible(p: ControlProblem, z: np.ndarray, tol: float = 1e-6) -> bool:
    for c in p.budget_constraints():
        v = c["fun"](z)
        if (c["type"] == "eq" and abs(v) > tol) or (c["type"] == "ineq" and v < -tol):
            return False
    return True


def columns(p: ControlProblem, z: np.ndarray) -> dict[str, np.ndarray]:
    """control.csv: one row per interval start (and t_F), controls then observables."""
    sl = p.slices()
    t, _, obs = p.trajectory(z)
    rows = np.arange(0, p.n * p.nsub + 1, p.nsub)
    cols: dict[str, np.ndarray] = {"t": t[rows]}

    def per_row(v):
        return np.append(v, v[-1])
    for c in p.timed:
        cols[c.name] = per_row(z[sl[c.name]])
    if p.choice is not None:
        cols[p.choice.name] = per_row(p.chosen(z))
    for c in p.finals:
        cols[c.name] = np.full(rows.size, z[sl[c.name]][0])
    for name, v in obs.items():
        cols[name] = v[rows]
    return cols


def plot(path: Path, p: ControlProblem, res: Result, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sl = p.slices()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    edges = p.edges
    for c in p.timed:
        axes[0].stairs(res.z[sl[c.name]], edges, label=f"{c.name} (optimal)", lw=1.8, baseline=None)
        axes[0].stairs(res.constant_z[sl[c.name]], edges, label=f"{c.name} (best constant)", ls="--", baseline=None)
    if p.choice is not None:
        axes[0].stairs(p.chosen(res.z), edges, label=f"{p.choice.name} (optimal)", lw=1.8, baseline=None)
    axes[0].set_xlabel("t")
    axes[0].set_ylabel("control")
    axes[0].legend(fontsize=8)
    names = [n for n, w in zip(p.compiled.meta["observables"], p.w_final + p.w_int) if w != 0]
    for z, style, label in ((res.z, "-", "optimal"), (res.constant_z, "--", "best constant")):
        t, _, obs = p.trajectory(z)
        for n in names:
            axes[1].plot(t, obs[n], style, label=f"{n} ({label})")
    axes[1].set_xlabel("t")
    axes[1].set_ylabel("observable")
    axes[1].legend(fontsize=8)
    fig.suptitle(title)
    write_figure(path, fig)
    plt.close(fig)


def write_outputs(out: Path, p: ControlProblem, res: Result, extra: dict | None = None,
                  make_plot: bool = True) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "control.csv", columns(p, res.z))
    sl = p.slices()
    meta = p.compiled.meta
    summary = {
        "model": meta["model"], "objective": res.objective,
        "sense": "maximize" if p.sign < 0 else "minimize",
        "best_constant": {"objective": res.constant_objective,
                          "values": {c.name: float(res.constant_z[sl[c.name]][0])
                                     for c in p.timed + p.finals}},
        "baselines": res.baselines,
        "relaxed_objective": res.relaxed_objective,
        "final_controls": {c.name: float(res.z[sl[c.name]][0]) for c in p.finals},
        "controls": [{"name": c.name, "kind": c.kind, "values": list(c.values)} for c in p.controls],
        "intervals": p.n, "rk4_steps_per_interval": p.nsub, "rk4_step": p.h,
        "t0": p.t0, "t_end": p.t_end, "params": p.values,
        "iterations": res.iterations, "objective_evaluations": p.evaluations,
        "gradient_evaluations": p.gradients, "optimizer_messages": res.messages,
        "gradient": {"method": "exact discrete adjoint of RK4",
                     "finite_difference_atoms": list(getattr(p.compiled.module, "FD_ATOMS", []))},
        "timings": res.timings,
    }
    if extra:
        summary.update(extra)
    write_json(out / "summary.json", summary)
    if make_plot:
        plot(out / "control.png", p, res, f"{meta['model']}: optimal protocol")
    return summary
