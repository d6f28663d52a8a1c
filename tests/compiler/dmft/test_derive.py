"""The dmft derivation: kind selection, SymPy loss derivatives, data-model recognition, errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from statc.compiler.dmft.derive import derive
from statc.dsl import StatcError, parse, parse_file
from statc.dsl.semantics import check
from statc.runtime.dmft import LOSSES

ROOT = Path(__file__).resolve().parents[3]
BAD = ROOT / "tests" / "fixtures" / "bad_dmft"


def derived(name: str):
    return derive(check(parse_file(ROOT / "models" / f"{name}.model")))


def test_data_statement_selects_the_dmft_kind_and_online_models_are_unchanged():
    assert check(parse_file(ROOT / "models" / "dmft_gmm.model")).theory == "dmft"
    assert check(parse_file(ROOT / "models" / "gmm_online.model")).theory == "online"


@pytest.mark.parametrize("model, teacher, algorithm, registry", [
    ("dmft_gmm", "gmm", "persistent", "logistic"),
    ("dmft_ridge", "linear", "gd", "square"),
    ("phase_retrieval", "phase_retrieval", "persistent", "phase_retrieval"),
])
def test_sympy_derivatives_match_hand_written_losses(model, teacher, algorithm, registry):
    """ℓ, ℓ', ℓ'' differentiated by SymPy from the model's loss equal the hand-written
    registry entries (independent formulas) at random points, to round-off."""
    import sympy as sp
    from statc.compiler.dmft.equations import H, Y
    eq = derived(model)
    assert (eq.teacher, eq.algorithm) == (teacher, algorithm)
    ref = LOSSES[registry]
    rng = np.random.default_rng(0)
    ys = rng.choice([-1.0, 1.0], 20) if teacher == "gmm" else rng.normal(size=20) ** (2 if teacher != "linear" else 1)
    for expr, fn in ((eq.loss, ref.value), (eq.dloss, ref.d1), (eq.d2loss, ref.d2)):
        f = sp.lambdify((Y, H), expr, "math")
        for y, h in zip(ys, rng.normal(scale=2.0, size=20)):
            assert f(float(y), float(h)) == pytest.approx(fn(float(y), float(h)), rel=1e-12, abs=1e-14)


def test_mixture_parameters_are_recognised():
    import sympy as sp
    eq = derived("dmft_gmm")
    args = dict(eq.teacher_args)
    assert args["rho"] == sp.Symbol("rho", real=True) or str(args["rho"]) == "rho"
    assert str(args["Delta"]) == "Delta"
    values = dict(eq.values)
    assert str(values["lam"]) == "lambda" and str(values["b"]) == "b" and str(values["tau"]) == "tau"


@pytest.mark.parametrize("name", sorted(p.stem for p in BAD.glob("*.model")))
def test_unsupported_models_are_golden_located_errors(name):
    source = (BAD / f"{name}.model").read_text()
    filename = f"tests/fixtures/bad_dmft/{name}.model"
    with pytest.raises(StatcError) as info:
        derive(check(parse(source, filename)))
    assert info.value.located(filename, source).render() == (BAD / f"{name}.err").read_text().rstrip("\n")


@pytest.mark.parametrize("option, nesterov", [("momentum", 0), ("nesterov", 1)])
def test_momentum_options_select_the_update_rule(option, nesterov):
    """`momentum = beta` is the heavy ball, `nesterov = beta` Nesterov (runtime/dmft/weights.py)."""
    text = (ROOT / "models" / "momentum_ridge.model").read_text().replace("momentum = beta", f"{option} = beta")
    values = dict(derive(check(parse(text, "m.model"))).values)
    assert str(values["beta"]) == "beta" and values["nesterov"] == nesterov
