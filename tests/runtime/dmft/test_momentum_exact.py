"""Heavy-ball momentum and Nesterov (#12 req. 3) on ridge regression against the exact
Marchenko–Pastur solution with the momentum polynomial recursions (conftest, written
independently of statc): heavy ball p_{k+1} = (1 + β − η(λ + a))p_k − βp_{k−1}, Nesterov
p_{k+1} = (1 − η(λ + a))((1 + β)p_k − βp_{k−1}) for the iterate w and q_k = (1 + β)p_k − βp_{k−1}
for the look-ahead point u where the gradient (and the training loss) is evaluated.

The DMFT (through the whole pipeline for the heavy ball: models/momentum_ridge.model → SymPy →
kernels → sweep) matches at every step within 3 standard errors. The simulator (the microscopic
rules) is compared in the transient (k = 5, 15), where heavy ball and Nesterov differ by ~8 SE:
near convergence the seed mean carries the O(1/N) bias of the finite-N ridge solution (measured
+3.3e-3 on m at N = 800, 6 seeds, i.e. 4 SE), which this test does not model."""
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


def nesterov_exact(mp_nodes, exact_linear, steps):
    """(m, Q of w; training loss at u) for Nesterov on the ridge case of PARAMS."""
    a, w = mp_nodes(PARAMS["alpha"])
    eta, lam, beta = PARAMS["eta"], PARAMS["lam"], PARAMS["beta"]
    p = np.ones((steps + 1, a.size))
    prev = np.ones_like(a)
    for k in range(steps):
        p[k + 1] = (1 - eta * (lam + a)) * ((1 + beta) * p[k] - beta * prev)
        prev = p[k]
    q = np.vstack([p[:1], (1 + beta) * p[1:] - beta * p[:-1]])
    m, Q, _ = exact_linear(a, w, PARAMS["alpha"], lam, PARAMS["m0"], PARAMS["q0"], p)
    return m, Q, exact_linear(a, w, PARAMS["alpha"], lam, PARAMS["m0"], PARAMS["q0"], q)[2]


def problem(rule: str, steps: int = 60):
    from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher
    return DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm(rule, 0.05, beta=0.5),
                       alpha=3.0, eta=0.05, steps=steps, lam=0.5, m0=0.2, Q0=1.04)


def test_nesterov_dmft_matches_marchenko_pastur_at_every_step(mp_nodes, exact_linear_method):
    from statc.runtime.dmft import solve_repeats
    est = solve_repeats(problem("nesterov"), 4000, repeats=6, seed=3)
    for name, exact in zip(("m", "Q", "train_loss"), nesterov_exact(mp_nodes, exact_linear_method, 60)):
        z = np.abs(est.mean[name][1:] - exact[1:]) / est.stderr[name][1:]
        assert np.all(z < 3), (name, float(z.max()))


def test_momentum_simulations_match_marchenko_pastur_in_the_transient(exact_ridge_heavy_ball, mp_nodes,
                                                                     exact_linear_method):
    from statc.runtime.dmft.simulate import simulate_seeds
    idx = [5, 15]
    for rule, exact in (("momentum", exact_ridge_heavy_ball(**PARAMS, steps=15)), ("nesterov", nesterov_exact(mp_nodes, exact_linear_method, 15))):
        sim = simulate_seeds(problem(rule, 15), 800, seeds=8, seed=11, n_test=200)
        for name, ref in zip(("m", "Q", "train_loss"), exact):
            z = np.abs(sim.mean[name][idx] - ref[idx]) / sim.stderr[name][idx]
            assert np.all(z < 3.5), (rule, name, z)          # 12 comparisons, 7-dof Student t


def test_batch_fraction_set_on_a_dmft_model_is_checked_as_a_fraction(tmp_path, cache_dir, capsys):
    """`--set b=0.5` is a valid batch fraction of a finite-data model (the online rule wants a whole
    batch size ≥ 1); 1.5 is a located error."""
    model = str(ROOT / "models" / "phase_retrieval.model")
    common = ["--samples", "200", "--repeats", "2", "--t-end", "0.2"]
    assert main(["run", model, "--set", "b=0.5", "--set", "tau=1", *common, "--out", str(tmp_path / "a")]) == 0
    assert main(["run", model, "--set", "b=1.5", *common, "--out", str(tmp_path / "b")]) == 2
    assert "batch fraction (`batch = ...`) must be in (0, 1], got 1.5" in capsys.readouterr().err


def test_momentum_out_of_range_is_a_located_error(tmp_path, cache_dir, capsys):
    text = (ROOT / "models" / "momentum_ridge.model").read_text()
    rc = main(["run", str(ROOT / "models" / "momentum_ridge.model"), "--set", "beta=1.2", "--samples", "100",
               "--repeats", "2", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2 and "momentum_ridge.model:33:57: error: the momentum (`momentum = ...`) must be in [0, 1)" in err
    assert "momentum = beta" in text
