"""Expectations that do not exist are refused; the usual safe forms are accepted.

The refusals themselves have golden messages (fixtures `*divides*`, `log_of_field`,
`sqrt_of_field`); here: what must *not* be refused, and the value dependence.
"""
from __future__ import annotations

import pytest

from statc.dsl import StatcError, parse
from statc.dsl.domain import check_domains
from statc.dsl.semantics import check
from statc.dsl.values import defaults

TEMPLATE = """model m
params {{ eta = 0.5; c = 1 }}
input x ~ gaussian
teacher {{ vector wt ~ gaussian; y = wt.x }}
student {{ vector w ~ gaussian; yhat = {yhat} }}
loss = (yhat - y)^2 / 2
algorithm sgd {{ train w lr eta }}
order Q = w.w; R = w.wt; T = wt.wt
observe eps = mean({observe})
"""


def _model(yhat="w.x", observe="(yhat - y)^2 / 2"):
    return parse(TEMPLATE.format(yhat=yhat, observe=observe), "m.model")


@pytest.mark.parametrize("yhat", [
    "1 / (1 + exp(-w.x))",            # a hand-written sigmoid: denominator > 1
    "w.x / (1 + (w.x)^2)",            # 1 + z^2 >= 1
    "w.x / sqrt(1 + (w.x)^2)",
    "log(1 + exp(w.x))",              # softplus
    "sqrt((w.x)^2 + 1)",
    "w.x / c",                        # a parameter, not random
    "w.x / (c + exp(w.x))",           # c = 1 > 0
    "exp(-(w.x)^2) / 2",
    "abs(w.x)^1.5",                   # a non-integer power of a non-negative quantity
])
def test_safe_forms_are_accepted(yhat):
    check(_model(yhat))


@pytest.mark.parametrize("yhat", ["1 / w.x", "w.x / (w.x - wt.x)", "(w.x)^(-2)", "(w.x)^0.5",
                                  "1 / relu(w.x)", "1 / abs(w.x)", "log(exp(w.x) - 1)"])
def test_undefined_expectations_are_refused(yhat):
    with pytest.raises(StatcError) as info:
        check(_model(yhat))
    assert info.value.span is not None and info.value.filename == "m.model"


def test_parameter_sign_decides_and_is_rechecked_with_new_values():
    m = _model("w.x / (c + exp(w.x))")
    cm = check(m)                              # c = 1: the denominator is > 0
    values = dict(defaults(m), c=-1.0)         # c + exp(z) crosses 0
    with pytest.raises(StatcError) as info:
        check_domains(m, cm.symbols, values)
    assert info.value.span.line == 5 and "can be zero" in info.value.message


def test_given_values_are_used_inside_mean():
    """`given c = 0` makes `1/(c + exp(...))` still positive; `given c = -1` does not."""
    check(_model(observe="1 / (c + exp(yhat)) given c = 0"))
    with pytest.raises(StatcError):
        check(_model(observe="1 / (c + exp(yhat)) given c = -1"))
