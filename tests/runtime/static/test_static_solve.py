"""The runner-facing entry point: summaries, curves and failures as data."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from statc.runtime.static.solve import StaticSpec, curve, solve, write_outputs

GMM = dict(channel="mixture", channel_params={"rho": 0.3, "Delta": 1.0})


def test_erm_summary_and_curve_files(tmp_path, cache_dir):
    spec = StaticSpec("erm", loss="logistic", lam=0.1, **GMM)
    summary = solve(spec, 2.0)
    assert summary["converged"] and summary["residual"] < 1e-10
    final = summary["final"]
    for key in ("test_error", "train_error", "train_loss", "m", "q", "V", "b", "balanced_error"):
        assert np.isfinite(final[key])
    cols = curve(spec, [1.0, 2.0, 3.0])
    assert cols["test_error"][1] == pytest.approx(final["test_error"], abs=1e-9)
    write_outputs(tmp_path, summary, cols)
    assert json.loads((tmp_path / "summary.json").read_text())["final"]["q"] == pytest.approx(final["q"])
    rows = list(csv.DictReader(open(tmp_path / "curve.csv")))
    assert [float(r["alpha"]) for r in rows] == [1.0, 2.0, 3.0]


def test_bayes_optimal_summary_reports_both_starts(cache_dir):
    """Rademacher perceptron between α_IT ≈ 1.245 and α_sp ≈ 1.493: hysteresis; the
    equilibrium is the perfect branch above α_IT and the low branch below it."""
    above = solve(StaticSpec("bayes_optimal", channel="sign", prior="rademacher"), 1.4)
    assert set(above["starts"]) == {"uninformed", "informed"} and above["hysteresis"]
    assert above["equilibrium"] == "informed" and above["final"]["test_error"] == 0.0
    below = solve(StaticSpec("bayes_optimal", channel="sign", prior="rademacher"), 1.2)
    assert below["hysteresis"] and below["equilibrium"] == "uninformed"
    assert below["final"]["test_error"] == below["starts"]["uninformed"]["test_error"] > 0.0


def test_failure_is_reported_not_raised(cache_dir):
    s = solve(StaticSpec("erm", loss="logistic", lam=0.1, **GMM), 2.0, max_iter=2)
    assert not s["converged"] and "residual" in s["error"] and len(s["history"]) == 2
