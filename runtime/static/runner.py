"""`statc run` for static models: parameters → StaticSpec → the fixed point (and an α curve).

Outputs (atomically written): ``summary.json`` — parameters, the fixed point at the model's α
(``final``: test_error, train_error, train_loss, m, q, V, b, the conjugates, per-cluster errors
for the mixture; Bayes-optimal: test_error, m, q, qhat and both starts), iterations, residual,
timings — and, with ``--alpha a:b:n``, ``curve.csv`` (α-continuation over n points from a to b).
A fixed point that does not converge is exit 3 with its residual history.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from statc.dsl import StatcError
from statc.dsl.errors import NumericalError

from .from_model import spec_from_model
from .solve import curve, solve, write_outputs as write_static_outputs

#: `statc run` options of the other kinds that mean nothing for a fixed point
OTHER_KINDS = ("record", "method", "rtol", "atol", "dt", "init_from", "schedule", "t_end", "samples",
               "repeats")
#: `statc run --alpha a:b:n` is understood here
TAKES_ALPHA_GRID = True


@dataclass
class StaticResult:
    summary: dict
    columns: dict | None = None
    info: dict = field(default_factory=dict)


def parse_alpha_grid(text: str) -> np.ndarray:
    """`a:b:n` → n values of α from a to b (linear spacing)."""
    parts = text.split(":")
    try:
        a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
        ok = len(parts) == 3 and 0 < a and 0 < b and n >= 2
    except (ValueError, IndexError):
        ok = False
    if not ok:
        raise StatcError(f"bad --alpha grid {text!r}", expected="`--alpha a:b:n`, e.g. `--alpha 0.5:5:40`",
                         hint="n >= 2 values of alpha from a > 0 to b > 0")
    return np.linspace(a, b, n)


def run_from_args(compiled, overrides: dict[str, float], args) -> StaticResult:
    """`statc run` on a static model: --set and --alpha a:b:n."""
    for name in OTHER_KINDS:
        if getattr(args, name, None) is not None:
            raise StatcError(f"--{name.replace('_', '-')} does not apply to a static model",
                             hint="a static run solves a fixed point: it takes --set and --alpha a:b:n")
    grid = parse_alpha_grid(args.alpha) if getattr(args, "alpha", None) else None
    return run(compiled, overrides, alphas=grid)


def run(compiled, overrides: dict[str, float] | None = None, *, alphas=None, **_other_kinds) -> StaticResult:
    """The fixed point at the model's α (and the curve over ``alphas``).  Options of the
    other kinds (passed by `statc compile`'s warm-up) are ignored."""
    t0 = time.perf_counter()
    spec, alpha, values = spec_from_model(compiled, overrides)
    with np.errstate(all="ignore"):             # NaN / overflow are caught and reported below
        summary = solve(spec, alpha)
    if not summary["converged"]:
        raise NumericalError(f"the fixed point did not converge: {summary['error']}",
                             hint="at lambda = 0 separable data have no minimiser (logistic, hinge) and "
                                  "ridge has no unique one below alpha = 1: use lambda > 0; otherwise "
                                  "reach the point by continuation (--alpha a:b:n)")
    t1 = time.perf_counter()
    with np.errstate(all="ignore"):
        columns = curve(spec, alphas) if alphas is not None else None
    info = {"params": values, "solve_s": t1 - t0, "curve_s": time.perf_counter() - t1}
    if columns is not None:
        info["failed"] = int(np.sum(~np.isfinite(columns.get("test_error", np.full(len(alphas), np.nan)))))
    return StaticResult(summary, columns, info)


def run_line(compiled, res: StaticResult) -> str:
    """One line for the terminal: the fixed point's observables."""
    keys = [k for k in ("test_error", "train_error", "train_loss", "free_energy", "m", "q", "b")
            if k in res.summary["final"]]
    final = ", ".join(f"{k} = {res.summary['final'][k]:.6g}" for k in keys)
    line = (f"{compiled.meta['model']}: {compiled.meta['algorithm']} at alpha = {res.summary['alpha']:g}: "
            f"{final} ({res.info['solve_s']:.2f} s)")
    if res.columns is not None:
        n = len(res.columns["alpha"])
        line += f"; curve of {n} alphas" + (f" ({res.info['failed']} did not converge: NaN)"
                                            if res.info["failed"] else "")
    return line


def written(res: StaticResult) -> str:
    return "summary.json" + (" and curve.csv" if res.columns is not None else "")


def write_outputs(out: Path, compiled, res: StaticResult, plot: bool = False) -> None:
    m = compiled.meta
    summary = {"model": m["model"], "model_hash": m["model_key"], "kernel_hash": m["kernel_key"],
               "theory": "static", "algorithm": m["algorithm"], "channel": m["channel"],
               "params": res.info["params"], **res.summary,
               "timings": {"compile": compiled.timings, "solve_s": res.info["solve_s"],
                           "curve_s": res.info["curve_s"], "cache_hit": compiled.cache_hit}}
    Path(out).mkdir(parents=True, exist_ok=True)
    write_static_outputs(out, summary, res.columns)
    if plot and res.columns is not None:
        from statc.runtime.results import plot_learning_curve
        for name in ("test_error", "train_error", "train_loss"):
            if name in res.columns:
                plot_learning_curve(Path(out) / f"{name}.png", res.columns["alpha"], res.columns[name],
                                    name, m["model"])


def check_from_args(compiled, overrides: dict[str, float], args, sizes: list[int]) -> int:
    """`statc check` on a static model (see check.py)."""
    from .check import check_from_args as run_check
    return run_check(compiled, overrides, args, sizes)
