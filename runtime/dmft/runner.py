"""`statc run` for dmft models: parameters → DmftProblem → repeats → trajectory, kernels, summary.

Outputs (atomically written):
* ``trajectory.csv``: t, m, Q, train_loss, train_error (classification data), test_error
  (classification) or test_loss (regression) — the mean over repeats;
* ``kernels.npz``: the two-time kernels, averaged over repeats (arrays indexed by step k,
  t = k·eta): ``t``, ``m``, ``A``, ``R`` (R[k, j] = response of step k to a field at step j < k),
  ``C_perp`` (C⊥(k, l) = w⊥_k·w⊥_l/N), ``C`` (C = m_k m_l + C⊥), ``Gamma`` (memory kernel
  Γ(k, j) = E[g'(k) D(k, j)], j ≤ k), ``E_gg`` (E[g(k) g(l)], the noise kernel / α),
  ``E_tau_g`` (E[τ g(k)]), ``lambda`` (λ_k of the step k → k+1: the ridge, or under
  `constrain w.w = q` the Lagrange multiplier), and ``<column>_stderr`` for each trajectory column;
* ``summary.json``: parameters, n_s, repeats, seed, final values with their Monte-Carlo
  standard errors, timings, cache hit, ``batches_per_repeat`` (> 1 when n_s was split to fit
  the memory budget, memory.py) and ``sweep_bytes`` (estimated memory of one sweep);
  with ``observe T = fdt(w)``: ``fdt`` (T_eff ± its standard error over repeats, the window)
  in the summary and ``fdt.csv`` (lag, ΔC, χ, T_eff(lag) = ΔC/χ; fdt.py); with a structured input
  covariance: ``spectrum`` (levels σ, their fractions, the teacher's moments, ρ*; spectral.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from statc.atomic import write_bytes
from statc.dsl import StatcError
from statc.runtime.results import write_csv, write_json

from .from_model import problem_from_model
from .memory import sweep_bytes
from .flow import estimate
from .sweep import chunk_size

DEFAULT_SAMPLES, DEFAULT_REPEATS = 20_000, 4


@dataclass
class DmftTrajectory:
    columns: dict[str, np.ndarray]
    stderr: dict[str, np.ndarray]
    kernels: dict[str, np.ndarray]
    info: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]


#: `statc run` options of the online kind that mean nothing for a DMFT solve
ONLINE_ONLY = ("record", "method", "rtol", "atol", "dt", "init_from", "schedule")


def run_from_args(compiled, overrides: dict[str, float], args) -> "DmftTrajectory":
    """`statc run` on a dmft model: --t-end, --samples, --repeats, --seed."""
    for name in ONLINE_ONLY:
        if getattr(args, name, None) is not None:
            raise StatcError(f"--{name.replace('_', '-')} does not apply to a dmft model",
                             hint="dmft runs take --t-end, --samples, --repeats and --seed")
    return run(compiled, overrides, t_end=args.t_end, samples=args.samples, repeats=args.repeats, seed=args.seed)


def run(compiled, overrides: dict[str, float] | None = None, *, t_end: float | None = None,
        samples: int | None = None, repeats: int | None = None, seed: int | None = 0,
        **_online_options) -> DmftTrajectory:
    """Solve the DMFT of a compiled dmft model (mean over independent repeats).

    Options of the online integrator (passed by `statc compile`'s warm-up) are ignored.
    """
    samples = samples or DEFAULT_SAMPLES
    repeats = repeats or DEFAULT_REPEATS
    if samples < 2 or repeats < 2:
        raise StatcError("a dmft run needs --samples ≥ 2 and --repeats ≥ 2 (for a Monte-Carlo error)")
    t0 = time.perf_counter()
    problem, values = problem_from_model(compiled, overrides, t_end)
    est = estimate(problem, samples, repeats, seed or 0)
    runs = est.runs
    kern = {name: np.mean([getattr(r.kernels, attr) for r in runs], axis=0)
            for name, attr in (("m", "m"), ("A", "A"), ("R", "R"), ("C_perp", "C_perp"), ("Gamma", "gamma"),
                               ("E_gg", "egg"), ("E_tau_g", "etg"), ("lambda", "lam"))}
    kern["t"] = runs[0].problem.eta * np.arange(runs[0].problem.steps + 1)    # the η/2 grid for `sgf`
    kern["C"] = np.mean([np.outer(r.kernels.m, r.kernels.m) + r.kernels.C_perp for r in runs], axis=0)
    rows = problem.steps + 1
    batches = runs[0].info.get("batches", 1)
    info = {"params": values, "samples": samples, "repeats": repeats, "seed": seed or 0,
            "steps": problem.steps, "flow": bool(problem.algorithm.flow),
            "repeat_final": {n: [float(r.columns[n][-1]) for r in runs] for n in runs[0].columns if n != "t"},
            "solve_s": est.seconds, "total_s": time.perf_counter() - t0,
            "batches_per_repeat": batches,
            "sweep_bytes": sweep_bytes(rows, -(-samples // batches), chunk_size(rows))}
    spectrum = getattr(problem.teacher, "spectrum", None)
    if spectrum is not None:          # structured input covariance (spectral.py)
        info["spectrum"] = {"sigma": list(spectrum.sigma), "weight": list(spectrum.weight),
                            "teacher_moment": list(spectrum.theta2), "rho_star": spectrum.rho_star}
    if problem.observe.fdt:
        from .fdt import over_repeats, windows
        info["fdt"] = {name: over_repeats(runs, problem.eta, win) for name, win in windows(problem).items()}
    return DmftTrajectory(est.mean, est.stderr, kern, info)


def run_line(compiled, traj: DmftTrajectory) -> str:
    """One line for the terminal: final values ± Monte-Carlo standard errors."""
    final = ", ".join(f"{n} = {traj.columns[n][-1]:.6g} ± {traj.stderr[n][-1]:.2g}"
                      for n in traj.columns if n != "t")
    i = traj.info
    for name, f in traj.info.get("fdt", {}).items():
        final += f", {name} = {f['T_eff']:.6g} ± {f['stderr']:.2g} (FDT, lags {f['window']['lag']})"
    return (f"{compiled.meta['model']}: t = {traj['t'][-1]:g}: {final} "
            f"({i['solve_s']:.2f} s, n_s = {i['samples']} × {i['repeats']} repeats)")


def write_outputs(out: Path, compiled, traj: DmftTrajectory, plot: bool = False) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "trajectory.csv", traj.columns)
    import io
    buf = io.BytesIO()
    np.savez(buf, **traj.kernels, **{f"{k}_stderr": v for k, v in traj.stderr.items() if k != "t"})
    write_bytes(out / "kernels.npz", buf.getvalue())
    m = compiled.meta
    summary = {
        "model": m["model"], "model_hash": m["model_key"], "kernel_hash": m["kernel_key"], "theory": "dmft",
        "teacher": m["teacher"], "algorithm": m["algorithm"], "params": traj.info["params"],
        "samples": traj.info["samples"], "repeats": traj.info["repeats"], "seed": traj.info["seed"],
        "batches_per_repeat": traj.info["batches_per_repeat"], "sweep_bytes": traj.info["sweep_bytes"],
        "steps": traj.info["steps"], "t_final": float(traj["t"][-1]), "flow": traj.info["flow"],
        "final": {n: float(c[-1]) for n, c in traj.columns.items() if n != "t"},
        "final_stderr": {n: float(c[-1]) for n, c in traj.stderr.items() if n != "t"},
        "timings": {"compile": compiled.timings, "solve_s": traj.info["solve_s"], "total_s": traj.info["total_s"],
                    "cache_hit": compiled.cache_hit},
    }
    if "spectrum" in traj.info:
        summary["spectrum"] = traj.info["spectrum"]
    fdt = traj.info.get("fdt")
    if fdt:
        summary["fdt"] = {name: {k: v for k, v in f.items() if k != "curves"} for name, f in fdt.items()}
        for i, f in enumerate(fdt.values()):      # fdt.csv for the first, fdt_<name>.csv for the others
            write_csv(out / ("fdt.csv" if i == 0 else f"fdt_{list(fdt)[i]}.csv"), f["curves"])
    write_json(out / "summary.json", summary)
    if plot:
        from statc.runtime.results import plot_learning_curve
        for name in traj.columns:
            if name != "t":
                plot_learning_curve(out / f"{name}.png", traj["t"], traj[name], name, m["model"])


def check_from_args(compiled, overrides: dict[str, float], args, sizes: list[int]) -> int:
    """`statc check` on a dmft model (see check.py)."""
    from .check import check_from_args as run_check
    return run_check(compiled, overrides, args, sizes)
