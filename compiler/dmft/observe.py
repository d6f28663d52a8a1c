"""`observe` statements of a dmft model → per-sample averages and a formula per observable.

An observable is any expression in the parameters, the order parameters m (`order m = w.v`,
the overlap with the signal direction) and Q (`order Q = w.w`), and averages of functions of
the label y and the student output yhat:

* ``mean(f(y, yhat))``: over a fresh sample (test average). DMFT: the fresh field is
  h = m τ + √(Δ C⊥) ξ with no memory term (DMFT.md §2, Observables); simulation: the
  held-out samples.
* ``mean(f(y, yhat) over train)``: over the training set. DMFT: the mean over the
  effective sample process at step k (the same samples that make the kernels);
  simulation: the n = αN training samples.

``given p = v`` inside a mean fixes parameters in the averaged function and in the sample's
distribution, as in the online kind:

* in a fresh-sample mean the sample is drawn from the data model at the given values (e.g.
  `mean(step(-y * yhat) given rho = 1)`: the test error on the c = +1 cluster; `given Delta = 0.5`:
  a less noisy test population). DMFT: (τ, y) and the variance Δ of h = m τ + √(Δ C⊥) ξ of that
  data model; simulation: a held-out set drawn from it with the same teacher vector.
* the training set is drawn once with the model's values, so a training mean can condition
  only on what the fixed set can be reweighted to (compiler/dmft/reweight.py): the mixture's
  cluster imbalance rho, by the likelihood ratio of the label,
  W(y) = P_ρ′(y)/P_ρ(y) = (1 + y)/2·ρ′/ρ + (1 − y)/2·(1 − ρ′)/(1 − ρ) (`given rho = 1`: the mean over
  the c = +1 training samples exactly, on both sides), and the linear teacher's label-noise
  variance s, W(y, τ) ∝ exp((y − τ)²(1/(2s) − 1/(2s′))) for 0 < s′ < 2s — each as the
  self-normalised mean E_train[f W]/E_train[W]; the sample factors (functions of y and the
  teacher field τ) go into the sample averages, the ratios into the formula. Δ (an input-side
  parameter: the laws of the N-dimensional input at two values are mutually singular) and a
  given value outside the range where W has a finite variance are located errors.
* the averaged function itself may use only y and yhat (the per-sample functions are compiled
  without the parameters): a parameter inside a mean is a located error unless `given` fixes
  it to a number there.

Each distinct average becomes a placeholder symbol (``trm<i>``, ``tem<i>``); the observable is
then a formula in those, m, Q and the parameters, evaluated per step on each side from
that side's own m, Q and averages.

``observe D = replica_distance(w)`` is the distance D(t) = |w_a(t) − w_b(t)|²/N between two
runs on the same data from the same w_0 with independent selection (and Langevin) noise:
the DMFT computes it with the two-replica cross kernel (runtime/dmft/replicas.py), the
simulation by running the two copies. ``observe T = fdt(w)`` is the FDT effective temperature
of the stationary window (runtime/dmft/fdt.py), a number per run, not a column;
``fdt(w, window = t1 .. t2, lags = s1 .. s2)`` sets the waiting times and the fitted lags (times).
"""
from __future__ import annotations

import sympy as sp

from statc.dsl import StatcError
from statc.dsl.semantics import CheckedModel
from statc.dsl.values import defaults as file_defaults

from ..ir.model_ir import ModelIR, expression_lowerer
from ..ir.symbols import Mean, TrainMean
from .equations import H, Y, DmftObservables
from .reweight import NOT_REWEIGHTABLE, TRAIN_REWEIGHT, check_values, spelling

#: order parameters inside observable formulas
M_SYM, Q_SYM = sp.Symbol("obs_m", real=True), sp.Symbol("obs_Q", real=True)
#: trajectory columns that an observable may not shadow
BUILTIN = ("t", "m", "Q", "train_loss", "train_error", "test_error", "test_loss")


def observables(cm: CheckedModel, ir: ModelIR, w: str, direction: str, y: str, yhat: str,
                teacher: str = "", teacher_args: tuple = (), spectrum: tuple = ()) -> DmftObservables:
    """The model's `observe` statements lowered for the dmft kind (`teacher`, `teacher_args`: the
    data model, for `given`)."""
    lower = expression_lowerer(cm, ir, keep_outputs=True)
    outputs = {ir.output_symbol(y): Y, ir.output_symbol(yhat): H}
    orders = {ir.overlap_base(w, direction)[0, 0]: M_SYM, ir.overlap_base(w, w)[0, 0]: Q_SYM}
    params = {ir.param(p) for p in ir.params}
    train: list[sp.Expr] = []
    test: list[tuple[sp.Expr, tuple]] = []       # (function of (y, h), data-model arguments or ())
    coefficients: list[sp.Expr] = []             # parameter expressions in the training bodies (`trc<j>`)
    reweights: list[tuple[str, sp.Expr, sp.Expr]] = []
    names, formulas, replicas, fdt, windows = [], [], [], [], []
    defaults = {ir.param(p): sp.Float(v) for p, v in file_defaults(cm.model).items()}
    lower_param = expression_lowerer(cm, ir)
    for ob in cm.model.observes:
        if ob.name in BUILTIN:
            raise StatcError(f"`{ob.name}` is already a column of every dmft trajectory", ob.span,
                             hint="choose another name for this observable")
        if ob.name in ir.replicas:
            func, vec, _ = ir.replicas[ob.name]
            if vec != w:
                raise StatcError(f"`{func}` is defined for the trained vector `{w}`, not `{vec}`",
                                 ob.value.args[0].span, expected=f"`{func}({w})`")
            (replicas if func == "replica_distance" else fdt).append(ob.name)
            if func == "fdt":
                windows.append(fdt_window(ob.value, lower_param))
            continue
        expr = lower(ob.value)

        def slot(pool: list, prefix: str, entry) -> sp.Symbol:
            if entry not in pool:
                pool.append(entry)
            return sp.Symbol(f"{prefix}{pool.index(entry)}", real=True)

        def coefficient(expr: sp.Expr) -> sp.Symbol:
            return slot(coefficients, "trc", expr)

        def placeholder(mean: sp.Expr) -> sp.Expr:
            body = mean.args[0].xreplace(outputs)
            extra = body.free_symbols - {Y, H}
            if extra:
                user = {ir.param(p): p for p in ir.params}
                raise StatcError(f"an average in a dmft observable may use only `{y}` and `{yhat}` "
                                 f"(`{ob.name}` uses {', '.join(sorted(str(user.get(s, s)) for s in extra))})",
                                 ob.span, expected=f"e.g. `mean(step(-{y} * {yhat}) over train)`",
                                 hint="a parameter goes outside the mean, or is fixed to a number inside it "
                                      "with `given`")
            changed = {k: (v, v.xreplace(mean.given)) for k, v in teacher_args
                       if sp.simplify(v.xreplace(mean.given) - v) != 0}
            if changed and spectrum:
                raise StatcError("`given` on a data-model parameter is not supported with a structured input "
                                 "covariance", ob.span, hint="fix only parameters of the averaged function")
            if not isinstance(mean, TrainMean):
                data = tuple((k, v.xreplace(mean.given)) for k, v in teacher_args) if changed else ()
                return slot(test, "tem", (body, data))
            if not changed:
                return slot(train, "trm", body)
            for k, (old, new) in changed.items():
                if (teacher, k) not in TRAIN_REWEIGHT:
                    raise StatcError(unreweightable(teacher, k, spelling(old)), ob.span, expected=reweightable(teacher, teacher_args),
                                     hint="drop `over train` to average over fresh samples drawn at the given values")
                at = (old.xreplace(defaults), new.xreplace(defaults))
                if all(v.is_number for v in at) and (why := check_values(teacher, k, *at, spelling(old))):
                    raise StatcError(why, ob.span, expected=reweightable(teacher, teacher_args),
                                     hint="drop `over train` to average over fresh samples drawn at the given values")
                if (k, old, new) not in reweights:
                    reweights.append((k, old, new))
            # W = Π_k Σ_j factor_kj(y, τ) r_kj: the factors are functions of the sample (averages),
            # the ratios parameter expressions (in the formula): E[f W]/E[W], self-normalised
            pieces = [(sp.Integer(1), sp.Integer(1))]
            for k, (old, new) in changed.items():
                pieces = [(i * j, r * q) for i, r in pieces
                          for j, q in TRAIN_REWEIGHT[(teacher, k)].factors(old, new, coefficient)]
            num = sum(r * slot(train, "trm", sp.expand(body * i)) for i, r in pieces)
            den = sum(r * slot(train, "trm", sp.expand(i)) for i, r in pieces)
            return num / den

        means = sorted(expr.atoms(Mean), key=sp.default_sort_key)
        formula = expr.xreplace({mn: placeholder(mn) for mn in means}).xreplace(orders)
        holders = {s for s in formula.free_symbols if s.name[:3] in ("trm", "tem") and s.name[3:].isdigit()}
        extra = formula.free_symbols - holders - params - {M_SYM, Q_SYM}
        if extra:
            user = {ir.output_symbol(y): y, ir.output_symbol(yhat): yhat}
            what = ", ".join(sorted(f"`{user.get(s, s)}`" for s in extra))
            raise StatcError(f"`{ob.name}` uses {what} outside an average", ob.span,
                             expected=f"the order parameters m = {w}.{direction} and Q = {w}.{w}, parameters, and "
                                      f"`mean(f({y}, {yhat}))` (fresh sample) or `mean(f({y}, {yhat}) over train)`")
        names.append(ob.name)
        formulas.append(formula)
    return DmftObservables(tuple(names), tuple(formulas), tuple(train), tuple(b for b, _ in test), tuple(replicas),
                           tuple(fdt), tuple(windows), tuple(d for _, d in test), tuple(coefficients),
                           tuple(reweights))


def reweightable(teacher: str, teacher_args: tuple = ()) -> str:
    """The `given` a training mean of this data model accepts (for error messages), named as in the
    model (`s` for `y = wt.x + sqrt(s) * noise`, `sigma^2` for `sigma * noise`)."""
    spelled = dict(teacher_args)
    allowed = sorted(p for t, p in TRAIN_REWEIGHT if t == teacher)
    if not allowed:
        return "`given` on parameters of the averaged function only"
    names = [f"`{spelling(spelled[a])}` ({TRAIN_REWEIGHT[(teacher, a)].what})" if a in spelled
             else TRAIN_REWEIGHT[(teacher, a)].what or "a data-model parameter" for a in allowed]
    return f"`given` on {', '.join(names)} (reweighting the fixed set) or on parameters of the averaged function"


def unreweightable(teacher: str, name: str, spelled: str | None = None) -> str:
    """`name`: the registry key of the data parameter; `spelled`: as the model writes it (shown)."""
    v = spelled or name
    why = NOT_REWEIGHTABLE.get(name, "the likelihood ratio of the training samples between the two values is "
                                     "not a function of the per-sample label and teacher field").format(v=v)
    return (f"a training-set mean cannot condition on `{v}`: the training set is drawn once with the "
            f"model's values, and {why}")


def fdt_window(call, lower_param) -> tuple[sp.Expr | None, ...]:
    """`fdt(w, window = t1 .. t2, lags = s1 .. s2)` → (t1, t2, s1, s2) in the parameters; None where
    the option is absent (the run-time default of runtime/dmft/fdt.py). The values were checked by
    dsl/semantics.py (names, ranges) and dsl/values.py (order, inside the run)."""
    given = {kw.name: (lower_param(kw.lo), lower_param(kw.hi)) for kw in call.kwargs}
    return given.get("window", (None, None)) + given.get("lags", (None, None))
