"""Checks of the `control` block, and its objective as a linear form.

The objective is a weighted sum of observables at the final time and of their
time integrals: ``minimize err1 + err2``, ``minimize integral(eps)``,
``maximize -0.5 * eps + acc``.  Weights are constant expressions of the
parameters.  Anything else (a product of two observables, an observable inside
a function) is refused with a hint, since the adjoint is built for this form.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import ast
from .errors import StatcError, did_you_mean

OPTIONS = {"intervals": "number of piecewise-constant intervals (default 100)",
           "dt": "largest RK4 step of the control solver (default 0.05)",
           "maxiter": "optimiser iterations (default 200)",
           "multistart": "number of starting protocols (default 1)"}


@dataclass(frozen=True)
class ObjectiveTerm:
    weight: ast.Expr                  # constant expression of the parameters
    observable: str
    integral: bool


def _scaled(w: ast.Expr | None, factor: ast.Expr, span) -> ast.Expr:
    return factor if w is None else ast.BinOp("*", w, factor, span)


def objective_terms(e: ast.Expr, observables: set[str], params: set[str],
                    weight: ast.Expr | None = None, integral: bool = False) -> list[ObjectiveTerm]:
    """Split a linear objective into (weight, observable, integral?) terms."""
    one = ast.Num(1.0, "1", e.span)
    if isinstance(e, ast.Name) and e.name in observables:
        return [ObjectiveTerm(weight or one, e.name, integral)]
    if isinstance(e, ast.Call) and e.func == "integral":
        if integral:
            raise StatcError("`integral(...)` cannot be nested", e.span)
        if len(e.args) != 1:
            raise StatcError("`integral` takes one argument", e.span, expected="`integral(eps)`")
        return objective_terms(e.args[0], observables, params, weight, True)
    if isinstance(e, ast.Neg):
        return objective_terms(e.operand, observables, params,
                               _scaled(weight, ast.Num(-1.0, "-1", e.span), e.span), integral)
    if isinstance(e, ast.BinOp) and e.op in "+-":
        left = objective_terms(e.left, observables, params, weight, integral)
        w = weight if e.op == "+" else _scaled(weight, ast.Num(-1.0, "-1", e.span), e.span)
        return left + objective_terms(e.right, observables, params, w, integral)
    if isinstance(e, ast.BinOp) and e.op in "*/":
        lc, rc = _constant(e.left, observables), _constant(e.right, observables)
        if e.op == "*" and lc:
            return objective_terms(e.right, observables, params, _scaled(weight, e.left, e.span), integral)
        if rc:
            factor = e.right if e.op == "*" else ast.BinOp("/", one, e.right, e.span)
            return objective_terms(e.left, observables, params, _scaled(weight, factor, e.span), integral)
    if isinstance(e, ast.Name):
        raise StatcError(f"`{e.name}` is not an observable", e.span,
                         expected="an observable: " + ", ".join(f"`{o}`" for o in sorted(observables)),
                         hint=did_you_mean(e.name, sorted(observables)))
    raise StatcError("the objective must be a weighted sum of observables and of their time integrals",
                     e.span, expected="e.g. `minimize eps_g`, `minimize err1 + err2` or "
                                      "`minimize integral(eps_g)`",
                     hint="define a nonlinear quantity as an observable with `observe`")


def _constant(e: ast.Expr, observables: set[str]) -> bool:
    if isinstance(e, ast.Num):
        return True
    if isinstance(e, ast.Name):
        return e.name not in observables
    if isinstance(e, ast.Neg):
        return _constant(e.operand, observables)
    if isinstance(e, ast.BinOp):
        return _constant(e.left, observables) and _constant(e.right, observables)
    return False


def check_control(block: ast.ControlBlock, symbols: dict, int_params: set[str], check_param_expr) -> None:
    """Raise StatcError on the first mistake in a control block."""
    params = sorted(n for n, s in symbols.items() if s.kind == "param")
    observables = {n for n, s in symbols.items() if s.kind == "observable"}
    seen: dict[str, ast.Control] = {}
    for c in block.controls:
        if c.name not in params:
            raise StatcError(f"unknown parameter `{c.name}`", c.name_span,
                             expected="a parameter of the model", hint=did_you_mean(c.name, params))
        if c.name in int_params:
            raise StatcError(f"`{c.name}` is an index size and cannot be a control", c.name_span)
        if c.name in seen:
            raise StatcError(f"`{c.name}` is declared a control twice", c.span,
                             hint=f"the first is at line {seen[c.name].span.line}")
        seen[c.name] = c
        if c.kind == "box" and len(c.values) != 2:
            raise StatcError("a continuous control has bounds `[low, high]`", c.span)
        if c.kind == "choice" and len(c.values) < 2:
            raise StatcError("a discrete control needs at least two values", c.span,
                             expected="e.g. `Delta(t) in {0, 2}`")
        if c.kind == "choice" and c.final:
            raise StatcError("a final-time control must be continuous", c.span,
                             expected="`p in [low, high] final`")
        for v in c.values:
            check_param_expr(v)
    if not block.controls:
        raise StatcError("a control block declares at least one control", block.span,
                         expected="e.g. `eta(t) in [0, 2]`")
    if sum(1 for c in block.controls if c.kind == "choice") > 1:
        second = [c for c in block.controls if c.kind == "choice"][1]
        raise StatcError("at most one discrete control per model", second.span,
                         hint="its fraction of samples is what the optimiser varies; "
                              "combine two discrete choices into one parameter")
    if block.objective is None:
        raise StatcError("a control block needs an objective", block.span,
                         expected="`minimize OBSERVABLE` or `maximize OBSERVABLE`")
    for term in objective_terms(block.objective, observables, set(params)):
        check_param_expr(term.weight)
    for b in block.budgets:
        c = seen.get(b.name)
        if c is None:
            raise StatcError(f"`{b.name}` is not a control", b.span,
                             expected="a control declared in this block", hint=did_you_mean(b.name, list(seen)))
        if c.final:
            raise StatcError(f"`{b.name}` is a final-time control; budgets constrain time averages",
                             b.span)
        if b.kind == "fraction" and c.kind != "choice":
            raise StatcError(f"`fraction({b.name} == …)` needs a discrete control", b.span,
                             hint=f"for a continuous control use `mean({b.name}) <= …`")
        if b.kind in ("mean", "integral") and c.kind != "box":
            raise StatcError(f"`{b.kind}({b.name})` needs a continuous control", b.span,
                             hint=f"for a discrete control use `fraction({b.name} == VALUE) = …`")
        for e in (b.value, b.bound):
            if e is not None:
                check_param_expr(e)
    for o in block.options:
        if o.name not in OPTIONS:
            raise StatcError(f"unknown control option `{o.name}`", o.span,
                             expected=", ".join(f"`{k}`" for k in OPTIONS), hint=did_you_mean(o.name, list(OPTIONS)))
        check_param_expr(o.value)
    names = set()
    for bl in block.baselines:
        if bl.name in names:
            raise StatcError(f"duplicated baseline `{bl.name}`", bl.span)
        names.add(bl.name)
        for sc in bl.schedules:
            if sc.name not in seen or seen[sc.name].final:
                raise StatcError(f"`{sc.name}` is not a time-dependent control", sc.name_span,
                                 hint="a baseline gives a schedule to controls declared `NAME(t) in …`")
            for piece in sc.pieces:
                for e in (piece.t0, piece.t1, piece.value):
                    check_param_expr(e)
