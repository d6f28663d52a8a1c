"""`statc optimize` against closed forms and published numbers."""
from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq, minimize

from statc.runtime.control import optimize as opt
from statc.runtime.control.problem import build_problem
from statc.runtime.control.projection import project_block

ROOT = Path(__file__).resolve().parents[2]


def _optimal_control_value(T=10.0, s2=0.5, e0=0.5):
    """Optimal ε_g(T) for online linear regression with the learning rate as control.

    dε/dt = −η(2−η)ε + η²σ²/2 is minimised pointwise by η* = 2ε/(2ε + σ²) (the state is
    scalar, so greedy is optimal), giving dε/dt = −2ε²/(2ε + σ²), i.e.
    ln(ε0/ε) + (σ²/2)(1/ε − 1/ε0) = T.
    """
    return brentq(lambda e: math.log(e0 / e) + s2 / 2 * (1 / e - 1 / e0) - T, 1e-4, e0)


def test_lr_schedule_matches_optimal_control_closed_form(load):
    p = build_problem(load("lr_schedule").compiled)
    res = opt.optimize(p)
    # best constant: the closed form's optimum over eta (issue: 0.0402 at eta ≈ 0.217)
    def eps(eta, T=10.0, s2=0.5):
        inf = eta * s2 / (2 * (2 - eta))
        return inf + (0.5 - inf) * math.exp(-eta * (2 - eta) * T)
    best = minimize(lambda x: eps(x[0]), [0.2], bounds=[(0.01, 1.9)])
    assert res.constant_objective == pytest.approx(best.fun, rel=1e-6)
    assert res.constant_z[0] == pytest.approx(best.x[0], abs=1e-3)
    assert round(res.constant_objective, 4) == 0.0402
    # 400 piecewise-constant intervals vs the continuous optimum: O(h^2) ~ 1e-6 relative
    target = _optimal_control_value()
    assert res.objective == pytest.approx(target, rel=1e-5)
    assert res.objective < 0.85 * res.constant_objective                   # 20 % lower
    eta = res.z
    assert eta[0] == pytest.approx(2 * 0.5 / (2 * 0.5 + 0.5), abs=0.01)    # η*(0) = 2/3
    assert np.all(np.diff(eta) < 1e-6)                                     # decaying


def test_curriculum_beats_fixed_schedules_and_published_optimum(load):
    p = build_problem(load("curriculum").compiled)
    res = opt.optimize(p)
    assert set(res.baselines) >= {"easy_then_hard", "hard_then_easy", "alternating"}
    assert res.objective < min(res.baselines.values())
    # published optimum with Euler steps of 0.05 and 240 intervals: 0.1467
    assert res.objective == pytest.approx(0.1467, abs=3e-4)
    cols = opt.columns(p, res.z)
    assert np.mean(cols["Delta"][:-1] == 0) == 0.5                        # the budget, exactly
    assert cols["Delta"][0] == 0 and cols["Delta"][-2] == 0                # easy first and last


def test_dropout_schedule_beats_best_constant(load):
    p = build_problem(load("dropout").compiled)
    res = opt.optimize(p, maxiter=100)
    assert res.objective < res.constant_objective - 1e-3
    keep = res.z[p.slices()["keep"]]
    assert keep[0] > 0.95 and keep[-1] < 0.6                              # no dropout early, more later


def test_projection_is_exact():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = 12
        y = rng.normal(0.5, 0.6, n)
        a = rng.uniform(0.1, 0.9)
        x = project_block(y, np.zeros(n), np.ones(n), a, a)
        ref = minimize(lambda v: np.sum((v - y) ** 2), np.full(n, a), jac=lambda v: 2 * (v - y),
                       bounds=[(0, 1)] * n, constraints=[{"type": "eq", "fun": lambda v: v.mean() - a}],
                       method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
        assert x.mean() == pytest.approx(a, abs=1e-12)
        assert np.all((x >= 0) & (x <= 1))
        assert np.sum((x - y) ** 2) <= np.sum((ref.x - y) ** 2) + 1e-9


def test_cli_writes_outputs_and_schedule_replays(tmp_path, cache_dir):
    out = tmp_path / "opt"
    r = subprocess.run([sys.executable, "-m", "statc.cli", "optimize", "models/lr_schedule.model",
                        "--out", str(out), "--intervals", "40", "--maxiter", "50", "--no-plot"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "best constant protocol" in r.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] < summary["best_constant"]["objective"]
    assert summary["objective_dopri5"] == pytest.approx(summary["objective"], rel=1e-6)
    rows = list(csv.DictReader(open(out / "control.csv")))
    assert list(rows[0]) == ["t", "eta", "eps_g"] and len(rows) == 41
    # the schedule replays through `statc run --schedule`
    r = subprocess.run([sys.executable, "-m", "statc.cli", "run", "models/lr_schedule.model",
                        "--schedule", str(out / "control.csv"), "--init-N", "0", "--out", str(tmp_path / "run")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    run = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert run["final"]["eps_g"] == pytest.approx(summary["objective"], rel=1e-6)


def test_cli_without_control_block(tmp_path, cache_dir):
    r = subprocess.run([sys.executable, "-m", "statc.cli", "optimize", "models/saad_solla.model"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "has no `control` block" in r.stderr and "Traceback" not in r.stderr


def test_budget_on_a_continuous_control(tmp_path, cache_dir):
    """`integral(eta) <= 2` on [0, 10]: the optimum spends the budget exactly (mean η = 0.2)."""
    import statc
    text = (ROOT / "models" / "lr_schedule.model").read_text()
    text = text.replace("intervals = 400", "intervals = 50\n  integral(eta) <= 2")
    f = tmp_path / "lr_budget.model"
    f.write_text(text)
    p = build_problem(statc.load(f, cache_dir=cache_dir).compiled)
    res = opt.optimize(p)
    eta = res.z
    assert eta.mean() <= 0.2 + 1e-9
    assert eta.mean() == pytest.approx(0.2, abs=1e-6)          # active: more learning helps here
    assert res.constant_z[0] <= 0.2 + 1e-12
    assert res.objective < res.constant_objective
    free = opt.optimize(build_problem(statc.load(ROOT / "models" / "lr_schedule.model",
                                                 cache_dir=cache_dir).compiled, intervals=50))
    assert res.objective > free.objective


def test_parameter_defined_from_a_timed_control_is_refused(tmp_path, cache_dir):
    text = (ROOT / "models" / "dropout.model").read_text().replace("  p_test in [0, 1] final\n", "")
    f = tmp_path / "dropout_nofinal.model"
    f.write_text(text)
    r = subprocess.run([sys.executable, "-m", "statc.cli", "optimize", str(f), "--intervals", "0"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "at least 1" in r.stderr
    r = subprocess.run([sys.executable, "-m", "statc.cli", "optimize", str(f)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "`p_test` is defined from the control `keep`" in r.stderr and "^" in r.stderr
