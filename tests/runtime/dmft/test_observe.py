"""User observables of dmft models (`observe`): DMFT and simulation against independent values.

The model is the logistic mixture of models/dmft_gmm.model with four observables: a training
average (1 − training error), a formula in the order parameters (m/√Q), and two fresh-sample
averages (test error, test loss). References: the training error the sweep already reports
(same samples, so equal to round-off), m and Q (the formula), the closed-form test error
½erfc(m/√(2ΔQ)) and a Gauss–Hermite quadrature of the logistic test loss with
h | c ~ N(c m, ΔQ) — none of them uses the observable machinery.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import erfc

from statc.cli import main

ROOT = Path(__file__).resolve().parents[3]
OBSERVE = ("observe acc_train = 1 - mean(step(-y * yhat) over train);  cosine = m / sqrt(Q)\n"
           "observe err_fresh = mean(step(-y * yhat));  loss_fresh = mean(log(1 + exp(-y * yhat)))\n")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    text = (ROOT / "models" / "dmft_gmm.model").read_text().replace("run {", OBSERVE + "run {")
    path = tmp_path_factory.mktemp("observe") / "gmm_observe.model"
    path.write_text(text)
    return path


def logistic_test_loss(m: float, Q: float, delta: float = 1.0) -> float:
    """E_c E_h log(1 + e^{−c h}), h ~ N(c m, ΔQ), ρ = 1/2 (by symmetry the c = +1 term)."""
    x, w = np.polynomial.hermite_e.hermegauss(80)
    h = m + np.sqrt(delta * Q) * x
    return float(np.sum(w * np.logaddexp(0.0, -h)) / w.sum())


def test_dmft_observables_match_independent_values(model_path, cache_dir, tmp_path):
    import statc
    from statc.runtime.dmft import runner, solve
    from statc.runtime.dmft.from_model import problem_from_model
    compiled = statc.load(model_path, cache_dir=cache_dir).compiled
    one = solve(problem_from_model(compiled, {}, 2.5)[0], 2000, seed=1).columns     # one sweep: exact identities
    np.testing.assert_allclose(one["acc_train"], 1 - one["train_error"], atol=1e-12)
    np.testing.assert_allclose(one["cosine"][1:], one["m"][1:] / np.sqrt(one["Q"][1:]), rtol=1e-12)
    tr = runner.run(compiled, {}, t_end=2.5, samples=4000, repeats=4, seed=2)
    se_err, se_loss = tr.stderr["err_fresh"], tr.stderr["loss_fresh"]
    exact_err = 0.5 * erfc(tr["m"] / np.sqrt(2 * tr["Q"]))
    exact_loss = np.array([logistic_test_loss(m, q) for m, q in zip(tr["m"], tr["Q"])])
    # fresh averages: 4000 draws per repeat, 4 repeats; every step within 4 SE (11 steps)
    assert np.all(np.abs(tr["err_fresh"] - exact_err) < 4 * se_err + 1e-12)
    assert np.all(np.abs(tr["loss_fresh"] - exact_loss) < 4 * se_loss + 1e-12)
    assert np.all(se_err[1:] > 0) and np.all(se_loss > 0)


def test_check_compares_the_observables_with_the_simulation(model_path, cache_dir, tmp_path, capsys):
    """`statc check` simulates the observables from their definitions (training set, held-out set)
    and applies the pass rule to them as to every column; a wrong η on the theory side fails."""
    args = ["check", str(model_path), "--N", "800", "--seeds", "4", "--samples", "3000", "--repeats", "3",
            "--test-samples", "2000", "--t-end", "2.5"]
    rc = main(args + ["--out", str(tmp_path / "ok")])
    out = capsys.readouterr().out
    assert rc == 0, out
    rows = json.loads((tmp_path / "ok" / "check.json").read_text())["rows"]
    assert {"acc_train", "cosine", "err_fresh", "loss_fresh"} <= {r["name"] for r in rows}
    rc = main(args + ["--theory-set", "eta=0.35", "--out", str(tmp_path / "bad")])
    out = capsys.readouterr().out
    assert rc == 1, out
    bad = json.loads((tmp_path / "bad" / "check.json").read_text())["rows"]
    assert any(not r["ok"] for r in bad if r["name"] in ("cosine", "loss_fresh"))
