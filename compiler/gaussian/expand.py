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


def outer_sum(e: sp.Sum):
    """(body, (j, lo, hi)) of the outermost sum of ``e``.

    SymPy flattens Sum(Sum(f, l1), l2) into Sum(f, l1, l2) (the last limit
    outermost); the body is then the remaining inner sum."""
    if len(e.limits) == 1:
        return e.function, e.limits[0]
    return sp.Sum(e.function, *e.limits[:-1]), e.limits[-1]


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
        #: when a list, every fresh index is also appended to it
        #: (:meth:`statc.compiler.online.derive_online.OnlineDerivation.replayed`)
        self.log: list[sp.Symbol] | None = None
        self._flags: dict[sp.Basic, tuple[bool, bool]] = {}

    def flags(self, e: sp.Basic) -> tuple[bool, bool]:
        """(``e`` holds a random leaf, ``e`` holds a ``Sum``), memoised per subexpression:
        ``_terms`` asks at every level of the same trees."""
        found = self._flags.get(e)
        if found is None:
            random = isinstance(e, sp.Indexed) and e.base in self.random_bases
            has_sum = isinstance(e, sp.Sum)
            for a in e.args:
                r, h = self.flags(a)
                random, has_sum = random or r, has_sum or h
            found = self._flags[e] = (random, has_sum)
        return found

    def is_random(self, e: sp.Expr) -> bool:
        return self.flags(e)[0]

    def fresh(self, j: sp.Symbol) -> sp.Symbol:
        base = j.name.split("_")[0]
        new = sp.Symbol(f"{base}_{next(self._counter)}", integer=True)
        if self.log is not None:
            self.log.append(new)
        return new

    def freshen(self, e: sp.Expr) -> sp.Expr:
        """Rename every sum index apart, so differentiation never captures a free index."""
        if isinstance(e, sp.Sum):
            body, (j, lo, hi) = outer_sum(e)
            jj = self.fresh(j)
            return sp.Sum(self.freshen(body.xreplace({j: jj})), (jj, lo, hi))
        if not e.args or not self.flags(e)[1]:
            return e
        return e.func(*[self.freshen(a) for a in e.args])

    def terms(self, e: sp.Expr) -> list[RawTerm]:
        raw = self._terms(e)
        return [t for t in (resolve_deltas(t) for t in raw) if t.coef != 0]

    def _terms(self, e: sp.Expr) -> list[RawTerm]:
        if self.flags(e) == (False, False):
            return [RawTerm(e, (), ())] if e != 0 else []
        if isinstance(e, sp.Add):
            return [t for a in e.args for t in self._terms(a)]
        if isinstance(e, sp.Mul):
            out = [RawTerm(sp.S.One, (), ())]
            for a in e.args:
                parts = self._terms(a)
                out = [x * y for x in out for y in parts]
            return out
        if isinstance(e, sp.Sum) and (outer_sum(e)[1][2] - outer_sum(e)[1][1]).is_Integer:
            return self._terms(unroll_fixed_sums(e))      # literal size: write the sum out
        if isinstance(e, sp.Sum):
            body, (j, lo, hi) = outer_sum(e)
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
    if not t.sums:
        return t
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
        body, (j, lo, hi) = outer_sum(e)
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
            body, (j, lo, hi) = outer_sum(x)
            if (hi - lo).is_Integer:
                body = unroll_fixed_sums(body)
                return sp.Add(*[body.xreplace({j: lo + i}) for i in range(int(hi - lo) + 1)])
        return x
    return e.replace(lambda x: isinstance(x, sp.Sum), unroll)


def _powers(e: sp.Expr, n: sp.Symbol) -> dict[int, sp.Expr]:
    """``e`` as Σ_p n^p e_p (exact), for expressions polynomial in n and 1/n."""
    if not e.has(n):
        return {0: e}
    if e == n:
        return {1: sp.S.One}
    if isinstance(e, sp.Pow) and e.base == n and e.exp.is_Integer:
        return {int(e.exp): sp.S.One}
    if isinstance(e, sp.Add):
        out: dict[int, sp.Expr] = {}
        for a in e.args:
            for p, c in _powers(a, n).items():
                out[p] = out.get(p, sp.S.Zero) + c
        return out
    if isinstance(e, sp.Mul):
        out = {0: sp.S.One}
        for a in e.args:
            parts = _powers(a, n)
            new: dict[int, sp.Expr] = {}
            for p, c in out.items():
                for q, d in parts.items():
                    new[p + q] = new.get(p + q, sp.S.Zero) + c * d
            out = new
        return out
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp > 0:
        return _powers(sp.Mul(*([e.base] * int(e.exp)), evaluate=False), n)
    if isinstance(e, sp.Sum):
        return {p: sp.Sum(c, *e.limits) for p, c in _powers(e.function, n).items()}
    raise StatcError(f"cannot take N → ∞ in `{e}`: the dimension N sits inside a function "
                     "or a non-integer power",
                     hint="N may multiply or divide terms (a learning rate `eta / N`, a norm "
                          "`|x - xhat|^2 / N`), not sit inside nonlinear functions")


def leading_order(e: sp.Expr, n: sp.Symbol, what: str = "this expression") -> sp.Expr:
    """The limit N → ∞ of an expression polynomial in N and 1/N.

    Terms with negative powers vanish; terms with positive powers must cancel
    (e.g. the concentrated part N Σ α_r α_s c_rs of two squared norms), or the
    limit does not exist and a clear error says which way to rescale.
    """
    if not e.has(n):
        return e
    parts = _powers(e, n)
    for p in sorted((p for p in parts if p > 0), reverse=True):
        c = sp.expand(unroll_fixed_sums(parts[p]))
        if c != 0 and sp.simplify(c) != 0:
            raise StatcError(f"{what} grows like N^{p} as N → ∞ (leading part `{sp.simplify(c)}`)",
                             hint="a squared norm ‖x‖² is of order N: divide it by `N` where an "
                                  "O(1) quantity is meant, and give a scalar trained on it a "
                                  "learning rate scaled by 1/N (e.g. `train b lr eta_b / N`)")
    return parts.get(0, sp.S.Zero)
