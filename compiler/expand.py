"""Expansion of a random expression into a sum of product terms.

An expectation E[X] is linear, so X is first written as a sum of terms

    coef · Σ_{j1} … Σ_{jn}  f_1 · f_2 · … · f_p

where ``coef`` holds no random quantity (parameters, scalars, Kronecker
deltas of indices) and each *random factor* f_i is a function of fields and
random scalars that cannot be split further (``erf(λ_j/√2)``, ``λ_l``,
``noise``).  Sums keep symbolic bounds, so the number of terms does not grow
with K or M.  Sum indices are renamed apart (``k`` → ``k_1``) whenever two
sums meet in a product, and Kronecker deltas produced by differentiation
(``Σ_j δ_jk f(j)`` → ``f(k)``) are resolved.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from statc.dsl import StatcError


@dataclass(frozen=True)
class RawTerm:
    coef: sp.Expr
    sums: tuple[tuple[sp.Symbol, sp.Expr], ...]
    factors: tuple[sp.Expr, ...]

    def __mul__(self, other: "RawTerm") -> "RawTerm":
        return RawTerm(self.coef * other.coef, self.sums + other.sums, self.factors + other.factors)


class Expander:
    """Expands expressions whose random leaves are ``Indexed`` of `random_bases`."""

    def __init__(self, random_bases: set[sp.IndexedBase]):
        self.random_bases = set(random_bases)
        self._counter = itertools.count(1)

    def is_random(self, e: sp.Expr) -> bool:
        return any(i.base in self.random_bases for i in e.atoms(sp.Indexed))

    def fresh(self, j: sp.Symbol) -> sp.Symbol:
        base = j.name.split("_")[0]
        return sp.Symbol(f"{base}_{next(self._counter)}", integer=True)

    def freshen(self, e: sp.Expr) -> sp.Expr:
        """Rename every sum index apart, so differentiation never captures a free index."""
        if isinstance(e, sp.Sum):
            body, (j, lo, hi) = e.function, e.limits[0]
            jj = self.fresh(j)
            return sp.Sum(self.freshen(body.xreplace({j: jj})), (jj, lo, hi))
        if not e.args or not e.has(sp.Sum):
            return e
        return e.func(*[self.freshen(a) for a in e.args])

    def terms(self, e: sp.Expr) -> list[RawTerm]:
        raw = self._terms(e)
        return [t for t in (resolve_deltas(t) for t in raw) if t.coef != 0]

    def _terms(self, e: sp.Expr) -> list[RawTerm]:
        if not self.is_random(e) and not e.has(sp.Sum):
            return [RawTerm(e, (), ())] if e != 0 else []
        if isinstance(e, sp.Add):
            return [t for a in e.args for t in self._terms(a)]
        if isinstance(e, sp.Mul):
            out = [RawTerm(sp.S.One, (), ())]
            for a in e.args:
                parts = self._terms(a)
                out = [x * y for x in out for y in parts]
            return out
        if isinstance(e, sp.Sum) and (e.limits[0][2] - e.limits[0][1]).is_Integer:
            return self._terms(unroll_fixed_sums(e))      # literal size: write the sum out
        if isinstance(e, sp.Sum):
            body, (j, lo, hi) = e.function, e.limits[0]
            jj = self.fresh(j)
            body = body.xreplace({j: jj})
            size = sp.simplify(hi - lo + 1)
            if lo != 0:
                body = body.xreplace({jj: jj + lo})
            return [RawTerm(t.coef, ((jj, size),) + t.sums, t.factors) for t in self._terms(body)]
        if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp > 0:
            if isinstance(e.base, (sp.Add, sp.Mul, sp.Sum)):
                out = [RawTerm(sp.S.One, (), ())]
                for _ in range(int(e.exp)):
                    parts = self._terms(e.base)   # fresh sum indices for each copy
                    out = [x * y for x in out for y in parts]
                return out
            return [RawTerm(sp.S.One, (), (e.base,) * int(e.exp))]
        if e.has(sp.Sum):
            e = unroll_fixed_sums(e)
        if e.has(sp.Sum):
            raise StatcError(
                f"cannot take the expectation of `{e}`: a sum over hidden units sits inside "
                "a nonlinear function",
                hint="statc expands expectations term by term; write the loss as a polynomial in the "
                     "outputs (e.g. a squared error), or give the index a literal size "
                     "(`w[k in 1..2]`) so that the sum can be unrolled")
        return [RawTerm(sp.S.One, (), (e,))]


def resolve_deltas(t: RawTerm) -> RawTerm:
    """Σ_j δ_{j a} f(j) → f(a): remove sums fixed by Kronecker deltas in the coefficient."""
    changed = True
    while changed:
        changed = False
        dummies = {j for j, _ in t.sums}
        for d in t.coef.atoms(sp.KroneckerDelta):
            a, b = d.args
            j, other = (a, b) if a in dummies else (b, a) if b in dummies else (None, None)
            if j is None:
                continue
            sub = {j: other}
            coef = t.coef.xreplace({d: sp.S.One}).xreplace(sub)
            t = RawTerm(coef, tuple(s for s in t.sums if s[0] != j),
                        tuple(f.xreplace(sub) for f in t.factors))
            changed = True
            break
    return t


def collapse_delta_sums(e: sp.Expr) -> sp.Expr:
    """Σ_j δ_{j a} f(j) → f(a) inside an expression (SymPy's derivative of a sum)."""
    if isinstance(e, sp.Sum):
        body, (j, lo, hi) = e.function, e.limits[0]
        body = collapse_delta_sums(body)
        factors = sp.Mul.make_args(body)
        for f in factors:
            if isinstance(f, sp.KroneckerDelta) and j in f.args:
                other = f.args[0] if f.args[1] == j else f.args[1]
                if other.is_Symbol or other.is_Integer:
                    rest = sp.Mul(*[g for g in factors if g is not f])
                    return rest.xreplace({j: other})
        return sp.Sum(body, (j, lo, hi))
    if not e.args or not e.has(sp.Sum):
        return e
    return e.func(*[collapse_delta_sums(a) for a in e.args])


def unroll_fixed_sums(e: sp.Expr) -> sp.Expr:
    """Write out sums whose size is a literal number (``w[k in 1..2]``)."""
    def unroll(x):
        if isinstance(x, sp.Sum):
            body, (j, lo, hi) = x.function, x.limits[0]
            if (hi - lo).is_Integer:
                body = unroll_fixed_sums(body)
                return sp.Add(*[body.xreplace({j: lo + i}) for i in range(int(hi - lo) + 1)])
        return x
    return e.replace(lambda x: isinstance(x, sp.Sum), unroll)
