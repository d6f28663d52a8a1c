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
     "a training-set mean cannot condition on `Delta`: the training set is drawn once with the model's values, "
     "and the laws of the N-dimensional input x at two values of Delta are mutually singular"),
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


# --- label noise: a linear teacher y = wt.x + sqrt(s) noise, training means reweighted in s ----------
NOISY_OBSERVE = ("observe y2_lo = mean(y^2 given s = 0.25 over train);  y2_hi = mean(y^2 given s = 0.75 over train)\n"
                 "observe y2 = mean(y^2 over train);  same = mean((yhat - y)^2 given s = 0.5 over train)\n"
                 "observe bend = mean((yhat - y)^2 given s = 0.25 over train) + mean((yhat - y)^2 given s = 0.75 "
                 "over train) - 2 * mean((yhat - y)^2 over train)\n")


def noisy_text(observe: str) -> str:
    text = (ROOT / "models" / "dmft_ridge.model").read_text()
    text = text.replace("  Q0 = 1.04", "  s = 0.5\n  Q0 = 1.04").replace("  y = wt.x", "  y = wt.x + sqrt(s) * noise")
    return text.replace("run {", observe + "run {")


@pytest.fixture(scope="module")
def noisy_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("given_noise") / "ridge_noise.model"
    path.write_text(noisy_text(NOISY_OBSERVE))
    return path


def test_label_noise_reweighting_matches_closed_forms(noisy_path, cache_dir):
    """Label noise ε = y − τ ~ N(0, s), s = 0.5, reweighted to s′ by W ∝ exp((y − τ)²(1/2s − 1/2s′)):

    * E[y²] = E[τ²] + s′ = 1 + s′ at every step (τ ~ N(0, 1) independent of ε), for s′ = 0.25, 0.75;
    * s′ = s gives W ≡ 1: the mean equals the plain training mean 2ℓ to round-off;
    * for square loss the field is linear in the label, y − h = a + bε with a independent of ε, so the
      reweighted residual E[(y − h)²] = E[a²] + b²s′ is affine in s′: the second difference over
      s′ = 0.25, 0.5, 0.75 vanishes (within 4 SE at every step)."""
    import statc
    from statc.runtime.dmft import runner, solve
    from statc.runtime.dmft.from_model import problem_from_model
    compiled = statc.load(noisy_path, cache_dir=cache_dir).compiled
    one = solve(problem_from_model(compiled, {}, 1.0)[0], 2000, seed=3).columns
    np.testing.assert_allclose(one["same"], 2 * one["train_loss"], rtol=1e-12)
    tr = runner.run(compiled, {}, t_end=1.0, samples=4000, repeats=8, seed=11)
    for name, ref in (("y2_lo", 1.25), ("y2_hi", 1.75), ("y2", 1.5)):
        assert np.all(np.abs(tr[name] - ref) < 4 * tr.stderr[name]), (name, tr[name][0], tr.stderr[name][0])
    assert np.all(np.abs(tr["bend"]) < 4 * tr.stderr["bend"] + 1e-12), (tr["bend"], tr.stderr["bend"])
    assert np.all(tr.stderr["bend"] > 0)
    # the reweighting changes the value: the residual grows with the label noise (slope b² > 0)
    assert np.all(tr["y2_hi"] - tr["y2_lo"] > 0.3)


def test_check_label_noise_reweighting_against_the_simulation(noisy_path, cache_dir, tmp_path, capsys):
    """The simulator reweights its own finite training set (τ = v·x/√N of each sample)."""
    rc = main(["check", str(noisy_path), "--N", "600", "--seeds", "4", "--samples", "2000", "--repeats", "3",
               "--t-end", "1.5", "--out", str(tmp_path / "c")])
    out = capsys.readouterr().out
    assert rc == 0, out
    names = {r["name"] for r in json.loads((tmp_path / "c" / "check.json").read_text())["rows"]}
    assert {"y2_lo", "y2_hi", "bend"} <= names


@pytest.mark.parametrize("observe, message", [
    ("observe bad = mean(y^2 given s = 0 over train)\n", "variance s = 0 (model value 0.5) is not defined by "
                                                       "reweighting the training set: it needs s > 0 for the model"),
    ("observe bad = mean(y^2 given s = 1 over train)\n", "0 < s' < 2 s"),
])
def test_label_noise_outside_the_defined_range_is_a_located_error(tmp_path, observe, message):
    import statc
    path = tmp_path / "bad.model"
    path.write_text(noisy_text(observe))
    with pytest.raises(StatcError) as err:
        statc.load(path, cache_dir=tmp_path / "cache")
    text = str(err.value)
    assert message in text and "bad.model:" in text and "^" in text, text
    assert "sigma2" not in text, text              # only the names the user wrote


def test_label_noise_error_names_the_variance_as_written(tmp_path):
    """`y = wt.x + sigma * noise`: the variance is `sigma^2`, never the internal `sigma2`."""
    import statc
    text = noisy_text("observe bad = mean(y^2 given sigma = 2 over train)\n")
    text = text.replace("  s = 0.5\n", "  sigma = 0.7\n").replace("sqrt(s) * noise", "sigma * noise")
    path = tmp_path / "bad.model"
    path.write_text(text)
    with pytest.raises(StatcError) as err:
        statc.load(path, cache_dir=tmp_path / "cache")
    msg = str(err.value)
    assert "label-noise variance sigma^2 = 4 " in msg and "0 < sigma^2' < 2 sigma^2" in msg, msg
    assert "sigma2" not in msg, msg


def test_label_noise_set_outside_the_range_is_a_run_time_error(noisy_path, cache_dir):
    """`--set s=0.2` makes s′ = 0.75 ≥ 2s: the weights would have infinite variance."""
    import statc
    from statc.runtime.dmft.from_model import problem_from_model
    compiled = statc.load(noisy_path, cache_dir=cache_dir).compiled
    with pytest.raises(StatcError, match="0 < s' < 2 s") as err:
        problem_from_model(compiled, {"s": 0.2}, 1.0)
    assert "sigma2" not in str(err.value)
