"""The static kind through the CLI: every shipped model runs; results against closed forms
statc does not derive (Mignacco et al. 2020's Bayes-optimal mixture error, the spherical
perceptron's α·ε → 0.4417); `statc check` against finite-size training (and that it can fail)."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from statc.cli import main

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "models"
ERM = ["gmm_square", "gmm_logistic", "gmm_hinge", "perceptron_ridge", "perceptron_logistic"]
REGRESSION = ["lasso", "elastic_net", "linear_ridge", "lasso_sparse"]
BAYES = ["gmm_bayes", "perceptron_bayes", "probit_bayes", "sparse_bayes"]


def _Q(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def _run(tmp_path, name, *extra) -> dict:
    out = tmp_path / name
    assert main(["run", str(MODELS / f"{name}.model"), "--out", str(out), *extra]) == 0
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("name", ERM)
def test_erm_models_run_and_write_the_contract_keys(cache_dir, tmp_path, name):
    s = _run(tmp_path, name)
    assert s["theory"] == "static" and s["converged"]
    f = s["final"]
    for key in ("test_error", "train_error", "train_loss", "m", "q"):
        assert math.isfinite(f[key])
    assert 0.0 < f["test_error"] < 0.5 and 0.0 <= f["train_error"] <= f["test_error"]
    assert f["m"] ** 2 <= f["q"]                        # Cauchy-Schwarz: m²/q ≤ |teacher|² = 1


@pytest.mark.parametrize("name", REGRESSION)
def test_l1_models_run_and_write_the_contract_keys(cache_dir, tmp_path, name):
    f = _run(tmp_path, name)["final"]
    for key in ("test_error", "train_loss", "free_energy", "m", "q"):
        assert math.isfinite(f[key])
    assert f["m"] ** 2 <= f["q"] and f["free_energy"] > 0.5 * f["train_loss"]   # α ≥ ½, r ≥ 0


@pytest.mark.parametrize("name, wrong", [("lasso", "lambda1=1.5"), ("elastic_net", "lambda1=1")])
def test_check_l1_models_against_scikit_learn_elastic_net(cache_dir, capsys, name, wrong):
    """scikit-learn's ElasticNet / Lasso (alpha = (λ₁ + λ₂)/n, l1_ratio = λ₁/(λ₁ + λ₂)) at
    N = 200, 400 agrees with the soft-threshold fixed point, objective (free_energy) included;
    a theory at another λ₁ FAILs."""
    base = ["check", str(MODELS / f"{name}.model"), "--N", "200,400", "--seeds", "4", "--test-samples", "500"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "free_energy" in out
    assert out.count("N =    inf") == 5          # the a + c/N extrapolation of each observable
    assert main(base + ["--theory-set", wrong]) == 1
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.parametrize("name", BAYES)
def test_bayes_models_run(cache_dir, tmp_path, name):
    s = _run(tmp_path, name)
    assert s["final"]["m"] == pytest.approx(s["final"]["q"]) and 0 < s["final"]["q"] < 1


@pytest.mark.parametrize("alpha, Delta", [(0.5, 1.0), (2.0, 1.0), (3.0, 0.5)])
def test_square_loss_at_large_lambda_is_bayes_optimal(cache_dir, tmp_path, alpha, Delta):
    """GMM, ρ = ½, λ → ∞: the ridge classifier's direction is the empirical mean, whose error
    is the Bayes-optimal Q(√(α/(Δ(α+Δ)))) (Mignacco et al. 2020)."""
    s = _run(tmp_path, "gmm_square", "--set", "lambda=1e7", "--set", f"alpha={alpha}",
             "--set", f"Delta={Delta}")
    expected = _Q(math.sqrt(alpha / (Delta * (alpha + Delta))))
    assert s["final"]["test_error"] == pytest.approx(expected, rel=1e-6)
    b = _run(tmp_path, "gmm_bayes", "--set", f"alpha={alpha}", "--set", f"Delta={Delta}")
    assert b["final"]["test_error"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("probit, sign", [
    pytest.param("probit_logistic", "perceptron_logistic", marks=pytest.mark.slow),   # 10 s of compile
    ("probit_bayes", "perceptron_bayes")])
def test_probit_teacher_at_zero_noise_is_the_sign_teacher(cache_dir, tmp_path, probit, sign):
    """`y = sign(wt.x + sigma * noise)` at sigma = 0 is `y = sign(wt.x)`: same fixed point."""
    a = _run(tmp_path, probit, "--set", "sigma=0")["final"]
    b = _run(tmp_path, sign)["final"]
    for key in ("test_error", "m", "q"):
        assert a[key] == pytest.approx(b[key], rel=1e-12)
    noisy = _run(tmp_path, probit)["final"]
    assert noisy["test_error"] > b["test_error"]           # noise makes it harder
    assert noisy["m"] ** 2 <= noisy["q"] and math.isfinite(noisy.get("train_error", 0.0))


def test_perceptron_bayes_alpha_eps_tends_to_0_4417(cache_dir, tmp_path):
    """Spherical perceptron, Bayes-optimal: α·ε_BO → 0.4417 as α → ∞ (classical result)."""
    out = tmp_path / "pb"
    assert main(["run", str(MODELS / "perceptron_bayes.model"), "--alpha", "50:200:4", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "curve.csv").open()))
    prod = [float(r["alpha"]) * float(r["test_error"]) for r in rows]
    assert prod[-1] == pytest.approx(0.4417, abs=1.5e-3)
    assert abs(prod[-1] - 0.4417) < abs(prod[0] - 0.4417) + 1e-4      # approaches the limit


def test_alpha_curve_is_written_and_matches_single_runs(cache_dir, tmp_path):
    out = tmp_path / "curve"
    assert main(["run", str(MODELS / "gmm_logistic.model"), "--alpha", "1:3:3", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "curve.csv").open()))
    assert [float(r["alpha"]) for r in rows] == [1.0, 2.0, 3.0]
    single = _run(tmp_path, "gmm_logistic", "--set", "alpha=3")
    assert float(rows[-1]["test_error"]) == pytest.approx(single["final"]["test_error"], rel=1e-6)


def test_show_prints_the_saddle_point_equations(cache_dir, capsys):
    assert main(["show", str(MODELS / "gmm_hinge.model")]) == 0
    text = capsys.readouterr().out
    assert "static kind" in text and "rule: hinge" in text and "V = 1 / (lambda + Vhat)" in text


@pytest.mark.parametrize("argv, message", [
    (["--alpha", "1:2"], "bad --alpha grid"),
    (["--t-end", "3"], "--t-end does not apply to a static model"),
])
def test_bad_run_options_are_exit_2(cache_dir, capsys, argv, message):
    assert main(["run", str(MODELS / "gmm_square.model"), *argv]) == 2
    assert message in capsys.readouterr().err


def test_non_convergence_is_exit_3_with_the_residual_history(cache_dir, capsys):
    """Logistic loss, λ = 0, α = 0.5: the data are separable, the minimiser does not exist."""
    assert main(["run", str(MODELS / "gmm_logistic.model"), "--set", "lambda=0", "--set", "alpha=0.5"]) == 3
    err = capsys.readouterr().err
    assert "did not converge" in err and "last residuals" in err and "lambda > 0" in err
    assert "Traceback" not in err and "Warning" not in err


def test_alpha_grid_is_refused_for_other_kinds(cache_dir, capsys):
    assert main(["run", str(MODELS / "dmft_ridge.model"), "--alpha", "1:2:3"]) == 2
    assert "--alpha a:b:n applies to static models" in capsys.readouterr().err


def _check_passes_then_fails(capsys, name: str, *sets: str) -> None:
    """Finite-size training at N = 200, 400 agrees with the fixed point; the same data against
    the theory at λ = 1 instead of 0.1 is a FAIL (the check can fail)."""
    path = MODELS / f"{name}.model" if "/" not in name else ROOT / name
    base = ["check", str(path), "--N", "200,400", "--seeds", "4",
            "--test-samples", "1000", *sets]
    assert main(base) == 0
    assert "PASS" in capsys.readouterr().out
    assert main(base + ["--theory-set", "lambda=1"]) == 1
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["gmm_square", "perceptron_ridge"])
def test_check_square_loss_passes_and_fails_when_the_theory_changes_lambda(cache_dir, capsys, name):
    """Ridge on the mixture (normal equations, unpenalised bias) and on the sign teacher."""
    _check_passes_then_fails(capsys, name)


@pytest.mark.slow
@pytest.mark.parametrize("name, sets", [
    ("gmm_logistic", ()), ("gmm_logistic", ("--set", "alpha=1", "--set", "rho=0.3")),
    ("gmm_hinge", ()), ("gmm_hinge", ("--set", "alpha=3", "--set", "rho=0.3")),
    ("perceptron_logistic", ()), ("probit_logistic", ()),
    # a loss no registry trainer knows: scipy L-BFGS with the generated ℓ′
    ("tests/fixtures/static/gmm_scaled_logistic.model", ()),
    # elastic net with a learned bias: scikit-learn's saga (C = 1/(λ₁ + λ), l1_ratio = λ₁/(λ₁ + λ))
    ("tests/fixtures/static/gmm_logistic_elastic_net.model", ()),
])
def test_check_logistic_and_hinge_pass_and_fail_when_the_theory_changes_lambda(cache_dir, capsys, name, sets):
    """scikit-learn's LogisticRegression / SVC (C = 1/λ) at two settings, imbalance included."""
    _check_passes_then_fails(capsys, name, *sets)


@pytest.mark.parametrize("name, sizes, wrong", [
    ("gmm_bayes", "500,1000", "Delta=1.3"),          # exact posterior of the means, ρ = 0.3
    ("probit_bayes", "600", "sigma=0.8"),             # GAMP, probit channel
    ("sparse_bayes", "500,1000", "sigma=0.2"),        # GAMP, Bernoulli-Gaussian prior
])
def test_check_bayes_optimal_against_the_finite_size_estimator(cache_dir, capsys, name, sizes, wrong):
    """The Bayes-optimal estimator at finite N (amp.py: GAMP from the channel's g_out and the
    prior's denoiser; the mixture's exact posterior) agrees with state evolution, and a theory
    at another parameter FAILs."""
    base = ["check", str(MODELS / f"{name}.model"), "--N", sizes, "--seeds", "4", "--set", "rho=0.3"] \
        if name == "gmm_bayes" else ["check", str(MODELS / f"{name}.model"), "--N", sizes, "--seeds", "4"]
    assert main(base) == 0
    assert "PASS" in capsys.readouterr().out
    assert main(base + ["--theory-set", wrong]) == 1
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.slow
def test_check_perceptron_bayes_gamp_at_1000_and_2000(cache_dir, capsys):
    """STATIC.md §9: state evolution against GAMP's overlaps at N = 1000, 2000 (8 seeds)."""
    assert main(["check", str(MODELS / "perceptron_bayes.model"), "--N", "1000,2000", "--seeds", "8"]) == 0
    assert "PASS" in capsys.readouterr().out


def test_cached_static_run_does_no_sympy_work(cache_dir):
    """A compiled static model re-runs from the cache: the loss module is the generated kernel
    module, SymPy is never imported."""
    import subprocess
    import sys
    model = str(MODELS / "gmm_logistic.model")
    assert main(["compile", model, "--cache-dir", str(cache_dir)]) == 0
    code = ("import sys; from statc.cli import main; rc = main(['run', %r, '--cache-dir', %r]);"
            "print(rc, 'sympy' in sys.modules)" % (model, str(cache_dir)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["0", "False"]


def test_python_api_runs_a_static_model(load):
    """`statc.load(...).run(**params)` returns the fixed point's summary."""
    res = load("gmm_bayes").run(alpha=1.0, Delta=0.5)
    assert res.summary["final"]["test_error"] == pytest.approx(_Q(math.sqrt(1.0 / (0.5 * 1.5))), rel=1e-9)
