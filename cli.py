"""The `statc` command line: a thin shell over the pipeline.

    statc compile MODEL            parse, derive, generate, JIT-compile, cache
    statc run MODEL --out DIR      integrate; write trajectory.csv, summary.json
    statc show MODEL [--latex]     print the derived equations

Exit status: 0 success, 2 bad input (with file:line:col, caret and hint),
3 numerical trouble (with the time and the cause).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from statc.dsl import StatcError


def _common(p: argparse.ArgumentParser) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="statc", description="Compile learning problems into their "
                                 "exact high-dimensional equations, and solve them.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compile", help="parse, derive, generate and JIT-compile a model")
    _common(p)
    p.add_argument("--force", action="store_true", help="ignore the cache and derive again")
    p = sub.add_parser("run", help="integrate a model and write its trajectory")
    _common(p)
    _run_options(p)
    p.add_argument("--out", default=None, help="output directory (trajectory.csv, summary.json)")
    p.add_argument("--plot", action="store_true", help="also write <observable>.png learning curves")
    p = sub.add_parser("show", help="print the derived equations")
    _common(p)
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
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
    from statc.runtime import runner
    t0 = time.perf_counter()
    compiled, overrides = _compile(args)
    t1 = time.perf_counter()
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
    from statc.runtime import runner
    compiled, overrides = _compile(args)
    record = runner.parse_record(args.record) if args.record else None
    traj = runner.run(compiled, overrides, t_end=args.t_end, record=record, method=args.method,
                      rtol=args.rtol, atol=args.atol, dt=args.dt, init_N=args.init_N,
                      seed=args.seed, init_from=args.init_from)
    final = ", ".join(f"{n} = {traj[n][-1]:.6g}" for n in compiled.meta["observables"])
    print(f"{compiled.meta['model']}: t = {traj['t'][-1]:g}: {final} "
          f"({traj.info['integrate_s']:.3f} s, {traj.info['rhs_evaluations']} RHS evaluations)")
    if args.out:
        runner.write_outputs(Path(args.out), compiled, traj, plot=args.plot)
        print(f"wrote {Path(args.out) / 'trajectory.csv'} and summary.json")
    return 0


def cmd_show(args) -> int:
    compiled, _ = _compile(args)
    print(compiled.meta["show_latex"] if args.latex else compiled.meta["show_text"])
    return 0


COMMANDS = {"compile": cmd_compile, "run": cmd_run, "show": cmd_show}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except StatcError as err:
        print(err.render(), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
