"""The penalty of `algorithm erm` (static kind): `penalty c2 * |w|^2 + c1 * norm1(w)` → (λ₂, λ₁,
regulariser registry entry), shared by the scalar (derive.py) and the K-class (multiclass.py) derivations."""
from __future__ import annotations

import sympy as sp

from statc.dsl import StatcError, ast
from statc.dsl.semantics import CheckedModel


def _err(message: str, span, **kw) -> StatcError:
    return StatcError(message, span, **kw)


#: the penalty's terms → regulariser registry entry (runtime/static/regularisers.py)
REGULARISERS = {(True, False): "ridge", (False, True): "lasso", (True, True): "elastic_net",
                (False, False): "ridge"}
PENALTY_EXAMPLE = "`penalty lambda / 2 * |{w}|^2`, `penalty lambda * norm1({w})` or both added"


def _penalty(cm: CheckedModel, lower_expr, w: str) -> tuple[sp.Expr, sp.Expr, str]:
    """(λ₂, λ₁, regulariser) from `penalty c2 * |w|^2 + c1 * norm1(w)`: r(w) = λ₁|w|₁ + λ₂/2 |w|²,
    λ₂ = 2·c2 (ridge), λ₁ = c1 (LASSO), both: elastic net; no penalty: λ₂ = λ₁ = 0."""
    pen = cm.model.algorithm.penalty
    if pen is None:
        return sp.S.Zero, sp.S.Zero, "ridge"
    R, R1 = sp.Dummy("R", positive=True), sp.Dummy("R1", positive=True)

    def build(e):
        if isinstance(e, ast.Norm):
            return R
        if isinstance(e, ast.Call) and e.func == "norm1":
            return R1
        if isinstance(e, ast.Neg):
            return -build(e.operand)
        if isinstance(e, ast.BinOp):
            a, b = build(e.left), build(e.right)
            return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "^": a ** b}[e.op]
        return lower_expr(e)
    expr = sp.expand(build(pen.value))
    c2 = sp.simplify(expr.coeff(R, 2))
    c1 = sp.simplify(expr.coeff(R1, 1))
    rest = sp.simplify(expr - c2 * R ** 2 - c1 * R1)
    if rest != 0 or c2.has(R, R1) or c1.has(R, R1) or (c1 == 0 and c2 == 0):
        raise _err("the static kind supports ridge, L1 and elastic-net penalties only", pen.value.span,
                   expected=PENALTY_EXAMPLE.format(w=w),
                   hint=f"`|{w}|^2` is the squared Euclidean norm, `norm1({w})` the L1 norm sum_i |{w}_i|; "
                        "the regulariser enters the fixed point through its proximal operator "
                        "(linear shrinkage, soft threshold)")
    return 2 * c2, c1, REGULARISERS[(c2 != 0, c1 != 0)]
