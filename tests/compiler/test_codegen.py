"""The kernel printer: generated arithmetic must evaluate exactly like SymPy's."""
from __future__ import annotations

import math

import pytest
import sympy as sp

from statc.compiler.codegen.printer import KernelPrinter

a, b, c = sp.symbols("a b c", real=True)
CASES = [
    a**2 / c**2, a / b**2 * c, 1 / (a * b)**3, a**-2, (a + b)**2 / (c - a)**4,
    sp.sqrt(a) / b**2, a * b**3 / c**3 * a, sp.exp(-a**2 / 2) / sp.sqrt(c), 2**a / b,
    sp.erf(a / sp.sqrt(2)) ** 2 / c**2, sp.Rational(3, 7) * a / b**2, (a / b)**-3,
]


@pytest.mark.parametrize("expr", CASES, ids=[str(e) for e in CASES])
def test_printed_expression_matches_sympy(expr):
    code = KernelPrinter({"a", "b", "c"}).doprint(expr)
    env = {"math": math, "p_a": 0.7, "p_b": 1.3, "p_c": 2.9}
    value = eval(code, env)   # our own generated text, never user input
    exact = float(expr.subs({a: 0.7, b: 1.3, c: 2.9}))
    assert value == pytest.approx(exact, rel=1e-13), code
