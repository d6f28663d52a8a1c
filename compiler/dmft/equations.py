"""The dmft kind's equation object: what the DMFT solver needs from a model.

The causal sweep itself is generic (runtime/dmft); a model contributes the per-sample loss
ℓ(y, h) with its derivatives ℓ' = ∂_hℓ and ℓ'' = ∂²_hℓ (SymPy), the data model (teacher
entry and its parameters), the algorithm entry and the scalar parameters — every number as
a SymPy expression in the model's parameters, so that codegen can emit it without any
string evaluation at run time.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sympy as sp

#: the two per-sample variables of the loss: label y and student field h = w·x/√N
Y, H = sp.Symbol("y", real=True), sp.Symbol("h", real=True)
#: the teacher field τ = v·x/√N of a training sample (in reweighted training means only: reweight.py)
TAU = sp.Symbol("τ", real=True)    # not an ASCII name: no model parameter can be it

#: the scalar settings of a DMFT problem, in this order in the generated `dmft_values(P)`
VALUE_NAMES = ("alpha", "eta", "lam", "m0", "Q0", "t_end", "b", "tau", "T", "beta", "nesterov", "sphere")
#: `sphere` is q of `constrain w.w = q` (|w|²/N = q held by a Lagrange multiplier), 0 when unconstrained


@dataclass(frozen=True)
class DmftObservables:
    """User observables (compiler/dmft/observe.py): formulas in the order-parameter symbols,
    the parameters and placeholders ``trm<i>`` (mean of `train[i]` over the training set) and
    ``tem<i>`` (mean of `test[i]` over a fresh sample); `test` are functions of (y, h), `train`
    functions of (y, τ, h) and of the run-time coefficients ``trc<j>`` (`coefficients[j]`, parameter
    expressions of a reweighted training mean, compiler/dmft/reweight.py)."""

    names: tuple[str, ...] = ()
    formulas: tuple[sp.Expr, ...] = ()
    train: tuple[sp.Expr, ...] = ()
    test: tuple[sp.Expr, ...] = ()
    replicas: tuple[str, ...] = ()      # `observe D = replica_distance(w)` names
    fdt: tuple[str, ...] = ()           # `observe T = fdt(w)` names
    #: per fdt name: (window t1, t2, lags s1, s2) as expressions in the parameters, None = default
    fdt_windows: tuple[tuple[sp.Expr | None, ...], ...] = ()
    #: per fresh mean `test[i]`: the data model's ((name, value), ...) under its `given`, () = the model's
    test_data: tuple[tuple[tuple[str, sp.Expr], ...], ...] = ()
    #: parameter expressions bound per run, `trc<j>` in the training bodies
    coefficients: tuple[sp.Expr, ...] = ()
    #: reweighted training means: ((data parameter, model value, given value), ...), checked per run
    reweights: tuple[tuple[str, sp.Expr, sp.Expr], ...] = ()

    def canonical(self) -> list[str]:
        windows = [f"fdt_window {n} " + " ".join("-" if e is None else sp.srepr(e) for e in win)
                   for n, win in zip(self.fdt, self.fdt_windows)]
        return ([f"replica_distance {n}" for n in self.replicas] + [f"fdt {n}" for n in self.fdt] + windows
                + [f"observe {n} {sp.srepr(f)}" for n, f in zip(self.names, self.formulas)]
                + [f"train_mean {sp.srepr(e)}" for e in self.train] + [f"test_mean {sp.srepr(e)}" for e in self.test]
                + [f"test_data {i} " + " ".join(f"{k}={sp.srepr(v)}" for k, v in d)
                   for i, d in enumerate(self.test_data) if d]
                + [f"train_coefficient {i} {sp.srepr(c)}" for i, c in enumerate(self.coefficients)]
                + [f"reweight {k} {sp.srepr(a)} {sp.srepr(b)}" for k, a, b in self.reweights])


@dataclass(frozen=True)
class DmftEquations:
    """A model lowered for the dmft kind (Equation-IR counterpart of the online kind)."""

    model: str
    params: tuple[str, ...]
    teacher: str                                   # registry name in runtime/dmft/teachers.py
    teacher_args: tuple[tuple[str, sp.Expr], ...]  # its parameters
    algorithm: str                                 # gd | sgd | persistent | langevin
    loss: sp.Expr                                  # ℓ(y, h)
    dloss: sp.Expr                                 # ∂_h ℓ
    d2loss: sp.Expr                                # ∂²_h ℓ
    values: tuple[tuple[str, sp.Expr], ...]        # VALUE_NAMES → expressions in the params
    observe: DmftObservables = DmftObservables()   # user observables
    theory: str = "dmft"
    #: structured input covariance: (family, positional eigenvalues, ((keyword, value), ...)) or ()
    spectrum: tuple = ()

    def canonical(self) -> str:
        """A canonical text of everything the generated module depends on (cache key)."""
        lines = [f"dmft {self.model}", "params " + " ".join(self.params),
                 f"teacher {self.teacher} " + " ".join(f"{k}={sp.srepr(v)}" for k, v in self.teacher_args),
                 f"algorithm {self.algorithm}", f"loss {sp.srepr(self.loss)}",
                 f"dloss {sp.srepr(self.dloss)}", f"d2loss {sp.srepr(self.d2loss)}"]
        lines += [f"value {k} {sp.srepr(v)}" for k, v in self.values]
        lines += self.observe.canonical()
        if self.spectrum:
            family, pos, kws = self.spectrum
            lines.append(f"spectrum {family} " + " ".join(sp.srepr(v) for v in pos) + " "
                         + " ".join(f"{k}={sp.srepr(v)}" for k, v in kws))
        return "\n".join(lines)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()[:16]
