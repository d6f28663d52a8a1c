"""Initial conditions: declared distributions, the init block, finite-N draws."""
from __future__ import annotations

import numpy as np
import pytest

import statc

MODEL = """
model init_demo
params { K = 2; M = 2; eta = 0.2; q0 = 0.5 }
input x ~ gaussian
teacher { vector wt[m in 1..M] ~ gaussian; y = sum(m, erf(wt[m].x / sqrt(2))) }
student { vector w[k in 1..K] ~ gaussian(scale = 0.1); scalar v[k] = 1 / K
          yhat = sum(k, v[k] * erf(w[k].x / sqrt(2))) }
loss = (yhat - y)^2 / 2
algorithm sgd { train w lr eta }
order Q[k,l] = w[k].w[l]; R[k,m] = w[k].wt[m]; T[m,n] = wt[m].wt[n]
init { Q[k,l] = q0 * delta(k,l) + 0.1 * (1 - delta(k,l)); R[k,m] = 0.01 * k * m }
observe eps_g = mean((yhat - y)^2 / 2)
run { time 0 .. 1; record linear 2 }
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory, cache_dir):
    p = tmp_path_factory.mktemp("init") / "init_demo.model"
    p.write_text(MODEL)
    return statc.load(p, cache_dir=cache_dir)


def test_init_block_overrides_entries(model):
    tr = model.run(q0=0.7, K=3)
    assert tr["Q[1,1]"][0] == pytest.approx(0.7) and tr["Q[3,3]"][0] == pytest.approx(0.7)
    assert tr["Q[1,3]"][0] == pytest.approx(0.1)
    assert tr["R[3,2]"][0] == pytest.approx(0.06)          # 1-based indices in the file
    assert tr["v[2]"][0] == pytest.approx(1 / 3)            # scalar init follows --set K


def test_infinite_N_start_is_exact(model):
    tr = model.run(init_N=0)
    assert tr["T[1,1]"][0] == 1.0 and tr["T[1,2]"][0] == 0.0


def test_finite_N_draw_fluctuates_like_one_over_sqrt_N(model):
    devs = []
    for seed in range(20):
        tr = model.run(init_N=400, seed=seed)
        devs.append(tr["T[1,2]"][0])
    sd = np.std(devs)
    assert 0.5 / np.sqrt(400) < sd < 2 / np.sqrt(400)
    a = model.run(init_N=400, seed=3)["T[1,1]"][0]
    b = model.run(init_N=400, seed=3)["T[1,1]"][0]
    assert a == b                                          # seeded


OBS_MODEL = MODEL.replace("observe eps_g = mean((yhat - y)^2 / 2)",
                          "observe eps_g = mean((yhat - y)^2 / 2)\n"
                          "observe q12 = Q[1,2]\nobserve m = (R[1,1] + R[2,1]) / 2 / sqrt(T[1,1])")


def test_observables_may_name_order_parameter_entries(tmp_path, cache_dir):
    p = tmp_path / "obs.model"
    p.write_text(OBS_MODEL)
    tr = statc.load(p, cache_dir=cache_dir).run(t_end=1, init_N=0)
    assert np.array_equal(tr["q12"], tr["Q[1,2]"])
    assert np.allclose(tr["m"], (tr["R[1,1]"] + tr["R[2,1]"]) / 2 / np.sqrt(tr["T[1,1]"]))


def test_order_parameter_entry_needs_literal_indices(tmp_path, cache_dir):
    from statc.dsl import StatcError
    p = tmp_path / "bad.model"
    p.write_text(OBS_MODEL.replace("observe q12 = Q[1,2]", "observe q12 = Q[1]"))
    with pytest.raises(StatcError, match="takes 2 index"):
        statc.load(p, cache_dir=cache_dir)


def test_init_block_literal_entries_set_one_entry_each(model):
    """`Q[1,2] = v` sets that entry (and its mirror); later statements override earlier ones."""
    from statc.dsl import parse
    from statc.runtime.online.initial import _apply_init_block
    from statc.runtime.online.layout import make_layout
    text = MODEL.replace(
        "init { Q[k,l] = q0 * delta(k,l) + 0.1 * (1 - delta(k,l)); R[k,m] = 0.01 * k * m }",
        "init { Q[k,l] = q0 * delta(k,l); Q[2,1] = 0.2; R[k,m] = 0; R[2,m] = 0.03 * m; R[1,2] = -0.5 }")
    ast = parse(text, "literal.model")
    values = {"K": 2, "M": 2, "eta": 0.2, "q0": 0.5}
    layout = make_layout(model.compiled.meta, values)
    y = np.full(sum(b.size for b in layout.blocks), np.nan)
    _apply_init_block(ast, layout, values, y)
    Q = y[layout.block("Q").offset:][:4].reshape(2, 2)
    R = y[layout.block("R").offset:][:4].reshape(2, 2)
    assert np.array_equal(Q, [[0.5, 0.2], [0.2, 0.5]])
    assert np.array_equal(R, [[0.0, -0.5], [0.03, 0.06]])
