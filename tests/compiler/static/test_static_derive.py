"""The static kind from the language: kind selection, loss/penalty/data recognition, golden errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from statc.compiler.static.derive import derive
from statc.compiler.static.losses import H, Y
from statc.dsl import StatcError, parse, parse_file
from statc.dsl.semantics import check

ROOT = Path(__file__).resolve().parents[3]
BAD = ROOT / "tests" / "fixtures" / "bad_static"


def derived(name: str):
    return derive(check(parse_file(ROOT / "models" / f"{name}.model")))


@pytest.mark.parametrize("name", ["gmm_square", "gmm_logistic", "gmm_hinge", "gmm_bayes",
                                  "perceptron_ridge", "perceptron_logistic", "perceptron_bayes",
                                  "lasso", "elastic_net", "probit_logistic", "probit_bayes", "linear_ridge",
                                  "lasso_sparse", "sparse_bayes"])
def test_erm_and_bayes_optimal_select_the_static_kind(name):
    assert check(parse_file(ROOT / "models" / f"{name}.model")).theory == "static"


def test_other_kinds_are_unchanged():
    assert check(parse_file(ROOT / "models" / "dmft_gmm.model")).theory == "dmft"
    assert check(parse_file(ROOT / "models" / "gmm_online.model")).theory == "online"


@pytest.mark.parametrize("model, channel, loss, bias", [
    ("gmm_square", "mixture", "square", True), ("gmm_logistic", "mixture", "logistic", True),
    ("gmm_hinge", "mixture", "hinge", True), ("perceptron_ridge", "sign", "square", False),
    ("perceptron_logistic", "sign", "logistic", False),
])
def test_models_are_recognised(model, channel, loss, bias):
    eq = derived(model)
    assert (eq.algorithm, eq.channel, eq.loss_name, eq.bias) == ("erm", channel, loss, bias)
    values = dict(eq.values)
    assert values["lam"] == sp.Symbol("lambda", real=True)      # lambda/2 |w|^2 -> ridge lambda
    assert values["lam1"] == 0 and eq.regulariser == "ridge"
    assert values["alpha"] == sp.Symbol("alpha", real=True)


@pytest.mark.parametrize("model, reg, lam, lam1", [
    ("lasso", "lasso", "0", "lambda1"), ("elastic_net", "elastic_net", "lambda2", "lambda1"),
])
def test_l1_and_elastic_net_penalties_are_recognised(model, reg, lam, lam1):
    """`lambda1 * norm1(w) + lambda2 / 2 * |w|^2` → r(w) = λ₁|w|₁ + λ₂/2 |w|², λ₂ = 2·(λ2/2)."""
    eq = derived(model)
    values = dict(eq.values)
    assert (eq.regulariser, eq.channel, eq.loss_name) == (reg, "linear", "square")
    assert str(values["lam"]) == lam and str(values["lam1"]) == lam1
    assert dict(eq.channel_args)["noise"] == sp.Symbol("sigma", real=True) ** 2


@pytest.mark.parametrize("model", ["probit_logistic", "probit_bayes"])
def test_probit_teacher_is_the_sign_channel_with_the_declared_noise(model):
    """`y = sign(wt.x + sigma * noise)` → channel `sign` with noise variance sigma² (probit)."""
    eq = derived(model)
    assert eq.channel == "sign" and dict(eq.channel_args) == {"noise": sp.Symbol("sigma", real=True) ** 2}


def test_sparse_teacher_prior_is_recognised():
    eq = derived("lasso_sparse")
    assert eq.teacher == "sparse" and dict(eq.values)["teacher_p"] == sp.Symbol("eps", real=True)
    assert dict(derived("lasso").values)["teacher_p"] == 1 and derived("lasso").teacher == "gaussian"


def test_logistic_loss_is_stable_and_equals_the_written_one():
    """log(1 + exp(-y h)) becomes Softplus(-y h): same values, no overflow at large margins."""
    from statc.compiler.static.build import load
    from statc.compiler.static.losses import Loss
    eq = derived("gmm_logistic")
    mod = load(Loss("t", eq.loss, "binary"))
    for y, h in [(1.0, 0.3), (-1.0, 2.0), (1.0, -5.0)]:
        assert mod.loss(y, h) == pytest.approx(np.log1p(np.exp(-y * h)), rel=1e-13)
    assert mod.loss(1.0, -800.0) == pytest.approx(800.0)


def test_mixture_parameters():
    eq = derived("gmm_logistic")
    assert dict(eq.channel_args) == {"rho": sp.Symbol("rho", real=True), "Delta": sp.Symbol("Delta", real=True)}


@pytest.mark.parametrize("name", sorted(p.stem for p in BAD.glob("*.model")))
def test_unsupported_models_are_golden_located_errors(name):
    source = (BAD / f"{name}.model").read_text()
    filename = f"tests/fixtures/bad_static/{name}.model"
    with pytest.raises(StatcError) as info:
        derive(check(parse(source, filename)))
    rendered = info.value.located(filename, source).render()
    assert rendered == (BAD / f"{name}.err").read_text().rstrip("\n")
    assert "hint:" in rendered and "^" in rendered
