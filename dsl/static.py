"""Semantic checks of the static kind's algorithms (`algorithm erm { ... }`,
`algorithm bayes_optimal`) on a finite data set (`data n = alpha * N`).

* ``erm``: exactly one ``train w`` (a student vector, no learning rate: the
  estimator is the minimiser, not a trajectory), an optional ``penalty`` made
  of parameters, ``|w|`` and ``norm1(w)`` only, an optional ``bias b`` naming a student
  scalar;
* ``bayes_optimal``: the posterior mean, so no body at all.

The shape of the penalty (ridge, L1, elastic net) and of the data model are recognised later,
by the derivation (compiler/static/from_model.py), with located errors too.
"""
from __future__ import annotations

from typing import Callable

from . import ast
from .errors import Span, StatcError

#: the static algorithms and one line on what each computes
STATIC_ALGORITHMS: dict[str, str] = {
    "erm": "the minimiser of the regularised empirical risk",
    "bayes_optimal": "the posterior mean with the true prior and channel",
}

ERM_EXAMPLE = "`algorithm erm { train w; penalty lambda / 2 * |w|^2; bias b }`"


def is_static(model: ast.Model) -> bool:
    """A finite-data model whose algorithm is a minimiser or a posterior."""
    return (model.data is not None and model.algorithm is not None
            and model.algorithm.name in STATIC_ALGORITHMS)


def check_static(alg: ast.Algorithm, symbols: dict, expr: Callable[[object], None]) -> None:
    """Check an `erm` / `bayes_optimal` block; ``expr`` checks a parameter expression."""
    if alg.options:
        opt = alg.options[0]
        raise StatcError(f"`{opt.name}` is not an option of `algorithm {alg.name}`", opt.span,
                         expected=ERM_EXAMPLE if alg.name == "erm" else "`algorithm bayes_optimal`",
                         hint="the static kind computes the end point of learning: no step sizes, "
                              "batches or times")
    if alg.updates:
        raise StatcError(f"`update` is not allowed in `algorithm {alg.name}`", alg.updates[0].span,
                         expected=ERM_EXAMPLE)
    if alg.name == "bayes_optimal":
        extra = alg.trains[0].span if alg.trains else (alg.penalty or alg.bias or None)
        if extra is not None:
            span = extra if isinstance(extra, Span) else extra.span
            raise StatcError("`algorithm bayes_optimal` has no body", span,
                             expected="`algorithm bayes_optimal`",
                             hint="the Bayes-optimal estimator is fixed by the teacher's prior and "
                                  "channel; for a trained estimator write " + ERM_EXAMPLE)
        return
    if not alg.trains:
        raise StatcError("`algorithm erm` trains nothing", alg.span, expected="`train w`",
                         hint="name the student vector whose empirical risk is minimised")
    if len(alg.trains) > 1:
        raise StatcError("the static kind trains one student vector (one field); found a second "
                         "`train`", alg.trains[1].span, expected=ERM_EXAMPLE,
                         hint="students with several fields (committees) are not supported by "
                              "the static kind")
    tr = alg.trains[0]
    sym = symbols.get(tr.target)
    if sym is None or sym.kind != "vector" or sym.role != "student":
        raise StatcError(f"`{tr.target}` is not a student vector", tr.target_span,
                         expected="`train w` with `vector w` declared in `student`")
    if tr.options or tr.backward:
        span = (tr.options or tr.backward)[0].span
        raise StatcError("`train` takes no options in `algorithm erm`", span, expected="`train w`",
                         hint="the estimator is the minimiser; put the regularisation in "
                              "`penalty lambda / 2 * |w|^2`")
    if alg.penalty is not None:
        _check_penalty(alg.penalty.value, tr.target, symbols, expr)
    if alg.bias is not None:
        b = symbols.get(alg.bias.name)
        if b is None or b.kind != "scalar" or b.role != "student" or b.indexed:
            raise StatcError(f"`{alg.bias.name}` is not a student scalar", alg.bias.name_span,
                             expected=f"`scalar {alg.bias.name}` in `student` and "
                                      f"`yhat = {tr.target}.x + {alg.bias.name}`",
                             hint="the bias is a learned, unpenalised offset of the student's output")


def _check_penalty(e, w: str, symbols: dict, expr: Callable[[object], None]) -> None:
    """Parameters, numbers, + - * / ^, `|w|` and `norm1(w)` (L1) of the trained vector only."""
    if isinstance(e, ast.Norm):
        if not (isinstance(e.value, ast.Name) and e.value.name == w):
            raise StatcError("a penalty is a function of the trained vector's norm", e.span,
                             expected=f"`|{w}|^2`")
        return
    if isinstance(e, ast.Call) and e.func == "norm1":
        if len(e.args) != 1 or not (isinstance(e.args[0], ast.Name) and e.args[0].name == w):
            raise StatcError("`norm1` is the L1 norm of the trained vector", e.span,
                             expected=f"`norm1({w})`",
                             hint=f"the penalty regularises the trained vector `{w}` only: "
                                  f"`lambda1 * norm1({w}) + lambda2 / 2 * |{w}|^2`")
        return
    if isinstance(e, ast.BinOp):
        _check_penalty(e.left, w, symbols, expr)
        _check_penalty(e.right, w, symbols, expr)
        return
    if isinstance(e, ast.Neg):
        _check_penalty(e.operand, w, symbols, expr)
        return
    if isinstance(e, ast.Name) and e.name == w:
        raise StatcError(f"`{w}` is a vector; the penalty uses its norm", e.span,
                         expected=f"`lambda / 2 * |{w}|^2`")
    expr(e)
