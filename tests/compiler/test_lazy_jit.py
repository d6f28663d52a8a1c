"""`statc compile` and `statc run` JIT only the forward kernels (issue 19).

Numba compiles a generated function on its first call, so a command pays only for
what it calls: the adjoint (``rhs_vjp``, ``obs_vjp``, ``_vjp_*``, ``grad_*``) is
compiled by the first ``optimize``, the simulator (``sim_*``, the RNG) by the first
``check``.  On ``saad_solla`` they are about as large as the forward kernels, so an
eager compile (a ``dispatcher.compile`` at import, a warm-up call) would double a
cold ``statc compile``.  Run in a subprocess: the session's other tests call these
functions in this one.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"

PROBE = """
import json, sys
import numba
from statc.commands import execute
for command in (["compile"], ["run", "--t-end", "0.001"]):
    assert execute(command + [sys.argv[1], "--cache-dir", sys.argv[2]]) == 0
mod = next(m for n, m in sys.modules.items() if n.startswith("statc_kernels_"))
print(json.dumps(sorted(n for n, f in vars(mod).items()
                        if isinstance(f, numba.core.registry.CPUDispatcher) and f.signatures)))
"""

ADJOINT = ("rhs_vjp", "obs_vjp", "_vjp_", "grad_")
SIMULATOR = ("sim_", "_sim_", "rand_", "fill_normal", "field_dots", "overlap_dots", "_next64", "_zig", "_hz",
             "_drift")


def test_compile_and_run_do_not_compile_the_adjoint_or_the_simulator(cache_dir):
    p = subprocess.run([sys.executable, "-c", PROBE, str(MODELS / "saad_solla.model"), str(cache_dir)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    compiled = json.loads(p.stdout.strip().splitlines()[-1])
    assert {"rhs", "observables"} <= set(compiled)
    assert [n for n in compiled if n.startswith(ADJOINT)] == []
    assert [n for n in compiled if n.startswith(SIMULATOR)] == []
