"""What a worker runs for one grid point: a statc command in a private folder.

The command is the CLI's own (`run`, `check`, `optimize`, ...), called in the
worker's process, so every command and option behaves exactly as on the
command line.  The model text travels with the task (workers need not share
the client's filesystem); the kernels come from the cache directory, and a
worker process keeps the loaded kernel module between tasks, so only the first
task of a process loads it and none compiles it when the cache is shared.
The outputs come back to the client as bytes: only the client writes the
sweep directory.
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

STATUS = {0: "ok", 1: "check failed", 2: "bad input", 3: "numerical trouble", 130: "interrupted"}


class _ThreadStream(io.TextIOBase):
    """A stream that sends each thread's writes to that thread's buffer, if it has one."""

    def __init__(self, fallback):
        self.fallback = fallback
        self.local = threading.local()

    def write(self, s: str) -> int:
        buf = getattr(self.local, "buf", None)
        return (buf if buf is not None else self.fallback).write(s)

    def flush(self) -> None:
        if getattr(self.local, "buf", None) is None:
            self.fallback.flush()

    def isatty(self) -> bool:
        return getattr(self.local, "buf", None) is None and self.fallback.isatty()

    def fileno(self) -> int:
        return self.fallback.fileno()


_lock = threading.Lock()


def _capture(name: str) -> _ThreadStream:
    with _lock:
        stream = getattr(sys, name)
        if not isinstance(stream, _ThreadStream):
            stream = _ThreadStream(stream)
            setattr(sys, name, stream)
        return stream


def run_point(command: str, model_name: str, model_text: str, params: dict[str, float],
              options: list[str], cache_dir: str | None) -> dict:
    """Run ``statc COMMAND`` for one point; return its exit code, status, output text and files."""
    from statc import commands
    out_s, err_s = _capture("stdout"), _capture("stderr")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="statc-point-") as tmp:
        model = Path(tmp) / Path(model_name).name
        model.write_text(model_text)
        out_dir = Path(tmp) / "out"
        argv = [command, str(model), *(f"--set={k}={float(v)!r}" for k, v in params.items()),
                "--out", str(out_dir), *options]
        if cache_dir:
            argv += ["--cache-dir", cache_dir]
        if command == "check":     # seeds run serially: the sweep's workers are the parallelism
            argv += ["--jobs", "1"]
        out_s.local.buf, err_s.local.buf = io.StringIO(), io.StringIO()
        error = None
        try:
            code = commands.execute(argv)
        except (Exception, SystemExit):   # a bug or an unexpected failure: recorded, the sweep goes on
            code, error = -1, traceback.format_exc()
        finally:
            stdout, stderr = out_s.local.buf.getvalue(), err_s.local.buf.getvalue()
            out_s.local.buf = err_s.local.buf = None
        files = {}
        if out_dir.is_dir():
            for p in sorted(out_dir.rglob("*")):
                if p.is_file() and not p.name.startswith("."):
                    files[str(p.relative_to(out_dir))] = p.read_bytes()
    if error:
        stderr += error
    return {"code": code, "status": STATUS.get(code, "error"), "stdout": stdout, "stderr": stderr,
            "files": files, "seconds": time.perf_counter() - t0, "pid": os.getpid()}
