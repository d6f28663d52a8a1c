"""Structured input covariance x ~ N(0, Σ) (DMFT.md §2.3, runtime/dmft/spectral.py).

References not derived by the spectral DMFT:
* Σ = c·I written as a spectrum of equal eigenvalues must give the identity-covariance DMFT
  (§2) exactly: with the same random numbers the two sweeps agree to round-off;
* a two-level spectrum against the finite-size simulator, which draws X = Z diag(√σ_i) and runs
  the microscopic rule (no kernel shared) — small and fast here, N = 2000 in the slow test.
"""
from __future__ import annotations

import numpy as np
import pytest

from statc.dsl import StatcError
from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve_repeats
from statc.runtime.dmft.check import compare
from statc.runtime.dmft.simulate import simulate_seeds
from statc.runtime.dmft.spectral import Structured, eigenvalues, power_law, two_level


def problem(teacher, steps=20, b=0.5, lam=0.5, T=0.0):
    alg = make_algorithm("sgd", 0.1, b=b)
    if T:
        from dataclasses import replace
        alg = replace(alg, temperature=T)
    return DmftProblem(teacher, get_loss("square"), alg, alpha=3.0, eta=0.1, steps=steps, lam=lam, m0=0.2, Q0=1.04)


@pytest.mark.parametrize("teacher, T", [("linear", 0.0), ("linear", 0.3), ("sign", 0.0)])
def test_equal_eigenvalues_reproduce_the_identity_covariance(teacher, T):
    base = make_teacher(teacher)
    ref = solve_repeats(problem(base, T=T), 1500, repeats=2, seed=4)
    for spec in (eigenvalues(1.0, 1.0, 1.0), two_level(1.0, 1.0, 0.3)):
        got = solve_repeats(problem(Structured(base, spec), T=T), 1500, repeats=2, seed=4)
        for col in ref.mean:
            np.testing.assert_allclose(got.mean[col], ref.mean[col], rtol=1e-9, atol=1e-12, err_msg=col)


def test_spectrum_families():
    s = two_level(0.5, 2.0, 0.3)
    assert s.rho_star == pytest.approx(0.7 * 0.5 + 0.3 * 2.0)
    assert list(s.coordinates(10)) == [0.5] * 7 + [2.0] * 3
    p = power_law(1.0, 4)
    assert np.mean(p.sigma) == pytest.approx(1.0) and p.sigma[0] / p.sigma[3] == pytest.approx(4.0)
    a = two_level(0.5, 2.0, 0.5, align=1.0)          # teacher variance ∝ σ, mean 1
    assert a.theta2 == pytest.approx((0.4, 1.6))
    with pytest.raises(StatcError, match="must be > 0"):
        eigenvalues(1.0, 0.0)


def test_two_level_matches_simulation_small():
    """A small version of the N = 2000 check: SGD b = 0.5 on ridge regression with half the
    input variance at 0.5 and 0.3 at 2 (ρ* = 0.95), DMFT 3000 × 3 vs N = 400, 6 seeds, at
    steps 5, 10, 20 with statc check's pass rule (Bonferroni Student-t on the combined SE + 10/N)."""
    p = problem(Structured(make_teacher("linear"), two_level(0.5, 2.0, 0.3)))
    theory = solve_repeats(p, 3000, repeats=3, seed=2)
    sims = {400: simulate_seeds(p, 400, 6, seed=8)}
    res = compare(theory, sims, np.array([5, 10, 20]), 10.0, 3, 6)
    assert res["passed"], res["worst"]
    # and it is not the identity answer: the spectrum changes the trajectory beyond the errors
    iso = solve_repeats(problem(make_teacher("linear")), 3000, repeats=3, seed=2)
    gap = abs(iso.mean["m"][20] - theory.mean["m"][20])
    assert gap > 5 * np.hypot(iso.stderr["m"][20], theory.stderr["m"][20])


@pytest.mark.slow
def test_two_level_statc_check_at_N_2000(tmp_path, cache_dir):
    """`statc check models/structured_ridge.model --N 2000 --seeds 6` passes."""
    import json
    from pathlib import Path

    from statc.cli import main
    model = Path(__file__).resolve().parents[3] / "models" / "structured_ridge.model"
    out = tmp_path / "chk"
    rc = main(["check", str(model), "--cache-dir", str(cache_dir), "--N", "2000", "--seeds", "6",
               "--samples", "4000", "--repeats", "3", "--out", str(out)])
    assert rc == 0 and json.loads((out / "check.json").read_text())["passed"]
    run = tmp_path / "run"
    assert main(["run", str(model), "--cache-dir", str(cache_dir), "--samples", "2000", "--repeats", "2",
                 "--out", str(run)]) == 0
    spec = json.loads((run / "summary.json").read_text())["spectrum"]
    assert spec["sigma"] == [0.5, 2.0] and spec["weight"] == pytest.approx([0.7, 0.3])
    assert spec["rho_star"] == pytest.approx(0.95)


@pytest.mark.slow
def test_power_law_and_aligned_teacher_match_simulation():
    p = problem(Structured(make_teacher("sign"), power_law(1.0, 8, align=1.0)), steps=30, lam=0.2)
    theory = solve_repeats(p, 4000, repeats=4, seed=2)
    sims = {1500: simulate_seeds(p, 1500, 6, seed=8)}
    res = compare(theory, sims, np.array([6, 15, 30]), 10.0, 4, 6)
    assert res["passed"], res["worst"]


SPEC_MODEL = """model spec
params { alpha = 3; eta = 0.1 }
input x ~ gaussian(spectrum = SPECTRUM)
data n = alpha * N
teacher { vector wt ~ gaussian;  y = wt.x }
student { vector w ~ gaussian;  yhat = w.x }
loss = (yhat - y)^2 / 2
algorithm sgd { train w lr eta;  batch = 0.5 }
order m = w.wt;  Q = w.w
"""


def _derived(tmp_path, spectrum: str):
    from statc.compiler.dmft.derive import derive
    from statc.dsl import parse_file
    from statc.dsl.semantics import check
    path = tmp_path / "spec.model"
    path.write_text(SPEC_MODEL.replace("SPECTRUM", spectrum))
    return derive(check(parse_file(path)))


def test_eigenvalues_from_a_file_equal_the_inline_list(tmp_path):
    (tmp_path / "sigma.txt").write_text("# levels\n0.5, 2\n1.5  # comment\n")
    np.save(tmp_path / "sigma.npy", np.array([0.5, 2.0, 1.5]))
    inline = _derived(tmp_path, "eigenvalues(0.5, 2, 1.5)")
    for name in ("sigma.txt", "sigma.npy"):
        eq = _derived(tmp_path, f'eigenvalues("{name}")')
        assert eq.spectrum[0] == "eigenvalues" and [float(v) for v in eq.spectrum[1]] == [0.5, 2.0, 1.5]
        assert eq.digest() == inline.digest()            # the same equations, the same kernel


@pytest.mark.parametrize("spectrum, message", [
    ('eigenvalues("missing.txt")', "not found"),
    ('two_level("sigma.txt")', "allowed only as"),
    ('eigenvalues("bad.txt")', "cannot read"),
    ('eigenvalues("neg.txt")', "eigenvalue > 0"),
])
def test_bad_eigenvalue_files_are_located_errors(tmp_path, spectrum, message):
    (tmp_path / "sigma.txt").write_text("1 2\n")
    (tmp_path / "bad.txt").write_text("1 two\n")
    (tmp_path / "neg.txt").write_text("1 -2\n")
    with pytest.raises(StatcError, match=message) as info:
        _derived(tmp_path, spectrum)
    assert info.value.span is not None and info.value.span.line == 3
