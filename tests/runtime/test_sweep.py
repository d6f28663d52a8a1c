"""`statc sweep` execution: local pool, a real Dask cluster on 127.0.0.1, resumption.

Reference values come from `statc run` itself (the API's ``Model.run``), not
from the sweep; the cluster's results must equal the local pool's exactly
(the integration is deterministic), and an interrupted or crashed sweep,
re-run, must hold every grid point exactly once with intact outputs.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import statc
from statc.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "saad_solla.model"
OPTS = ["--t-end", "5", "--record", "linear 3", "--init-N", "0"]
GRID = {"eta": [0.3, 0.9], "sigma": [0.0, 0.2]}
#: points that take about a second, so that some are in flight when the sweep is hit
SLOW = ["--t-end", "60", "--method", "rk4", "--dt", "1e-3", "--record", "linear 3", "--init-N", "0"]


def _rows(out: Path) -> list[dict]:
    with open(out / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def _assert_complete(out: Path, n: int) -> None:
    """Every grid point present once, each folder whole, no leftovers."""
    rows = _rows(out)
    keys = [r["key"] for r in rows]
    grid_keys = [p["key"] for p in json.loads((out / "sweep.json").read_text())["grid"]]
    assert len(rows) == n and sorted(keys) == sorted(set(grid_keys)) and len(set(keys)) == n
    assert sorted(p.name for p in (out / "points").iterdir()) == sorted(keys)
    for r in rows:
        assert r["status"] == "ok", r
        summary = json.loads((out / "points" / r["key"] / "summary.json").read_text())
        assert float(r["eps_g"]) == summary["final"]["eps_g"]
        assert summary["params"]["eta"] == float(r["eta"])


@pytest.fixture(scope="module")
def local(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("local")
    rows = statc.sweep(MODEL, GRID, "run", out=out, options=OPTS, workers=2, cache_dir=cache_dir)
    return out, rows


def test_local_pool_matches_statc_run(local, load):
    out, rows = local
    _assert_complete(out, 4)
    m = load("saad_solla")
    for r in rows:
        traj = m.run(5, record=3, init_N=0, eta=r["eta"], sigma=r["sigma"])
        assert r["eps_g"] == pytest.approx(float(traj["eps_g"][-1]), rel=1e-12)
    text = ("status", "error", "key")
    assert [{k: v if k in text else float(v) for k, v in r.items()} for r in _rows(out)] == rows


def test_cluster_equals_local_pool(local, tmp_path, cache_dir):
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        code = main(["sweep", str(MODEL), "--grid", "eta=0.3,0.9", "--grid", "sigma=0,0.2",
                     "--cluster", cluster.scheduler_address, "--out", str(tmp_path / "c"),
                     "--cache-dir", str(cache_dir), *OPTS])
        with Client(cluster) as client:
            pids = set(client.run(os.getpid).values())
    assert code == 0
    _assert_complete(tmp_path / "c", 4)
    remote = {r["key"]: r for r in _rows(tmp_path / "c")}
    here = {r["key"]: r for r in _rows(local[0])}
    assert remote.keys() == here.keys()
    for k in here:
        assert remote[k]["eps_g"] == here[k]["eps_g"]
    ran_on = {json.loads((tmp_path / "c" / "points" / k / "point.json").read_text())["key"] for k in remote}
    assert ran_on == set(remote) and os.getpid() not in pids


def test_resume_skips_finished_and_redoes_missing(local, tmp_path, cache_dir, capsys):
    out = tmp_path / "r"
    args = ["sweep", str(MODEL), "--grid", "eta=0.3,0.9", "--grid", "sigma=0,0.2", "--workers", "1",
            "--out", str(out), "--cache-dir", str(cache_dir), *OPTS]
    assert main(args) == 0
    first = _rows(out)
    victim = first[1]["key"]
    import shutil
    shutil.rmtree(out / "points" / victim)
    (out / "points" / f".tmp-{victim}-dead").mkdir()          # what a killed run leaves
    (out / "points" / f".tmp-{victim}-dead" / "summary.json").write_text("{")
    capsys.readouterr()
    assert main(args) == 0
    assert "4 points, 3 already done" in capsys.readouterr().out
    _assert_complete(out, 4)
    again = {r["key"]: r for r in _rows(out)}
    for r in first:
        assert again[r["key"]]["eps_g"] == r["eps_g"]
        if r["key"] != victim:
            assert again[r["key"]]["seconds"] == r["seconds"]   # not re-run


def test_failed_point_is_recorded_and_does_not_stop_the_sweep(tmp_path, cache_dir):
    rows = statc.sweep(MODEL, [{"K": 2.0, "eta": 0.5}, {"K": 2.0, "eta": 0.7}], "run",
                       out=tmp_path / "f", options=[*OPTS, "--method", "rk4", "--dt", "0"],
                       workers=1, cache_dir=cache_dir)
    assert len(rows) == 2
    assert all(r["status"] == "bad input" and "dt" in r["error"] for r in rows)
    again = statc.sweep(MODEL, [{"K": 2.0, "eta": 0.5}, {"K": 2.0, "eta": 0.7}], "run",
                        out=tmp_path / "f", options=[*OPTS, "--method", "rk4", "--dt", "0"],
                        workers=1, cache_dir=cache_dir, retry_failed=True)
    assert [r["key"] for r in again] == [r["key"] for r in rows]
    assert all(a["seconds"] != r["seconds"] for a, r in zip(again, rows))    # run again
    assert len(list((tmp_path / "f" / "points").iterdir())) == 2


def test_worker_killed_mid_sweep_then_rerun_completes(tmp_path, cache_dir):
    from dask.distributed import Client, LocalCluster
    out = tmp_path / "k"
    grid = {"eta": [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]}
    opts = SLOW
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        done = {}
        th = threading.Thread(target=lambda: done.update(rows=statc.sweep(
            MODEL, grid, "run", out=out, options=opts, client=client, cache_dir=cache_dir)))
        th.start()
        deadline = time.time() + 300
        while time.time() < deadline and not any((out / "points").glob("[0-9a-f]*")):
            time.sleep(0.05)
        os.kill(pids[0], signal.SIGKILL)
        at_kill = len(list((out / "points").glob("[0-9a-f]*")))
        th.join(600)
        assert not th.is_alive()
    assert 1 <= at_kill < 6                                 # killed mid-way
    rows = statc.sweep(MODEL, grid, "run", out=out, options=opts, workers=1, cache_dir=cache_dir)
    assert len(rows) == 6
    _assert_complete(out, 6)


def test_interrupted_client_then_rerun_completes(tmp_path, cache_dir):
    out = tmp_path / "i"
    cmd = [sys.executable, "-m", "statc.cli", "sweep", str(MODEL), "--grid", "eta=0.2:1.2:6",
           "--workers", "1", "--out", str(out), "--cache-dir", str(cache_dir), *SLOW]
    env = {**os.environ, "STATC_CACHE_DIR": str(cache_dir)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None and not any((out / "points").glob("[0-9a-f]*")):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, 130)
    finished = [p for p in (out / "points").iterdir() if not p.name.startswith(".")]
    assert all((p / "point.json").is_file() and (p / "summary.json").is_file() for p in finished)
    assert len(finished) < 6                                 # interrupted mid-way
    # results.csv is rewritten after each point is in place: it may lag by the last one, never lead
    assert {r["key"] for r in _rows(out)} <= {p.name for p in finished}
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    _assert_complete(out, 6)


def test_optimize_sweep_equals_statc_optimize(tmp_path, cache_dir, capsys):
    model = ROOT / "models" / "lr_schedule.model"
    opts = ["--intervals", "4", "--maxiter", "3", "--multistart", "1", "--t-end", "2", "--no-plot"]
    rows = statc.sweep(model, {"sigma": [0.1]}, "optimize", out=tmp_path / "o", options=opts,
                       workers=1, cache_dir=cache_dir)
    assert main(["optimize", str(model), "--set", "sigma=0.1", "--out", str(tmp_path / "d"),
                 "--cache-dir", str(cache_dir), *opts]) == 0
    direct = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert rows[0]["status"] == "ok"
    assert rows[0]["objective"] == direct["objective"]
    assert rows[0]["constant_objective"] == direct["best_constant"]["objective"]


def test_check_sweep_records_the_verdict(tmp_path, cache_dir):
    rows = statc.sweep(MODEL, {"eta": [0.5]}, "check", out=tmp_path / "c",
                       options=["--seeds", "3", "--N", "100", "--t-end", "1", "--test-samples", "200"],
                       workers=1, cache_dir=cache_dir)
    report = json.loads((tmp_path / "c" / "points" / rows[0]["key"] / "check.json").read_text())
    assert rows[0]["status"] == ("ok" if report["passed"] else "check failed")
    assert rows[0]["passed"] == int(report["passed"]) and rows[0]["worst_z"] == report["worst"]["z"]
    assert report["N"] == [100] and report["seeds"] == 3
