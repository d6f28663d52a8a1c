"""`given` inside the means of a dmft model (compiler/dmft/observe.py): conditional averages.

Model: the logistic mixture of models/dmft_gmm.model at imbalance ρ = 0.3, with per-cluster
test errors (`given rho = 1`, `given rho = 0`: a fresh sample drawn from one cluster), a less
noisy test population (`given Delta = 0.5`), and per-cluster training errors (`given rho = 1
over train`: the fixed training set reweighted by the label's likelihood ratio, i.e. the
mean over its c = +1 samples). References written independently of statc:

* fresh sample of an unbiased linear classifier: h | c ~ N(c m, Δ′Q), so both clusters err
  with ε = ½erfc(m/√(2Δ′Q)), P(h > 0 | c = +1) = 1 − ε, and P(h > 0) = ρ(1 − ε) + (1 − ρ)ε;
* training set: with f the fraction of c = +1 samples, f·err₊ + (1 − f)·err₋ is the
  training error the sweep reports (same samples: equal to round-off);
* `statc check`: the simulator measures the same conditional averages on a finite training
  set and on held-out sets drawn at the given values.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import erfc

from statc.cli import main
from statc.dsl import StatcError

ROOT = Path(__file__).resolve().parents[3]
OBSERVE = ("observe err_plus = mean(step(-y * yhat) given rho = 1);  err_minus = mean(step(-y * yhat) given rho = 0)\n"
           "observe pos_plus = mean(step(yhat) given rho = 1);  pos = mean(step(yhat))\n"
           "observe err_clean = mean(step(-y * yhat) given Delta = 0.5)\n"
           "observe tr_plus = mean(step(-y * yhat) given rho = 1 over train)\n"
           "observe tr_minus = mean(step(-y * yhat) given rho = 0 over train);  frac_plus = mean((1 + y) / 2 over train)\n")


def gmm_text(observe: str) -> str:
    text = (ROOT / "models" / "dmft_gmm.model").read_text().replace("rho = 0.5 ", "rho = 0.3 ")
    return text.replace("run {", observe + "run {")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("given") / "gmm_given.model"
    path.write_text(gmm_text(OBSERVE))
    return path


def test_given_means_match_closed_forms(model_path, cache_dir):
    import statc
    from statc.runtime.dmft import runner, solve
    from statc.runtime.dmft.from_model import problem_from_model
    compiled = statc.load(model_path, cache_dir=cache_dir).compiled
    one = solve(problem_from_model(compiled, {}, 1.5)[0], 2000, seed=1).columns      # one sweep: identity
    f = one["frac_plus"]
    np.testing.assert_allclose(f * one["tr_plus"] + (1 - f) * one["tr_minus"], one["train_error"], atol=1e-12)
    assert abs(f.mean() - 0.3) < 0.05 and np.all(one["tr_plus"] != one["tr_minus"])
    tr = runner.run(compiled, {}, t_end=1.5, samples=2000, repeats=8, seed=5)
    eps = 0.5 * erfc(tr["m"] / np.sqrt(2 * tr["Q"]))
    exact = {"err_plus": eps, "err_minus": eps, "pos_plus": 1 - eps, "pos": 0.3 * (1 - eps) + 0.7 * eps,
             "err_clean": 0.5 * erfc(tr["m"] / np.sqrt(2 * 0.5 * tr["Q"]))}
    for name, ref in exact.items():          # every step within 4 SE (8 repeats, 7 steps)
        assert np.all(np.abs(tr[name] - ref) < 4 * tr.stderr[name] + 1e-12), name
        assert np.all(tr.stderr[name][1:] > 0), name
    # conditioning changes the value: the c = +1 cluster is the minority one
    assert np.all(np.abs(tr["pos_plus"] - tr["pos"])[1:] > 0.1)


def test_check_compares_the_given_means_with_the_simulation(model_path, cache_dir, tmp_path, capsys):
    args = ["check", str(model_path), "--N", "600", "--seeds", "4", "--samples", "2000", "--repeats", "3",
            "--test-samples", "1500", "--t-end", "1.5", "--out", str(tmp_path / "c")]
    rc = main(args)
    out = capsys.readouterr().out
    assert rc == 0, out
    rows = json.loads((tmp_path / "c" / "check.json").read_text())["rows"]
    by = {(r["name"], r["t"]): r for r in rows}
    assert {"err_plus", "err_minus", "err_clean", "tr_plus", "tr_minus"} <= {r["name"] for r in rows}
    late = max(t for n, t in by if n == "tr_plus")
    # the simulated per-cluster training errors are per-cluster means, not the overall one
    assert by[("tr_plus", late)]["sim_mean"] != by[("train_error", late)]["sim_mean"]


@pytest.mark.parametrize("observe, message", [
    ("observe bad = mean(step(-y * yhat) given Delta = 0.5 over train)\n",
     "a training-set mean cannot condition on `Delta`"),
    ("observe bad = mean(step(lambda - y * yhat))\n", "may use only `y` and `yhat`"),
])
def test_unsupported_given_is_a_located_error(tmp_path, observe, message):
    import statc
    path = tmp_path / "bad.model"
    path.write_text(gmm_text(observe))
    with pytest.raises(StatcError) as err:
        statc.load(path, cache_dir=tmp_path / "cache")
    text = str(err.value)
    assert message in text and "bad.model:" in text, text


def test_given_fixes_a_parameter_of_the_averaged_function(tmp_path, cache_dir):
    """`mean(step(kappa - y * yhat) given kappa = 0)` is `mean(step(-y * yhat))` (the margin κ
    substituted before the per-sample function is compiled)."""
    import statc
    from statc.runtime.dmft import solve
    from statc.runtime.dmft.from_model import problem_from_model
    text = gmm_text("observe a = mean(step(kappa - y * yhat) given kappa = 0 over train)\n")
    path = tmp_path / "kappa.model"
    path.write_text(text.replace("params {", "params {\n  kappa = 1"))
    compiled = statc.load(path, cache_dir=cache_dir).compiled
    cols = solve(problem_from_model(compiled, {}, 1.0)[0], 500, seed=1).columns
    np.testing.assert_allclose(cols["a"], cols["train_error"], atol=1e-12)
