"""Fixtures of the kernel kind's tests."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest


@pytest.fixture
def nuts_check():
    """``nuts_check(*args)``: ``statc check ARGS`` of a kernel model in a fresh interpreter,
    returning its exit status.

    NUTS runs on jax, which is multithreaded: a pytest worker that imported it must not fork
    afterwards, and the online check forks its seed workers (CI warned "os.fork() was called
    … JAX is multithreaded, so this will likely lead to a deadlock").  Skips without numpyro,
    found without importing it.  The kernel cache reaches the child through
    ``STATC_CACHE_DIR`` (the session's ``cache_dir`` fixture exports it)."""
    if importlib.util.find_spec("numpyro") is None:
        pytest.skip("statc check for kernel models needs numpyro: pip install 'statc[sampling]'")

    def run(*args: str) -> int:
        return subprocess.run([sys.executable, "-m", "statc.cli", "check", *args]).returncode
    return run
