"""Heavy-ball momentum (#12 req. 3) on ridge regression against the exact Marchenko–Pastur
solution with the momentum polynomial recursion (conftest.exact_heavy_ball, written
independently of statc): the DMFT through the whole pipeline (models/momentum_ridge.model →
SymPy → kernels → sweep with the second-order weight recursions) and the finite-size simulator
(the microscopic heavy-ball rule) both match it at every step within 3 standard errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from statc.cli import main

ROOT = Path(__file__).resolve().parents[3]
PARAMS = dict(alpha=3.0, lam=0.5, m0=0.2, q0=1.04, eta=0.05, beta=0.5)


def test_heavy_ball_dmft_matches_marchenko_pastur_at_every_step(cache_dir, exact_ridge_heavy_ball):
    import statc
    from statc.runtime.dmft import runner
    compiled = statc.load(ROOT / "models" / "momentum_ridge.model", cache_dir=cache_dir).compiled
    tr = runner.run(compiled, {}, samples=4000, repeats=8, seed=4)
    steps = len(tr["t"]) - 1
    assert steps == 60 and compiled.meta["algorithm"] == "gd"
    m, Q, loss = exact_ridge_heavy_ball(**PARAMS, steps=steps)
    for name, exact in (("m", m), ("Q", Q), ("train_loss", loss)):
        z = np.abs(tr[name][1:] - exact[1:]) / tr.stderr[name][1:]
        assert np.all(z < 3), (name, float(z.max()))
    # the momentum matters: plain GD is far from these curves (no agreement by accident)
    m_gd, _, _ = exact_ridge_heavy_ball(**{**PARAMS, "beta": 0.0}, steps=steps)
    assert np.max(np.abs(tr["m"] - m_gd) / np.maximum(tr.stderr["m"], 1e-12)) > 50


def test_heavy_ball_simulation_matches_marchenko_pastur(exact_ridge_heavy_ball):
    from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher
    from statc.runtime.dmft.simulate import simulate_seeds
    p = DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("momentum", 0.05, beta=0.5),
                    alpha=3.0, eta=0.05, steps=60, lam=0.5, m0=0.2, Q0=1.04)
    sim = simulate_seeds(p, 800, seeds=8, seed=11, n_test=500)
    m, Q, loss = exact_ridge_heavy_ball(**PARAMS, steps=60)
    idx = [5, 15, 30, 60]
    for name, exact in (("m", m), ("Q", Q), ("train_loss", loss)):
        z = np.abs(sim.mean[name][idx] - exact[idx]) / sim.stderr[name][idx]
        assert np.all(z < 3.5), (name, z)            # 12 comparisons, 7-dof Student t, O(1/N) bias ≪ SE


def test_batch_fraction_set_on_a_dmft_model_is_checked_as_a_fraction(tmp_path, cache_dir, capsys):
    """`--set b=0.5` is a valid batch fraction of a finite-data model (the online rule wants a whole
    batch size ≥ 1); 1.5 is a located error."""
    model = str(ROOT / "models" / "phase_retrieval.model")
    common = ["--samples", "200", "--repeats", "2", "--t-end", "0.2"]
    assert main(["run", model, "--set", "b=0.5", "--set", "tau=1", *common, "--out", str(tmp_path / "a")]) == 0
    assert main(["run", model, "--set", "b=1.5", *common, "--out", str(tmp_path / "b")]) == 2
    assert "batch fraction (`batch = ...`) must be in (0, 1], got 1.5" in capsys.readouterr().err


def test_momentum_out_of_range_is_a_located_error(tmp_path, capsys):
    text = (ROOT / "models" / "momentum_ridge.model").read_text()
    rc = main(["run", str(ROOT / "models" / "momentum_ridge.model"), "--set", "beta=1.2", "--samples", "100",
               "--repeats", "2", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2 and "momentum_ridge.model:33:57: error: the momentum (`momentum = ...`) must be in [0, 1)" in err
    assert "momentum = beta" in text
