"""The `statc` command line as a user drives it."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from statc.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAAD = str(ROOT / "models" / "saad_solla.model")
LIN = str(ROOT / "models" / "linear_regression.model")


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_compile_run_show(cache_dir, tmp_path, capsys):
    code, out, _ = run_cli(["compile", SAAD, "--cache-dir", str(cache_dir)], capsys)
    assert code == 0 and "saad_solla" in out
    outdir = tmp_path / "k3"
    code, out, _ = run_cli(["run", SAAD, "--set", "K=3", "--set", "eta=0.3", "--out", str(outdir),
                            "--cache-dir", str(cache_dir), "--t-end", "50", "--plot"], capsys)
    assert code == 0
    rows = list(csv.DictReader(open(outdir / "trajectory.csv")))
    assert float(rows[0]["t"]) == 0.0 and float(rows[-1]["t"]) == pytest.approx(50.0)
    for col in ("eps_g", "Q[1,2]", "Q[3,3]", "R[3,2]", "T[1,2]", "v[3]"):
        assert col in rows[0]
    assert "Q[2,1]" not in rows[0]                     # symmetric entries listed once
    summary = json.loads((outdir / "summary.json").read_text())
    assert summary["model"] == "saad_solla" and summary["params"]["K"] == 3
    assert summary["params"]["eta"] == 0.3
    assert summary["final"]["eps_g"] == pytest.approx(float(rows[-1]["eps_g"]))
    assert {"model_hash", "kernel_hash", "timings", "options"} <= set(summary)
    assert (outdir / "eps_g.png").stat().st_size > 1000
    assert not [p for p in outdir.iterdir() if p.name.startswith(".")]   # no temporary leftovers
    code, out, _ = run_cli(["show", SAAD, "--cache-dir", str(cache_dir)], capsys)
    assert code == 0 and "dQ[k, l]/dt" in out and "dR[k, m]/dt" in out
    code, out, _ = run_cli(["show", SAAD, "--latex", "--cache-dir", str(cache_dir)], capsys)
    assert code == 0 and r"\frac{d" in out


def test_record_and_method_options(cache_dir, tmp_path, capsys):
    code, _, _ = run_cli(["run", LIN, "--record", "linear 10", "--t-end", "2", "--method", "rk4",
                          "--dt", "0.01", "--out", str(tmp_path), "--init-N", "0"], capsys)
    assert code == 0
    rows = list(csv.DictReader(open(tmp_path / "trajectory.csv")))
    assert [float(r["t"]) for r in rows] == pytest.approx([0.2 * i for i in range(11)])


def test_second_run_does_no_sympy_work(cache_dir):
    """A compiled model re-runs from the cache: SymPy is never imported."""
    main(["compile", LIN, "--cache-dir", str(cache_dir)])
    code = ("import sys; from statc.cli import main; rc = main(['run', %r, '--cache-dir', %r]);"
            "print('SYMPY' if 'sympy' in sys.modules else 'NOSYMPY'); sys.exit(rc)") % (LIN, str(cache_dir))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "NOSYMPY" in r.stdout


@pytest.mark.parametrize("setting,message", [
    ("etaa=0.3", "unknown parameter `etaa`"),
    ("eta=abc", "`abc` is not a number"),
    ("eta", "bad --set value `eta`"),
    ("K=2.5", "must be a positive integer"),
])
def test_bad_set_values(cache_dir, capsys, setting, message):
    code, _, err = run_cli(["run", SAAD, "--set", setting, "--cache-dir", str(cache_dir)], capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_bad_set_has_hint_and_caret(cache_dir, capsys):
    _, _, err = run_cli(["run", SAAD, "--set", "etaa=0.3"], capsys)
    assert "--set:1:1: error" in err and "^^^^" in err and "did you mean `eta`?" in err


def test_divergence_is_reported_with_time_and_cause(cache_dir, capsys):
    """η = 3 is beyond the stability limit η(2 − η) > 0 of linear regression."""
    code, _, err = run_cli(["run", LIN, "--set", "eta=3", "--t-end", "1000"], capsys)
    assert code == 3
    assert "integration stopped at t =" in err and "learning rate" in err
    assert "Traceback" not in err


def test_missing_file(capsys):
    code, _, err = run_cli(["run", "no/such.model"], capsys)
    assert code == 2 and "cannot read model file" in err


def test_init_from_previous_trajectory(cache_dir, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    run_cli(["run", LIN, "--t-end", "3", "--out", str(a), "--init-N", "0"], capsys)
    run_cli(["run", LIN, "--t-end", "2", "--out", str(b), "--init-from", str(a / "trajectory.csv")], capsys)
    ra = list(csv.DictReader(open(a / "trajectory.csv")))
    rb = list(csv.DictReader(open(b / "trajectory.csv")))
    assert float(rb[0]["Q"]) == pytest.approx(float(ra[-1]["Q"]), rel=1e-12)
    assert float(rb[0]["R"]) == pytest.approx(float(ra[-1]["R"]), rel=1e-12)
