"""The SymPy printer shared by every generated kernel: IR expressions as
Numba-friendly Python.

Names are mangled here, never taken from user text: parameters print as
``p_<name>``, indices as ``i_<name>``, Gaussian leaves ``z<j>`` and means
``mean_<j>`` as themselves; activations with kinks (step, relu, sign) print as
branch-free conditionals, small integer powers as products.
"""
from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.pycode import PythonCodePrinter


class KernelPrinter(PythonCodePrinter):
    """Prints IR expressions as Numba-friendly Python."""

    def __init__(self, params: set[str]):
        super().__init__({"fully_qualified_modules": True, "standard": "python3", "order": "none"})
        self.params = params

    def _print_Symbol(self, s):
        if s.name in self.params:
            return f"p_{s.name}"
        if s.name[:1] in ("z", "e") and s.name[1:].isdigit():
            return s.name
        if s.name.startswith("v_"):
            return s.name                  # temporaries of the adjoint kernels
        if s.name.startswith("m") and s.name[1:].isdigit() and not s.is_integer:
            return f"mean_{s.name[1:]}"
        return f"i_{s.name}"

    def _print_Indexed(self, e):
        return f"{e.base.label}[{', '.join(self._index(i) for i in e.indices)}]"

    def _index(self, i):
        """Array indices are integers: ``0``, ``i_k``, ``i_k + 1``."""
        if i.is_Integer:
            return str(int(i))
        if i.is_Add:
            return " + ".join(self._index(a) for a in i.args)
        return self._print(i)

    def _print_KroneckerDelta(self, e):
        a, b = e.args
        return f"(1.0 if {self._index(a)} == {self._index(b)} else 0.0)"

    def _print_Step(self, e):
        return f"(1.0 if {self._print(e.args[0])} > 0.0 else 0.0)"

    def _print_Relu(self, e):
        return f"max({self._print(e.args[0])}, 0.0)"

    def _print_Sgn(self, e):
        x = self._print(e.args[0])
        return f"(1.0 if {x} > 0.0 else (-1.0 if {x} < 0.0 else 0.0))"

    def _print_Function(self, e):
        if isinstance(e, AppliedUndef):
            return f"{e.func.__name__}({', '.join(self._print(a) for a in e.args)})"
        return super()._print_Function(e)

    def _print_Rational(self, e):
        return f"({e.p}.0/{e.q}.0)"

    def _print_Integer(self, e):
        return f"{e.p}.0" if abs(e.p) < 2**53 else super()._print_Integer(e)

    def _print_Pow(self, e, rational=False):
        b, x = e.args
        if x.is_Integer and 0 < int(x) <= 4:
            base = self.parenthesize(b, 1000)
            return "(" + "*".join([base] * int(x)) + ")"   # safe after `/`
        if x == sp.Rational(1, 2):
            return f"math.sqrt({self._print(b)})"
        if x == -1:
            return f"(1.0/{self.parenthesize(b, 1000)})"
        return f"{self.parenthesize(b, 1000)}**{self.parenthesize(x, 1000)}"
