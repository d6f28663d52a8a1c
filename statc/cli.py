"""The `statc` command line: a thin shell over the pipeline.

    statc compile MODEL            parse, derive, generate, JIT-compile, cache
    statc run MODEL --out DIR      integrate; write trajectory.csv, summary.json
    statc check MODEL --N 4000     simulate at finite N, compare with the theory
    statc show MODEL [--latex]     print the derived equations
    statc optimize MODEL --out DIR optimal protocol from the `control` block
    statc sweep MODEL --grid eta=0.1:2:20 --out DIR    a grid of points (local pool or Dask cluster)
    statc plot SWEEP --x eta --y eps_g [--hue sigma]  figures from a sweep's results.csv

The single-model commands live in `statc.commands`; this module adds `sweep` and `plot`.
Exit status: 0 success, 1 check failed (or inconclusive), 2 bad input (with file:line:col, caret and hint),
3 numerical trouble (with the time and the cause), 130 interrupted (Ctrl-C).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from statc import commands
from statc.commands import model_options
from statc.dsl import StatcError


def _sweep_parsers(sub) -> None:
    p = sub.add_parser("sweep", help="run, check or optimize a model over a parameter grid",
                       description="Options not listed here are passed to each point's command "
                                   "(e.g. --t-end 50 for run, --seeds 6 --N 2000 for check).")
    model_options(p)
    p.add_argument("--grid", action="append", default=[], metavar="NAME=a:b:n|NAME=v1,v2,...",
                   help="a grid axis: n values from a to b, or a list (repeatable: product)")
    p.add_argument("--grid-log", action="append", default=[], metavar="NAME=a:b:n",
                   help="a grid axis of n log-spaced values from a to b")
    p.add_argument("--grid-file", default=None, metavar="CSV", help="grid points: a header of "
                   "parameter names, one row per point (combined with --grid as a product)")
    p.add_argument("--zip", action="store_true", help="pair the grid axes element by element")
    p.add_argument("--command", dest="sweep_command", choices=["run", "check", "optimize"], default="run",
                   help="the command run at each point (default run)")
    p.add_argument("--out", required=True, help="sweep directory (results.csv, points/<key>/)")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="a running Dask scheduler, e.g. tcp://scheduler:8786 (default: a local pool)")
    p.add_argument("--workers", type=int, default=None, help="processes of the local pool "
                   "(default: number of cores)")
    p.add_argument("--retry-failed", action="store_true", help="run again the points that failed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("plot", help="plot a sweep's results (line plot, heatmap, learning curves)")
    p.add_argument("sweep", help="a `statc sweep` output directory")
    p.add_argument("--x", default=None, help="grid parameter on the horizontal axis")
    p.add_argument("--y", default=None, help="column on the vertical axis (with --heatmap: a grid parameter)")
    p.add_argument("--z", default=None, help="with --heatmap: the column shown in colour")
    p.add_argument("--hue", default=None, help="one line per value of this column")
    p.add_argument("--heatmap", action="store_true", help="a 2-D map of --z over (--x, --y)")
    p.add_argument("--curves", default=None, metavar="OBS",
                   help="overlay the learning curves of OBS of every point (run sweeps)")
    p.add_argument("--logx", action="store_true")
    p.add_argument("--logy", action="store_true")
    p.add_argument("--output", "-o", default=None, help="figure file, .png or .pdf "
                   "(default SWEEP/<y>_vs_<x>.png, SWEEP/<z>_map.png or SWEEP/<OBS>_curves.png)")


def build_parser() -> argparse.ArgumentParser:
    return commands.build_parser(extra=_sweep_parsers)


def cmd_sweep(args) -> int:
    from statc.runtime import params as params_mod
    from statc.runtime.sweep import execute, grid
    if args.workers is not None and args.workers < 1:
        raise StatcError("--workers must be at least 1")
    points = grid.build(args.grid, args.grid_log, args.zip, args.grid_file)
    sets = {}
    for item in args.sets:     # names are checked against the model by the sweep
        name = item.split("=", 1)[0].strip()
        sets.update(params_mod.parse_set([item], [name]))

    counts = {}

    def report(total, skipped, lost, table):
        counts["total"] = total
        bad = sum(r["status"] not in ("ok", "check failed") for r in table)
        print(f"{args.model}: {total} points, {skipped} already done, {len(table)} finished "
              f"({bad} failed), {lost} lost; wrote {Path(args.out) / 'results.csv'}")
        if len(table) < total:
            print("some points did not finish: run the same command again to complete the sweep",
                  file=sys.stderr)
    table = execute.sweep(args.model, points, args.sweep_command, out=args.out, options=args.passthrough,
                          sets=sets, cluster=args.cluster, workers=args.workers,
                          cache_dir=args.cache_dir, retry_failed=args.retry_failed,
                          progress=not args.quiet and sys.stderr.isatty(), report=report)
    complete = len(table) == counts["total"]
    return 0 if complete and all(r["status"] in ("ok", "check failed") for r in table) else 1


def cmd_plot(args) -> int:
    from statc.runtime.sweep import plot
    rows = plot.read_results(args.sweep)
    if not rows:
        raise StatcError(f"`{args.sweep}/results.csv` has no finished points")
    if args.curves:
        path = args.output or Path(args.sweep) / f"{args.curves}_curves.png"
        path = plot.curves(args.sweep, rows, args.curves, args.hue, path, logy=args.logy)
    elif args.heatmap:
        if not (args.x and args.y and args.z):
            raise StatcError("--heatmap needs --x, --y (grid parameters) and --z (the value shown)",
                             hint="e.g. `statc plot runs/pd --heatmap --x eta --y sigma --z eps_g`")
        path = args.output or Path(args.sweep) / f"{args.z}_map.png"
        path = plot.heatmap(rows, args.x, args.y, args.z, path)
    else:
        if not (args.x and args.y):
            raise StatcError("a line plot needs --x and --y", hint="e.g. `--x eta --y eps_g --hue sigma`; "
                             "or --heatmap, or --curves OBS")
        path = args.output or Path(args.sweep) / f"{args.y}_vs_{args.x}.png"
        path = plot.line_plot(rows, args.x, args.y, args.hue, path, args.logx, args.logy)
    print(f"wrote {path}")
    return 0


COMMANDS = {**commands.COMMANDS, "sweep": cmd_sweep, "plot": cmd_plot}


def _exit_now(code: int) -> None:
    """Leave at once: after Ctrl-C the interpreter's teardown (Numba, LLVM, SymPy) can
    take seconds on a busy machine, and there is nothing left to clean up."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status.

    Called as the program (``argv`` None: the arguments come from the command
    line), an interrupted command exits at once with status 130.
    """
    code = _main(argv)
    if code == 130 and argv is None:
        _exit_now(code)
    return code


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "sweep":
        parser.error("unrecognized arguments: " + " ".join(extra))
    args.passthrough = extra   # sweep: the options of each point's command
    return commands.dispatch(args, COMMANDS)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
