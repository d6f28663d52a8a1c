"""Three-address code: an expression as a list of one-operation temporaries.

The adjoint generator (``compiler/online/derive_adjoint.py``) sweeps it in reverse,
differentiating one operation at a time.  (The forward terms keep ``sp.cse``: for
them three-address code measured 1.8× more bytecode — a store and a load per
operation — on the DAE.)
"""
from __future__ import annotations

import sympy as sp


_SPLIT = (sp.Add, sp.Mul, sp.Pow, sp.Function)


def elementary(exprs: list[sp.Expr], symbols, leaves: dict | None = None
               ) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list]:
    """Three-address code for ``exprs``: every Add, Mul, Pow or function application
    becomes a temporary whose arguments are symbols or numbers (products
    of more than two factors are split into pairs); ``leaves`` (state reads,
    atom calls) are replaced by their symbols on the way.

    Equal subexpressions share one temporary (structural equality, so this is
    also a common-subexpression elimination).  The reverse sweep then
    differentiates only one operation at a time: the adjoint program grows
    linearly with the forward one, where differentiating the multi-operation
    temporaries of ``sp.cse`` repeated whole subtrees (``exp(…)`` once per
    partial) in every adjoint.  Nodes are built unevaluated: their arguments
    are already canonical.  Other nodes (``Piecewise``, relations) stay whole.
    """
    leaves = leaves or {}
    memo: dict[sp.Expr, sp.Symbol] = {}
    temps: list[tuple[sp.Symbol, sp.Expr]] = []

    def lower(e: sp.Expr) -> sp.Expr:
        if e in leaves:
            return leaves[e]
        if e.is_Atom:
            return e
        if not isinstance(e, _SPLIT) or isinstance(e, sp.Piecewise):
            return e.xreplace(leaves)
        if e in memo:
            return memo[e]
        if isinstance(e, sp.Pow) and e.exp.is_Number:
            node = sp.Pow(lower(e.base), e.exp, evaluate=False)
        elif isinstance(e, sp.Mul) and len(e.args) > 2:
            *head, last = e.args                  # a·b·c = (a·b)·c: partials cost O(n), not O(n²)
            node = sp.Mul(lower(sp.Mul(*head)), lower(last), evaluate=False)
        else:
            node = e.func(*(lower(a) for a in e.args), evaluate=False)
        sym = next(symbols)
        memo[e] = sym
        temps.append((sym, node))
        return sym

    red = [lower(e) for e in exprs]
    return temps, red
