"""Mixing types, readouts, the Markov-chain generator and `.npz` data sets."""
from __future__ import annotations

import numpy as np
import pytest

from statc.dsl import StatcError
from statc.runtime.kernel.data import generated, load_npz
from statc.runtime.kernel.mixing import Head
from statc.runtime.kernel.paths import path_features


def test_mixing_types_are_column_stochastic_and_mean_what_they_say():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    W = rng.standard_normal((4, 4))
    soft = Head("s", "attention", "W", (("beta", 2.0),)).omega(x, {"W": W})
    hard = Head("h", "hardmax", "W").omega(x, {"W": W})
    for om in (soft, hard, Head("u", "uniform").omega(x, {}), Head("p", "previous_token").omega(x, {})):
        np.testing.assert_allclose(om.sum(axis=1), 1.0)              # each query's weights sum to 1
    scores = np.einsum("ns,nm,mt->st", x[1], W, x[1])
    assert np.all(hard[1].argmax(axis=0) == scores.argmax(axis=0))
    np.testing.assert_allclose(soft[1][:, 2], np.exp(2 * scores[:, 2]) / np.exp(2 * scores[:, 2]).sum())
    prev = Head("p", "previous_token").omega(x, {})[0]
    assert prev[2, 3] == 1.0 and prev[0, 0] == 1.0


def test_mean_readout_averages_the_last_layer_over_queries():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4))
    W = rng.standard_normal((3, 3))
    layer = [[Head("s", "attention", "W", (("beta", 1.0),))]]
    om = layer[0][0].omega(x, {"W": W})
    xm = path_features(x, layer, {"W": W}, "mean")
    np.testing.assert_allclose(xm[:, 0], np.einsum("pnt,pts->pn", x, om) / 4)
    xk = path_features(x, layer, {"W": W}, "token", 2)
    np.testing.assert_allclose(xk[:, 0], np.einsum("pnt,pt->pn", x, om[:, :, 1]))


def test_markov_chain_generator_follows_the_papers_task():
    d = generated("markov_chain", {"train": 400, "test": 10, "length": 30, "features": 200, "seed": 3})
    P, N0, Tp = d.x_train.shape
    assert (P, N0, Tp) == (400, 231, 31) and abs(d.y_train.sum()) == 0      # balanced
    feats = d.x_train[:, :200, 1:]                                           # drop BOS
    q = (np.sqrt(2) * np.r_[np.ones(100), -np.ones(100)]) / 200
    states = np.sign(np.einsum("n,pnt->pt", q, feats))                       # q.v_± = ±1
    stay = (states[:, 1:] == states[:, :-1]).mean(axis=1)
    assert stay[d.y_train > 0].mean() == pytest.approx(0.7, abs=0.02)
    assert stay[d.y_train < 0].mean() == pytest.approx(0.3, abs=0.02)
    np.testing.assert_array_equal(d.x_train[:, 200:, :], np.broadcast_to(np.eye(31), (400, 31, 31)))
    # the same-token head attends to the predecessor iff the states agree, else to BOS
    om = Head("s", "attention", "same_token", (("beta", 10.0),)).omega(d.x_train[:50], d.matrices)
    t = np.arange(2, 31)
    agree = states[:50, 1:] == states[:50, :-1]                              # token t vs t - 1 (t >= 2)
    to_prev = om[:, t - 1, t]
    # (against a switch, keys in the query's state score beta*(1 + O(noise)) < beta*1.5 of BOS:
    # BOS takes the largest share, not all of it)
    assert np.mean(to_prev[agree] > 0.9) > 0.95
    assert np.mean(om[:, :, t].argmax(axis=1)[~agree] == 0) > 0.95


def test_npz_data_sets_load_and_bad_files_are_errors(tmp_path):
    rng = np.random.default_rng(2)
    good = {"x_train": rng.standard_normal((5, 3, 4)), "y_train": np.ones(5),
            "x_test": rng.standard_normal((2, 3, 4)), "y_test": -np.ones(2), "Wq": np.eye(3)}
    np.savez(tmp_path / "d.npz", **good)
    d = load_npz(tmp_path / "d.npz")
    assert d.shape == (5, 3, 4) and set(d.matrices) == {"Wq"}
    np.savez(tmp_path / "bad.npz", **{**good, "y_train": np.ones(4)})
    with pytest.raises(StatcError, match="`y_train`.*5 sequences"):
        load_npz(tmp_path / "bad.npz")
    np.savez(tmp_path / "missing.npz", x_train=good["x_train"])
    with pytest.raises(StatcError, match="lacks"):
        load_npz(tmp_path / "missing.npz")
    with pytest.raises(StatcError, match="not found"):
        load_npz(tmp_path / "nope.npz")
