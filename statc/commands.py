"""The single-model commands of `statc` — compile, run, check, optimize, show — and their options.

`statc.cli` (the program) adds `sweep` and `plot` on top; a sweep runs these commands at each of
its points through :func:`execute`, so this module never imports the sweep (no import cycle).
Exit status: 0 success, 1 check failed (or inconclusive), 2 bad input (with file:line:col, caret and
hint), 3 numerical trouble (with the time and the cause), 130 interrupted (Ctrl-C).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from statc.dsl import StatcError


def model_options(p: argparse.ArgumentParser) -> None:
    """The options every command that reads a model takes: the model, --set, --cache-dir."""
    p.add_argument("model", help="path to a .model file")
    p.add_argument("--set", dest="sets", action="append", metavar="NAME=VALUE", default=[],
                   help="override a parameter (repeatable), e.g. --set K=3 --set eta=0.3")
    p.add_argument("--cache-dir", default=None, help="kernel cache directory "
                   "(default: $STATC_CACHE_DIR or the user cache dir)")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--t-end", type=float, default=None, help="final time (overrides the run block)")
    p.add_argument("--record", default=None, metavar="'log N'|'linear N'|N",
                   help="recording times (default from the run block, else 'log 200')")
    p.add_argument("--method", choices=["dopri5", "rk4"], default=None)
    p.add_argument("--rtol", type=float, default=None)
    p.add_argument("--atol", type=float, default=None)
    p.add_argument("--dt", type=float, default=None, help="step of the fixed-step RK4 method")
    p.add_argument("--init-N", type=int, default=1000,
                   help="N at which random initial vectors are drawn (0: the N→∞ overlaps)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial draw")
    p.add_argument("--init-from", default=None, metavar="CSV",
                   help="start from the last row of a previous trajectory.csv")
    p.add_argument("--schedule", default=None, metavar="CSV",
                   help="piecewise-constant parameters: columns t and parameter names")


def build_parser(extra=None) -> argparse.ArgumentParser:
    """The parser of the single-model commands; ``extra(sub)`` may add more subcommands."""
    ap = argparse.ArgumentParser(prog="statc", description="Compile learning problems into their "
                                 "exact high-dimensional equations, and solve them.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compile", help="parse, derive, generate and JIT-compile a model")
    model_options(p)
    p.add_argument("--force", action="store_true", help="ignore the cache and derive again")
    p = sub.add_parser("run", help="integrate a model and write its trajectory")
    model_options(p)
    _run_options(p)
    p.add_argument("--out", default=None, help="output directory (trajectory.csv, summary.json)")
    p.add_argument("--plot", action="store_true", help="also write <observable>.png learning curves")
    p.add_argument("--samples", type=int, default=None,
                   help="dmft models: Monte-Carlo samples n_s of the effective process (default 20000)")
    p.add_argument("--repeats", type=int, default=None,
                   help="dmft models: independent repeats for the Monte-Carlo standard error (default 4)")
    p.add_argument("--alpha", default=None, metavar="a:b:n",
                   help="static models: also solve n values of alpha from a to b (continuation) "
                        "and write curve.csv")
    p.add_argument("--data", default=None, metavar="FILE.npz",
                   help="kernel models: the sequence data set (x_train, y_train, x_test, y_test and "
                        "named matrices), replacing the model's `data` statement")
    p.add_argument("--restarts", type=int, default=None,
                   help="kernel models: random positive-definite starts besides the GP point (default 2)")
    p = sub.add_parser("check", help="simulate the model at finite N and compare with the theory")
    model_options(p)
    p.add_argument("--N", default="2000", help="system size, or a comma-separated list (finite-size scaling)")
    p.add_argument("--seeds", type=int, default=8, help="independent runs (teacher, init, data stream)")
    p.add_argument("--test-samples", type=int, default=10_000,
                   help="held-out samples per measurement of each observable")
    p.add_argument("--jobs", type=int, default=0, help="processes (default: number of cores)")
    p.add_argument("--t-end", type=float, default=None, help="final time (overrides the run block)")
    p.add_argument("--record", default="log 20", help="recording times (default 'log 20')")
    p.add_argument("--tolerance", type=float, default=None,
                   help="kappa of the finite-size allowance kappa*scale/N (default 10; kernel models 2)")
    p.add_argument("--theory-set", action="append", default=[], metavar="NAME=VALUE",
                   help="diagnostic: override a parameter on the theory side only "
                        "(shows that the check can fail)")
    p.add_argument("--schedule", default=None, metavar="CSV",
                   help="piecewise-constant parameters (e.g. an optimised control.csv)")
    p.add_argument("--out", default=None, help="output directory (check.csv, check.json, check.png; "
                   "with --rhs: rhs_check.json)")
    p.add_argument("--step-states", type=int, default=3,
                   help="per-step stage: states of the theory trajectory at which the derived drift is "
                        "compared with a Monte Carlo of the simulator's step (default 3; 0: off)")
    p.add_argument("--step-samples", type=int, default=None,
                   help="per-step stage: Monte Carlo steps per state (default 25*seeds*N, "
                        "clipped to [2e4, 4e6])")
    p.add_argument("--rhs", action="store_true",
                   help="per-step check instead: the derived right-hand side and observables at one "
                        "state against a Monte Carlo of the simulator's own step")
    p.add_argument("--rhs-samples", type=int, default=100_000,
                   help="with --rhs: simulator steps (split 1:4 between n and 4n; default 100000)")
    p.add_argument("--rhs-n", type=int, default=250,
                   help="with --rhs: the smaller dimension n (the other is 4n; default 250)")
    p.add_argument("--rhs-state", default=None, metavar="CSV",
                   help="with --rhs: the state, from the last row of a trajectory.csv "
                        "(default: a random valid state drawn with --seed)")
    p.add_argument("--seed", type=int, default=0, help="with --rhs: seed of the state and the Monte Carlo; "
                   "dmft models: seed of theory and simulation")
    p.add_argument("--samples", type=int, default=None, help="dmft models: Monte-Carlo samples of the "
                   "theory; kernel models: NUTS samples per chain (default 400)")
    p.add_argument("--warmup", type=int, default=None, help="kernel models: NUTS warmup steps (default 300)")
    p.add_argument("--data", default=None, metavar="FILE.npz", help="kernel models: the sequence data set")
    p.add_argument("--alpha", type=float, default=None, metavar="A",
                   help="kernel models with a generated data set: P = round(A*N) training sequences at "
                        "each --N (fixed alpha = P/N) instead of the model's P")
    p.add_argument("--repeats", type=int, default=None, help="dmft models: independent theory repeats")
    p = sub.add_parser("optimize", help="optimise the protocol declared in the `control` block")
    model_options(p)
    p.add_argument("--out", default=None, help="output directory (control.csv, summary.json, control.png)")
    p.add_argument("--intervals", type=int, default=None,
                   help="piecewise-constant intervals (default: the control block, else 100)")
    p.add_argument("--dt", type=float, default=None, help="largest RK4 step (default 0.05)")
    p.add_argument("--t-end", type=float, default=None, help="final time (overrides the run block)")
    p.add_argument("--maxiter", type=int, default=None, help="optimiser iterations (default 200)")
    p.add_argument("--multistart", type=int, default=None,
                   help="number of starting protocols: the best constant one, then random ones")
    p.add_argument("--tol", type=float, default=1e-10, help="relative tolerance on the objective")
    p.add_argument("--seed", type=int, default=0, help="seed of the random starting protocols")
    p.add_argument("--init-N", type=int, default=0,
                   help="N at which random initial vectors are drawn (default 0: the N→∞ overlaps)")
    p.add_argument("--no-plot", action="store_true", help="do not write control.png")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("show", help="print the derived equations")
    model_options(p)
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    if extra is not None:
        extra(sub)
    return ap


def _compile(args):
    from statc.compiler.build import compile_model
    from statc.dsl import parse_file
    from statc.runtime import params as params_mod
    model = parse_file(args.model)
    compiled = compile_model(model, args.cache_dir, force=getattr(args, "force", False))
    overrides = params_mod.parse_set(args.sets, compiled.meta["params"])
    return compiled, overrides


def cmd_compile(args) -> int:
    t0 = time.perf_counter()
    compiled, overrides = _compile(args)
    runner = compiled.kind.resolve("runner")
    t1 = time.perf_counter()
    if hasattr(runner, "warm_up"):                  # kinds without kernels to JIT (kernel)
        runner.warm_up(compiled, overrides)
    else:
        # one tiny integration JIT-compiles (or loads) every kernel and fills Numba's cache
        runner.run(compiled, overrides, t_end=1e-3, record=("linear", 1), init_N=0)
    t2 = time.perf_counter()
    m = compiled.meta
    print(f"{m['model']}: {'cached' if compiled.cache_hit else 'derived'} "
          f"({len(m['blocks'])} state blocks, {len(m['observables'])} observables) "
          f"in {t1 - t0:.2f} s; kernels ready in {t2 - t1:.2f} s")
    print(f"kernel module: {Path(compiled.module.__file__)}")
    return 0


def cmd_run(args) -> int:
    compiled, overrides = _compile(args)
    runner = compiled.kind.resolve("runner")
    if args.alpha is not None and not getattr(runner, "TAKES_ALPHA_GRID", False):
        raise StatcError("--alpha a:b:n applies to static models (`algorithm erm` / `bayes_optimal`) only")
    if (args.data is not None or args.restarts is not None) and compiled.kind.name != "kernel":
        raise StatcError("--data and --restarts apply to kernel models (`algorithm bayes`) only")
    if hasattr(runner, "run_from_args"):             # kinds with their own run options (dmft, static)
        traj = runner.run_from_args(compiled, overrides, args)
        print(runner.run_line(compiled, traj))
        if args.out:
            runner.write_outputs(Path(args.out), compiled, traj, plot=args.plot)
            written = getattr(runner, "written", lambda t: "trajectory.csv, kernels.npz and summary.json")
            print(f"wrote {written(traj)} in {Path(args.out)}")
        return 0
    if args.samples is not None or args.repeats is not None:
        raise StatcError("--samples and --repeats apply to dmft models (a `data` statement) only")
    record = runner.parse_record(args.record) if args.record else None
    traj = runner.run(compiled, overrides, t_end=args.t_end, record=record, method=args.method,
                      rtol=args.rtol, atol=args.atol, dt=args.dt, init_N=args.init_N,
                      seed=args.seed, init_from=args.init_from, schedule=args.schedule)
    final = ", ".join(f"{n} = {traj[n][-1]:.6g}" for n in compiled.meta["observables"])
    print(f"{compiled.meta['model']}: t = {traj['t'][-1]:g}: {final} "
          f"({traj.info['integrate_s']:.3f} s, {traj.info['rhs_evaluations']} RHS evaluations)")
    if args.out:
        runner.write_outputs(Path(args.out), compiled, traj, plot=args.plot)
        print(f"wrote {Path(args.out) / 'trajectory.csv'} and summary.json")
    return 0


def _sizes(text: str) -> list[int]:
    try:
        Ns = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        Ns = []
    if not Ns or min(Ns) < 2:
        raise StatcError(f"bad --N value `{text}`", expected="a size such as 2000 or a list 500,1000,2000")
    return Ns


def cmd_check(args) -> int:
    import numpy as np
    from statc.runtime import check
    from statc.runtime import params as params_mod
    from statc.runtime.online.solve import RunOptions, record_times
    compiled, overrides = _compile(args)
    runner = compiled.kind.resolve("runner")
    if args.tolerance is None and compiled.kind.name != "kernel":
        args.tolerance = 10.0
    if (args.data is not None or args.alpha is not None) and compiled.kind.name != "kernel":
        raise StatcError("--data and --alpha apply to kernel models (`algorithm bayes`) only")
    if hasattr(runner, "check_from_args"):           # kinds with their own check (dmft)
        return runner.check_from_args(compiled, overrides, args, _sizes(args.N))
    theory_overrides = params_mod.parse_set(args.theory_set, compiled.meta["params"])
    values = params_mod.resolve(compiled.model, compiled.meta, overrides)
    opts = runner.options_from_model(compiled.model, values)
    t_end = args.t_end if args.t_end is not None else opts.t_end
    times = record_times(RunOptions(t0=opts.t0, t_end=t_end, record=runner.parse_record(args.record)))
    if args.rhs:
        return _check_rhs(args, compiled, values, theory_overrides)
    if args.seeds < 1:
        raise StatcError("--seeds must be at least 1")
    if args.step_states < 0 or (args.step_samples is not None and args.step_samples < 10):
        raise StatcError("--step-states must be at least 0 and --step-samples at least 10")
    cfg = check.CheckConfig(Ns=_sizes(args.N), seeds=args.seeds, n_test=args.test_samples,
                            jobs=args.jobs, tolerance=args.tolerance, times=times,
                            theory_overrides=theory_overrides,
                            schedule=runner.model_schedules(compiled, values, args.schedule),
                            step_states=args.step_states, step_samples=args.step_samples)
    t0 = time.perf_counter()
    result = check.compare(compiled, values, cfg)
    print(f"{compiled.meta['model']}: theory vs simulation, N = {cfg.Ns}, {cfg.seeds} seeds, "
          f"{cfg.n_test} test samples, t in [{times[0]:g}, {times[-1]:g}] ({time.perf_counter() - t0:.1f} s)")
    for line in check.report_lines(result, compiled.meta["observables"]):
        print(line)
    if len(cfg.Ns) > 1:
        print("finite-size scaling (max |theory - sim| over time):")
        for N in cfg.Ns:
            errs = {c.name: float(np.max(np.abs(c.diff))) for c in result["comparisons"]
                    if c.N == N and c.name in compiled.meta["observables"]}
            print(f"  N = {N:>6}: " + ", ".join(f"{k} {v:.3g}" for k, v in errs.items()))
    print(check.rule_text(result["z_crit"], cfg.tolerance, result["a_crit"], result.get("steps")))
    if args.out:
        check.write_outputs(args.out, compiled, values, cfg, result)
        print(f"wrote {Path(args.out) / 'check.csv'}, check.json, check.png")
    if not result["conclusive"]:
        print(f"INCONCLUSIVE: {cfg.seeds} seed(s) cannot estimate a standard error; "
              f"use --seeds {check.MIN_SEEDS} or more")
        return 1
    print("PASS: theory and simulation agree" if result["passed"] else
          "FAIL: theory and simulation disagree")
    return 0 if result["passed"] else 1


def _check_rhs(args, compiled, values: dict, theory_overrides: dict) -> int:
    """`statc check --rhs`: the per-step check at one state (exit 0 pass, 1 fail)."""
    from statc.runtime.online.initial import initial_state
    from statc.runtime.online.layout import make_layout
    from statc.runtime.params import vector
    from statc.runtime.results import write_json
    if not compiled.kind.rhs_check:
        raise StatcError(f"`--rhs` is not available for {compiled.kind.name} models")
    if args.rhs_samples < 10 or args.rhs_n < 2:
        raise StatcError("--rhs-samples must be at least 10 and --rhs-n at least 2")
    y = None
    if args.rhs_state:
        layout = make_layout(compiled.meta, values)
        y = initial_state(compiled, layout, values, vector(compiled.meta, values), init_N=0,
                          from_csv=args.rhs_state)
    theory_values = {**values, **theory_overrides}
    t0 = time.perf_counter()
    report = compiled.kind.resolve("rhs_check")(compiled, values, y, theory_values=theory_values,
                                                samples=args.rhs_samples, n=args.rhs_n,
                                                seed=args.seed)
    state = args.rhs_state or f"random state (seed {args.seed})"
    print(f"{compiled.meta['model']}: derived right-hand side vs Monte Carlo of the simulator's step "
          f"at {state} ({time.perf_counter() - t0:.1f} s)")
    for line in report.lines():
        print(line)
    print(report.rule())
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "rhs_check.json", {
            "model": compiled.meta["model"], "params": values, "theory_overrides": theory_overrides,
            "state": state, "samples": report.samples, "sizes": list(report.sizes),
            "passed": report.passed, "rule": report.rule(), "z_crit": report.z_crit,
            "max_abs_z": report.max_abs_z,
            "entries": [{"name": e.name, "theory": e.theory, "mc": e.mc, "se": e.se, "z": e.z}
                        for e in report.entries]})
        print(f"wrote {out / 'rhs_check.json'}")
    print("PASS: right-hand side and Monte Carlo agree" if report.passed else
          "FAIL: right-hand side and Monte Carlo disagree")
    return 0 if report.passed else 1


def cmd_optimize(args) -> int:
    from statc.runtime.control import optimize as opt
    from statc.runtime.control.problem import build_problem
    compiled, overrides = _compile(args)
    runner = compiled.kind.resolve("runner")
    problem = build_problem(compiled, overrides, intervals=args.intervals, dt=args.dt,
                            t_end=args.t_end, init_N=args.init_N, seed=args.seed)
    res = opt.optimize(problem, maxiter=args.maxiter, multistart=args.multistart, tol=args.tol,
                       seed=args.seed, progress=not args.quiet and sys.stderr.isatty())
    extra = {}
    if not problem.w_int.any():
        # the optimum again with the adaptive solver: the RK4 grid's error, measured
        cols = opt.columns(problem, res.z)
        sched = {c.name: [(float(a), float(b), float(v)) for a, b, v in
                          zip(cols["t"][:-1], cols["t"][1:], cols[c.name][:-1])]
                 for c in problem.controls if c.kind != "final"}
        finals = {c.name: float(cols[c.name][0]) for c in problem.finals}
        traj = runner.run(compiled, {**overrides, **finals}, t_end=problem.t_end, record=("linear", 1),
                          init_N=args.init_N, seed=args.seed, schedule=sched)
        names = compiled.meta["observables"]
        extra["objective_dopri5"] = float(sum(w * traj[n][-1] for n, w in zip(names, problem.w_final)))
    m = compiled.meta["model"]
    word = "maximum" if problem.sign < 0 else "minimum"
    print(f"{m}: optimal protocol ({problem.n} intervals, RK4 step {problem.h:.3g}): "
          f"objective = {res.objective:.6g}")
    const = [f"{c.name} = {res.constant_z[problem.slices()[c.name]][0]:.4g}"
             for c in problem.timed + problem.finals]
    if problem.choice is not None:
        ch = problem.choice
        fr = res.constant_z[problem.slices()[ch.name]].reshape(len(ch.values) - 1, problem.n)[:, 0]
        shares = [1.0 - fr.sum(), *fr]
        const.append(", ".join(f"{s:.3g} of samples with {ch.name} = {v:g}" for s, v in zip(shares, ch.values)))
    print(f"  best constant protocol: objective = {res.constant_objective:.6g} ({'; '.join(const)})")
    if res.relaxed_objective is not None:
        print(f"  relaxed (fractions of samples per interval): objective = {res.relaxed_objective:.6g}")
    for name, v in res.baselines.items():
        print(f"  baseline {name}: objective = {v:.6g}")
    if "objective_dopri5" in extra:
        print(f"  optimum re-integrated with the adaptive solver: {extra['objective_dopri5']:.6g}")
    gain = res.constant_objective - res.objective
    print(f"  {word} improves on the best constant by {abs(gain):.4g} "
          f"({abs(gain) / max(abs(res.constant_objective), 1e-300):.2%}); "
          f"{res.iterations} iterations, {problem.gradients} gradients, {res.timings['total_s']:.1f} s")
    if args.out:
        opt.write_outputs(Path(args.out), problem, res, extra, make_plot=not args.no_plot)
        print(f"wrote {Path(args.out) / 'control.csv'}, summary.json"
              + ("" if args.no_plot else ", control.png"))
    return 0


def cmd_show(args) -> int:
    compiled, _ = _compile(args)
    print(compiled.meta["show_latex"] if args.latex else compiled.meta["show_text"])
    return 0


COMMANDS = {"compile": cmd_compile, "run": cmd_run, "check": cmd_check, "show": cmd_show,
            "optimize": cmd_optimize}


def dispatch(args, table: dict) -> int:
    """Run the parsed command ``args.command`` from `table`; bad input and Ctrl-C become exit codes."""
    try:
        if getattr(args, "out", None):
            from statc.runtime.results import check_output_dir
            check_output_dir(args.out)
        return table[args.command](args)
    except StatcError as err:
        print(err.render(), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        # kernels run in short chunks and check's workers are terminated on the way
        # out; result files are written atomically, so none is left half-written
        print("statc: interrupted", file=sys.stderr)
        return 130


def execute(argv: list[str]) -> int:
    """Run one single-model command given as command-line words (what a sweep's point does)."""
    args = build_parser().parse_args(argv)
    args.passthrough = []
    return dispatch(args, COMMANDS)
