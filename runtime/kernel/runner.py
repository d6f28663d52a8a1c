"""`statc run` for kernel models: parameters and data → the minimiser U of the action →
predictor statistics, theory and GP limit side by side.

Outputs (atomically written):

* ``summary.json`` — parameters, data set (source, P, N0, T′, test size), N, α = P/N, T, the
  solver's report (S/N, gradient norm, saddle-point residual, iterations, every start's
  minimum, Hessian eigenvalue range and positive definiteness), U_1 … U_L and U_a, and
  the observables of the theory and of the GP limit (accuracy of sign(mean), test MSE,
  ε_g, mean predictor variance, kernel–task alignment, per-head scores);
* ``U.csv`` — U (H^L × H^L), rows and columns labelled by paths `h_1/h_2/…` (head names);
* ``predictions.csv`` — per test sequence: y, mean, var, mean_gp, var_gp;
* ``pruning.csv`` — the head-pruning curve (runtime/kernel/pruning.py): per number of pruned
  heads k = 0 … Σ(H_ℓ − 1), heads pruned in ascending order of the theory's head scores:
  the head pruned at step k, its layer and score, the paths left, and accuracy / test MSE /
  ε_g of the theory and of the GP limit with the same heads pruned (also in summary.json);
* ``pruning_layers.csv`` — the per-layer curves: each layer's heads pruned in ascending score
  order with the other layers intact (column ``curve`` = ``layer1``, …; summary.json
  ``pruning_by_layer``), for when scores are not comparable across layers.

Bad values or data are exit 2 with a located error; a solve that fails is exit 3.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from statc.dsl import StatcError
from statc.dsl.errors import NumericalError

from .action import Action, NotPositiveDefinite
from .from_model import solve_inputs
from .mixing import Head
from .paths import kernel_factor, path_features
from .predict import alignment, head_scores, metrics, predict
from .pruning import csv_text as pruning_csv, layer_curves, layers_csv_text, pruning_curve, pruning_order
from .solve import solve

#: `statc run` options of the other kinds that mean nothing here
OTHER_KINDS = ("record", "method", "rtol", "atol", "dt", "init_from", "schedule", "t_end", "samples",
               "repeats", "alpha")


@dataclass
class KernelResult:
    summary: dict
    U: np.ndarray
    paths: list[str]
    predictions: dict[str, np.ndarray]
    info: dict = field(default_factory=dict)


def run_from_args(compiled, overrides: dict[str, float], args) -> KernelResult:
    for name in OTHER_KINDS:
        if getattr(args, name, None) is not None:
            raise StatcError(f"--{name.replace('_', '-')} does not apply to a kernel model",
                             hint="a kernel run minimises the action: it takes --set, --data, "
                                  "--restarts and --seed")
    if args.restarts is not None and args.restarts < 0:
        raise StatcError("--restarts must be >= 0")
    return run(compiled, overrides, data=args.data, restarts=2 if args.restarts is None else args.restarts,
               seed=args.seed)


def warm_up(compiled, overrides: dict[str, float] | None = None) -> KernelResult:
    """`statc compile`'s check that the model runs: the data set, the features and one
    L-BFGS solve from the GP point (no restarts, no Hessian, convergence not required)."""
    return run(compiled, overrides, restarts=0, warmup=True)


def run(compiled, overrides: dict[str, float] | None = None, *, data: str | None = None,
        restarts: int = 2, seed: int = 0, warmup: bool = False, **_other_kinds) -> KernelResult:
    """Solve the model (options of the other kinds, e.g. from the Python API, are ignored)."""
    t0 = time.perf_counter()
    values, v, d, layers, arch = solve_inputs(compiled, overrides, data)
    F = kernel_factor(path_features(d.x_train, layers, d.matrices, compiled.meta["readout"],
                                    int(v.get("token", 0))), arch.sigma0)
    Ft = kernel_factor(path_features(d.x_test, layers, d.matrices, compiled.meta["readout"],
                                     int(v.get("token", 0))), arch.sigma0)
    t1 = time.perf_counter()
    T = v["temperature"]
    action = Action(arch, F, d.y_train, T)
    try:
        with np.errstate(all="ignore"):
            sol = solve(action, restarts=restarts, seed=seed, check_hessian=not warmup)
    except NotPositiveDefinite as err:
        raise NumericalError(f"the action could not be evaluated: {err}",
                             hint="a temperature T of order 1e-3 or more keeps K_U + T I well conditioned") \
            from None
    if not (sol.converged or warmup):
        raise NumericalError(f"the minimiser did not converge: saddle-point residual {sol.residual:.3g} "
                             f"after {sol.iterations} L-BFGS iterations ({sol.message})",
                             hint="try more --restarts, or a larger temperature")
    t2 = time.perf_counter()
    U_gp = arch.gp_point()[0]
    labels = _path_labels(layers)
    theory, gp = predict(F, d.y_train, T, sol.U, Ft), predict(F, d.y_train, T, U_gp, Ft)
    names = [[h.name for h in layer] for layer in layers]

    def observables(pred, U):
        out = metrics(pred, d.y_test)
        out["alignment"] = alignment(F, d.y_train, U)
        out["head_scores"] = [dict(zip(n, s)) for n, s in zip(names, head_scores(U, arch.heads))]
        return out
    P = d.shape[0]
    scores = head_scores(sol.U, arch.heads)
    memo: dict = {}
    pruning = pruning_curve(F, d.y_train, T, sol.U, U_gp, Ft, d.y_test, arch.heads,
                            pruning_order(scores, names), memo)
    by_layer = layer_curves(F, d.y_train, T, sol.U, U_gp, Ft, d.y_test, arch.heads, scores, names, memo)
    summary = {
        "data": {"source": d.source, "P": P, "N0": d.shape[1], "T_tokens": d.shape[2],
                 "test": int(d.x_test.shape[0])},
        "N": max(arch.widths), "widths": list(arch.widths), "P": P, "alpha": P / max(arch.widths), "T": T, "heads": names, "paths": labels,
        "readout": compiled.meta["readout"],
        "solver": {"action": sol.action, "grad_norm": sol.grad_norm, "residual": sol.residual,
                   "converged": sol.converged, "iterations": sol.iterations, "evaluations": sol.evaluations,
                   "message": sol.message, "hessian_pd": sol.hessian_pd,
                   "hessian_eigs": (None if sol.hessian_eigs is None else
                                    [float(sol.hessian_eigs.min()), float(sol.hessian_eigs.max())]),
                   "starts": sol.starts, "parameters": action.chol.n},
        "U": sol.U, "U_levels": {f"U_{l + 1}": U for l, U in enumerate(sol.Us)}, "U_a": sol.Ua,
        "U_gp": float(U_gp[0, 0]),
        "observables": {"theory": observables(theory, sol.U), "gp": observables(gp, U_gp)},
        "pruning": pruning,
        "pruning_by_layer": by_layer,
    }
    th, g = summary["observables"]["theory"], summary["observables"]["gp"]
    # the scalar results, one number each (what `statc sweep` tabulates)
    summary["final"] = {"action": sol.action, "accuracy": th["accuracy"], "test_mse": th["test_mse"],
                        "eps_g": th["eps_g"], "accuracy_gp": g["accuracy"], "test_mse_gp": g["test_mse"],
                        "eps_g_gp": g["eps_g"], "U_a": sol.Ua, "grad_norm": sol.grad_norm}
    info = {"params": values, "features_s": t1 - t0, "solve_s": t2 - t1,
            "total_s": time.perf_counter() - t0}
    preds = {"y": d.y_test, "mean": theory.mean, "var": theory.var, "mean_gp": gp.mean, "var_gp": gp.var}
    return KernelResult(summary, sol.U, labels, preds, info)


def _path_labels(layers: list[list[Head]]) -> list[str]:
    out = [""]
    for layer in layers:
        out = [f"{p}/{h.name}" if p else h.name for p in out for h in layer]
    return out


def run_line(compiled, res: KernelResult) -> str:
    s = res.summary
    th, gp = s["observables"]["theory"], s["observables"]["gp"]
    return (f"{compiled.meta['model']}: N = {s['N']:g}, P = {s['P']}, alpha = {s['alpha']:.3g}, T = {s['T']:g}: "
            f"S/N = {s['solver']['action']:.8g} (|grad| {s['solver']['grad_norm']:.1e}, Hessian "
            f"{'PD' if s['solver']['hessian_pd'] else 'not PD' if s['solver']['hessian_pd'] is False else 'unchecked'}); "
            f"accuracy {th['accuracy']:.4f} (GP {gp['accuracy']:.4f}), eps_g {th['eps_g']:.4g} "
            f"(GP {gp['eps_g']:.4g}) ({res.info['total_s']:.2f} s)")


def written(res: KernelResult) -> str:
    return "summary.json, U.csv, predictions.csv, pruning.csv and pruning_layers.csv"


def write_outputs(out: Path, compiled, res: KernelResult, plot: bool = False) -> None:
    from statc.atomic import write_text
    from statc.runtime.results import write_csv, write_json
    m = compiled.meta
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"model": m["model"], "model_hash": m["model_key"], "kernel_hash": m["kernel_key"],
               "theory": "kernel", "params": res.info["params"], **res.summary,
               "timings": {"compile": compiled.timings, "features_s": res.info["features_s"],
                           "solve_s": res.info["solve_s"], "total_s": res.info["total_s"],
                           "cache_hit": compiled.cache_hit}}
    write_json(out / "summary.json", summary)
    rows = ["path," + ",".join(res.paths)]
    rows += [lab + "," + ",".join(repr(float(x)) for x in row) for lab, row in zip(res.paths, res.U)]
    write_text(out / "U.csv", "\n".join(rows) + "\n")
    write_csv(out / "predictions.csv", res.predictions)
    write_text(out / "pruning.csv", pruning_csv(res.summary["pruning"]))
    write_text(out / "pruning_layers.csv", layers_csv_text(res.summary["pruning_by_layer"]))


def check_from_args(compiled, overrides, args, sizes) -> int:
    """`statc check` on a kernel model: theory against NUTS samples (check.py)."""
    from .check import check_from_args as run_check
    return run_check(compiled, overrides, args, sizes)
