"""Expectations of expanded terms: masks, Gaussian groups, atoms.

A :class:`~statc.compiler.expand.RawTerm` ``coef · Σ … Π f_i`` becomes an
Equation-IR :class:`Term` whose coefficient calls *atoms*:

1. **Bernoulli masks** r_a ∈ {0,1}: E[Π_i r_{a_i}] = p^{#distinct a_i}, evaluated
   at run time by ``bern_ndN(p, a_1, …, a_N)`` so that repeated symbolic
   indices (k = l) are counted correctly.
2. The remaining factors are split into **independent Gaussian groups**:
   fields of one input form a group (their covariance is var_x · O_ab), each
   Gaussian random scalar family another (covariance var · δ_ab).  A factor
   that mixes groups (``sign(λ + σ ξ)``) merges them.
3. Each group is **canonicalised**: every factor is written as one of the
   registered kinds of a linear form ℓ of the group's Gaussian leaves —
   ``z`` (ℓ itself), ``g`` (erf(ℓ/√2)), ``dg`` (g'(ℓ)), ``relu``, ``step`` — and
   evaluated by, in order of preference,
   * Wick/Isserlis (all factors linear: exact, as a polynomial in covariances),
   * a closed form of :mod:`statc.compiler.gaussian_atoms`,
   * Gauss–Hermite quadrature on the Cholesky factor (any other function).
"""
from __future__ import annotations

import hashlib
from typing import Callable

import sympy as sp

from statc.dsl import StatcError

from . import gaussian_atoms
from .equation_ir import Quadrature, Term
from .expand import RawTerm
from .symbols import Relu, Step

Form = tuple[tuple[sp.Indexed, sp.Expr], ...]     # linear form: ((leaf, coef), ...)

E = sp.Function("E")


def _leaves(e: sp.Expr, bases: set) -> set[sp.Indexed]:
    return {i for i in e.atoms(sp.Indexed) if i.base in bases}


def linear_form(e: sp.Expr, bases: set) -> Form | None:
    """``e`` as Σ c_i · leaf_i (homogeneous, leaf-free coefficients), or None."""
    leaves = sorted(_leaves(e, bases), key=str)
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


def rank_one(arg: sp.Expr, bases: set) -> Form | None:
    """``arg`` as −½(αᵀs)², returning α as a linear form, or None."""
    leaves = sorted(_leaves(arg, bases), key=str)
    if not leaves:
        return None
    H = [[sp.diff(arg, a, b) for b in leaves] for a in leaves]
    if any(_leaves(h, bases) for row in H for h in row):
        return None
    quad = sum(H[i][j] * leaves[i] * leaves[j] for i in range(len(leaves)) for j in range(len(leaves))) / 2
    if sp.expand(arg - quad) != 0:
        return None
    alpha = [sp.sqrt(-H[0][0])]
    if alpha[0] == 0:
        return None
    alpha += [-H[0][j] / alpha[0] for j in range(1, len(leaves))]
    if any(sp.simplify(H[i][j] + alpha[i] * alpha[j]) != 0
           for i in range(len(leaves)) for j in range(len(leaves))):
        return None
    return tuple(zip(leaves, alpha))


def _scale(form: Form, c: sp.Expr) -> Form:
    return tuple((l, c * a) for l, a in form)


def classify(f: sp.Expr, bases: set) -> list[tuple[str, Form, sp.Expr]] | None:
    """Canonical slots ``(kind, linear form, multiplier)`` of one factor, or None."""
    form = linear_form(f, bases)
    if form is not None:
        return [("z", form, sp.S.One)]
    if isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp > 0:
        inner = classify(f.base, bases)
        return None if inner is None else inner * int(f.exp)
    if not isinstance(f, sp.Function) or len(f.args) != 1:
        return None
    arg = f.args[0]
    if f.func == sp.exp:
        alpha = rank_one(arg, bases)
        return None if alpha is None else [("dg", alpha, sp.sqrt(sp.pi / 2))]
    form = linear_form(arg, bases)
    if form is None:
        return None
    if f.func == sp.erf:
        return [("g", _scale(form, sp.sqrt(2)), sp.S.One)]
    if f.func == Relu:
        return [("relu", form, sp.S.One)]
    if f.func == Step:
        return [("step", form, sp.S.One)]
    return None


def _form_key(form: Form) -> tuple:
    """Order linear forms by the families they read, then by their text."""
    return (tuple(sorted(str(l.base) for l, _ in form)), str(form))


def _matchings(items: list[int]):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for i, other in enumerate(rest):
        for m in _matchings(rest[:i] + rest[i + 1:]):
            yield [(first, other)] + m


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

    # ---------------------------------------------------------------- pieces
    def form_cov(self, f1: Form, f2: Form) -> sp.Expr:
        return sp.Add(*[a * b * self.leaf_cov(l1, l2) for l1, a in f1 for l2, b in f2])

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

    def shifted_single(self, factors: list[sp.Expr]) -> sp.Expr | None:
        """One factor f(α + ℓ) of an affine Gaussian argument (a mean shift α):
        E[Θ] = Φ(α/σ), E[relu] = αΦ(α/σ) + σφ(α/σ), E[erf] = erf(α/√(1 + 2σ²))."""
        if len(factors) != 1 or not isinstance(factors[0], (Step, Relu, sp.erf)):
            return None
        f = factors[0]
        arg = f.args[0]
        leaves = _leaves(arg, self.bases)
        alpha = arg.xreplace({l: 0 for l in leaves})
        form = linear_form(sp.expand(arg - alpha), self.bases)
        if form is None or alpha == 0:
            return None
        var = self.form_cov(form, form)
        if isinstance(f, sp.erf):
            return sp.erf(alpha / sp.sqrt(1 + 2 * var))
        sigma = sp.sqrt(var)
        cdf = (1 + sp.erf(alpha / (sp.sqrt(2) * sigma))) / 2
        if isinstance(f, Step):
            return cdf
        return alpha * cdf + sigma * sp.exp(-alpha**2 / (2 * var)) / sp.sqrt(2 * sp.pi)

    def group_value(self, factors: list[sp.Expr]) -> sp.Expr:
        shifted = self.shifted_single(factors)
        if shifted is not None:
            return shifted
        slots: list[tuple[str, Form]] = []
        mult = sp.S.One
        for f in factors:
            c = classify(f, self.bases)
            if c is None:
                return self.quadrature(factors)
            for kind, form, m in c:
                slots.append((kind, form))
                mult *= m
        # an atom E[Π f_i(z_i)] is symmetric under exchanging slots of equal kind:
        # sort them canonically so that equal terms meet and merge
        slots.sort(key=lambda s: (s[0], _form_key(s[1])))
        kinds = tuple(k for k, _ in slots)
        forms = [f for _, f in slots]
        C = sp.Matrix(len(forms), len(forms), lambda i, j: self.form_cov(forms[i], forms[j]))
        value = self.slots_value(kinds, C)
        return self.quadrature(factors) if value is None else mult * value

    def slots_value(self, kinds: tuple[str, ...], C: sp.Matrix) -> sp.Expr | None:
        """E[Π_i f_{kind_i}(z_i)], z ~ N(0, C), in closed form — or None.

        Order of preference: Wick (all linear), a registered closed form, and
        Gaussian tilting of the ``dg`` factors (Π_D √(2/π) e^{−z_D²/2} reweights
        the Gaussian: the remaining slots see C' = C_RR − C_RD (I + C_DD)^{-1} C_DR,
        with prefactor (2/π)^{|D|/2} det(I + C_DD)^{-1/2}), recursively.
        """
        p = len(kinds)
        if p == 0:
            return sp.S.One
        if all(k == "z" for k in kinds):
            return self.wick_matrix(C)
        found = gaussian_atoms.lookup(kinds)
        if found is not None:
            name, perm = found
            args = [C[perm[i], perm[j]] for i in range(p) for j in range(i, p)]
            return sp.Function(name)(*args)
        D = [i for i, k in enumerate(kinds) if k == "dg"]
        if not D:
            return None
        R = [i for i, k in enumerate(kinds) if k != "dg"]
        A = sp.eye(len(D)) + C.extract(D, D)
        pref = (2 / sp.pi) ** sp.Rational(len(D), 2) / sp.sqrt(A.det())
        if not R:
            return pref
        CRD = C.extract(R, D)
        tilted = C.extract(R, R) - CRD * A.inv() * CRD.T
        inner = self.slots_value(tuple(kinds[i] for i in R), tilted)
        return None if inner is None else pref * inner

    def wick_matrix(self, C: sp.Matrix) -> sp.Expr:
        n = C.shape[0]
        if n % 2:
            return sp.S.Zero
        return sp.Add(*[sp.Mul(*[C[i, j] for i, j in m]) for m in _matchings(list(range(n)))])

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
