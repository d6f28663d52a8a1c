"""`statc check` for kernel models: the theory against NUTS samples of the finite network's
full weight posterior (numpyro).  Slow: on the small Markov task with 4 chains × 200 draws +
200 warmup, ~70 s of CPU at N = 10 and ~5 min at N = 25 (3 and 14 min of wall time on the
shared 2-core VM under load); skipped without numpyro."""
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
def test_nuts_samples_agree_with_the_theory_and_closer_at_larger_width(cache_dir, tmp_path):
    out = tmp_path / "chk"
    assert main(["check", SMALL, "--N", "10,25", *FAST, "--out", str(out)]) == 0
    n10, n25 = json.loads((out / "check.json").read_text())["per_N"]
    for n in (n10, n25):
        assert n["divergences"] == 0
        assert n["max_dev_theory"] < 0.25 * n["max_dev_gp"]        # the GP limit is far off
    assert n25["max_dev_theory"] < n10["max_dev_theory"]           # O(1/N) corrections


@pytest.mark.slow
def test_nuts_check_fails_when_the_theory_has_another_temperature(cache_dir):
    assert main(["check", SMALL, "--N", "10", *FAST, "--theory-set", "T=0.3"]) == 1
