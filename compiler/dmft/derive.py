"""Model IR → :class:`DmftEquations`: recognise the data model, differentiate the loss.

Supported (DMFT.md §1): one trained student vector w with output h = w·x/√N; data either
the two-cluster mixture x = c·mu + √Δ z (label y = c, c ~ rademacher(p = rho)) or Gaussian
inputs with a teacher label y = φ(wt·x/√N) for φ(τ) = τ (+ √σ² noise), sign(τ), τ². The
loss is any expression in y and yhat; SymPy gives ℓ' and ℓ''. Anything else is a located
error that says what is supported.
"""
from __future__ import annotations

import sympy as sp

from statc.dsl import StatcError, ast
from statc.dsl.semantics import CheckedModel

from ..ir.model_ir import ModelIR, expression_lowerer, lower
from ..ir.symbols import Sgn
from .equations import H, VALUE_NAMES, Y, DmftEquations
from .observe import observables

SUPPORTED = ("a generalised linear student `vector w; yhat = w.x` trained on a fixed data set: "
             "the mixture `x = c * mu + sqrt(Delta) * z` with `y = c`, or `x ~ gaussian` with "
             "`y = wt.x` (+ noise), `sign(wt.x)` or `(wt.x)^2`")


def _err(message: str, span, **kw) -> StatcError:
    return StatcError(message, span, expected=kw.pop("expected", SUPPORTED), **kw)


def _student(cm: CheckedModel, ir: ModelIR) -> str:
    alg = cm.model.algorithm
    if len(alg.trains) != 1 or alg.updates:
        raise _err("the dmft kind trains exactly one student vector", alg.span)
    tr = alg.trains[0]
    fam = ir.families[tr.target]
    if fam.kind != "vector" or fam.index is not None:
        raise _err(f"`{tr.target}` must be one unindexed vector (committees, K > 1, are not supported by "
                   "the dmft kind yet)", tr.target_span)
    return tr.target


def _outputs(cm: CheckedModel, ir: ModelIR, w: str) -> tuple[str, str]:
    """(student output, teacher output) names: the student's is a field of w."""
    student = [n for n, s in cm.symbols.items() if s.kind == "output" and s.role == "student"]
    teacher = [n for n, s in cm.symbols.items() if s.kind == "output" and s.role == "teacher"]
    span = next(n for n in cm.model.networks if n.role == "student").span
    if len(student) != 1 or len(teacher) != 1:
        raise _err("the dmft kind needs one student output and one teacher label", span)
    return student[0], teacher[0]


def _mixture(cm, ir, w, yhat_expr, y_expr):
    """x = c·mu + √Δ z: yhat = √Δ w·z + c·(w·mu/N) and y = c."""
    inputs = list(ir.inputs)
    if len(inputs) != 1:
        return None
    z = inputs[0]
    field = ir.field_base(w, z)[0]
    c_fams = [f for f in ir.families.values() if f.kind == "random" and f.dist == "rademacher" and f.role == "teacher"]
    if len(c_fams) != 1:
        return None
    c = c_fams[0].base[0]
    means = [f for f in ir.families.values() if f.kind == "vector" and f.role == "teacher"]
    if len(means) != 1 or sp.simplify(y_expr - c) != 0:
        return None
    mu = means[0].name
    overlap = ir.overlap_base(w, mu)[0, 0]
    expr = sp.expand(yhat_expr)
    coef_field = expr.coeff(field)
    coef_mean = sp.simplify(sp.expand(expr - coef_field * field) / (c * overlap))
    if coef_field.has(field, c, overlap) or coef_mean != 1:
        return None
    var = ir.inputs[z].var
    delta = sp.simplify(coef_field ** 2 * var)
    rho = c_fams[0].arg("p", sp.Rational(1, 2))
    return "gmm", (("rho", rho), ("Delta", delta)), mu


def _glm(cm, ir, w, yhat_expr, y_expr):
    """x ~ N(0, I): yhat = w·x, y = φ(τ) with τ = wt·x (+ a·noise for the linear teacher)."""
    form = ir.teacher_label(w, yhat_expr, y_expr)
    if form is None:
        return None
    label, tau, eps, wt = form
    a = sp.diff(label, eps)
    if sp.simplify(label - tau - a * eps) == 0 and not a.has(tau, eps):
        return "linear", (("sigma2", a ** 2),), wt
    if label.has(eps):
        return None
    for name, phi in (("sign", Sgn(tau)), ("phase_retrieval", tau ** 2)):
        if sp.simplify(label - phi) == 0:
            return name, (), wt
    return None


def _option(alg: ast.Algorithm, name: str, ir: ModelIR, lower_expr, default):
    opt = next((o for o in alg.options if o.name == name), None)
    return lower_expr(opt.value) if opt is not None else default


def _algorithm(cm: CheckedModel, ir: ModelIR, lower_expr) -> tuple[str, dict]:
    alg = cm.model.algorithm
    b = _option(alg, "batch", ir, lower_expr, sp.S.One)
    tau = _option(alg, "persistence", ir, lower_expr, sp.S.Zero)
    T = _option(alg, "temperature", ir, lower_expr, sp.S.Zero)
    both = [o for o in alg.options if o.name in ("momentum", "nesterov")]
    if len(both) > 1:
        raise _err("`momentum` and `nesterov` exclude each other", both[1].span,
                   expected="`momentum = beta` (heavy ball) or `nesterov = beta`")
    beta = _option(alg, "momentum", ir, lower_expr, None)
    nesterov = sp.S.Zero if beta is not None else sp.S.One if both else sp.S.Zero
    beta = beta if beta is not None else _option(alg, "nesterov", ir, lower_expr, sp.S.Zero)
    name = alg.name
    if name == "sgd" and any(o.name == "persistence" for o in alg.options):
        name = "persistent"        # plain SGD at run time when the persistence time is 0
    bad = next((o for o in alg.options if o.name not in ("momentum", "nesterov")), None) if alg.name == "gd" else None
    if bad is not None:
        raise _err(f"`{bad.name}` is not an option of `algorithm gd`", bad.span,
                   expected="`algorithm gd { train w lr eta; momentum = beta }` or "
                            "`algorithm sgd { train w lr eta; batch = b; persistence = tau; temperature = T; "
                            "momentum = beta }`")
    if alg.name == "sgf" and both:
        raise _err(f"`{both[0].name}` is not an option of `algorithm sgf`", both[0].span,
                   expected="`algorithm sgf { train w lr dt; batch = b; persistence = tau; temperature = T }`",
                   hint="stochastic gradient flow is the small-step limit of (persistent) SGD without momentum")
    return name, {"b": b, "tau": tau, "T": T, "beta": beta, "nesterov": nesterov}


def _initial(cm: CheckedModel, w: str, direction: str, ir: ModelIR, lower_expr,
             sphere: sp.Expr | None = None) -> tuple[sp.Expr, sp.Expr]:
    """(m0, Q0) from `init` of the orders w.direction and w.w; defaults 0 and the init scale²
    (under `constrain w.w = q`: Q0 = q, and an `init` of Q is an error)."""
    scale = ir.families[w].arg("scale", sp.S.One)
    m0, Q0 = sp.S.Zero, scale ** 2 if sphere is None else sphere
    for it in cm.model.inits:
        order = next(o for o in cm.model.orders if o.name == it.name)
        pair = {order.left.name, order.right.name}
        if pair == {w, direction}:
            m0 = lower_expr(it.value)
        elif pair == {w} and sphere is not None:
            con = cm.model.algorithm.constraints[0]
            raise _err(f"`init` of `{it.name}`: `constrain {w}.{w} = ...` fixes |{w}|²/N from the start", it.span,
                       expected=f"`init {{ m = m0 }}` (the start is on the sphere |{w}|²/N = "
                                f"{sp.sstr(sphere)})", hint=f"the constraint is at line {con.span.line}")
        elif pair == {w}:
            Q0 = lower_expr(it.value)
        else:
            raise _err(f"`init` of `{it.name}`: the dmft kind starts from m = {w}.{direction} and Q = {w}.{w}",
                       it.span, expected=f"`order m = {w}.{direction}; Q = {w}.{w}` and `init {{ m = m0; Q = Q0 }}`")
    return m0, Q0


def derive(cm: CheckedModel) -> DmftEquations:
    """The dmft equations of a checked finite-data model."""
    ir = lower(cm)
    m = cm.model
    lower_expr = expression_lowerer(cm, ir)
    w = _student(cm, ir)
    yhat, y = _outputs(cm, ir, w)
    found = _mixture(cm, ir, w, ir.outputs[yhat], ir.outputs[y]) or _glm(cm, ir, w, ir.outputs[yhat], ir.outputs[y])
    if found is None:
        teacher_span = next((n.span for n in m.networks if n.role == "teacher"), m.span)
        raise _err("this data model is not supported by the dmft kind", teacher_span)
    teacher, teacher_args, direction = found
    spectrum = _spectrum(cm, teacher, alg_span=m.algorithm.span, lower_expr=lower_expr)
    loss = ir.loss_outputs.xreplace({ir.output_symbol(y): Y, ir.output_symbol(yhat): H})
    if loss.free_symbols - {Y, H}:
        extra = ", ".join(sorted(str(s) for s in loss.free_symbols - {Y, H}))
        raise _err(f"the loss of a dmft model may use only `{y}` and `{yhat}` (it uses {extra})", m.loss.span,
                   expected=f"e.g. `loss = log(1 + exp(-{y} * {yhat}))`",
                   hint="put the ridge penalty in the algorithm: `train w lr eta decay lambda`")
    d1 = sp.simplify(sp.diff(loss, H))
    d2 = sp.simplify(sp.diff(d1, H))
    train = ir.trains[w]
    alg_name, alg = _algorithm(cm, ir, lower_expr)
    cons = m.algorithm.constraints
    sphere = lower_expr(cons[0].value) if cons else None
    m0, Q0 = _initial(cm, w, direction, ir, lower_expr, sphere)
    ratio = m.data.size.right if isinstance(m.data.size.left, ast.Name) and m.data.size.left.name == "N" \
        else m.data.size.left
    t_end = lower_expr(m.run.t1) if m.run is not None and m.run.t1 is not None else sp.Integer(10)
    values = dict(alpha=lower_expr(ratio), eta=train.lr, lam=train.decay, m0=m0, Q0=Q0, t_end=t_end,
                  sphere=sphere if sphere is not None else sp.S.Zero, **alg)
    observe = observables(cm, ir, w, direction, y, yhat, teacher, tuple(teacher_args), spectrum)
    return DmftEquations(m.name, tuple(cm.param_order), teacher, tuple(teacher_args), alg_name, loss, d1, d2,
                         tuple((k, sp.sympify(values[k])) for k in VALUE_NAMES), observe, spectrum=spectrum)


def _spectrum(cm: CheckedModel, teacher: str, alg_span, lower_expr) -> tuple:
    """`input x ~ gaussian(spectrum = family(...))` → (family, eigenvalues, keywords) lowered to the
    parameters (DMFT.md §2.3, runtime/dmft/spectral.py); () for isotropic inputs. The parts of the
    dmft kind not derived with a structured covariance are located errors here."""
    for inp in cm.model.inputs:
        found = [(v, span) for n, v, span in (inp.dist.kwargs if inp.dist is not None else ()) if n == "spectrum"]
        if not found:
            continue
        call, span = found[0]
        if teacher not in ("linear", "sign", "phase_retrieval"):
            raise _err("a structured input covariance needs Gaussian inputs with a teacher label", span,
                       expected="`input x ~ gaussian(spectrum = ...)` with `y = wt.x` (+ noise), `sign(wt.x)` or "
                                "`(wt.x)^2`", hint="the two-cluster mixture takes isotropic clusters")
        alg = cm.model.algorithm
        if alg.constraints:
            raise _err("`constrain` is not implemented with a structured input covariance yet", alg.constraints[0].span,
                       expected="isotropic inputs `input x ~ gaussian` on the sphere")
        for opt in alg.options:
            if opt.name in ("momentum", "nesterov"):
                raise _err(f"`{opt.name}` is not implemented with a structured input covariance yet", opt.span,
                           expected="`algorithm gd` or `sgd` with `batch`, `persistence`, `temperature`")
        for ob in cm.model.observes:
            if isinstance(ob.value, ast.Call) and ob.value.func in ("replica_distance", "fdt"):
                raise _err(f"`{ob.value.func}` is not implemented with a structured input covariance yet",
                           ob.value.span, expected="the trajectory columns and `mean(...)` observables")
        pos = tuple(lower_expr(a) for a in call.args)
        kws = tuple((kw.name, lower_expr(kw.lo)) for kw in call.kwargs)
        return call.func, pos, kws
    return ()
