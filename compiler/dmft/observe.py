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

from ..ir.model_ir import ModelIR, expression_lowerer
from ..ir.symbols import Mean, TrainMean
from .equations import H, Y, DmftObservables

#: order parameters inside observable formulas
M_SYM, Q_SYM = sp.Symbol("obs_m", real=True), sp.Symbol("obs_Q", real=True)
#: trajectory columns that an observable may not shadow
BUILTIN = ("t", "m", "Q", "train_loss", "train_error", "test_error", "test_loss")


def observables(cm: CheckedModel, ir: ModelIR, w: str, direction: str, y: str, yhat: str) -> DmftObservables:
    """The model's `observe` statements lowered for the dmft kind."""
    lower = expression_lowerer(cm, ir, keep_outputs=True)
    outputs = {ir.output_symbol(y): Y, ir.output_symbol(yhat): H}
    orders = {ir.overlap_base(w, direction)[0, 0]: M_SYM, ir.overlap_base(w, w)[0, 0]: Q_SYM}
    params = {ir.param(p) for p in ir.params}
    train: list[sp.Expr] = []
    test: list[sp.Expr] = []
    names, formulas, replicas, fdt, windows = [], [], [], [], []
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

        def placeholder(mean: sp.Expr) -> sp.Symbol:
            if mean.args[1]:
                raise StatcError("`given` is not supported in the observables of a dmft model", ob.span)
            body = mean.args[0].xreplace(outputs)
            extra = body.free_symbols - {Y, H} - params
            if extra:
                raise StatcError(f"an average in a dmft observable may use only `{y}`, `{yhat}` and parameters "
                                 f"(`{ob.name}` uses {', '.join(sorted(map(str, extra)))})", ob.span,
                                 expected=f"e.g. `mean(step(-{y} * {yhat}) over train)`")
            pool, prefix = (train, "trm") if isinstance(mean, TrainMean) else (test, "tem")
            if body not in pool:
                pool.append(body)
            return sp.Symbol(f"{prefix}{pool.index(body)}", real=True)

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
    return DmftObservables(tuple(names), tuple(formulas), tuple(train), tuple(test), tuple(replicas), tuple(fdt),
                           tuple(windows))


def fdt_window(call, lower_param) -> tuple[sp.Expr | None, ...]:
    """`fdt(w, window = t1 .. t2, lags = s1 .. s2)` → (t1, t2, s1, s2) in the parameters; None where
    the option is absent (the run-time default of runtime/dmft/fdt.py). The values were checked by
    dsl/semantics.py (names, ranges) and dsl/values.py (order, inside the run)."""
    given = {kw.name: (lower_param(kw.lo), lower_param(kw.hi)) for kw in call.kwargs}
    return given.get("window", (None, None)) + given.get("lags", (None, None))
