"""The kernel kind through the CLI: the shipped models run and write the contract files;
the deep linear model's U equals the scalar renormalisation solved here; `.npz` data with
located errors; numerical trouble is exit 3; `statc show` prints the derived action."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from statc.cli import main

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "models"


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text().splitlines()))


def test_attention_paths_runs_and_beats_the_gp_limit(cache_dir, tmp_path):
    out = tmp_path / "ap"
    assert main(["run", str(MODELS / "attention_paths.model"), "--set", "N=30", "--set", "P_test=300",
                 "--restarts", "1", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["theory"] == "kernel" and s["P"] == 100 and s["alpha"] == pytest.approx(100 / 30)
    sol = s["solver"]
    assert sol["converged"] and sol["hessian_pd"] and sol["grad_norm"] < 1e-8
    assert max(r["action"] for r in sol["starts"]) - min(r["action"] for r in sol["starts"]) < 1e-9
    rows = _csv(out / "U.csv")
    assert rows[0] == ["path", "same_token/uniform", "same_token/blank", "blank/uniform", "blank/blank"]
    U = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    np.testing.assert_allclose(U, U.T)
    assert np.linalg.eigvalsh(U).min() > 0
    # the paper's picture: the good path (same_token, uniform) gets the largest weight, the
    # denoising path (blank, uniform) is anticorrelated with it, and the renormalised kernel
    # classifies better than the GP limit at alpha = 3.3
    assert np.argmax(np.diag(U)) == 0 and U[0, 2] < 0
    obs = s["observables"]
    assert obs["theory"]["accuracy"] > obs["gp"]["accuracy"] + 0.03
    assert s["final"]["accuracy"] == obs["theory"]["accuracy"] and s["final"]["U_a"] > 0
    scores = obs["theory"]["head_scores"]
    assert scores[0]["same_token"] > scores[0]["blank"] and scores[1]["uniform"] > scores[1]["blank"]
    preds = _csv(out / "predictions.csv")
    assert preds[0] == ["y", "mean", "var", "mean_gp", "var_gp"] and len(preds) == 301
    assert all(float(r[2]) >= -1e-9 for r in preds[1:])


def _deep_linear_u(K0, y, T, N, sig2, L):
    """u = σ̄² ρ^{L+1}, ρ = 1 − u E'(u)/N (see test_kernel_theory.py for the derivation)."""
    P = len(y)

    def g(u):
        Ai = np.linalg.inv(u * K0 + T * np.eye(P))
        b = Ai @ y
        return u - sig2 * max(1.0 - u * (np.trace(Ai @ K0) - b @ K0 @ b) / N, 0.0) ** (L + 1)
    grid = np.geomspace(1e-4, 1e2, 80)
    vals = [g(u) for u in grid]
    (root,) = [brentq(g, a, b, xtol=1e-14) for a, b, va, vb in zip(grid, grid[1:], vals, vals[1:]) if va * vb < 0]
    return root


def test_deep_linear_model_is_the_scalar_kernel_renormalisation(cache_dir, tmp_path):
    out = tmp_path / "dl"
    assert main(["run", str(MODELS / "deep_linear.model"), "--out", str(out)]) == 0
    u = float(_csv(out / "U.csv")[1][1])
    # the model's data, rebuilt with the generator's documented recipe (seed 2, 40 features)
    rng = np.random.default_rng(2)
    w = rng.standard_normal(40)
    x = rng.standard_normal((100, 40, 2))
    y = x[:, :, -1] @ w / np.sqrt(40) + 0.3 * rng.standard_normal(100)
    K0 = x[:, :, -1] @ x[:, :, -1].T / 40
    assert u == pytest.approx(_deep_linear_u(K0, y, 0.1, 50.0, 1.0, 2), rel=1e-8)


def _npz_model(tmp_path: Path, matrix: str = "Wq", file: str = "seq.npz") -> Path:
    rng = np.random.default_rng(4)
    P, N0, T = 30, 6, 5
    x = rng.standard_normal((P + 10, N0, T))
    y = np.sign(x[:, 0, :].sum(axis=1))
    np.savez(tmp_path / "seq.npz", x_train=x[:P], y_train=y[:P], x_test=x[P:], y_test=y[P:],
             Wq=rng.standard_normal((N0, N0)) / N0, Mix=np.full((T, T), 1 / T))
    model = tmp_path / "npz.model"
    model.write_text(f'''model npz_attention
params {{ N = 20; T = 0.1 }}
data train from "{file}"
student {{
  width N
  layer {{ head a ~ hardmax({matrix}); head m ~ matrix(Mix) }}
  readout mean
}}
algorithm bayes {{ temperature T }}
''')
    return model


def test_npz_data_set_runs_and_bad_matrices_are_located_errors(cache_dir, tmp_path, capsys):
    out = tmp_path / "npz"
    assert main(["run", str(_npz_model(tmp_path)), "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["data"]["P"] == 30 and s["paths"] == ["a", "m"] and s["solver"]["converged"]
    assert main(["run", str(_npz_model(tmp_path, matrix="Wk"))]) == 2
    err = capsys.readouterr().err
    assert "npz.model:6:20: error: the data set has no matrix `Wk`" in err and "`Mix`, `Wq`" in err
    assert main(["run", str(_npz_model(tmp_path, matrix="Mix"))]) == 2
    assert "matrix `Mix` is 5 x 5" in capsys.readouterr().err
    assert main(["run", str(_npz_model(tmp_path, file="nope.npz"))]) == 2
    assert "npz.model:3:17: error: data file" in capsys.readouterr().err
    # --data replaces the model's file
    assert main(["run", str(_npz_model(tmp_path, file="nope.npz")), "--data", str(tmp_path / "seq.npz")]) == 0


def test_singular_kernel_is_numerical_trouble_and_other_kinds_options_are_refused(cache_dir, capsys):
    model = str(MODELS / "deep_linear.model")
    # P = 100 examples in N0 = 40 dimensions: K_U has rank 40 and T = 1e-300 cannot regularise it
    assert main(["run", model, "--set", "T=1e-300"]) == 3
    assert "not positive definite" in capsys.readouterr().err
    assert main(["run", model, "--alpha", "1:2:3"]) == 2
    assert main(["check", model, "--seeds", "1"]) == 2
    assert "NUTS chains" in capsys.readouterr().err
    assert main(["check", model, "--rhs"]) == 2
    assert main(["run", str(MODELS / "gmm_square.model"), "--data", "x.npz"]) == 2


def test_show_prints_the_derived_action_for_the_declared_depth(cache_dir, capsys):
    assert main(["show", str(MODELS / "attention_paths.model")]) == 0
    text = capsys.readouterr().out
    assert "L = 2 layer(s), heads [2, 2], 4 attention path(s)" in text
    assert "s_1 = Tr[(I_2 (x) U_2^-1) U_1]/sigma_1^2 - ln det U_1 + 2 ln det U_2" in text
    assert "U_1: 4 x 4 over (h_1, h_2)" in text and "U_a = " in text


def test_python_api_runs_a_kernel_model_in_full(load):
    res = load("deep_linear").run(N=60)
    s = res.summary
    assert s["N"] == 60 and s["solver"]["hessian_pd"] and len(s["solver"]["starts"]) == 3


def test_sweep_tabulates_kernel_runs(cache_dir, tmp_path):
    out = tmp_path / "sw"
    assert main(["sweep", str(MODELS / "deep_linear.model"), "--grid", "N=40,80", "--workers", "1",
                 "--quiet", "--out", str(out)]) == 0
    rows = _csv(out / "results.csv")
    head = rows[0]
    u = [float(r[head.index("U_a")]) for r in rows[1:]]
    assert len(u) == 2 and all(x > 0 for x in u) and "accuracy_gp" in head
