"""FDT effective temperature of Langevin dynamics in its stationary state (DMFT.md §4, V6).

Reference (independent of statc): Langevin on ridge regression is, per eigen-direction a of XᵀX
(Marchenko–Pastur), an AR(1) process with q = 1 − η(λ + a), so in the stationary state
ΔC(τ) = ∫ρ 2ηT(1 − q^τ)/(1 − q²) and χ(τ) = ∫ρ η(1 − q^τ)/(1 − q): the fitted T_eff follows in
closed form, and it is a positive-weight average of the per-mode ratios T/(1 − η(λ + a)/2),
so T < T_eff < T/(1 − η(λ + a₊)/2): T_eff = T + O(η) (equilibrium FDT). The window starts at
t = 3, where the slowest transient (rate 2(λ + a₋) ≈ 3.1) is down to e^{-9}.
"""
from __future__ import annotations

import numpy as np
import pytest

from statc.dsl import StatcError
from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve_repeats
from statc.runtime.dmft.fdt import FdtWindow, from_kernels, simulate_fdt

ALPHA, LAM, T = 3.0, 1.0, 0.2


def problem(eta: float) -> DmftProblem:
    return DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("langevin", eta, T=T),
                       alpha=ALPHA, eta=eta, steps=int(round(6 / eta)), lam=LAM, m0=0.2, Q0=1.04)


def window(eta: float) -> FdtWindow:
    """Waiting times t = 3..4, lags 0.2..2 (in steps)."""
    s = lambda t: int(round(t / eta))                       # noqa: E731
    return FdtWindow(s(3), s(4), s(0.2), s(2))


def exact(mp_nodes, eta: float, win: FdtWindow) -> tuple[float, float]:
    """(fitted T_eff of the exact stationary process, upper bound T/(1 − η(λ + a₊)/2))."""
    a, w = mp_nodes(ALPHA)
    q = 1 - eta * (LAM + a)
    tau = np.arange(win.tau_lo, win.tau_hi + 1)[:, None]
    dc = (2 * eta * T * (1 - q ** tau) / (1 - q * q)) @ w
    chi = (eta * (1 - q ** tau) / (1 - q)) @ w
    return float(np.sum(dc ** 2) / np.sum(chi * dc)), T / (1 - eta * (LAM + a.max()) / 2)


@pytest.mark.parametrize("eta", [0.1, 0.05])
def test_dmft_langevin_t_eff(mp_nodes, eta):
    win = window(eta)
    est = solve_repeats(problem(eta), 2000, repeats=4, seed=1)
    t_eff = np.array([from_kernels(np.outer(r.kernels.m, r.kernels.m) + r.kernels.C_perp, r.kernels.R, eta,
                                   win).t_eff for r in est.runs])
    mean, se = t_eff.mean(), t_eff.std(ddof=1) / 2
    ref, upper = exact(mp_nodes, eta, win)
    assert abs(mean - ref) < 3 * se, (mean, se, ref)
    assert T < mean < upper                                          # T_eff = T + O(η)


@pytest.mark.slow
def test_simulated_langevin_t_eff(mp_nodes):
    eta = 0.1
    win = window(eta)
    vals = np.array([simulate_fdt(problem(eta), 1000, win, seed=s).t_eff for s in range(4)])
    ref, upper = exact(mp_nodes, eta, win)
    se = vals.std(ddof=1) / 2
    assert abs(vals.mean() - ref) < 3 * se + ref / 1000, (vals, ref)  # + O(1/N) finite size
    assert T < vals.mean() < upper


def test_window_must_fit():
    with pytest.raises(StatcError, match="does not fit"):
        from_kernels(np.eye(11), np.zeros((11, 11)), 0.1, FdtWindow(5, 8, 1, 5))


LANGEVIN_MODEL = """model lang
params { alpha = 3; lambda = 1; eta = 0.1; T = 0.2 }
input x ~ gaussian
data n = alpha * N
teacher { vector wt ~ gaussian
  y = wt.x }
student { vector w ~ gaussian
  yhat = w.x }
loss = (yhat - y)^2 / 2
algorithm langevin { train w lr eta decay lambda;  temperature = T }
order m = w.wt;  Q = w.w
init { m = 0.2;  Q = 1.04 }
observe Teff = fdt(w);  Twin = fdt(w, window = 3 .. 4, lags = 0.2 .. 2)
run { time 0 .. 6 }
"""


def test_statc_run_reports_fdt_temperature(tmp_path, cache_dir, mp_nodes):
    """`observe Teff = fdt(w)` → summary.json `fdt` and fdt.csv, on the default window
    (waiting times K/2..K/2 + K/8, lags max(1, τ_hi/10)..K − l1) against the closed form."""
    import json

    from statc.cli import main
    from statc.runtime.dmft.fdt import default_window
    path = tmp_path / "lang.model"
    path.write_text(LANGEVIN_MODEL)
    out = tmp_path / "out"
    assert main(["run", str(path), "--cache-dir", str(cache_dir), "--samples", "1500", "--repeats", "3",
                 "--out", str(out)]) == 0
    fdt = json.loads((out / "summary.json").read_text())["fdt"]["Teff"]
    win = default_window(60)
    assert fdt["window"]["steps_wait"] == [win.l0, win.l1] and fdt["window"]["steps_lag"] == [win.tau_lo, win.tau_hi]
    ref, upper = exact(mp_nodes, 0.1, win)
    assert abs(fdt["T_eff"] - ref) < 3 * fdt["stderr"], (fdt, ref)
    assert T < fdt["T_eff"] < upper
    curves = np.loadtxt(out / "fdt.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(curves[:, 3], curves[:, 1] / curves[:, 2])
    # `fdt(w, window = 3 .. 4, lags = 0.2 .. 2)`: the window of the closed-form test above, in steps
    twin = json.loads((out / "summary.json").read_text())["fdt"]["Twin"]
    assert twin["window"]["steps_wait"] == [30, 40] and twin["window"]["steps_lag"] == [2, 20]
    assert twin["window"]["t_wait"] == [3.0, 4.0] and twin["window"]["lag"] == [0.2, 2.0]
    ref, upper = exact(mp_nodes, 0.1, window(0.1))
    assert abs(twin["T_eff"] - ref) < 3 * twin["stderr"], (twin, ref)
    assert (out / "fdt_Twin.csv").exists()


def test_window_from_times_rounds_to_steps_and_defaults():
    from statc.runtime.dmft.fdt import default_window, window_from_times
    assert window_from_times(None, 0.1, 60) == default_window(60)
    assert window_from_times((3.0, 4.0, 0.2, 2.0), 0.1, 60) == FdtWindow(30, 40, 2, 20)
    # only the waiting times: lags up to the end of the run, from a tenth of that
    assert window_from_times((3.0, 4.0, None, None), 0.1, 60) == FdtWindow(30, 40, 2, 20)
    # only the lags: the default waiting times K/2 .. K/2 + K/8
    assert window_from_times((None, None, 0.05, 1.0), 0.1, 60) == FdtWindow(30, 37, 1, 10)
    with pytest.raises(StatcError, match="does not fit in the run"):
        window_from_times((3.0, 4.0, 0.2, 3.0), 0.1, 60)        # e.g. after --t-end 6 shortened a run


def test_gd_has_zero_effective_temperature():
    """b = 1 (full-batch GD, no noise) on a strongly convex loss converges to a point: ΔC → 0 while
    χ stays finite, so T_eff = 0 (the large-b end of the SGD curve), far below SGD's at b = 0.3."""
    def t_eff(b):
        p = DmftProblem(make_teacher("gmm"), get_loss("logistic"), make_algorithm("sgd", 0.25, b=b),
                        alpha=2.0, eta=0.25, steps=48, lam=0.5, m0=0.0, Q0=1.0)
        est = solve_repeats(p, 1000, repeats=2, seed=3)
        win = FdtWindow(24, 30, 2, 18)
        return np.array([from_kernels(np.outer(r.kernels.m, r.kernels.m) + r.kernels.C_perp, r.kernels.R, 0.25,
                                      win).t_eff for r in est.runs])
    gd, sgd = t_eff(1.0), t_eff(0.3)
    assert np.all(sgd > 0.01) and np.all(np.abs(gd) < 1e-3 * sgd.min()), (gd, sgd)


@pytest.mark.slow
def test_statc_check_compares_fdt_temperature(tmp_path, cache_dir, capsys):
    import json

    from statc.cli import main
    path = tmp_path / "lang.model"
    path.write_text(LANGEVIN_MODEL)
    out = tmp_path / "chk"
    rc = main(["check", str(path), "--cache-dir", str(cache_dir), "--N", "800", "--seeds", "4", "--samples", "1500",
               "--repeats", "3", "--out", str(out)])
    rows = [r for r in json.loads((out / "check.json").read_text())["rows"] if r["name"] == "Teff"]
    assert rc == 0 and len(rows) == 1 and rows[0]["ok"]
    assert abs(rows[0]["sim_mean"] - rows[0]["theory"]) < 0.05 * rows[0]["theory"]   # 0.243: within 5 %
    assert "FDT lags" in capsys.readouterr().out


def _effective_noise_fast(tmp_path):
    """models/effective_noise.model on t ≤ 10 (window 5..6, lags 0.4..4), no replica column."""
    from pathlib import Path
    src = (Path(__file__).resolve().parents[3] / "models" / "effective_noise.model").read_text()
    src = (src.replace("window = 10 .. 12, lags = 0.4 .. 8", "window = 5 .. 6, lags = 0.4 .. 4")
              .replace("time 0 .. 20", "time 0 .. 10").replace(";  D = replica_distance(w)", ""))
    path = tmp_path / "en.model"
    path.write_text(src)
    return path


@pytest.mark.slow
def test_sgd_t_eff_is_order_eta(tmp_path, cache_dir):
    """DMFT.md V8: at fixed b the SGD noise is O(η), so T_eff(η)/T_eff(η/2) → 2 as η → 0. Measured
    (b = 0.3, n_s = 1000 × 3): 0.307, 0.107, 0.048 at η = 0.2, 0.1, 0.05 — ratios 2.9, 2.2."""
    import statc
    from statc.runtime.dmft import runner
    compiled = statc.load(_effective_noise_fast(tmp_path), cache_dir=cache_dir).compiled
    T = [runner.run(compiled, {"b": 0.3, "eta": eta}, samples=1000, repeats=3, seed=1).info["fdt"]["T"]["T_eff"]
         for eta in (0.2, 0.1, 0.05)]
    r1, r2 = T[0] / T[1], T[1] / T[2]
    assert abs(r2 - 2) < abs(r1 - 2) and 1.5 < r2 < 2.6, (T, r1, r2)


@pytest.mark.slow
def test_sgd_t_eff_matches_simulation(tmp_path, cache_dir):
    """SGD (b = 0.3) and persistent SGD (τ = 2) T_eff: DMFT kernels vs the perturbed-copy simulation
    estimator through `statc check` (N = 1000, 6 seeds)."""
    import json

    from statc.cli import main
    path = _effective_noise_fast(tmp_path)
    for sets in ([], ["--set", "tau=2"]):
        out = tmp_path / f"chk{len(sets)}"
        rc = main(["check", str(path), "--cache-dir", str(cache_dir), "--N", "1000", "--seeds", "6",
                   "--samples", "2000", "--repeats", "3", "--out", str(out)] + sets)
        rows = [r for r in json.loads((out / "check.json").read_text())["rows"] if r["name"] == "T"]
        assert rc == 0 and len(rows) == 1 and rows[0]["ok"], rows
