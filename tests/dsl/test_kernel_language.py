"""The kernel kind's language: the good models parse and check as `kernel`, the DSL's tables
agree with the runtime's registries, and the SymPy-derived readout overlap equals the
runtime's closed form.  (Its golden error messages, tests/fixtures/bad_kernel, are tested
with every other parser/checker golden in tests/dsl/test_errors.py.)
"""
from __future__ import annotations

from pathlib import Path

import pytest

from statc.dsl import parse_file
from statc.dsl.semantics import check

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["attention_paths", "deep_linear", "digits_attention"])
def test_shipped_kernel_models_check_as_kernel(name):
    cm = check(parse_file(ROOT / "models" / f"{name}.model"))
    assert cm.theory == "kernel"


def test_temperature_is_still_an_option_of_langevin_sgd():
    cm = check(parse_file(ROOT / "models" / "phase_retrieval.model"))
    assert cm.theory == "dmft" and "temperature" in [o.name for o in cm.model.algorithm.options]


def test_language_tables_match_the_runtime_registries():
    from statc.dsl import kernel as lang
    from statc.runtime.kernel import data, mixing
    assert set(lang.MIXINGS) == set(mixing.MIXINGS)
    for name, (matrix, options) in lang.MIXINGS.items():
        assert (mixing.MIXINGS[name].matrix, mixing.MIXINGS[name].options) == (matrix, options)
    assert {k: v for k, v in lang.READOUTS.items()} == {k: v[0] for k, v in mixing.READOUTS.items()}
    assert set(lang.GENERATORS) == set(data.GENERATORS)
    for name, settings in lang.GENERATORS.items():
        assert set(settings) == set(data.GENERATORS[name].defaults)


def test_sympy_readout_overlap_equals_the_runtime_closed_form():
    import numpy as np
    from statc.compiler.kernel.derive import readout_overlap_formula
    from statc.runtime.kernel.action import readout_overlap
    from statc.runtime.kernel.levels import Architecture
    expr, sym = readout_overlap_formula()
    rng = np.random.default_rng(0)
    for _ in range(5):
        H, NL, Na, sL, sa = int(rng.integers(1, 4)), *rng.uniform(5, 50, 2), *rng.uniform(0.3, 2, 2)
        U = rng.standard_normal((H, H))
        U = U @ U.T + np.eye(H)
        arch = Architecture((2, H), (7.0, NL, Na), (1.0, sL, sa))
        want = float(expr.subs({sym["N_L"]: NL, sym["N_a"]: Na, sym["H_L"]: H, sym["sigma_L2"]: sL,
                                sym["sigma_a2"]: sa, sym["trU_L"]: np.trace(U)}))
        assert readout_overlap(arch, U) == pytest.approx(want, rel=1e-12)
