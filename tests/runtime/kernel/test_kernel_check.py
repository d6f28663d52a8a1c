"""`statc check` for kernel models: the theory against NUTS samples of the finite network's
full weight posterior (numpyro).  Slow (minutes on one core: ~3 min per width at N = 10 with
4 chains × 200 draws + 200 warmup on the small Markov task); skipped without numpyro."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from statc.cli import main

pytest.importorskip("numpyro", reason="statc check for kernel models needs numpyro: "
                                      "pip install 'statc[sampling]'")

ROOT = Path(__file__).resolve().parents[3]
SMALL = str(ROOT / "tests" / "fixtures" / "kernel" / "markov_small.model")
FAST = ["--seeds", "4", "--samples", "200", "--warmup", "200"]


@pytest.mark.slow
def test_nuts_samples_agree_with_the_theory_not_with_the_gp_limit(cache_dir, tmp_path):
    out = tmp_path / "chk"
    assert main(["check", SMALL, "--N", "10", *FAST, "--out", str(out)]) == 0
    res = json.loads((out / "check.json").read_text())
    (n10,) = res["per_N"]
    assert n10["divergences"] == 0
    assert n10["max_dev_theory"] < 0.25 * n10["max_dev_gp"]


@pytest.mark.slow
def test_nuts_check_fails_when_the_theory_has_another_temperature(cache_dir):
    assert main(["check", SMALL, "--N", "10", *FAST, "--theory-set", "T=0.3"]) == 1
