"""Numeric evaluation of parameter-level expressions, straight from the AST.

Parameter defaults (``p_test = keep``), ranges, run options and `--set`
values are small arithmetic expressions of parameters.  They are evaluated
here by walking the tree — never by ``eval`` — so that a cached model runs
without importing SymPy.
"""
from __future__ import annotations

import math

from . import ast
from .errors import StatcError

_FUNCS = {
    "erf": math.erf, "exp": math.exp, "log": math.log, "tanh": math.tanh,
    "sqrt": math.sqrt, "sign": lambda x: float((x > 0) - (x < 0)), "relu": lambda x: max(x, 0.0),
    "abs": abs, "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)), "step": lambda x: float(x > 0),
    "cos": math.cos, "sin": math.sin, "delta": lambda a, b: float(a == b),
}


def evaluate(e: ast.Expr, env: dict[str, float]) -> float:
    """Evaluate a parameter-level expression; names are looked up in `env`."""
    if isinstance(e, ast.Num):
        return e.value
    if isinstance(e, ast.Name):
        if e.name == "pi" and "pi" not in env:
            return math.pi
        if e.name not in env:
            raise StatcError(f"`{e.name}` has no numeric value here", e.span)
        return float(env[e.name])
    if isinstance(e, ast.Neg):
        return -evaluate(e.operand, env)
    if isinstance(e, ast.BinOp):
        a, b = evaluate(e.left, env), evaluate(e.right, env)
        try:
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            if e.op == "/":
                return a / b
            return a ** b
        except (ZeroDivisionError, OverflowError) as err:
            raise StatcError(f"cannot evaluate: {err}", e.span) from None
    if isinstance(e, ast.Call) and e.func in _FUNCS:
        args = [evaluate(a, env) for a in e.args]
        try:
            return float(_FUNCS[e.func](*args))
        except (ValueError, OverflowError) as err:
            raise StatcError(f"cannot evaluate `{e.func}`: {err}", e.span) from None
    raise StatcError("expected a number or an expression of parameters", e.span)


def param_values(params: tuple[ast.ParamDecl, ...], overrides: dict[str, float]) -> dict[str, float]:
    """Parameter values in declaration order; `overrides` replace defaults.

    A default that refers to an earlier parameter follows that parameter's
    overridden value (``p_test = keep`` tracks ``--set keep=...``).
    """
    env: dict[str, float] = {}
    for p in params:
        env[p.name] = overrides[p.name] if p.name in overrides else evaluate(p.value, env)
    return env
