#!/usr/bin/env python
"""Throughput of `statc sweep` against a shell loop of `statc run` calls.

A `run` sweep of ``--points`` values of η on ``models/saad_solla.model``
(t_end = 20, 5 recorded times, N → ∞ initial overlaps), the kernels already in
the cache, timed end to end (start of the pool included) with

* a local pool of 1 and of 2 worker processes;
* a 2-worker ``LocalCluster`` on 127.0.0.1 started beforehand (``--cluster``);
* a loop of ``statc run`` subprocesses, one per point (what users did before).

Reported: points per second, and the per-task overhead in milliseconds
(wall time × workers / points − the mean time of one integration).

    python benchmarks/bench_sweep.py [--points 40]   # writes benchmarks/results/sweep.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import cpu_name

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "sweep.json"
MODEL = ROOT / "models" / "saad_solla.model"
OPTS = ["--t-end", "20", "--record", "linear 5", "--init-N", "0"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=40)
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    import numpy as np
    import statc
    from dask.distributed import Client, LocalCluster
    cache = os.environ.get("STATC_CACHE_DIR") or tempfile.mkdtemp(prefix="statc-bench-")
    etas = [float(v) for v in np.linspace(0.1, 2.0, args.points)]
    m = statc.load(MODEL, cache_dir=cache)
    m.run(20, record=5, init_N=0)                                # kernels into the cache
    t = time.perf_counter()
    for eta in etas[:10]:
        m.run(20, record=5, init_N=0, eta=eta)
    one = (time.perf_counter() - t) / 10
    rows = []

    def timed(label, n_workers, **kw):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            table = statc.sweep(MODEL, {"eta": etas}, "run", out=out, options=OPTS, cache_dir=cache, **kw)
            wall = time.perf_counter() - t0
        assert len(table) == len(etas) and all(r["status"] == "ok" for r in table)
        rows.append({"executor": label, "workers": n_workers, "points": len(etas), "wall_s": wall,
                     "points_per_s": len(etas) / wall,
                     "overhead_ms_per_task": 1e3 * (wall * n_workers / len(etas) - one)})
        print(f"{label:28s} {wall:7.2f} s  {len(etas) / wall:6.2f} points/s  "
              f"{rows[-1]['overhead_ms_per_task']:8.1f} ms overhead/task")

    timed("local pool, 1 worker", 1, workers=1)
    timed("local pool, 2 workers", 2, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: None)
        timed("LocalCluster (2 workers)", 2, client=client)
    env = {**os.environ, "STATC_CACHE_DIR": cache}
    t0 = time.perf_counter()
    for eta in etas:
        subprocess.run([sys.executable, "-m", "statc.cli", "run", str(MODEL), "--set", f"eta={eta!r}",
                        *OPTS], cwd=ROOT, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    rows.append({"executor": "shell loop of statc run", "workers": 1, "points": len(etas), "wall_s": wall,
                 "points_per_s": len(etas) / wall,
                 "overhead_ms_per_task": 1e3 * (wall / len(etas) - one)})
    print(f"{'shell loop of statc run':28s} {wall:7.2f} s  {len(etas) / wall:6.2f} points/s  "
          f"{rows[-1]['overhead_ms_per_task']:8.1f} ms overhead/task")
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
              "model": "saad_solla", "options": OPTS, "integration_s": one, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
