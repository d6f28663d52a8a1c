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


# ---- hostile inputs: every one a clean error (exit 2 bad input, 3 numerical trouble)

HOSTILE = """model hostile
params { eta = 0.5; sigma = 0.5; r0 = 0 }
input x ~ gaussian
teacher { vector wt ~ gaussian; y = wt.x + sigma * noise }
student { vector w ~ gaussian(scale = 0.5); yhat = w.x }
loss = (yhat - y)^2 / 2
algorithm sgd { train w lr eta }
order Q = w.w; R = w.wt; T = wt.wt
observe eps_g = mean((yhat - y)^2 / 2 given sigma = 0)
observe big = exp(1000 * Q)
init { R = r0 }
run { time 0 .. 10; record log 50 }
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.model"
    path.write_text(HOSTILE)
    return str(path)


def _clean(err: str) -> None:
    assert "Traceback" not in err and err.count("error:") == 1


def test_binary_and_non_utf8_model_files(tmp_path, capsys):
    binary = tmp_path / "a.model"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    code, _, err = run_cli(["compile", str(binary)], capsys)
    assert code == 2 and f"{binary}:1:8: error: this is a binary file" in err
    _clean(err)
    latin = tmp_path / "b.model"
    latin.write_bytes(Path(LIN).read_bytes().replace(b"learning rate", b"learning r\xe4te"))
    code, _, err = run_cli(["show", str(latin)], capsys)
    assert code == 2 and f"{latin}:7:" in err and "not UTF-8" in err and "^" in err
    _clean(err)


def test_byte_order_mark_accepted(cache_dir, tmp_path, capsys):
    bom = tmp_path / "lin.model"
    bom.write_bytes(b"\xef\xbb\xbf" + Path(LIN).read_bytes())
    code, out, _ = run_cli(["show", str(bom), "--cache-dir", str(cache_dir)], capsys)
    assert code == 0 and "dQ/dt" in out


@pytest.mark.parametrize("args,message", [
    (["--set", "K=1e9"], "the state would have 1,000,000,003,000,000,006 entries"),
    (["--set", "K=3", "--record", "linear 2000000"], "number of recording times must be in 1..1,000,000"),
    (["--set", "sigma=-1"], None),                       # a sign is fine for a noise amplitude
])
def test_sizes_and_records_are_limited(cache_dir, capsys, args, message):
    code, _, err = run_cli(["run", SAAD, "--t-end", "0.01", "--cache-dir", str(cache_dir)] + args, capsys)
    if message is None:
        assert code == 0, err
        return
    assert code == 2 and message in err
    _clean(err)


def test_values_from_set_are_checked_where_they_are_used(cache_dir, capsys):
    drop = str(ROOT / "models" / "dropout.model")
    code, _, err = run_cli(["show", drop, "--cache-dir", str(cache_dir)], capsys)
    assert code == 0
    code, _, err = run_cli(["run", drop, "--set", "keep=1.5", "--cache-dir", str(cache_dir)], capsys)
    assert code == 2 and "dropout.model:24:27: error: the probability `p` of `bernoulli`" in err
    assert "`keep` = 1.5 (from --set)" in err
    _clean(err)


def test_huge_learning_rate_is_numerical_trouble(cache_dir, capsys):
    """A 60-digit η: the overlaps overflow in the first step; exit 3 with the time, not a traceback."""
    eta = "123456789012345678901234567890123456789012345678901234567890"
    code, _, err = run_cli(["run", SAAD, "--set", f"eta={eta}", "--t-end", "1",
                            "--cache-dir", str(cache_dir)], capsys)
    assert code == 3 and "integration stopped at t = 0" in err
    _clean(err)


def test_infinite_observable_is_numerical_trouble(cache_dir, hostile, tmp_path, capsys):
    """exp(1000 Q) overflows once Q > 0.71: exit 3 at that time, nothing written."""
    code, _, err = run_cli(["run", hostile, "--out", str(tmp_path / "o"), "--cache-dir", str(cache_dir)],
                           capsys)
    assert code == 3 and "observable `big` is inf at t = " in err
    t = float(err.split("at t = ")[1].split()[0])
    assert 0 < t < 10
    assert not (tmp_path / "o").exists()
    _clean(err)


def test_initial_overlaps_must_be_a_gram_matrix(cache_dir, hostile, capsys):
    """R = 5 with Q = T ≈ 0.25, 1: |R|² > Q T, no vectors have these overlaps."""
    code, _, err = run_cli(["run", hostile, "--set", "r0=5", "--cache-dir", str(cache_dir)], capsys)
    assert code == 2 and "hostile.model:11:8: error: the initial overlaps of `w`, `wt`" in err
    assert "init { R = r0 }" in err and "^" in err
    _clean(err)
    code, _, err = run_cli(["run", hostile, "--set", "r0=0.3", "--t-end", "0.1",
                            "--cache-dir", str(cache_dir)], capsys)
    assert code == 0, err                              # a valid start: 0.3² < Q T ≈ 0.25


def test_out_is_checked_before_any_work(tmp_path, capsys):
    afile = tmp_path / "f"
    afile.write_text("keep me")
    for out, message in [(afile, "names an existing file"), (afile / "sub", "is a file, not a directory")]:
        code, _, err = run_cli(["run", "no/such.model", "--out", str(out)], capsys)
        assert code == 2 and message in err         # before even reading the model
        _clean(err)
    assert afile.read_text() == "keep me"


def test_outputs_follow_the_umask(cache_dir, tmp_path, capsys):
    old = os.umask(0o022)
    try:
        code, _, _ = run_cli(["run", LIN, "--t-end", "1", "--out", str(tmp_path / "o"),
                              "--cache-dir", str(cache_dir)], capsys)
    finally:
        os.umask(old)
    assert code == 0
    for f in (tmp_path / "o").iterdir():
        assert f.stat().st_mode & 0o777 == 0o644
