"""Schedules: parameters as piecewise-constant functions of time."""
from __future__ import annotations

import math

import numpy as np
import pytest

import statc
from statc.cli import main
from statc.dsl import StatcError

MODEL = """
model sched_lin
params { eta = 0.5; sigma = 0.5; K = 1 }
input x ~ gaussian
teacher { vector wt ~ gaussian; y = wt.x + sigma * noise }
student { vector w ~ gaussian(scale = 0.5); yhat = w.x }
loss = (yhat - y)^2 / 2
algorithm sgd { train w lr eta }
order Q = w.w; R = w.wt; T = wt.wt
observe eps_g = mean((yhat - y)^2 / 2 given sigma = 0)
schedule eta { 0 .. 2 = 1.0; 2 .. 5 = 0.2 }
run { time 0 .. 5; record linear 20 }
"""


def _exact(eps0, pieces, sigma, t):
    """Linear regression: ε relaxes exponentially within each piece of constant η."""
    out = np.empty_like(t)
    for i, ti in enumerate(t):
        e, start = eps0, 0.0
        for a, b, eta in pieces:
            span = min(ti, b) - max(start, a)
            if span <= 0:
                continue
            inf = eta * sigma**2 / (2 * (2 - eta))
            e = inf + (e - inf) * math.exp(-eta * (2 - eta) * span)
            start = min(ti, b)
        out[i] = e
    return out


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("sched") / "sched_lin.model"
    p.write_text(MODEL)
    return p


def test_schedule_in_file(model_path, cache_dir):
    m = statc.load(model_path, cache_dir=cache_dir)
    tr = m.run(init_N=0, rtol=1e-11, atol=1e-13)
    exact = _exact(tr["eps_g"][0], [(0, 2, 1.0), (2, 5, 0.2)], 0.5, tr["t"])
    assert np.max(np.abs(tr["eps_g"] - exact)) < 1e-7
    assert tr["eta"][0] == 1.0 and tr["eta"][-1] == 0.2          # the schedule is a column


def test_schedule_from_csv_overrides_the_file(model_path, cache_dir, tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("t,eta,eps_g\n0,0.3,9\n1,1.5,9\n")          # extra columns are ignored
    m = statc.load(model_path, cache_dir=cache_dir)
    tr = m.run(init_N=0, schedule=str(csv), rtol=1e-11, atol=1e-13)
    exact = _exact(tr["eps_g"][0], [(0, 1, 0.3), (1, 99, 1.5)], 0.5, tr["t"])
    assert np.max(np.abs(tr["eps_g"] - exact)) < 1e-7


def test_simulation_follows_the_schedule(model_path, cache_dir, capsys):
    code = main(["check", str(model_path), "--N", "500", "--seeds", "4", "--record", "linear 5",
                 "--test-samples", "1000", "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS" in out


@pytest.mark.parametrize("text,message", [
    ("schedule eta { 0 .. 2 = 1; 1 .. 3 = 2 }", "overlapping pieces"),
    ("schedule eta { 2 .. 2 = 1 }", "empty schedule piece"),
    ("schedule K { 0 .. 2 = 1 }", "index size"),
    ("schedule etaa { 0 .. 2 = 1 }", "unknown name `etaa`"),
])
def test_bad_schedules(tmp_path, cache_dir, text, message):
    src = MODEL.replace("schedule eta { 0 .. 2 = 1.0; 2 .. 5 = 0.2 }", text)
    if "schedule K" in text:
        src = src.replace("vector w ~", "vector w[k in 1..K] ~").replace("w.x", "w[1].x") \
                 .replace("Q = w.w; R = w.wt", "Q[k,l] = w[k].w[l]; R[k] = w[k].wt")
    p = tmp_path / "bad.model"
    p.write_text(src)
    with pytest.raises(StatcError) as err:
        statc.load(p, cache_dir=cache_dir).run(init_N=0)
    assert message in err.value.render()


def test_bad_schedule_csv(model_path, cache_dir, tmp_path):
    m = statc.load(model_path, cache_dir=cache_dir)
    bad = tmp_path / "bad.csv"
    bad.write_text("time,eta\n0,1\n")
    with pytest.raises(StatcError, match="column `t`"):
        m.run(schedule=str(bad))
    bad.write_text("t,eta\n1,1\n0,2\n")
    with pytest.raises(StatcError, match="increase"):
        m.run(schedule=str(bad))


def test_parameters_at_piece_ends(load):
    """Theory and simulator share one rule: a jump belongs to the later piece, and a piece
    that nothing follows holds at its end (also when that end is the final time)."""
    from statc.runtime.schedule import params_at
    m = load("linear_regression")
    tr = m.run(t_end=5, init_N=0, record="linear 5", schedule={"eta": [(0.0, 5.0, 0.2)]})
    assert list(tr["eta"]) == [0.2] * 6
    vals = {"eta": 0.5, "sigma": 0.5, "lambda": 0, "B": 1}
    two = {"eta": [(0.0, 2.0, 0.2), (2.0, 4.0, 0.3)]}
    at = [params_at(m.params, vals, two, t)[m.params.index("eta")] for t in (0.0, 2.0, 4.0, 4.5)]
    assert at == [0.2, 0.3, 0.3, 0.5]
