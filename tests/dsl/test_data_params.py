"""`params from "file.npz" { ... }`, observables built from earlier observables."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

from statc.dsl import parse
from statc.dsl.evaluate import param_values
from statc.dsl.semantics import check

MODEL = """
model data_params
params { K = 1 }
params from "moments.npz" { eta; s }
input x ~ gaussian(var = s)
teacher { vector wt ~ gaussian; y = wt.x }
student { vector w ~ gaussian; yhat = w.x }
loss = (yhat - y)^2 / 2
algorithm sgd { train w lr eta }
order Q = w.w; R = w.wt; T = wt.wt
observe e = mean((yhat - y)^2 / 2)
observe e2 = 2 * e + Q
"""


def _model(tmp_path: Path):
    np.savez(tmp_path / "moments.npz", eta=0.25, s=np.array(1.5), unused=np.zeros(3))
    path = tmp_path / "data_params.model"
    path.write_text(MODEL)
    return parse(path.read_text(), str(path))


def test_file_entries_become_parameter_defaults(tmp_path):
    m = _model(tmp_path)
    check(m)
    assert [p.name for p in m.params] == ["K", "eta", "s"]
    assert param_values(m.params, {}) == {"K": 1, "eta": 0.25, "s": 1.5}
    assert param_values(m.params, {"eta": 0.5})["eta"] == 0.5          # --set still overrides


def test_observable_may_use_an_earlier_observable(tmp_path):
    from statc.compiler.ir.model_ir import lower
    ir = lower(check(_model(tmp_path)))
    e, e2 = ir.observables["e"], ir.observables["e2"]
    Q = ir.overlap_base("w", "w")[0, 0]
    assert sp.expand(e2 - (2 * e + Q)) == 0
