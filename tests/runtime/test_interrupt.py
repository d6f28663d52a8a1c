"""Ctrl-C: `run`, `check` and `optimize` stop within a second with exit 130.

Each command runs as a real subprocess on a problem far too long to finish.
SIGINT is sent once the process is busy computing — its CPU time (workers
included) exceeds what `statc compile` of the same model needs to start and
load the kernels, plus a margin — and then: exit status 130 within a second,
no worker process left, and no output file or temporary file written.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATC = [sys.executable, "-m", "statc.cli"]
TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """CPU seconds of a process and its live children (the check's workers)."""
    total = 0.0
    for p in [pid] + _children(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(d.name))
    return out


def _startup_cpu(model: str, env) -> float:
    p = subprocess.Popen(STATC + ["compile", model], env=env, cwd=ROOT)
    cpu = 0.0
    while p.poll() is None:
        cpu = max(cpu, _cpu(p.pid))
        time.sleep(0.05)
    assert p.returncode == 0
    return cpu


def _interrupt(args, env, busy_cpu: float, out: Path, want_children: bool = False):
    p = subprocess.Popen(STATC + args, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    children: list[int] = []
    deadline = time.time() + 600
    while _cpu(p.pid) < busy_cpu or (want_children and not children):
        assert p.poll() is None, p.stderr.read()
        assert time.time() < deadline
        if want_children:
            children = _children(p.pid)
        time.sleep(0.05)
    children = _children(p.pid)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        code = p.wait(timeout=10)
    finally:
        p.kill()
    elapsed = time.monotonic() - start
    stderr = p.stderr.read()
    assert code == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert elapsed < 1.0, f"took {elapsed:.2f} s to stop"
    time.sleep(0.2)
    left = [c for c in children if Path(f"/proc/{c}").exists()
            and "Z" != Path(f"/proc/{c}/stat").read_text().rsplit(")", 1)[1].split()[0]]
    assert not left, f"worker processes left: {left}"
    assert not out.exists() or not any(out.iterdir())
    return children


@pytest.fixture
def env(cache_dir):
    return {**os.environ, "STATC_CACHE_DIR": str(cache_dir), "MPLBACKEND": "Agg"}


def test_run_stops_on_sigint(env, tmp_path):
    model = "models/saad_solla.model"
    busy = _startup_cpu(model, env) + 2.0
    _interrupt(["run", model, "--t-end", "1e7", "--record", "linear 1", "--out", str(tmp_path / "o")],
               env, busy, tmp_path / "o")


@pytest.mark.slow
def test_check_stops_on_sigint_and_leaves_no_worker(env, tmp_path):
    model = "models/saad_solla.model"
    busy = _startup_cpu(model, env) + 2.0
    children = _interrupt(["check", model, "--N", "20000", "--seeds", "4", "--jobs", "2",
                           "--t-end", "1000", "--out", str(tmp_path / "o")],
                          env, busy, tmp_path / "o", want_children=True)
    assert len(children) == 2


@pytest.mark.slow
def test_optimize_stops_on_sigint(env, tmp_path):
    model = "models/dropout.model"
    busy = _startup_cpu(model, env) + 6.0        # the adjoint kernels load after the others
    _interrupt(["optimize", model, "--multistart", "1000", "--intervals", "400", "--quiet",
                "--out", str(tmp_path / "o")], env, busy, tmp_path / "o")
