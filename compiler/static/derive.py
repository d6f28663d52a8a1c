"""Model IR → :class:`StaticEquations`: recognise the data model, build the loss and the penalty.

Supported (STATIC.md §3–6): one student vector w with pre-activation h = w·x/√N (+ a learned
bias b for the mixture); data either the two-cluster mixture x = c·mu + √Δ z, y = c,
c ~ rademacher(p = rho) (channel ``mixture``), or Gaussian inputs with y = sign(wt·x)
(``sign``), y = sign(wt·x + a·noise) (the probit channel: ``sign`` with noise a²) or
y = wt·x + a·noise (``linear``). The data model is recognised by the dmft
kind's recognisers (the same language, the same data). The loss is SymPy built from the AST;
numerically delicate pieces become the static compiler's stable functions
(log(1 + e^u) → Softplus(u), relu(u) → Max(0, u)), and the loss must be convex. The penalty
is c₂·|w|² + c₁·norm1(w) → r(w) = λ₁|w|₁ + λ₂/2 |w|² with λ₂ = 2c₂, λ₁ = c₁ (ridge, LASSO or
elastic net). Anything else is a located error that says what is supported.
"""
from __future__ import annotations

import sympy as sp

from statc.dsl import StatcError, ast
from statc.dsl.semantics import CheckedModel

from ..dmft.derive import _glm, _mixture
from ..ir.model_ir import ModelIR, expression_lowerer, lower
from ..ir.symbols import Relu, Sgn
from .equations import VALUE_NAMES, StaticEquations
from .losses import LOSSES, H, Y, Loss, Softplus
from .multiclass import derive_multiclass, teacher_argmax
from .penalty import PENALTY_EXAMPLE, REGULARISERS, _penalty  # noqa: F401  (re-exported)

SUPPORTED_DATA = ("the mixture `x = c * mu + sqrt(Delta) * z` with `random c ~ rademacher(p = rho)` and "
                  "`y = c`, or `x ~ gaussian` with `y = sign(wt.x)`, `y = sign(wt.x + sigma * noise)` "
                  "(probit) or `y = wt.x + sigma * noise`")
#: data-model recogniser result → (channel registry entry, its parameter names)
CHANNELS = {"gmm": ("mixture", {"rho": "rho", "Delta": "Delta"}),
            "sign": ("sign", {}), "probit": ("sign", {"sigma2": "noise"}),
            "linear": ("linear", {"sigma2": "noise"})}
PRIORS = {"gaussian": "gaussian", "sparse": "sparse"}


def _err(message: str, span, **kw) -> StatcError:
    return StatcError(message, span, **kw)


def _probit(cm: CheckedModel, ir: ModelIR, w: str, yhat_expr, y_expr):
    """x ~ N(0, I), yhat = w·x, y = sign(wt·x + a·noise): the probit channel
    P(y | z) = Φ(y z/|a|) with noise variance σ² = a² (the sign teacher at a = 0)."""
    if not isinstance(y_expr, Sgn) or "noise" not in ir.families:
        return None
    form = ir.teacher_label(w, yhat_expr, y_expr.args[0])
    if form is None:
        return None
    arg, tau, eps, wt = form
    a = sp.diff(arg, eps)
    if sp.simplify(arg - tau - a * eps) != 0 or a.has(tau, eps):
        return None
    return "probit", (("sigma2", a ** 2),), wt


def _teacher_prior(fam, direction: str, span, alg) -> sp.Expr:
    """The teacher vector's prior: standard Gaussian (density 1) or `sparse(p = eps)`, the
    Bernoulli–Gaussian prior 0 w.p. 1 − eps, N(0, 1/eps) w.p. eps (second moment 1, so the
    channel side is unchanged); its density eps enters the regulariser's average (ERM) and the
    prior's denoiser (Bayes-optimal)."""
    if fam.dist == "gaussian" and sp.simplify(fam.arg("scale", sp.S.One) - 1) == 0:
        return sp.S.One
    if fam.dist == "sparse" and fam.arg("p", None) is not None:
        return fam.arg("p", None)
    if fam.dist == "sparse":
        raise _err(f"the sparse teacher `{direction}` needs its density", span,
                   expected=f"`vector {direction} ~ sparse(p = eps)`",
                   hint="p is the fraction of non-zero teacher coordinates")
    raise _err(f"the teacher vector `{direction}` must be `vector {direction} ~ gaussian` or "
               "`sparse(p = ...)`", span, expected=f"`vector {direction} ~ gaussian`",
               hint="the fixed point assumes a teacher prior of second moment 1: the standard Gaussian "
                    "or the Bernoulli-Gaussian `sparse(p = eps)`")


def _student(cm: CheckedModel, ir: ModelIR) -> tuple[str, object]:
    """The one student vector (one field)."""
    net = next(n for n in cm.model.networks if n.role == "student")
    vecs = [f for f in ir.families.values() if f.kind == "vector" and f.role == "student"]
    if len(vecs) != 1 or vecs[0].index is not None:
        raise _err("the static kind needs a student with one field", net.span,
                   expected="`student { vector w ~ gaussian; yhat = w.x }`",
                   hint="students with several fields (committees, indexed vectors) are not supported "
                        "by the static kind")
    return vecs[0].name, net


def _outputs(cm: CheckedModel, net) -> tuple[str, str]:
    student = [n for n, s in cm.symbols.items() if s.kind == "output" and s.role == "student"]
    teacher = [n for n, s in cm.symbols.items() if s.kind == "output" and s.role == "teacher"]
    if len(student) != 1 or len(teacher) != 1:
        raise _err("the static kind needs one student output and one teacher label", net.span,
                   expected="`yhat = w.x` in `student` and `y = ...` in `teacher`")
    return student[0], teacher[0]


def _bias(cm: CheckedModel, ir: ModelIR, yhat: str, net) -> tuple[sp.Expr, bool]:
    """The student output without its bias, and whether a bias is learned."""
    expr = ir.outputs[yhat]
    alg = cm.model.algorithm
    scalars = {f.name: f.base for f in ir.families.values() if f.kind == "scalar" and f.role == "student"}
    used = [n for n, base in scalars.items() if expr.has(base)]
    b = alg.bias.name if alg.bias is not None else None
    for n in used:
        if n != b:
            raise _err(f"the student output uses the scalar `{n}`, which is not learned", net.span,
                       expected=f"`bias {n}` in `algorithm erm`",
                       hint="the static kind learns one vector and, optionally, a bias")
    if b is None:
        return expr, False
    sym = [s for s in expr.atoms(sp.Indexed, sp.Symbol) if getattr(s, "base", s) == scalars[b]
           or s == scalars[b]]
    clean = expr.xreplace({s: 0 for s in sym})
    if len(sym) != 1 or sp.simplify(expr - clean - sym[0]) != 0:
        raise _err(f"the bias `{b}` must be added to the field", net.span,
                   expected=f"`yhat = w.x + {b}`")
    return clean, True


def _stable(loss: sp.Expr) -> sp.Expr:
    """relu → Max, sign → sign, log(1 + e^u) → Softplus(u) (no overflow in ℓ′, ℓ″)."""
    loss = loss.replace(lambda e: isinstance(e, Relu), lambda e: sp.Max(0, e.args[0]))
    loss = loss.replace(lambda e: isinstance(e, Sgn), lambda e: sp.sign(e.args[0]))

    def softplus(e):
        if isinstance(e, sp.log):
            a = e.args[0]
            if a.is_Add and len(a.args) == 2 and sp.S.One in a.args:
                other = a - 1
                if isinstance(other, sp.exp):
                    return Softplus(other.args[0])
        return None
    return loss.replace(lambda e: softplus(e) is not None, softplus)


def _registry_name(loss: sp.Expr, labels: str) -> str:
    """The registry loss this one equals (for the finite-size trainer), or ""."""
    for name, ref in LOSSES.items():
        if ref.labels == labels or (labels == "binary" and ref.labels == "real"):
            diff = sp.expand(loss - ref.expr)
            if labels == "binary":
                diff = diff.subs(Y ** 2, 1)
            if diff == 0 or sp.simplify(diff) == 0:
                return name
    return ""


def _loss(cm: CheckedModel, ir: ModelIR, y: str, yhat: str, labels: str) -> tuple[sp.Expr, str]:
    m = cm.model
    loss = ir.loss_outputs.xreplace({ir.output_symbol(y): Y, ir.output_symbol(yhat): H})
    if loss.free_symbols - {Y, H}:
        extra = ", ".join(sorted(str(s) for s in loss.free_symbols - {Y, H}))
        raise _err(f"the loss of a static model may use only `{y}` and `{yhat}` (it uses {extra})",
                   m.loss.span, expected=f"e.g. `loss = log(1 + exp(-{y} * {yhat}))`",
                   hint="put the regularisation in the algorithm: `penalty lambda / 2 * |w|^2`")
    loss = _stable(loss)
    from .build import NonConvexLoss, load
    try:
        load(Loss(m.name, loss, labels))
    except NonConvexLoss as e:
        raise _err("the loss is not convex: " + str(e).split(": ", 1)[1].split(";")[0], m.loss.span,
                   expected="a convex loss, e.g. `(y - yhat)^2 / 2`, `log(1 + exp(-y * yhat))`, "
                            "`relu(1 - y * yhat)`",
                   hint="the static kind solves ERM by a replica-symmetric fixed point, exact for "
                        "convex losses only") from None
    except ValueError as e:
        raise _err(f"no proximal operator for this loss: {e}", m.loss.span,
                   hint="write a smooth convex loss or a hinge `relu(a - y * yhat)`") from None
    return loss, _registry_name(loss, labels)


def derive(cm: CheckedModel) -> StaticEquations:
    """The static equations of a checked finite-data model (`algorithm erm` / `bayes_optimal`)."""
    ir = lower(cm)
    m = cm.model
    lower_expr = expression_lowerer(cm, ir)
    if m.observes:
        raise _err("a static model reports its fixed point (test_error, train_error, train_loss, m, q, ...); "
                   "`observe` is not supported for it", m.observes[0].span, expected="no `observe` statement")
    for what, nodes in (("`order`", m.orders), ("`init`", m.inits), ("`schedule`", m.schedules),
                        ("`run`", [m.run] if m.run is not None else []),
                        ("`control`", [m.control] if m.control is not None else [])):
        if nodes:
            raise _err(f"{what} does not apply to a static model", nodes[0].span,
                       hint="a static model computes the end point of learning: no time, schedule or "
                            "initial state; the fixed point reports m, q, V and b itself")
    ratio = m.data.size.right if isinstance(m.data.size.left, ast.Name) and m.data.size.left.name == "N" \
        else m.data.size.left
    label = teacher_argmax(cm, ir)
    if label is not None:
        return derive_multiclass(cm, ir, label, lower_expr(ratio), lower_expr)
    w, net = _student(cm, ir)
    yhat, y = _outputs(cm, net)
    field, bias = _bias(cm, ir, yhat, net)
    found = (_mixture(cm, ir, w, field, ir.outputs[y]) or _glm(cm, ir, w, field, ir.outputs[y])
             or _probit(cm, ir, w, field, ir.outputs[y]))
    teacher_span = next((n.span for n in m.networks if n.role == "teacher"), m.span)
    if found is None or found[0] not in CHANNELS:
        what = f"the teacher `{found[0]}`" if found else "this data model"
        raise _err(f"{what} is not supported by the static kind", teacher_span, expected=SUPPORTED_DATA,
                   hint="the static kind knows the two-cluster mixture, the sign and probit (noisy sign) "
                        "teachers and the linear teacher (channel registry in runtime/static/channels.py)")
    kind, args, direction = found
    channel, names = CHANNELS[kind]
    if bias and channel != "mixture":
        raise _err("a learned bias is supported for the mixture only", m.algorithm.bias.span,
                   hint="a sign or linear teacher has no offset: remove `bias`")
    fam = ir.families[direction]
    teacher_p = _teacher_prior(fam, direction, teacher_span, m.algorithm)
    labels = "real" if channel == "linear" else "binary"
    alg = m.algorithm
    loss, loss_name, lam, lam1, reg = None, "", sp.S.Zero, sp.S.Zero, "ridge"
    if alg.name == "erm":
        loss, loss_name = _loss(cm, ir, y, yhat, labels)
        lam, lam1, reg = _penalty(cm, lower_expr, w)
    ratio = m.data.size.right if isinstance(m.data.size.left, ast.Name) and m.data.size.left.name == "N" \
        else m.data.size.left
    values = {"alpha": lower_expr(ratio), "lam": lam, "lam1": lam1, "teacher_p": teacher_p}
    return StaticEquations(m.name, tuple(cm.param_order), alg.name, channel,
                           tuple((names[k], sp.sympify(v)) for k, v in args),
                           tuple((k, sp.sympify(values[k])) for k in VALUE_NAMES),
                           loss=loss, labels=labels, loss_name=loss_name, regulariser=reg, prior=PRIORS.get(fam.dist, ""),
                           teacher=fam.dist, bias=bias)
