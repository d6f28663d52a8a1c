"""`statc check`: the simulator against the theory, and the check's power to fail."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from statc.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.model"))
SAAD = str(ROOT / "models" / "saad_solla.model")

# CI-sized runs: small N, few seeds, short horizon (the rule scales its
# finite-size allowance with 1/sqrt(N), so a small N is still a real test).
CI = ["--N", "400", "--seeds", "4", "--test-samples", "2000", "--record", "log 8", "--jobs", "2"]


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_every_model_passes_check(model, cache_dir, tmp_path, capsys):
    code = main(["check", str(model), *CI, "--t-end", "10", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS" in out
    report = json.loads((tmp_path / "check.json").read_text())
    assert report["passed"] is True and report["conclusive"] is True
    assert (tmp_path / "check.png").stat().st_size > 1000
    header = (tmp_path / "check.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["N", "t"]
    first = header[2].split(":")[0]                      # the model's first observable
    assert [f"{first}:{s}" for s in ("theory", "sim_mean", "sim_sem", "z")] == header[2:6]


def test_check_fails_when_theory_is_wrong(cache_dir, capsys):
    """The same model with a different learning rate on the theory side only must fail."""
    code = main(["check", SAAD, *CI, "--t-end", "10", "--theory-set", "eta=0.65"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL" in out and " NO" in out


def test_too_few_seeds_is_inconclusive(cache_dir, capsys):
    code = main(["check", SAAD, "--N", "200", "--seeds", "2", "--t-end", "1", "--record", "log 3",
                 "--test-samples", "500", "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 1 and "INCONCLUSIVE" in out


def test_finite_size_scaling_report(cache_dir, tmp_path, capsys):
    code = main(["check", SAAD, "--N", "200,800", "--seeds", "4", "--t-end", "5", "--record", "log 6",
                 "--test-samples", "1000", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"N =\s+200: eps_g", out) and re.search(r"N =\s+800: eps_g", out)
    report = json.loads((tmp_path / "check.json").read_text())
    assert set(report["per_N"]) == {"200", "800"}


def test_bad_sizes(capsys):
    assert main(["check", SAAD, "--N", "abc"]) == 2
    assert "bad --N value" in capsys.readouterr().err


def test_simulator_is_independent_of_the_theory(load):
    """The generated simulator never calls atoms, quadratures or the ODE right-hand side."""
    m = load("saad_solla")
    src = Path(m.compiled.module.__file__).read_text()
    sim = src[src.index("# ---- simulator"):]
    for name in ("erf_I", "erf_J", "quad", "rhs(", "_term_", "_block_", "integrate_"):
        assert name not in sim, name
