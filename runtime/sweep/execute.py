"""The sweep driver: compile once, submit one Dask task per unfinished point, collect.

The default executor is a local pool: a ``dask.distributed.LocalCluster`` of
worker processes on 127.0.0.1, started and stopped here (nothing to run
beforehand).  With ``cluster=ADDRESS`` (or a ``Client``) the same tasks go to
a running scheduler.  Each finished point is saved as it arrives and
``results.csv`` is rewritten atomically, so an interruption loses at most the
points in flight.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from statc.atomic import write_bytes
from statc.dsl import StatcError

from . import grid as grid_mod
from .store import Store, point_key, results_of
from .task import run_point

#: commands a sweep can run (each writes its outputs to --out)
COMMANDS = ("run", "check", "optimize")


def _validate_options(command: str, model: str, options: list[str]) -> None:
    """Parse the command's own options as the CLI would, so a typo fails before any work."""
    from statc.commands import build_parser
    for opt in options:
        if opt.split("=", 1)[0] in ("--out", "--set", "--cache-dir"):
            raise StatcError(f"`{opt}` is an option of the sweep itself, not of each point",
                             hint="each point's outputs go to OUT/points/<key>/")
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            build_parser().parse_args([command, model, *options])
    except SystemExit:
        msg = err.getvalue().strip().splitlines()
        raise StatcError(f"bad option for `statc {command}`: {msg[-1] if msg else ' '.join(options)}",
                         hint=f"see `statc {command} --help`") from None


def _points(grid) -> list[dict[str, float]]:
    """The API's grid: ``{name: values}`` (product) or a list of ``{name: value}`` points."""
    if isinstance(grid, dict):
        axes = []
        for name, values in grid.items():
            values = [values] if isinstance(values, (int, float)) else list(values)
            axes.append((str(name), [float(v) for v in values]))
        return grid_mod.combine(axes)
    points = [{str(k): float(v) for k, v in p.items()} for p in grid]
    if points and any(set(p) != set(points[0]) for p in points):
        raise StatcError("every grid point must name the same parameters")
    return points


#: options that make a point tiny: appended to the user's (the last value wins)
_TINY = {"run": ["--t-end", "1e-3", "--record", "linear 1", "--init-N", "0"],
         "check": ["--N", "8", "--seeds", "1", "--test-samples", "8", "--t-end", "1e-3",
                   "--record", "linear 2"],
         "optimize": ["--t-end", "1e-2", "--intervals", "2", "--maxiter", "1", "--multistart", "1",
                      "--no-plot", "--quiet"]}


def _warm(command: str, model: Path, text: str, params: dict, options: list[str], cache: str) -> None:
    """Run one tiny point here first, so that its kernels (integrator, simulator, adjoint, in the
    variant the options choose) are JIT-compiled once into the shared cache, not by each worker."""
    run_point(command, model.name, text, params, [*options, *_TINY[command]], cache)


@contextlib.contextmanager
def _client(client, cluster: str | None, workers: int | None, n_points: int):
    """The Dask client to use: the caller's, a running scheduler's, or a local pool's."""
    if client is not None:
        yield client
        return
    from dask.distributed import Client, LocalCluster
    if cluster:
        try:
            c = Client(cluster, timeout="10s")
        except (OSError, TimeoutError, ValueError) as err:
            raise StatcError(f"cannot reach the Dask scheduler at `{cluster}`: {err}",
                             hint="start one with `dask scheduler` (and `dask worker ADDRESS`), "
                                  "or leave out --cluster for the local pool") from None
        try:
            yield c
        finally:
            c.close()
        return
    n = workers or max(1, min(os.cpu_count() or 1, n_points))
    lc = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR)
    c = Client(lc)
    try:
        yield c
    finally:
        c.close()
        lc.close()


def _lost(err: BaseException) -> bool:
    """A task that did not finish through no fault of its point (worker or connection gone)."""
    from distributed import KilledWorker
    from distributed.comm import CommClosedError
    import concurrent.futures
    import asyncio
    return isinstance(err, (KilledWorker, CommClosedError, OSError, concurrent.futures.CancelledError,
                            asyncio.CancelledError, TimeoutError))


def sweep(model: str | Path, grid, command: str = "run", *, out: str | Path | None = None,
          options: list[str] | tuple = (), sets: dict[str, float] | None = None, client=None,
          cluster: str | None = None, workers: int | None = None, cache_dir: str | Path | None = None,
          retry_failed: bool = False, progress: bool = False, report=None) -> list[dict]:
    """Run `command` (``"run"``, ``"check"``, ``"optimize"``) at every point of `grid`.

    `grid` is ``{name: values}`` (their product) or a list of ``{name: value}``
    points.  `options` are the command's own CLI options (e.g. ``["--t-end",
    "50"]``), `sets` fixed parameter values.  Tasks go to `client` (a
    ``dask.distributed.Client``), else to the scheduler at `cluster`, else to a
    local pool of `workers` processes.  With `out` the sweep is kept there and
    resumes on a re-run; without it, it runs in a temporary folder.

    Returns the results table as a list of rows (dicts, grid order, one per
    finished point): the grid parameters, the command's results (the final
    observables for ``run``, ``passed``/``worst_z`` for ``check``, the
    ``objective`` for ``optimize``), then ``status``, ``error``, ``seconds``,
    ``key`` — the same table as ``results.csv``.
    """
    if out is None:
        with tempfile.TemporaryDirectory(prefix="statc-sweep-") as tmp:
            return sweep(model, grid, command, out=tmp, options=options, sets=sets, client=client,
                         cluster=cluster, workers=workers, cache_dir=cache_dir,
                         retry_failed=retry_failed, progress=progress, report=report)
    from statc.compiler.build import compile_model
    from statc.compiler.cache import KernelCache
    from statc.dsl import parse_file
    from statc.runtime import params as params_mod
    if command not in COMMANDS:
        raise StatcError(f"`{command}` cannot be swept", expected="one of " + ", ".join(COMMANDS))
    points = _points(grid)
    if not points:
        raise StatcError("the sweep has no grid points")
    options = [str(o) for o in options]
    _validate_options(command, str(model), options)
    model_ast = parse_file(model)
    text = Path(model).read_text()
    cache_root = str(KernelCache(cache_dir).root.absolute())
    compiled = compile_model(model_ast, cache_root)           # once, before any task
    meta = compiled.meta
    grid_mod.check_names(points, meta["params"], meta["int_params"])
    fixed = {k: float(v) for k, v in (sets or {}).items()}
    clash = set(fixed) & set(points[0])
    if clash:
        raise StatcError(f"`{sorted(clash)[0]}` is both fixed (--set) and swept (--grid)")
    params_mod.resolve(compiled.model, meta, fixed)           # fixed values are valid on their own

    store = Store(out)
    store.prepare()
    keys = [point_key(text, {**fixed, **p}, command, options) for p in points]
    write_bytes(store.out / "sweep.json", (json.dumps({
        "model": str(model), "command": command, "options": options, "fixed": fixed,
        "grid": [{**p, "key": k} for p, k in zip(points, keys)]}, indent=2) + "\n").encode())
    records: dict[str, dict] = {}
    for k in set(keys):
        r = store.record(k)
        if r is not None and (r["code"] in (0, 1) or not retry_failed):   # 1: a check's verdict
            records[k] = r
    todo = list(dict.fromkeys(k for k in keys if k not in records))
    params_of = dict(zip(keys, points))

    def rows() -> list[dict]:
        out_rows, seen = [], set()
        for p, k in zip(points, keys):
            if k in records and k not in seen:
                seen.add(k)
                r = records[k]
                out_rows.append({**p, **r["results"], "status": r["status"], "error": r["error"],
                                 "seconds": r["seconds"], "key": k})
        return out_rows

    store.write_results(rows())
    lost = 0
    if todo:
        _warm(command, Path(model), text, {**fixed, **params_of[todo[0]]}, options, cache_root)
        from dask.distributed import as_completed
        from tqdm import tqdm
        bar = tqdm(total=len(set(keys)), initial=len(set(keys)) - len(todo), desc="sweep",
                   unit="pt", disable=not progress, file=sys.stderr)
        with _client(client, cluster, workers, len(todo)) as c:
            futures = {c.submit(run_point, command, Path(model).name, text, {**fixed, **params_of[k]},
                                options, cache_root, key=f"statc-point-{k}", pure=False): k for k in todo}
            try:
                for fut in as_completed(futures):
                    k = futures[fut]
                    try:
                        res = fut.result()
                    except Exception as err:
                        if _lost(err):
                            lost += 1
                            bar.update(0)
                            continue
                        res = {"code": -1, "status": "error", "stdout": "", "stderr": repr(err),
                               "files": {}, "seconds": 0.0}
                    err_lines = [ln for ln in res["stderr"].strip().splitlines() if ln.strip()]
                    rec = {"key": k, "params": params_of[k], "fixed": fixed, "command": command,
                           "options": options, "code": res["code"], "status": res["status"],
                           "error": "" if res["code"] in (0, 1) else (err_lines[-1] if err_lines else ""),
                           "seconds": res["seconds"], "results": results_of(command, res["files"])}
                    files = dict(res["files"])
                    files["stdout.txt"] = res["stdout"].encode()
                    if res["stderr"]:
                        files["stderr.txt"] = res["stderr"].encode()
                    store.save(k, files, rec)
                    records[k] = rec
                    store.write_results(rows())
                    bar.update(1)
            finally:
                for f in futures:
                    if not f.done():
                        f.cancel()
                bar.close()
    table = rows()
    if report is not None:
        report(len(set(keys)), len(set(keys)) - len(todo), lost, table)
    return table
