"""models/multiclass_bo.model through the CLI: the contract names (K, alpha, summary.json's
final.test_error, curve.csv), K = 2 against models/perceptron_bayes.model (a model statc compiles
through the scalar code path), and located errors for what the K-class path does not support."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from statc.cli import main

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "models" / "multiclass_bo.model"


def _run(tmp_path, model: Path, *extra) -> dict:
    out = tmp_path / model.stem
    assert main(["run", str(model), "--out", str(out), *extra]) == 0
    return json.loads((out / "summary.json").read_text())


def test_k2_model_equals_the_binary_perceptron_model(cache_dir, tmp_path):
    """K = 2: argmax of two Gaussian fields = sign of their difference (u = (w₁ − w₂)/√2 is a binary
    N(0, 1) teacher; q̄ = tr(PqP) is the binary overlap); every α of the curve agrees."""
    out = tmp_path / "curve"
    assert main(["run", str(MODEL), "--set", "K=2", "--alpha", "0.5:4:3", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "curve.csv").open()))
    for r in rows:
        b = _run(tmp_path, ROOT / "models" / "perceptron_bayes.model", "--set", f"alpha={r['alpha']}")
        assert float(r["test_error"]) == pytest.approx(b["final"]["test_error"], abs=1e-8)
        assert float(r["q"]) == pytest.approx(b["final"]["q"], abs=1e-8)


def test_k3_default_run_writes_the_contract(cache_dir, tmp_path):
    s = _run(tmp_path, MODEL)
    assert s["params"] == {"K": 3.0, "alpha": 2.0} and s["converged"]
    f = s["final"]
    assert 0.0 < f["test_error"] < 2.0 / 3.0                     # better than chance
    assert f["anisotropy"] < 1e-9                                # permutation symmetry, measured
    q = s["matrices"]["q"]
    assert len(q) == 3 and all(abs(sum(row)) < 1e-10 for row in q)   # q𝟙 = 0


def _variant(tmp_path, old: str, new: str) -> Path:
    p = tmp_path / "variant.model"
    text = MODEL.read_text()
    assert old in text
    p.write_text(text.replace(old, new))
    return p


@pytest.mark.parametrize("old, new, message", [
    ("algorithm bayes_optimal", "loss = (yhat - y)^2\nalgorithm erm { train w }",
     "K-class ERM needs the class scores as an indexed student output"),
    ("y = argmax(k, wt[k].x)", "y = 1 + argmax(k, wt[k].x)", "it can only be a whole output"),
    ("y = argmax(k, wt[k].x)", "y = argmax(k, wt[k].x + noise)",
     "the K-class label must be the argmax of the teacher's fields"),
    ("wt[k in 1..K] ~ gaussian", "wt[k in 1..K] ~ gaussian(scale = 2)", "standard Gaussian or the Rademacher prior"),
])
def test_unsupported_k_class_models_are_located_errors(cache_dir, tmp_path, capsys, old, new, message):
    assert main(["run", str(_variant(tmp_path, old, new))]) == 2
    err = capsys.readouterr().err
    assert message in err and "variant.model:" in err and "^" in err


@pytest.mark.parametrize("argv, message", [
    (["run", str(MODEL), "--set", "K=1"], "the number of classes must be an integer >= 2"),
    (["check", str(MODEL), "--set", "K=1", "--N", "200"], "the number of classes must be an integer >= 2"),
])
def test_bad_k_is_exit_2_in_run_and_check(cache_dir, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_argmax_outside_the_static_kind_is_a_located_error(cache_dir, tmp_path, capsys):
    """An online (SGD) model with an argmax teacher: exit 2 at the argmax, not a code-generation
    traceback."""
    text = (ROOT / "models" / "saad_solla.model").read_text()
    old = "y = sum(m, vt[m] * erf(wt[m].x / sqrt(2))) + sigma * noise"
    assert old in text
    p = tmp_path / "online_argmax.model"
    p.write_text(text.replace(old, "y = argmax(m, wt[m].x)"))
    assert main(["run", str(p)]) == 2
    err = capsys.readouterr().err
    assert "supported by the static kind only" in err and "online_argmax.model:17:7" in err
