"""Head pruning curves (`pruning.csv` of `statc run` on kernel models).

* the order: ascending scores, never the last head of a layer;
* pruning zero heads is the unpruned result (theory and GP limit);
* on the Markov task the theory's scores prune the two blank heads first, and pruning all
  but the good path's heads gives the GP limit restricted to the good path — written out
  here as GP regression with that one path kernel (ATTENTION.md §8's "good path only");
  the theory's row is the same regression with the kernel U_good,good C_good,good.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from statc.cli import main
from statc.runtime.kernel.data import generated
from statc.runtime.kernel.mixing import Head
from statc.runtime.kernel.paths import path_features
from statc.runtime.kernel.pruning import pruning_order, surviving_paths

ROOT = Path(__file__).resolve().parents[3]


def test_order_is_ascending_score_and_keeps_one_head_per_layer():
    scores = [[5.0, 1.0, 3.0], [0.5, 9.0]]
    names = [["a", "b", "c"], ["u", "v"]]
    order = pruning_order(scores, names)
    assert [(p.layer, p.name) for p in order] == [(2, "u"), (1, "b"), (1, "c")]
    worst = pruning_order(scores, names, descending=True)
    assert [(p.layer, p.name) for p in worst] == [(2, "v"), (1, "a"), (1, "c")]
    assert [(p.layer, p.name) for p in pruning_order(scores, names, layer=1)] == [(1, "b"), (1, "c")]
    assert [(p.layer, p.name) for p in pruning_order(scores, names, layer=2)] == [(2, "u")]
    # paths h_1 outermost: (a,u) (a,v) (b,u) (b,v) (c,u) (c,v); pruning b and u leaves (a,v), (c,v)
    assert list(surviving_paths((3, 2), order[:2])) == [1, 5]


@pytest.fixture(scope="module")
def markov(cache_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("prune") / "ap"
    assert main(["run", str(ROOT / "models" / "attention_paths.model"), "--set", "N=30", "--set", "P_test=300",
                 "--restarts", "0", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "pruning.csv").read_text().splitlines()))
    layers = list(csv.DictReader((out / "pruning_layers.csv").read_text().splitlines()))
    return json.loads((out / "summary.json").read_text()), rows, layers


def test_pruning_nothing_is_the_unpruned_result(markov):
    s, rows, _ = markov
    assert [int(r["pruned"]) for r in rows] == [0, 1, 2]        # H = (2, 2): one head per layer prunable
    first = rows[0]
    assert first["head"] == "" and int(first["paths_left"]) == 4
    for key in ("accuracy", "test_mse", "eps_g"):
        assert float(first[key]) == s["observables"]["theory"][key]
        assert float(first[f"{key}_gp"]) == s["observables"]["gp"][key]
    assert s["pruning"][2]["head"] == rows[2]["head"]


def test_pruning_all_but_the_good_path_is_the_good_path_regression(markov):
    s, rows, _ = markov
    # the theory's scores put both blank heads below the good path's heads
    assert [(r["layer"], r["head"]) for r in rows[1:]] == [("2", "blank"), ("1", "blank")]
    assert int(rows[2]["paths_left"]) == 1
    # the good path (same_token, uniform), rebuilt from the generator and the heads
    d = generated("markov_chain", {"train": 100, "test": 300, "length": 30, "features": 200, "p_plus": 0.7,
                                   "p_minus": 0.3, "noise_sum": 1, "noise_diff": 1, "noise_perp": 1, "seed": 1})
    good = [[Head("same_token", "attention", "same_token", (("beta", 10.0),))], [Head("uniform", "uniform")]]
    x = path_features(d.x_train, good, d.matrices)[:, 0]
    xt = path_features(d.x_test, good, d.matrices)[:, 0]
    N0, M, T = x.shape[1], 4, 0.01                              # C_ππ = σ0² x_π·x_π /(N0 M), σ0² = 1

    def regression(u):
        K, k = u * x @ x.T / (N0 * M), u * x @ xt.T / (N0 * M)
        mean = k.T @ np.linalg.solve(K + T * np.eye(len(K)), d.y_train)
        return np.mean(np.sign(mean) == d.y_test), np.mean((mean - d.y_test) ** 2)
    acc, mse = regression(1.0)                                  # U_GP = σ1² σ2² σa² = 1
    assert float(rows[2]["accuracy_gp"]) == pytest.approx(acc, abs=1e-12)
    assert float(rows[2]["test_mse_gp"]) == pytest.approx(mse, rel=1e-8)
    acc, mse = regression(s["U"][0][0])
    assert float(rows[2]["accuracy"]) == pytest.approx(acc, abs=1e-12)
    assert float(rows[2]["test_mse"]) == pytest.approx(mse, rel=1e-8)
    # the good path alone classifies better than the GP limit with all four paths
    assert float(rows[2]["accuracy_gp"]) > s["observables"]["gp"]["accuracy"] + 0.05


def test_per_layer_curves_prune_one_layer_with_the_others_intact(markov):
    s, rows, layers = markov
    assert [(r["curve"], int(r["pruned"]), r["head"]) for r in layers] == [
        ("layer1", 0, ""), ("layer1", 1, "blank"), ("layer2", 0, ""), ("layer2", 1, "blank")]
    for r in layers:
        assert int(r["paths_left"]) == (4 if r["pruned"] == "0" else 2)
    cols = ("accuracy", "test_mse", "eps_g", "accuracy_gp", "test_mse_gp", "eps_g_gp")
    # each curve starts at the unpruned network; the layer-2 blank head is also the global
    # order's first, so that row is the global curve's second
    assert all(r[c] == rows[0][c] for r in layers if r["pruned"] == "0" for c in cols)
    assert all(layers[3][c] == rows[1][c] for c in cols)
    assert s["pruning_by_layer"]["layer1"][1]["layer"] == 1
