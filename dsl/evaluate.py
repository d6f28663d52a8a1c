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


_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: a / b, "^": lambda a, b: a ** b}

#: Functions defined on part of the real line: (argument test, what is wrong).
_DOMAINS = {
    "sqrt": (lambda x: x >= 0, "the square root of a negative number"),
    "log": (lambda x: x > 0, "the logarithm is defined for positive numbers only"),
}


def param_names(e: ast.Expr) -> list[str]:
    """The names in a parameter-level expression, in order of first appearance."""
    names: list[str] = []
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name) and n.name not in names:
            names.append(n.name)
        stack.extend(getattr(n, f) for f in ("right", "left", "operand") if hasattr(n, f))
        stack.extend(reversed(getattr(n, "args", ())))
    return names


def _origin(e: ast.Expr, env: dict[str, float]) -> str | None:
    """The values of the parameters in `e`, for a hint: `a` = 0, `b` = -1."""
    return ", ".join(f"`{k}` = {float(env[k]):.6g}" for k in sorted(param_names(e)) if k in env) or None


def _finite(value: float, e: ast.Expr, env: dict[str, float]) -> float:
    if not math.isfinite(value):
        raise StatcError("the value is too large (overflow)", e.span,
                         expected="a result below about 1e308", hint=_origin(e, env))
    return value


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
        if e.op == "/" and b == 0:
            raise StatcError("division by zero", e.span,
                             hint=_origin(e.right, env) or "the divisor is 0")
        if e.op == "^" and a < 0 and b != int(b):
            raise StatcError(f"a negative number ({a:g}) to a non-integer power ({b:g})", e.span,
                             hint=_origin(e, env))
        if e.op == "^" and a == 0 and b < 0:
            raise StatcError("zero to a negative power (a division by zero)", e.span,
                             hint=_origin(e, env))
        try:
            value = _BINARY[e.op](a, b)
        except OverflowError:
            value = math.inf
        return _finite(value, e, env)
    if isinstance(e, ast.Call) and e.func in _FUNCS:
        args = [evaluate(a, env) for a in e.args]
        domain = _DOMAINS.get(e.func)
        if domain is not None and not domain[0](*args):
            raise StatcError(f"`{e.func}` of {args[0]:g}: {domain[1]}", e.span,
                             hint=_origin(e, env))
        try:
            value = float(_FUNCS[e.func](*args))
        except OverflowError:
            value = math.inf
        return _finite(value, e, env)
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
