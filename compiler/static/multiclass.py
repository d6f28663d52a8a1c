"""The K-class teacher–student perceptron in the static kind (STATIC.md §5): recognise
``y = argmax(k, wt[k].x)`` with ``vector wt[k in 1..K] ~ gaussian`` and a K-vector student,
``algorithm bayes_optimal`` → :class:`StaticEquations` with the ``argmax`` channel (parameter K).

Supported now: Bayes-optimal estimation with a standard Gaussian teacher prior (ρ = I_K).
Everything else about K classes (ERM with cross-entropy / square loss, other teacher priors,
label noise) is a located error saying so.
"""
from __future__ import annotations

import sympy as sp

from statc.dsl import StatcError
from statc.dsl.semantics import CheckedModel

from ..ir.model_ir import ModelIR
from ..ir.symbols import Argmax
from .equations import VALUE_NAMES, StaticEquations

EXAMPLE = ("`teacher { vector wt[k in 1..K] ~ gaussian; y = argmax(k, wt[k].x) }`, "
           "`student { vector w[k in 1..K] ~ gaussian; yhat = argmax(k, w[k].x) }`, `algorithm bayes_optimal`")


def teacher_argmax(cm: CheckedModel, ir: ModelIR) -> Argmax | None:
    """The teacher label's Argmax, if the label is a class index."""
    for name, s in cm.symbols.items():
        if s.kind == "output" and s.role == "teacher" and isinstance(ir.outputs.get(name), Argmax):
            return ir.outputs[name]
    return None


def derive_multiclass(cm: CheckedModel, ir: ModelIR, label: Argmax, alpha: sp.Expr) -> StaticEquations:
    """The K-class equations (see the module docstring); ``alpha``: n/N in the parameters."""
    m = cm.model
    span = next((n.span for n in m.networks if n.role == "teacher"), m.span)
    body, j, K = label.args
    if len(ir.inputs) != 1:
        raise StatcError("the K-class teacher needs one Gaussian input", span, expected=EXAMPLE)
    x = next(iter(ir.inputs))
    teachers = [f for f in ir.vectors if f.role == "teacher"]
    wt = next((f for f in teachers if f.index is not None
               and sp.simplify(body - ir.field_base(f.name, x)[j]) == 0), None)
    if wt is None or ir.inputs[x].var != 1:
        raise StatcError("the K-class label must be the argmax of the teacher's fields", span,
                         expected="`y = argmax(k, wt[k].x)` with `vector wt[k in 1..K] ~ gaussian` and "
                                  "`input x ~ gaussian`",
                         hint="label noise and other teacher fields are not supported for K classes yet")
    if wt.dist != "gaussian" or sp.simplify(dict(wt.dist_args).get("scale", sp.S.One) - 1) != 0:
        raise StatcError(f"the K-class teacher `{wt.name}` must have the standard Gaussian prior", span,
                         expected=f"`vector {wt.name}[k in 1..K] ~ gaussian`",
                         hint="the Rademacher (binary) teacher of the K-class perceptron is not supported yet")
    if sp.simplify(wt.size - K) != 0:
        raise StatcError("the argmax must run over the teacher's rows", span, expected=EXAMPLE)
    students = [f for f in ir.vectors if f.role == "student"]
    net = next(n for n in m.networks if n.role == "student")
    if len(students) != 1 or students[0].index is None or sp.simplify(students[0].size - K) != 0:
        raise StatcError("the K-class student has one vector per class", net.span, expected=EXAMPLE)
    if m.algorithm.name != "bayes_optimal":
        raise StatcError(f"`algorithm {m.algorithm.name}` is not supported for K classes yet", m.algorithm.span,
                         expected="`algorithm bayes_optimal`",
                         hint="cross-entropy and square-loss ERM with K-dimensional fields are not "
                              "implemented in the static kind yet")
    values = {"alpha": alpha, "lam": sp.S.Zero, "lam1": sp.S.Zero, "teacher_p": sp.S.One}
    return StaticEquations(m.name, tuple(cm.param_order), "bayes_optimal", "argmax", (("K", K),),
                           tuple((k, sp.sympify(values[k])) for k in VALUE_NAMES), labels="class",
                           prior="gaussian", teacher="gaussian")
