"""Grid parsing: ranges against numpy, lists, products, zip, CSV files, and clean errors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from statc.cli import main
from statc.dsl import StatcError
from statc.runtime.sweep import grid


def test_linspace_geomspace_and_list():
    assert grid.parse_axis("eta=0.1:2:20") == ("eta", list(np.linspace(0.1, 2, 20)))
    assert grid.parse_axis("lam=1e-3:10:5", log=True) == ("lam", list(np.geomspace(1e-3, 10, 5)))
    assert grid.parse_axis(" K = 1, 2,4") == ("K", [1.0, 2.0, 4.0])


def test_product_zip_and_file(tmp_path):
    pts = grid.build(["a=1,2,3", "b=0:1:2"])
    assert pts == [{"a": a, "b": b} for a, b in itertools.product([1.0, 2.0, 3.0], [0.0, 1.0])]
    assert grid.build(["a=1,2", "b=5,6"], zip_axes=True) == [{"a": 1.0, "b": 5.0}, {"a": 2.0, "b": 6.0}]
    f = tmp_path / "g.csv"
    f.write_text("eta,K\n0.5,2\n1.5,3\n")
    assert grid.build(grid_file=f) == [{"eta": 0.5, "K": 2.0}, {"eta": 1.5, "K": 3.0}]
    assert grid.build(["s=0,1"], grid_file=f) == [{"eta": e, "K": k, "s": s} for e, k in
                                                   [(0.5, 2.0), (1.5, 3.0)] for s in (0.0, 1.0)]


@pytest.mark.parametrize("specs,log,zip_axes,needle", [
    (["eta"], False, False, "NAME=a:b:n"),
    (["eta=1:2"], False, False, "a:b:n"),
    (["eta=1:2:0"], False, False, "positive integer"),
    (["eta=1:2:2.5"], False, False, "positive integer"),
    (["eta=1,,2"], False, False, "empty value"),
    (["eta=__import__('os')"], False, False, "not a number"),
    (["eta=0:1:3"], True, False, "positive ends"),
    (["eta=1,2"], True, False, "NAME=a:b:n"),
    (["eta=1,2", "eta=3"], False, False, "more than one grid"),
    (["a=1,2", "b=1,2,3"], False, True, "equal lengths"),
    (["eta=nan,1"], False, False, "finite"),
])
def test_bad_grids(specs, log, zip_axes, needle):
    with pytest.raises(StatcError) as e:
        grid.build([] if log else specs, specs if log else [], zip_axes)
    assert needle in str(e.value.render())


def test_bad_file(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("eta,K\n0.5\n")
    with pytest.raises(StatcError, match="1 values for 2 columns"):
        grid.read_csv(f)
    with pytest.raises(StatcError, match="not found"):
        grid.read_csv(tmp_path / "missing.csv")


def test_names_checked_against_the_model():
    with pytest.raises(StatcError) as e:
        grid.check_names([{"etta": 1.0}], ["eta", "K"], ["K"])
    assert "did you mean `eta`" in e.value.render()
    with pytest.raises(StatcError, match="index size"):
        grid.check_names([{"K": 1.5}], ["eta", "K"], ["K"])


@pytest.mark.parametrize("argv,needle", [
    (["--grid", "eta=1:2"], "a:b:n"),
    (["--grid", "etta=1,2"], "did you mean `eta`"),
    (["--grid", "eta=1,2", "--set", "eta=1"], "both fixed"),
    (["--grid", "eta=1,2", "--t-endd", "3"], "bad option for `statc run`"),
    (["--grid", "eta=1,2", "--command", "check", "--seeds", "x"], "bad option for `statc check`"),
    ([], "no grid"),
])
def test_cli_errors_exit_2_without_traceback(argv, needle, tmp_path, capsys, cache_dir):
    from pathlib import Path
    model = Path(__file__).resolve().parents[2] / "models" / "saad_solla.model"
    code = main(["sweep", str(model), "--out", str(tmp_path / "s"), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "s" / "results.csv").exists()
