"""Replica distance D(t) = |w_a(t) − w_b(t)|²/N (`observe D = replica_distance(w)`, DMFT.md §4).

References not derived by statc's two-replica pass:
* GD (b = 1, T = 0) has no noise: the two copies are the same run, D ≡ 0 (exactly in the
  simulation, to round-off in the DMFT, on the non-linear logistic mixture).
* Langevin on ridge regression: each run is linear with additive isotropic noise, so the
  two copies differ only by their independent noises; per eigen-direction a of XᵀX
  (Marchenko–Pastur) each has variance σ_k²(a) = 2ηT (1 − q^{2k})/(1 − q²), q = 1 − η(λ + a),
  hence D_k = 2 ∫ρ σ_k². The DMFT still samples the pair (ω_a, ω_b) with the cross kernel
  (their forces differ), so this checks the cross-kernel closure.
* SGD and persistent SGD (logistic mixture, b < 1): D > 0 and the DMFT matches the
  two-copy finite-size simulation (independent code, no kernel).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from statc.cli import main
from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve_repeats
from statc.runtime.dmft.observe import Observables
from statc.runtime.dmft.simulate import simulate_seeds

REPLICA = Observables(replicas=("D",))


def gmm_problem(algorithm, steps: int) -> DmftProblem:
    return DmftProblem(make_teacher("gmm", rho=0.5, Delta=1.0), get_loss("logistic"), algorithm,
                       alpha=2.0, eta=0.25, steps=steps, lam=0.1, m0=0.0, Q0=1.0, observe=REPLICA)


@pytest.mark.parametrize("algorithm", [make_algorithm("gd", 0.25), make_algorithm("momentum", 0.25, beta=0.5),
                                       make_algorithm("nesterov", 0.25, beta=0.5)])
def test_gd_replica_distance_is_zero(algorithm):
    p = gmm_problem(algorithm, steps=12)
    est = solve_repeats(p, 2000, repeats=2, seed=3)
    assert np.max(np.abs(est.mean["D"])) < 1e-10
    sim = simulate_seeds(p, 300, seeds=2, seed=4, n_test=100)
    assert np.all(sim.per_seed["D"] == 0.0)


ALPHA, LAM, M0, Q0, ETA, T, STEPS = 3.0, 0.5, 0.2, 1.04, 0.1, 0.05, 30


def langevin_exact(mp_nodes) -> tuple[DmftProblem, np.ndarray]:
    a, w = mp_nodes(ALPHA)
    q2 = (1 - ETA * (LAM + a)) ** 2
    k = np.arange(STEPS + 1)[:, None]
    exact = 2 * (2 * ETA * T * (1 - q2 ** k) / (1 - q2)) @ w
    p = DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("langevin", ETA, T=T),
                    alpha=ALPHA, eta=ETA, steps=STEPS, lam=LAM, m0=M0, Q0=Q0, observe=REPLICA)
    return p, exact


def test_langevin_replica_distance_matches_exact(mp_nodes):
    p, exact = langevin_exact(mp_nodes)
    est = solve_repeats(p, 4000, repeats=8, seed=5)
    # D_1 = 4ηT exactly (the two copies differ only by their first noises), no Monte-Carlo error
    assert est.mean["D"][0] == 0.0 and abs(est.mean["D"][1] - 4 * ETA * T) < 1e-12
    dev = np.abs(est.mean["D"][2:] - exact[2:]) / est.stderr["D"][2:]
    assert dev.max() < 3.5, f"D: {dev.max():.2f} SE"
    assert exact[-1] > 10 * est.stderr["D"][-1], est.stderr["D"][-1]      # resolved, not within noise of 0


def nesterov_langevin_exact(mp_nodes, beta: float) -> tuple[DmftProblem, np.ndarray]:
    """Nesterov + Langevin on ridge: per eigen-direction the difference δ = w_a − w_b of the two
    copies obeys δ_{k+1} = q((1 + β)δ_k − βδ_{k−1}) + ζ_k, Var ζ = 2·2ηT, δ_0 = δ_{−1} = 0; its
    variance follows from the 2×2 covariance of (δ_k, δ_{k−1}); D_k = ∫ρ Var δ_k."""
    from dataclasses import replace

    from statc.runtime.dmft.algorithms import with_momentum
    a, w = mp_nodes(ALPHA)
    q = 1 - ETA * (LAM + a)
    s00, s01, s11 = np.zeros_like(a), np.zeros_like(a), np.zeros_like(a)
    exact = [0.0]
    for _ in range(STEPS):
        m0, m1 = q * (1 + beta), -q * beta                   # δ_{k+1} = m0 δ_k + m1 δ_{k−1} + ζ
        s00, s01, s11 = (m0 * m0 * s00 + 2 * m0 * m1 * s01 + m1 * m1 * s11 + 4 * ETA * T,
                         m0 * s00 + m1 * s01, s00)
        exact.append(float(s00 @ w))
    alg = with_momentum(replace(make_algorithm("gd", ETA), temperature=T), beta, "nesterov")
    p = DmftProblem(make_teacher("linear"), get_loss("square"), alg,
                    alpha=ALPHA, eta=ETA, steps=STEPS, lam=LAM, m0=M0, Q0=Q0, observe=REPLICA)
    return p, np.array(exact)


def test_nesterov_langevin_replica_distance_matches_exact(mp_nodes):
    p, exact = nesterov_langevin_exact(mp_nodes, beta=0.5)
    est = solve_repeats(p, 2000, repeats=6, seed=5)
    assert est.mean["D"][0] == 0.0 and abs(est.mean["D"][1] - 4 * ETA * T) < 1e-12
    dev = np.abs(est.mean["D"][2:] - exact[2:]) / est.stderr["D"][2:]
    assert dev.max() < 3.5, f"D: {dev.max():.2f} SE"
    assert exact[-1] > 10 * est.stderr["D"][-1]


@pytest.mark.slow
def test_nesterov_two_copy_simulation_matches_exact(mp_nodes):
    p, exact = nesterov_langevin_exact(mp_nodes, beta=0.5)
    sim = simulate_seeds(p, 1000, seeds=4, seed=6, n_test=100)
    dev = np.abs(sim.mean["D"][1:] - exact[1:]) / sim.stderr["D"][1:]
    assert dev.max() < 4.0, f"simulated D: {dev.max():.2f} SE"


@pytest.mark.slow
def test_langevin_two_copy_simulation_matches_exact(mp_nodes):
    p, exact = langevin_exact(mp_nodes)
    sim = simulate_seeds(p, 1000, seeds=4, seed=6, n_test=100)
    dev = np.abs(sim.mean["D"][1:] - exact[1:]) / sim.stderr["D"][1:]      # N = 1000: 1/N ≪ SE
    assert dev.max() < 4.0, f"simulated D: {dev.max():.2f} SE"


def _compare(p: DmftProblem, N: int):
    est = solve_repeats(p, 4000, repeats=4, seed=11)
    sim = simulate_seeds(p, N, seeds=4, seed=12, n_test=100)
    se = np.hypot(est.stderr["D"], sim.stderr["D"])
    return est.mean["D"], sim.mean["D"], se


@pytest.mark.slow
@pytest.mark.parametrize("name, params", [("sgd", {"b": 0.3}), ("persistent", {"b": 0.5, "tau": 2.0}),
                                          ("momentum", {"b": 0.3, "beta": 0.5}),
                                          ("nesterov", {"b": 0.3, "beta": 0.5})])
def test_sgd_replica_distance_matches_simulation(name, params):
    p = gmm_problem(make_algorithm(name, 0.25, **params), steps=16)
    th, sim, se = _compare(p, 1500)
    assert np.all(th[1:] > 0) and np.all(sim[1:] > 0)
    assert th[-1] > 10 * se[-1]                       # clearly positive
    # every step within 3.5 combined standard errors plus the O(1/N) finite-size allowance
    dev = np.abs(th - sim)
    assert np.all(dev <= 3.5 * se + 5 * th.max() / 1500), (th, sim, se)


MODEL = """model rep
params { alpha = 2; eta = 0.25; b = 0.5 }
input x ~ gaussian
data n = alpha * N
teacher { vector wt ~ gaussian
  y = wt.x }
student { vector w ~ gaussian
  yhat = w.x }
loss = (yhat - y)^2 / 2
algorithm sgd { train w lr eta;  batch = b }
order m = w.wt;  Q = w.w
init { m = 0;  Q = 1 }
OBSERVE
run { time 0 .. 1 }
"""


@pytest.mark.parametrize("observe, where", [
    ("observe D = replica_distance(wt)", "student vector"),
    ("observe D = 2 * replica_distance(w)", "whole observable"),
    ("observe D = replica_distance(w, w)", "one argument"),
    ("observe D = fdt(wt)", "student vector"),
    ("observe D = fdt(w) / 2", "whole observable"),
])
def test_bad_replica_observables_are_located_errors(tmp_path, capsys, cache_dir, observe, where):
    path = tmp_path / "rep.model"
    path.write_text(MODEL.replace("OBSERVE", observe))
    assert main(["compile", str(path), "--cache-dir", str(cache_dir)]) == 2
    err = capsys.readouterr().err
    assert where in err and "rep.model:13:" in err and "^" in err and "Traceback" not in err


def test_replica_distance_is_a_trajectory_column(tmp_path, cache_dir):
    path = tmp_path / "rep.model"
    path.write_text(MODEL.replace("OBSERVE", "observe D = replica_distance(w)"))
    out = tmp_path / "out"
    assert main(["run", str(path), "--cache-dir", str(cache_dir), "--samples", "500", "--repeats", "2",
                 "--out", str(out)]) == 0
    header = (out / "trajectory.csv").read_text().splitlines()[0].split(",")
    assert header[-1] == "D"
    d = np.loadtxt(out / "trajectory.csv", delimiter=",", skiprows=1)[:, -1]
    assert d[0] == 0.0 and np.all(d[1:] > 0) and math.isfinite(d[-1])


def test_replica_distance_in_an_online_model_is_a_located_error(tmp_path, capsys, cache_dir):
    from pathlib import Path
    root = Path(__file__).resolve().parents[3]
    text = (root / "models" / "linear_regression.model").read_text()
    path = tmp_path / "online.model"
    path.write_text(text.replace("run {", "observe Drep = replica_distance(w)\nrun {"))
    assert main(["compile", str(path), "--cache-dir", str(cache_dir)]) == 2
    err = capsys.readouterr().err
    assert "dmft kind" in err and "online.model:" in err and "Traceback" not in err
