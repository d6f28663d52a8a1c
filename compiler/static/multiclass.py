"""The K-class teacher–student perceptron in the static kind (STATIC.md §5): recognise
``y = argmax(k, wt[k].x)`` with ``vector wt[k in 1..K] ~ gaussian`` (or ``~ rademacher``) and a
K-vector student → :class:`StaticEquations` with the ``argmax`` channel (parameter K).

* ``algorithm bayes_optimal``: the student output is ``argmax(k, w[k].x)``; teacher prior Gaussian
  or Rademacher (i.i.d. ±1 entries; the prior's partition function is built from the declared
  distribution's support, runtime/static/multiclass_prior.py);
* ``algorithm erm { train w; penalty lambda / 2 * |w|^2 }``: the class scores ``yhat[k] = w[k].x``
  (an indexed output) and a convex loss of the scores and the label, e.g. ``cross_entropy(yhat, y)``,
  ``|yhat - onehot(y)|^2 / 2`` or ``log(sum(k, exp(yhat[k]))) - yhat[y]``; the loss is kept
  index-generic (compiler/static/multiclass_loss.py derives its gradient and Hessian per K).

Anything else about K classes (label noise, other teacher priors, L1 penalties) is a located error.
"""
from __future__ import annotations

import sympy as sp

from statc.dsl import StatcError
from statc.dsl.semantics import CheckedModel

from ..ir.model_ir import ModelIR
from ..ir.symbols import Argmax
from .equations import VALUE_NAMES, StaticEquations
from .multiclass_loss import KS, canonical
from .penalty import _penalty

#: teacher priors of the K-class model (per entry of a teacher row, i.i.d.)
TEACHER_PRIORS = ("gaussian", "rademacher")

EXAMPLE = ("`teacher { vector wt[k in 1..K] ~ gaussian; y = argmax(k, wt[k].x) }`, "
           "`student { vector w[k in 1..K] ~ gaussian; yhat = argmax(k, w[k].x) }`, `algorithm bayes_optimal`")


def teacher_argmax(cm: CheckedModel, ir: ModelIR) -> Argmax | None:
    """The teacher label's Argmax, if the label is a class index."""
    for name, s in cm.symbols.items():
        if s.kind == "output" and s.role == "teacher" and isinstance(ir.outputs.get(name), Argmax):
            return ir.outputs[name]
    return None


def derive_multiclass(cm: CheckedModel, ir: ModelIR, label: Argmax, alpha: sp.Expr,
                      lower_expr=None) -> StaticEquations:
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
    if wt.dist not in TEACHER_PRIORS or (wt.dist == "gaussian" and
                                         sp.simplify(dict(wt.dist_args).get("scale", sp.S.One) - 1) != 0) \
            or (wt.dist == "rademacher" and wt.dist_args):
        raise StatcError(f"the K-class teacher `{wt.name}` must have the standard Gaussian or the Rademacher prior",
                         span, expected=f"`vector {wt.name}[k in 1..K] ~ gaussian` or `~ rademacher`",
                         hint="teacher rows of second moment 1: i.i.d. N(0, 1) or i.i.d. ±1 entries")
    if sp.simplify(wt.size - K) != 0:
        raise StatcError("the argmax must run over the teacher's rows", span, expected=EXAMPLE)
    students = [f for f in ir.vectors if f.role == "student"]
    net = next(n for n in m.networks if n.role == "student")
    if len(students) != 1 or students[0].index is None or sp.simplify(students[0].size - K) != 0:
        raise StatcError("the K-class student has one vector per class", net.span, expected=EXAMPLE)
    w = students[0]
    values = {"alpha": alpha, "lam": sp.S.Zero, "lam1": sp.S.Zero, "teacher_p": sp.S.One}
    if m.algorithm.name == "bayes_optimal":
        return StaticEquations(m.name, tuple(cm.param_order), "bayes_optimal", "argmax", (("K", K),),
                               tuple((k, sp.sympify(values[k])) for k in VALUE_NAMES), labels="class",
                               prior=wt.dist, teacher=wt.dist)
    if m.algorithm.name != "erm":
        raise StatcError(f"`algorithm {m.algorithm.name}` is not supported for K classes", m.algorithm.span,
                         expected="`algorithm bayes_optimal` or `algorithm erm { train w; penalty ... }`")
    lam, lam1, reg = _penalty(cm, lower_expr, w.name)
    if reg != "ridge":
        raise StatcError("K-class ERM supports the ridge penalty only", m.algorithm.penalty.value.span,
                         expected=f"`penalty lambda / 2 * |{w.name}|^2`",
                         hint="an L1 penalty on K-vector rows has no closed-form proximal operator here")
    loss = _erm_loss(cm, ir, x, w, K, net)
    values["lam"] = lam
    return StaticEquations(m.name, tuple(cm.param_order), "erm", "argmax", (("K", K),),
                           tuple((k, sp.sympify(values[k])) for k in VALUE_NAMES), loss=loss, labels="class",
                           regulariser="ridge", prior="", teacher=wt.dist)


ERM_EXAMPLE = ("`student { vector w[k in 1..K] ~ gaussian; yhat[k] = w[k].x }`, "
               "`loss = cross_entropy(yhat, y)` (or `|yhat - onehot(y)|^2 / 2`), "
               "`algorithm erm { train w; penalty lambda / 2 * |w|^2 }`")


def _erm_loss(cm: CheckedModel, ir: ModelIR, x: str, w, K: sp.Expr, net) -> sp.Expr:
    """The canonical K-class loss (class scores h[j], label y, size K) of an ERM model."""
    m = cm.model
    scores = [n for n, (j, size) in ir.output_indices.items()]
    labels = [n for n, e in ir.outputs.items() if isinstance(e, Argmax)]
    if len(scores) != 1:
        raise StatcError("K-class ERM needs the class scores as an indexed student output", net.span,
                         expected=ERM_EXAMPLE)
    yhat = scores[0]
    j, size = ir.output_indices[yhat]
    if sp.simplify(size - K) != 0 or sp.simplify(ir.outputs[yhat] - ir.field_base(w.name, x)[j]) != 0:
        raise StatcError(f"the class scores must be the student's fields, `{yhat}[k] = {w.name}[k].{x}`",
                         net.span, expected=ERM_EXAMPLE,
                         hint="no bias, activation or scaling: the K fields of the student enter the loss")
    loss = ir.loss_outputs
    out_scores = sp.IndexedBase(ir.output_symbol(yhat).name, real=True)
    label = ir.output_symbol(labels[0])
    extra = {s for s in loss.free_symbols if not isinstance(s, (sp.Indexed, sp.IndexedBase))} - {label, K, out_scores.label}
    extra |= {b for b in loss.atoms(sp.IndexedBase)} - {out_scores}
    if extra:
        names = ", ".join(sorted(str(e) for e in extra))
        raise StatcError(f"the K-class loss may use only the class scores `{yhat}` and the label (it uses {names})",
                         m.loss.span, expected="e.g. `loss = cross_entropy(yhat, y)`",
                         hint="put the regularisation in the algorithm: `penalty lambda / 2 * |w|^2`")
    loss = canonical(loss, out_scores, label, K)
    from statc.dsl.values import defaults
    from .multiclass_loss import load
    k0 = defaults(m).get(str(K), 3.0)
    try:                                  # convexity, and the kernel of the file's K warmed in the cache
        load(loss, int(k0) if float(k0).is_integer() and k0 >= 2 else 3)
    except ValueError as e:
        raise StatcError(str(e), m.loss.span, expected="a convex loss of the class scores, e.g. "
                         "`cross_entropy(yhat, y)` or `|yhat - onehot(y)|^2 / 2`",
                         hint="the static kind solves ERM by a replica-symmetric fixed point, exact for "
                              "convex losses only") from None
    return loss
