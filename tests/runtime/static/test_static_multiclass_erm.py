"""K-class ERM (runtime/static/multiclass_erm.py, models multiclass_ce / multiclass_square).

References statc's K-class code did not derive: the binary ERM fixed points of the scalar code path
(K = 2: argmax of two fields is the sign of their difference u = w₂ − w₁; cross-entropy with ridge λ is
binary logistic regression with ridge λ/2 on u, square loss to the one-hot label with ridge λ is binary
ridge regression with λ on u), the square loss's closed forms V̂ = α(I + V)⁻¹ and
m̂ = α c_K/(K − 1) (I + V)⁻¹P with c₃ = ⟨max of 3 standard Gaussians⟩ = 3/(2√π) (STATIC.md §5), and
scikit-learn's multinomial LogisticRegression on finite data (slow)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from statc.cli import main
from statc.dsl.parser import parse
from statc.dsl.semantics import check

ROOT = Path(__file__).resolve().parents[3]
CE, SQUARE = ROOT / "models" / "multiclass_ce.model", ROOT / "models" / "multiclass_square.model"


def _problem(path: Path, K: int, alpha: float, lam: float):
    from statc.compiler.static.derive import derive
    from statc.compiler.static.multiclass_loss import load
    from statc.runtime.static.multiclass_erm import MulticlassERM
    eq = derive(check(parse(path.read_text(), str(path))))
    return MulticlassERM(load(eq.loss, K), K, alpha, lam)


def _binary(loss: str, alpha: float, lam: float) -> dict:
    from statc.runtime.static.solve import StaticSpec, solve
    return solve(StaticSpec("erm", "sign", loss=loss, lam=lam), alpha)["final"]


def test_k2_cross_entropy_is_binary_logistic_with_half_lambda(cache_dir):
    """K = 2, λ = 0.1, α = 2 ≡ binary logistic with λ = 0.05: the test error, training loss and
    free energy to 1e-8, the training error (QMC here, exact 1-D there) to 1e-5; overlaps: the
    binary teacher is u*/√2, so m_bin = √2 m̄ and q_bin = 2 q̄ (m̄, q̄ = tr(P x P)/(K − 1))."""
    p = _problem(CE, 2, 2.0, 0.1).solve()
    o, b = p.observables, _binary("logistic", 2.0, 0.05)
    for k in ("test_error", "train_loss", "free_energy"):
        assert o[k] == pytest.approx(b[k], abs=1e-8), k
    assert o["train_error"] == pytest.approx(b["train_error"], abs=1e-5)
    assert np.sqrt(2) * o["m"] == pytest.approx(b["m"], rel=1e-7)
    assert 2 * o["q"] == pytest.approx(b["q"], rel=1e-7)
    # cross-entropy: f·𝟙 = 0, so q̂𝟙 = V̂𝟙 = 0 and V has the eigenvalue 1/λ along 𝟙
    one = np.ones(2)
    assert np.abs(p.qhat @ one).max() < 1e-12 and np.abs(p.q @ one).max() < 1e-10
    assert one @ p.V @ one / 2 == pytest.approx(1 / 0.1, rel=1e-9)


@pytest.mark.slow
def test_k2_square_is_binary_ridge_with_the_same_lambda(cache_dir):
    p = _problem(SQUARE, 2, 2.0, 0.1).solve()
    o, b = p.observables, _binary("square", 2.0, 0.1)
    assert o["test_error"] == pytest.approx(b["test_error"], abs=1e-8)
    assert o["train_error"] == pytest.approx(b["train_error"], abs=1e-5)
    assert np.sqrt(2) * o["m"] == pytest.approx(b["m"], rel=1e-7)


@pytest.mark.slow
def test_k3_square_loss_closed_forms(cache_dir):
    """K = 3, α = 2, λ = 0.1: V̂ = α(I + V)⁻¹ and m̂ = α c₃/2 (I + V)⁻¹P (c₃ = 3/(2√π)) from the
    generic quadrature, and the fixed point is permutation-symmetric by itself."""
    alpha = 2.0
    p = _problem(SQUARE, 3, alpha, 0.1).solve()
    R = np.linalg.inv(np.eye(3) + p.V)
    P = np.eye(3) - 1 / 3
    assert np.abs(p.Vhat - alpha * R).max() < 1e-8
    assert np.abs(p.mhat - alpha * 3 / (2 * np.sqrt(np.pi)) / 2 * R @ P).max() < 1e-8
    assert p.anisotropy < 1e-8


@pytest.mark.slow
@pytest.mark.parametrize("lam", [0.1, 1.0])
def test_k3_cross_entropy_matches_scikit_learn(cache_dir, capsys, lam):
    """Acceptance: `statc check` of multiclass_ce at K = 3, α = 2 against scikit-learn's multinomial
    LogisticRegression(C = 1/λ) at N = 1600, 4 seeds (measured at λ = 0.1: test error 0.29047 ± 0.00034
    vs the fixed point's 0.29020)."""
    assert main(["check", str(CE), "--set", f"lambda={lam}", "--N", "1600", "--seeds", "4"]) == 0
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("old, new, message", [
    ("cross_entropy(yhat, y)", "onehot(y)", "`onehot(y)` is a K-vector"),
    ("cross_entropy(yhat, y)", "cross_entropy(w, y)", "the first argument of `cross_entropy` is the class scores"),
    ("cross_entropy(yhat, y)", "cross_entropy(yhat, 1)", "the argument of `cross_entropy` must be a class label"),
    ("cross_entropy(yhat, y)", "yhat + y", "`yhat` is indexed; name the entry"),
    ("lambda / 2 * |w|^2", "lambda * norm1(w)", "K-class ERM supports the ridge penalty only"),
    ("  yhat[k] = w[k].x\n", "  yhat[k] = w[k].x + 1\n", "the class scores must be the student's fields"),
    ("algorithm erm { train w;  penalty lambda / 2 * |w|^2 }", "algorithm sgd { train w lr 0.1 }",
     "are supported by the static kind only"),
])
def test_bad_k_class_erm_models_are_located_errors(cache_dir, tmp_path, capsys, old, new, message):
    text = CE.read_text()
    assert old in text
    p = tmp_path / "variant.model"
    p.write_text(text.replace(old, new, 1))
    assert main(["show", str(p)]) == 2
    err = capsys.readouterr().err
    assert message in err and "variant.model:" in err and "^" in err


def test_written_out_cross_entropy_is_the_same_loss(cache_dir):
    """`log(sum(k, exp(yhat[k]))) - yhat[y]` lowers to the canonical loss of `cross_entropy(yhat, y)`
    (so scikit-learn is its finite-size trainer), and `|yhat - onehot(y)|^2 / 2` to the square loss."""
    from statc.compiler.ir.model_ir import lower
    from statc.compiler.static.multiclass import _erm_loss  # noqa: F401  (module imports)
    from statc.compiler.static.multiclass_loss import canonical, KS
    import sympy as sp

    def loss(text):
        cm = check(parse(text, "m.model"))
        ir = lower(cm)
        return canonical(ir.loss_outputs, sp.IndexedBase("out_yhat", real=True), ir.output_symbol("y"),
                         sp.Symbol("K", integer=True, positive=True))
    text = CE.read_text()
    written = text.replace("cross_entropy(yhat, y)", "log(sum(k, exp(yhat[k]))) - yhat[y]", 1)
    assert loss(written) == loss(text)
    from statc.compiler.static.multiclass_loss import specialise
    e, hs = specialise(loss(SQUARE.read_text()), 3, 1)
    assert sp.expand(e - (hs[0] ** 2 + (hs[1] - 1) ** 2 + hs[2] ** 2) / 2) == 0
    assert KS.name == "K"
