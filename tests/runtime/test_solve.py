"""The integration driver: chunked kernel calls give the one-call trajectory; limits."""
from __future__ import annotations

import numpy as np
import pytest

from statc.dsl import StatcError
from statc.runtime import params as pm
from statc.runtime.online import integrators, solve
from statc.runtime.online.initial import initial_state
from statc.runtime.online.layout import make_layout
from statc.runtime.schedule import from_model, segments


def _setup(load, name, **over):
    m = load(name)
    c = m.compiled
    values = pm.resolve(c.model, c.meta, over)
    P = pm.vector(c.meta, values)
    layout = make_layout(c.meta, values)
    y0 = initial_state(c, layout, values, P, init_N=200, seed=3)
    return c, layout, y0, P, values


@pytest.mark.parametrize("method", ["dopri5", "rk4"])
def test_chunks_reproduce_one_kernel_call(load, monkeypatch, method):
    """Pausing the kernel every few steps (Ctrl-C is answered between calls) changes nothing.

    The reference is one direct kernel call over the whole run.  Resuming restores
    the state and the step size exactly; the only difference is that the first
    stage k1 is re-evaluated at the resume time instead of reused from the last
    step's end point (the same point up to rounding of t), hence 1e-12, not 0.
    """
    c, layout, y0, P, values = _setup(load, "saad_solla", K=2, M=2, eta=0.5)
    scheds = {"eta": [(0.0, 3.0, 1.0), (3.0, 20.0, 0.3)]}
    seg_t, seg_P = segments(c.meta["params"], values, scheds, 0.0, 20.0)
    opts = solve.RunOptions(t0=0.0, t_end=20.0, record=("log", 30), method=method, dt=0.05)
    t_rec = solve.record_times(opts)
    ref = np.full((t_rec.size, y0.size), np.nan)
    info = np.zeros(6)
    st = seg_t.copy()
    if method == "dopri5":
        integrators.integrate_dopri(integrators.first_class(c.module.rhs), y0.copy(), st, seg_P, t_rec, opts.rtol, opts.atol, 0.0,
                                 opts.max_steps, ref, info)
    else:
        integrators.integrate_rk4(integrators.first_class(c.module.rhs), y0.copy(), st, seg_P, t_rec, opts.dt, ref, info[:5])
    assert info[0] == 0
    monkeypatch.setattr(solve, "CHUNK_SECONDS", 1e-9)     # the smallest chunks
    t, Y, meta = solve.integrate(c.module, layout, y0, P, opts, seg_t=seg_t, seg_P=seg_P)
    assert np.allclose(Y, ref, rtol=1e-12, atol=1e-14)
    assert meta["steps"] == int(info[3])


def test_record_limit(load):
    c, layout, y0, P, _ = _setup(load, "linear_regression")
    opts = solve.RunOptions(t_end=1.0, record=("linear", solve.MAX_RECORDS + 1))
    with pytest.raises(StatcError, match="number of recording times"):
        solve.integrate(c.module, layout, y0, P, opts)


def test_trajectory_memory_limit(load, monkeypatch):
    c, layout, y0, P, _ = _setup(load, "linear_regression")
    monkeypatch.setattr(solve, "MAX_TRAJECTORY_ENTRIES", 100)
    with pytest.raises(StatcError, match="GiB"):
        solve.integrate(c.module, layout, y0, P, solve.RunOptions(t_end=1.0, record=("linear", 50)))
