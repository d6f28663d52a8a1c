"""Worker processes compile a module's term chunks into Numba's cache; the parent loads them.

`compiler/parallel_jit.py` guesses each chunk's Numba signature from the argument
names the code generator gives it.  A wrong guess would not be an error (the
parent would compile the chunk itself, as before), only a silent loss of the
speed-up, so these tests check that the parent compiles none of the planned
chunks and computes the same numbers bit for bit.
"""
from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from statc.compiler import parallel_jit
from statc.runtime import params as pm
from statc.runtime.online.rhs_check import random_state


def _fresh_copy(module, tmp_path: Path):
    """The module's text under a new name and path: nothing of it compiled or cached yet."""
    name = f"statc_kernels_pjit_{uuid.uuid4().hex[:12]}"
    path = tmp_path / f"{name}.py"
    path.write_text(Path(module.__file__).read_text())
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_plan_lists_the_separately_compiled_chunks_with_their_argument_types(load):
    m = load("continual").compiled
    text = Path(m.module.__file__).read_text()
    jobs = dict(parallel_jit.plan(text, m.meta["blocks"], "_vjp_terms_"))
    # the chunks Numba compiles on their own: those not inlined into their block
    separate = sorted(n for n, f in vars(m.module).items()
                      if n.startswith("_vjp_terms_") and f.targetoptions.get("inline") != "always")
    assert len(separate) >= 2, "continual's adjoint no longer has several chunks: test another model"
    assert sorted(jobs) == separate
    C2, C1 = "float64[:, ::1]", "float64[::1]"
    state = [C2, C2, C2, C1, C1]                          # S_Q, S_R, S_T, S_h1, S_h2
    assert jobs[separate[0]] == f"({', '.join(['int64', 'int64', 'float64', C1] + state + state + [C1])})"
    assert parallel_jit.plan(text, m.meta["blocks"], "_terms_") == []    # all inlined


def test_arg_type_refuses_unknown_names():
    assert parallel_jit.arg_type("S_X", {"X": 2}) == "float64[:, ::1]"
    assert parallel_jit.arg_type("G_S_X", {"X": 1}) == "float64[::1]"
    assert parallel_jit.arg_type("S_Y", {"X": 2}) is None
    assert parallel_jit.arg_type("out", {"X": 2}) is None


def test_workers_off_or_too_few_chunks_start_nothing(load, tmp_path, monkeypatch):
    m = load("continual").compiled
    mod = _fresh_copy(m.module, tmp_path)
    monkeypatch.delenv("STATC_JIT_WORKERS", raising=False)   # off unless asked for
    monkeypatch.setattr(parallel_jit, "MIN_CHUNKS", 1)
    assert parallel_jit.workers() == 0 and parallel_jit.prewarm(mod, m.meta["blocks"], "_vjp_terms_") == 0
    monkeypatch.setenv("STATC_JIT_WORKERS", "1")
    assert parallel_jit.prewarm(mod, m.meta["blocks"], "_vjp_terms_") == 0
    monkeypatch.setenv("STATC_JIT_WORKERS", "2")          # fewer chunks than MIN_CHUNKS
    monkeypatch.setattr(parallel_jit, "MIN_CHUNKS", 1000)
    assert parallel_jit.prewarm(mod, m.meta["blocks"], "_vjp_terms_") == 0
    assert not any(f.signatures for n, f in vars(mod).items() if n.startswith("_vjp_terms_"))


@pytest.mark.slow
def test_the_parent_loads_what_the_workers_compiled(load, tmp_path, monkeypatch):
    m = load("continual").compiled
    mod = _fresh_copy(m.module, tmp_path)
    monkeypatch.setattr(parallel_jit, "MIN_CHUNKS", 1)
    monkeypatch.setenv("STATC_JIT_WORKERS", "2")
    jobs = [n for n, _ in parallel_jit.plan(Path(mod.__file__).read_text(), m.meta["blocks"], "_vjp_terms_")]
    assert parallel_jit.prewarm(mod, m.meta["blocks"], "_vjp_terms_") == len(jobs) >= 2

    values = pm.resolve(m.model, m.meta, {})
    P = pm.vector(m.meta, values)
    y = random_state(m, values, seed=3)
    lam = np.random.default_rng(5).normal(size=y.size)
    got = np.zeros(y.size), np.zeros(P.size)
    mod.rhs_vjp(0.0, y, P, lam, *got)
    for name in jobs:
        stats = getattr(mod, name).stats
        assert sum(stats.cache_hits.values()) == 1 and not stats.cache_misses, (name, stats)
    want = np.zeros(y.size), np.zeros(P.size)
    m.module.rhs_vjp(0.0, y, P, lam, *want)
    assert all(np.array_equal(g, w) for g, w in zip(got, want))
    assert np.any(want[0] != 0.0)
