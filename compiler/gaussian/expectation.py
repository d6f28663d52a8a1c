"""Expectations of expanded terms: masks, Gaussian groups, atoms.

A :class:`~statc.compiler.gaussian.expand.RawTerm` ``coef · Σ … Π f_i`` becomes an
Equation-IR :class:`Term` whose coefficient calls *atoms*:

1. **Bernoulli masks** r_a ∈ {0,1}: E[Π_i r_{a_i}] = p^{#distinct a_i}, evaluated
   at run time by ``bern_ndN(p, a_1, …, a_N)`` so that repeated symbolic
   indices (k = l) are counted correctly.
2. The remaining factors are split into **independent Gaussian groups**:
   fields of one input form a group (their covariance is var_x · O_ab), each
   Gaussian random scalar family another (covariance var · δ_ab).  A factor
   that mixes groups (``sign(λ + σ ξ)``) merges them.
3. Each group is **canonicalised**: every factor is written as one of the
   registered kinds of an affine form m + ℓ of the group's Gaussian leaves —
   ``z`` (m + ℓ itself), ``g`` (erf((m + ℓ)/√2)), ``dg`` (g'(m + ℓ)), ``relu``,
   ``step`` — where the shift m is deterministic (a cluster label times an
   overlap: inputs shifted along a mean vector), and evaluated by, in order
   of preference,
   * without shifts: Wick/Isserlis (all factors linear), a closed form of
     :mod:`statc.compiler.gaussian.gaussian_atoms`, tilting by the ``dg`` factors;
   * with shifts (or when that fails): :mod:`statc.compiler.gaussian.gaussian_moments`
     (tilting, Wick with means, one shifted factor), then an
     :class:`~statc.compiler.ir.equation_ir.ArgQuadrature` — Gauss–Hermite over
     the distinct arguments of the nonlinear factors only, the linear factors
     integrated exactly given them;
   * Gauss–Hermite quadrature over the group's leaves (any other function, or
     more distinct arguments than leaves).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Callable

import sympy as sp

from statc.dsl import StatcError

from . import gaussian_atoms, gaussian_moments, kinked
from statc.compiler.ir.equation_ir import ANALYTIC_KINDS, ArgQuadrature, Quadrature, Term
from .expand import RawTerm
from statc.compiler.ir.symbols import Relu, Step

Form = tuple[tuple[sp.Indexed, sp.Expr], ...]     # linear form: ((leaf, coef), ...)

E = sp.Function("E")


def _leaves(e: sp.Expr, bases: set) -> set[sp.Indexed]:
    return {i for i in e.atoms(sp.Indexed) if i.base in bases}


def linear_form(e: sp.Expr, bases: set) -> Form | None:
    """``e`` as Σ c_i · leaf_i (homogeneous, leaf-free coefficients), or None."""
    leaves = sorted(_leaves(e, bases), key=_text)
    if not leaves:
        return None
    coefs = []
    for leaf in leaves:
        c = sp.diff(e, leaf)
        if _leaves(c, bases):
            return None
        coefs.append(c)
    if sp.expand(e - sum(c * l for c, l in zip(coefs, leaves))) != 0:
        return None
    return tuple(zip(leaves, coefs))


def affine_form(e: sp.Expr, bases: set) -> tuple[Form, sp.Expr] | None:
    """``e`` as shift + Σ c_i · leaf_i, or None."""
    leaves = _leaves(e, bases)
    if not leaves:
        return None
    shift = e.xreplace({l: 0 for l in leaves})
    form = linear_form(e - shift, bases)
    return None if form is None else (form, shift)


def rank_one(arg: sp.Expr, bases: set) -> tuple[Form, sp.Expr, sp.Expr] | None:
    """``arg`` as −½(αᵀs + β)² + γ: returns (α as a linear form, β, γ), or None."""
    leaves = sorted(_leaves(arg, bases), key=_text)
    if not leaves:
        return None
    zero = {l: 0 for l in leaves}
    H = [[sp.diff(arg, a, b) for b in leaves] for a in leaves]
    if any(_leaves(h, bases) for row in H for h in row):
        return None
    grad = [sp.diff(arg, a).xreplace(zero) for a in leaves]
    alpha = [sp.sqrt(-H[0][0])]
    if alpha[0] == 0:
        return None
    alpha += [-H[0][j] / alpha[0] for j in range(1, len(leaves))]
    beta = -grad[0] / alpha[0]
    gamma = arg.xreplace(zero) + beta**2 / 2
    lin = sum(a * l for a, l in zip(alpha, leaves))
    if sp.expand(arg - (-(lin + beta)**2 / 2 + gamma)) != 0:
        return None
    return tuple(zip(leaves, alpha)), beta, gamma


def _scale(form: Form, c: sp.Expr) -> Form:
    return tuple((l, c * a) for l, a in form)


Slot = tuple[str, Form, sp.Expr]       # kind, linear form, shift: f_kind(shift + form)


#: functions whose derivative f'(u) is again a function of u (erf' = 2e^{-u²}/√π, relu' = Θ)
_DERIVATIVE_KEEPS_ARGUMENT = (sp.erf, Relu)


def _not_affine(f: sp.Expr, bases: set) -> bool:
    """A quick proof that ``affine_form(f, bases)`` is None, for f = erf(u) or relu(u).

    ``linear_form`` differentiates f − f|_{leaves=0} by the first leaf l (in text
    order); SymPy's chain rule gives f'(u)·∂u/∂l, which keeps the leaves of u whenever
    ``∂u/∂l`` is not known to vanish, so that leaf's coefficient is rejected.  This
    costs one derivative of u instead of f's (whose e^{−u²} SymPy evaluates slowly).
    """
    if not isinstance(f, _DERIVATIVE_KEEPS_ARGUMENT) or len(f.args) != 1:
        return False
    leaves = _leaves(f, bases)
    if not leaves:
        return False
    first = min(leaves, key=_text)
    return f.args[0].diff(first).is_zero is not True


def classify(f: sp.Expr, bases: set) -> tuple[list[Slot], sp.Expr] | None:
    """Canonical slots of one factor, and a multiplier: f = mult · Π f_kind(shift + ℓ)."""
    aff = None if _not_affine(f, bases) else affine_form(f, bases)
    if aff is not None:
        return [("z", *aff)], sp.S.One
    if isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp > 0:
        inner = classify(f.base, bases)
        return None if inner is None else (inner[0] * int(f.exp), inner[1] ** f.exp)
    if not isinstance(f, sp.Function) or len(f.args) != 1:
        return None
    arg = f.args[0]
    if f.func == sp.exp:
        found = rank_one(arg, bases)
        if found is None:
            return None
        alpha, beta, gamma = found
        return [("dg", alpha, beta)], sp.sqrt(sp.pi / 2) * sp.exp(gamma)
    aff = affine_form(arg, bases)
    if aff is None:
        return None
    form, shift = aff
    if f.func == sp.erf:
        return [("g", _scale(form, sp.sqrt(2)), sp.sqrt(2) * shift)], sp.S.One
    if f.func == Relu:
        return [("relu", form, shift)], sp.S.One
    if f.func == Step:
        return [("step", form, shift)], sp.S.One
    return None


@lru_cache(maxsize=1 << 16)
def _text(e) -> str:
    """``str(e)`` (memoised: the sort keys print the same forms and shifts again and again)."""
    return str(e)


@lru_cache(maxsize=1 << 16)
def _form_key(form: Form) -> tuple:
    """Order linear forms by the families they read, then by their text."""
    return (tuple(sorted(_text(l.base) for l, _ in form)), _text(form))


#: kinds of definite parity: f(−u) = −f(u) (odd) or f(u) (even)
_ODD, _EVEN = ("g", "z"), ("dg",)


def canonical_sign(slots: list[Slot]) -> tuple[list[Slot], int]:
    """Flip the sign of every shift when that makes the first one positive.

    The centred Gaussian is symmetric (ℓ → −ℓ), so for factors of definite parity
    E[Π f_i(m_i + ℓ_i)] = (−1)^{#odd} E[Π f_i(−m_i + ℓ_i)].  The two signs of a
    cluster label then give the same atom, and their terms merge (or cancel).
    Returns the slots (sorted) and the sign (−1)^{#odd} or 1.
    """
    if not any(shift != 0 for _, _, shift in slots) or \
            any(kind not in _ODD + _EVEN for kind, _, _ in slots):
        return slots, 1

    def unsigned(s):
        return _text(-s) if s.could_extract_minus_sign() else _text(s)

    first = min((s for s in slots if s[2] != 0),
                key=lambda s: (s[0], _form_key(s[1]), unsigned(s[2])))
    if not first[2].could_extract_minus_sign():
        return slots, 1
    flipped = sorted(((k, f, -shift) for k, f, shift in slots),
                     key=lambda s: (s[0], _form_key(s[1]), _text(s[2])))
    return flipped, (-1) ** sum(k in _ODD for k, _, _ in slots)


class Expectation:
    """Turns raw terms into Equation-IR terms for one model.

    ``leaf_cov(a, b)`` returns the covariance of two Gaussian leaves of the
    same group as a SymPy expression of state arrays (0 across groups).
    """

    def __init__(self, leaf_group: Callable[[sp.Indexed], str],
                 leaf_cov: Callable[[sp.Indexed, sp.Indexed], sp.Expr],
                 bernoulli: dict[sp.IndexedBase, sp.Expr], gaussian_bases: set):
        self.leaf_group = leaf_group
        self.leaf_cov = leaf_cov
        self.bernoulli = bernoulli
        self.bases = set(gaussian_bases)
        self.quadratures: dict[str, Quadrature] = {}
        self.mask_arities: set[int] = set()
        # memos (pure functions of their keys; a hit re-registers nothing new, since the
        # atoms a value calls were registered, under the same names, when it was computed)
        self._classified: dict[sp.Expr, tuple[list[Slot], sp.Expr] | None] = {}
        self._group_values: dict[tuple[sp.Expr, ...], sp.Expr] = {}
        self._form_covs: dict[tuple[Form, Form], sp.Expr] = {}

    # ---------------------------------------------------------------- pieces
    def form_cov(self, f1: Form, f2: Form) -> sp.Expr:
        """Cov(Σ a_i l_i, Σ b_j l_j) = Σ a_i b_j Cov(l_i, l_j) (memoised)."""
        key = (f1, f2)
        if key not in self._form_covs:
            self._form_covs[key] = sp.Add(*[a * b * self.leaf_cov(l1, l2) for l1, a in f1 for l2, b in f2])
        return self._form_covs[key]

    def masks(self, factors: list[sp.Expr]) -> tuple[sp.Expr, list[sp.Expr]]:
        value = sp.S.One
        rest = []
        by_family: dict[sp.IndexedBase, list[sp.Expr]] = {}
        for f in factors:
            if isinstance(f, sp.Indexed) and f.base in self.bernoulli:
                by_family.setdefault(f.base, []).append(f.indices[0])
                continue
            if any(i.base in self.bernoulli for i in f.atoms(sp.Indexed)):
                raise StatcError(f"a Bernoulli mask appears inside a nonlinear function in `{f}`",
                                 hint="masks may multiply outputs and fields, not sit inside functions")
            rest.append(f)
        for base, idx in by_family.items():
            uniq = list(dict.fromkeys(idx))
            if len(uniq) == 1:
                value *= self.bernoulli[base]
            else:
                self.mask_arities.add(len(uniq))
                value *= sp.Function(f"bern_nd{len(uniq)}")(self.bernoulli[base], *uniq)
        return value, rest

    def groups(self, factors: list[sp.Expr]) -> list[list[sp.Expr]]:
        """Union-find of factors over the independence groups of their leaves."""
        parent: dict[str, str] = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                x = parent[x]
            return x

        fgroups = []
        for f in factors:
            gs = sorted({self.leaf_group(l) for l in _leaves(f, self.bases)})
            for g in gs[1:]:
                parent[find(g)] = find(gs[0])
            fgroups.append(gs[0])
        out: dict[str, list[sp.Expr]] = {}
        for f, g in zip(factors, fgroups):
            out.setdefault(find(g), []).append(f)
        return list(out.values())

    def classify(self, f: sp.Expr) -> tuple[list[Slot], sp.Expr] | None:
        """:func:`classify` with the group's bases, memoised per factor."""
        if f not in self._classified:
            self._classified[f] = classify(f, self.bases)
        return self._classified[f]

    def group_value(self, factors: list[sp.Expr]) -> sp.Expr:
        """E[Π factors] of one independent group (memoised on the ordered factors)."""
        key = tuple(factors)
        if key not in self._group_values:
            self._group_values[key] = self._group_value(factors)
        return self._group_values[key]

    def _group_value(self, factors: list[sp.Expr]) -> sp.Expr:
        slots: list[Slot] = []
        mult = sp.S.One
        for f in factors:
            c = self.classify(f)
            if c is None:
                return self.quadrature(factors)
            slots += c[0]
            mult *= c[1]
        # an atom E[Π f_i(z_i)] is symmetric under exchanging slots of equal kind:
        # sort them canonically so that equal terms meet and merge
        slots.sort(key=lambda s: (s[0], _form_key(s[1]), _text(s[2])))
        slots, sign = canonical_sign(slots)
        mult *= sign
        if all(shift == 0 for _, _, shift in slots):
            kinds = tuple(k for k, _, _ in slots)
            forms = [f for _, f, _ in slots]
            C = sp.Matrix(len(forms), len(forms), lambda i, j: self.form_cov(forms[i], forms[j]))
            value = self.slots_value(kinds, C)
            if value is not None:
                return mult * value
        value = self.shifted_value(slots)
        if value is None:
            return self.quadrature(factors)
        return mult * value

    def shifted_value(self, slots: list[Slot]) -> sp.Expr | None:
        """E[Π f_kind(shift + ℓ)] by :mod:`gaussian_moments` — tilting by the g'
        factors, Wick with means, one shifted factor — or an :class:`ArgQuadrature`
        over the distinct arguments of the nonlinear factors that remain.

        Returns None when that quadrature would have more dimensions than the
        group has Gaussian leaves (the leaf quadrature is then smaller).
        """
        mult = sp.S.One
        merged: list[Slot] = []
        dg_count: dict = {}
        for kind, form, shift in slots:
            if kind == "dg":
                key = (_form_key(form), _text(shift))
                dg_count.setdefault(key, [form, shift, 0])[2] += 1
            else:
                merged.append((kind, form, shift))
        for form, shift, n in dg_count.values():
            # g'(u)^n = (2/π)^{(n−1)/2} g'(√n u)
            r = sp.sqrt(n)
            merged.append(("dg", _scale(form, r), r * shift))
            mult *= (2 / sp.pi) ** sp.Rational(n - 1, 2)
        forms = [f for _, f, _ in merged]
        C = sp.Matrix(len(forms), len(forms), lambda i, j: self.form_cov(forms[i], forms[j]))
        m = [shift for _, _, shift in merged]
        D = [i for i, (kind, _, _) in enumerate(merged) if kind == "dg"]
        if D:
            weight, C, m = gaussian_moments.tilt(C, m, D)
            mult *= weight
            merged = [s for i, s in enumerate(merged) if i not in D]
        if not merged:
            return mult
        kinds = [k for k, _, _ in merged]
        if all(k == "z" for k in kinds):
            return mult * gaussian_moments.wick_with_means(C, m)
        if len(kinds) == 1:
            return mult * gaussian_moments.single(kinds[0], C[0, 0], m[0])
        # the remaining nonlinear factors, by distinct argument
        args: dict = {}
        linear = []
        for i, (kind, form, shift) in enumerate(merged):
            if kind == "z":
                linear.append(i)
            else:
                args.setdefault((_form_key(form), _text(shift)), [i, []])[1].append(kind)
        if len(args) > len({leaf for _, f, _ in slots for leaf, _ in f}):
            return None
        return mult * self.arg_quadrature(list(args.values()), linear, C, m)

    def arg_quadrature(self, args: list, linear: list[int], C: sp.Matrix, m: list[sp.Expr]) -> sp.Expr:
        """Call (and register) the :class:`ArgQuadrature` for nonlinear ``args``
        [(representative slot, kinds)] and ``linear`` slots of N(m, C)."""
        def rank(a):
            funcs = tuple(sorted(a[1]))
            analytic = not linear and len(funcs) == 1 and funcs[0] in ANALYTIC_KINDS
            # kinks (step, relu) are best integrated in closed form: put them last
            return (analytic, funcs[0] in ("step", "relu") if analytic else False, funcs)
        args = sorted(args, key=rank)
        funcs = tuple(tuple(sorted(kinds)) for _, kinds in args)
        order = [i for i, _ in args] + linear
        name = "gq{}_{}{}".format(len(funcs), "_".join("x".join(f) for f in funcs),
                                  f"_l{len(linear)}" if linear else "")
        self.quadratures[name] = ArgQuadrature(name, funcs, len(linear))
        p = len(order)
        cov = [C[order[i], order[j]] for i in range(p) for j in range(i, p)]
        return sp.Function(name)(*cov, *[m[i] for i in order])

    def slots_value(self, kinds: tuple[str, ...], C: sp.Matrix) -> sp.Expr | None:
        """E[Π_i f_{kind_i}(z_i)], z ~ N(0, C), in closed form — or None.

        Order of preference: Wick (all linear), a registered closed form, the
        exact Stein expansion of relu/step/linear products (:mod:`.kinked`), and
        Gaussian tilting of the ``dg`` factors (Π_D √(2/π) e^{−z_D²/2} reweights
        the Gaussian: the remaining slots see C' = C_RR − C_RD (I + C_DD)^{-1} C_DR,
        with prefactor (2/π)^{|D|/2} det(I + C_DD)^{-1/2}), recursively.
        """
        p = len(kinds)
        if p == 0:
            return sp.S.One
        if all(k == "z" for k in kinds):
            return gaussian_moments.wick(C)
        found = gaussian_atoms.lookup(kinds)
        if found is not None:
            name, perm = found
            args = [C[perm[i], perm[j]] for i in range(p) for j in range(i, p)]
            return sp.Function(name)(*args)
        D = [i for i, k in enumerate(kinds) if k == "dg"]
        if not D:
            return kinked.value(kinds, C, self.quadratures)
        R = [i for i, k in enumerate(kinds) if k != "dg"]
        A = sp.eye(len(D)) + C.extract(D, D)
        pref = (2 / sp.pi) ** sp.Rational(len(D), 2) / sp.sqrt(A.det())
        if not R:
            return pref
        CRD = C.extract(R, D)
        tilted = C.extract(R, R) - CRD * A.inv() * CRD.T
        inner = self.slots_value(tuple(kinds[i] for i in R), tilted)
        return None if inner is None else pref * inner

    def _analytic_leaf(self, factors: list[sp.Expr], leaves: list[sp.Indexed]):
        """A leaf found in one factor only, a step, relu or erf of an argument linear
        in it: that factor is integrated over the leaf in closed form (kinks first)."""
        for kinds in ((Step, Relu), (sp.erf,)):
            for leaf in leaves:
                holders = [f for f in factors if f.has(leaf)]
                if len(holders) != 1 or not isinstance(holders[0], kinds):
                    continue
                arg = holders[0].args[0]
                alpha = sp.diff(arg, leaf)
                if alpha != 0 and not _leaves(alpha, self.bases) and \
                        not sp.expand(arg - alpha * leaf).has(leaf):
                    return leaf, holders[0]
        return None

    def quadrature(self, factors: list[sp.Expr]) -> sp.Expr:
        leaves = sorted(set().union(*[_leaves(f, self.bases) for f in factors]), key=str)
        analytic = None
        found = self._analytic_leaf(factors, leaves)
        if found is not None:
            leaf, factor = found
            leaves = [l for l in leaves if l != leaf] + [leaf]        # integrated last
            factors = [f for f in factors if f is not factor]
        zs = [sp.Symbol(f"z{i}", real=True) for i in range(len(leaves))]
        to_z = dict(zip(leaves, zs))
        integrand = sp.Mul(*factors).xreplace(to_z)
        if found is not None:
            arg = factor.args[0].xreplace(to_z)
            alpha = sp.diff(arg, zs[-1])
            analytic = (type(factor).__name__, alpha, sp.expand(arg - alpha * zs[-1]))
        # deterministic quantities inside the integrand (scalars, overlaps) become arguments
        parts = [integrand] + (list(analytic[1:]) if analytic else [])
        extras = sorted(set().union(*[x.atoms(sp.Indexed) for x in parts]), key=str)
        es = [sp.Symbol(f"e{i}", real=True) for i in range(len(extras))]
        sub = dict(zip(extras, es))
        integrand = integrand.xreplace(sub)
        if analytic:
            analytic = (analytic[0], analytic[1].xreplace(sub), analytic[2].xreplace(sub))
        free = set().union(*[x.free_symbols for x in [integrand] + (list(analytic[1:]) if analytic else [])])
        params = sorted(free - set(zs) - set(es), key=str)
        key = hashlib.sha256((sp.srepr(integrand) + repr(analytic and
                              (analytic[0], sp.srepr(analytic[1]), sp.srepr(analytic[2])))).encode()
                             ).hexdigest()[:10]
        name = f"quad{len(zs)}_{key}"
        self.quadratures[name] = Quadrature(name, len(zs), integrand, len(es), analytic,
                                            tuple(str(p) for p in params))
        args = [self.leaf_cov(leaves[i], leaves[j])
                for i in range(len(leaves)) for j in range(i, len(leaves))]
        return sp.Function(name)(*args, *extras, *params)

    # ------------------------------------------------------------------ term
    def term(self, raw: RawTerm) -> Term | None:
        value, rest = self.masks(list(raw.factors))
        for g in self.groups(rest):
            value *= self.group_value(g)
            if value == 0:
                return None
        coef = raw.coef * value
        if coef == 0:
            return None
        display = raw.coef * (E(sp.Mul(*raw.factors)) if raw.factors else sp.S.One)
        return Term(coef, raw.sums, display)
