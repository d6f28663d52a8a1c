"""The general online rule (ARCHITECTURE.md), derived from a Model IR.

Per step, each trained vector family u moves along the inputs and along
itself,

    u_a ← u_a + (1/√N) Σ_x φ_{a x} x + (1/N) ψ_a u_a,
    φ_{a x} = −lr_u ∂L/∂λ^{u x}_a,          ψ_a = −lr_u · decay_u,

and each trained scalar family θ by θ_a ← θ_a − (lr_θ/N)(∂L/∂θ_a + decay θ_a).
As N → ∞ with t = steps/N the overlaps O_ab = u_a·w_b/N obey

    dO_ab/dt = Σ_x E[φ_{a x} λ^{w x}_b + φ^w_{b x} λ^{u x}_a + var_x φ_{a x} φ^w_{b x}]
               + (ψ_a + ψ_b) O_ab,
    dθ_a/dt  = −lr_θ E[∂L/∂θ_a] − lr_θ decay_θ θ_a,

with the fields jointly Gaussian, Cov(λ^{u x}_a, λ^{w x}_b) = var_x O^{uw}_ab.
The derivative ∂L/∂λ is SymPy's; the expectations go through
:mod:`statc.compiler.gaussian.expand` and :mod:`statc.compiler.gaussian.expectation`.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, TypeVar

import sympy as sp

from statc.dsl import StatcError

from statc.compiler.ir.equation_ir import EquationIR, Observable, ScalarInit, StateBlock, Term, VectorInit
from statc.compiler.gaussian.expand import Expander, leading_order
from statc.compiler.gaussian.expectation import Expectation
from statc.compiler.ir.model_ir import Direction, ModelIR
from statc.compiler.ir.symbols import DIM, NORM, Mean, Sgn, Step
from .update_rules import Prepared, rule_for, trained

T = TypeVar("T")


def _expressions(value) -> list[sp.Basic]:
    """The SymPy expressions inside a φ (an expression) or a list of ψ directions."""
    if isinstance(value, sp.Basic):
        return [value]
    out = []
    for d in value:
        out.append(d.coef)
        if isinstance(d.index, sp.Basic):
            out.append(d.index)
        out.extend(x for s in d.sums for x in s)
    return out


def _renamed_direction(d: Direction, sub: dict) -> Direction:
    def r(x):
        return x.xreplace(sub) if isinstance(x, sp.Basic) else x
    return replace(d, coef=r(d.coef), index=r(d.index), sums=tuple((r(j), r(n)) for j, n in d.sums))


class _StateRefs:
    """The substitution of :meth:`OnlineDerivation.state_refs` as a mapping for
    ``xreplace``, answered per node as the walk meets it (no ``atoms`` pass first):
    the same replacements as the dict over ``e.atoms(Indexed)``."""

    def __init__(self, derivation: "OnlineDerivation"):
        self.derivation = derivation

    def __bool__(self) -> bool:
        return True

    def __contains__(self, node) -> bool:
        return isinstance(node, sp.Indexed) and self.derivation.state_ref(node) is not None

    def __getitem__(self, node) -> sp.Expr:
        return self.derivation.state_ref(node)

    def get(self, node, default=None):
        return self[node] if node in self else default


def _sign_as_step(e: sp.Expr) -> sp.Expr:
    """sign(z) = 2Θ(z) − 1, so that sign teachers reuse the step atoms."""
    return e.replace(lambda x: isinstance(x, Sgn), lambda x: 2 * Step(x.args[0]) - 1)


def _entries(b: StateBlock):
    """Concrete index tuples of a block with literal sizes (upper triangle if symmetric)."""
    n = [int(x) for x in b.sizes]
    if b.kind == "scalar":
        return [(a,) for a in range(n[0])]
    return [(a, c) for a in range(n[0]) for c in range(a if b.symmetric else 0, n[1])]


def canonical_dummies(t: Term) -> Term:
    """Rename sum indices by position (k_1, k_2, m_1 …) so equal terms compare equal."""
    counts: dict[str, int] = {}
    sub = {}
    sums = []
    for j, size in sorted(t.sums, key=lambda s: (s[0].name.split("_")[0], str(s[1]))):
        base = j.name.split("_")[0]
        counts[base] = counts.get(base, 0) + 1
        new = sp.Symbol(f"{base}_{counts[base]}", integer=True)
        sub[j] = new
        sums.append((new, size))
    return Term(t.coef.xreplace(sub), tuple(sums), t.display.xreplace(sub))


def merge_terms(terms: list[Term]) -> list[Term]:
    """Add up terms that differ only by a numerical factor."""
    merged: dict = {}
    for t in map(canonical_dummies, terms):
        num, rest = t.coef.as_coeff_Mul()
        dnum, drest = t.display.as_coeff_Mul()
        k = (t.sums, rest)
        if k in merged:
            n0, d0, disp = merged[k]
            merged[k] = (n0 + num, d0 + dnum, disp)
        else:
            merged[k] = (num, dnum, drest)
    out = []
    for (sums, rest), (num, dnum, drest) in merged.items():
        if num != 0:
            out.append(Term(num * rest, sums, dnum * drest))
    return out


class OnlineDerivation:
    def __init__(self, ir: ModelIR):
        self.ir = ir
        for v in ir.vectors:           # every vector meets every input
            for x in ir.inputs:
                ir.field_base(v.name, x)
        self.field_bases = set(ir.fields.values())
        gauss = {f.base for f in ir.randoms if f.dist == "gaussian"}
        self.bernoulli = {f.base: f.arg("p", sp.Rational(1, 2)) for f in ir.randoms
                          if f.dist == "bernoulli"}
        self.rademacher = {f.base: f.arg("p", sp.Rational(1, 2)) for f in ir.randoms
                           if f.dist == "rademacher"}
        for f in ir.randoms:
            if f.dist == "rademacher" and f.index is not None:
                raise StatcError(f"`{f.name}`: indexed Rademacher variables are not supported yet",
                                 hint="declare it without an index (e.g. a cluster label `c`)")
        self.gaussian_bases = self.field_bases | gauss
        self.expander = Expander(self.gaussian_bases | set(self.bernoulli))
        self.blocks = self._make_blocks()
        self.block_of = {}
        for b in self.blocks:
            if b.kind == "overlap":
                u, w = b.families
                self.block_of[(u, w)] = (b, False)
                self.block_of.setdefault((w, u), (b, True))
        self.exp = Expectation(self.leaf_group, self.leaf_cov, self.bernoulli, self.gaussian_bases)
        self._replays: dict[tuple, tuple] = {}
        self._state_refs: dict[sp.Indexed, sp.Expr | None] = {}

    # ------------------------------------------------------------ structure
    def _index_names(self) -> dict[tuple[str, str], tuple[str, ...]]:
        names = {}
        for o in self.ir.orders:
            names[(o.left, o.right)] = o.indices
        return names

    def _make_blocks(self) -> list[StateBlock]:
        ir = self.ir
        vecs = ir.vectors
        declared = {(o.left, o.right): o for o in ir.orders}
        blocks = []
        used_names = {o.name for o in ir.orders} | set(ir.families) | set(ir.params)
        for i, first in enumerate(vecs):
            for second in vecs[i:]:
                u, w = first, second
                o = declared.get((u.name, w.name))
                if o is None and (w.name, u.name) in declared:
                    o = declared[(w.name, u.name)]
                    u, w = w, u
                name = o.name if o else f"O_{u.name}_{w.name}"
                if name in used_names and o is None:
                    name = f"_{name}"
                if o is not None and len(o.indices) == 2:
                    labels = tuple(o.indices)
                else:
                    labels = (u.index or "a", w.index or "b")
                if labels[0] == labels[1]:
                    labels = (labels[0], labels[1] + "2")
                idx = tuple(sp.Symbol(n, integer=True) for n in labels)
                evolves = trained(ir, u.name) or trained(ir, w.name)
                blocks.append(StateBlock(name, "overlap", (u.name, w.name), idx, (u.size, w.size),
                                         u.name == w.name, evolves, labels=labels,
                                         indexed=(u.index is not None, w.index is not None)))
        rank = {o.name: i for i, o in enumerate(ir.orders)}
        blocks.sort(key=lambda b: rank.get(b.name, len(rank)))
        for s in ir.scalars:
            label = s.index or "a"
            blocks.append(StateBlock(s.name, "scalar", (s.name,), (sp.Symbol(label, integer=True),),
                                     (s.size,), False, trained(ir, s.name), labels=(label,),
                                     indexed=(s.index is not None,)))
        return blocks

    def overlap(self, u: str, a: sp.Expr, w: str, b: sp.Expr) -> sp.Expr:
        block, flipped = self.block_of[(u, w)]
        return block.array[b, a] if flipped else block.array[a, b]

    def leaf_group(self, leaf: sp.Indexed) -> str:
        owner = self.ir.field_owner(leaf.base)
        return f"input:{owner[1]}" if owner else f"random:{leaf.base}"

    def leaf_cov(self, l1: sp.Indexed, l2: sp.Indexed) -> sp.Expr:
        o1, o2 = self.ir.field_owner(l1.base), self.ir.field_owner(l2.base)
        if o1 and o2:
            if o1[1] != o2[1]:
                return sp.S.Zero
            return self.ir.inputs[o1[1]].var * self.overlap(o1[0], l1.indices[0], o2[0], l2.indices[0])
        if o1 or o2 or l1.base != l2.base:
            return sp.S.Zero
        fam = self.ir.families[str(l1.base)]
        return fam.arg("var", sp.S.One) * sp.KroneckerDelta(l1.indices[0], l2.indices[0])

    # ----------------------------------------------------------- derivation
    def prepared(self, e: sp.Expr) -> sp.Expr:
        return self.expander.freshen(_sign_as_step(e))

    def norm_means(self, e: sp.Expr) -> sp.Expr:
        """x_r·x_s/N → its limit var_r δ_rs (base inputs are independent; the norms
        concentrate, so inside products they are replaced by their means)."""
        if not e.has(NORM):
            return e
        names = list(self.ir.inputs)
        repl = {}
        for i in e.atoms(sp.Indexed):
            if i.base == NORM:
                r, s = (int(x) for x in i.indices)
                repl[i] = self.ir.inputs[names[r]].var if r == s else sp.S.Zero
        return e.xreplace(repl)

    def expect(self, e: sp.Expr, what: str = "a drift") -> list[Term]:
        e = self.norm_means(e)
        # ±1 labels are summed out exactly: E_c[f(c)] = p f(1) + (1 − p) f(−1)
        for base, p in self.rademacher.items():
            if e.has(base[0]):
                e = p * e.xreplace({base[0]: 1}) + (1 - p) * e.xreplace({base[0]: -1})
        # finite-N scalings (learning rates ∝ 1/N, norms of order N): keep N → ∞
        e = leading_order(e, DIM, what)
        out = []
        for raw in self.expander.terms(e):
            t = self.exp.term(raw)
            if t is not None:
                out.append(t)
        return merge_terms(out)

    def prepared_rule_input(self) -> Prepared:
        return Prepared(self.prepared(self.ir.loss_outputs),
                        {s: self.prepared(e) for s, e in self.ir.output_values().items()},
                        self.prepared)

    def replayed(self, key: tuple, a: sp.Expr, compute: Callable[[sp.Expr], T],
                 rename: Callable[[T, dict], T]) -> T:
        """``compute(a)``, or an earlier result for the same ``key`` with its names replaced.

        The per-step coefficients (φ, ψ) of one family are asked for again and again
        (each block that reads the family, the diagonal of a symmetric block), each
        time on a freshly renamed copy of the loss, and differ only by the names: the
        free index ``a`` and the fresh sum indices.  The first result is kept with the
        fresh indices it drew; a later call draws as many fresh indices, with the same
        stems and in the same order (so that the counter — hence every later name — is
        as if it had been computed), and renames the kept result.  ``xreplace`` rebuilds
        every renamed node through SymPy's constructors, so the result is in the
        canonical form that computing it afresh gives (the Equation-IR digests of every
        shipped online model are unchanged: ``tests/compiler/test_derive_digest.py``).
        Reused only when ``a`` is the same expression, or both are symbols with the
        same assumptions and the new one occurs nowhere in the kept result.
        """
        hit = self._replays.get(key)
        if hit is not None:
            a0, drawn, value, names = hit
            if a == a0 or (isinstance(a, sp.Symbol) and isinstance(a0, sp.Symbol)
                           and a.assumptions0 == a0.assumptions0 and a not in names):
                sub = {j: self.expander.fresh(j) for j in drawn}
                if a != a0:
                    sub[a0] = a
                return rename(value, sub)
        outer, self.expander.log = self.expander.log, []
        try:
            value = compute(a)
            drawn = tuple(self.expander.log)
        finally:
            self.expander.log = outer
        if outer is not None:
            outer.extend(drawn)
        names = set().union(*[x.atoms(sp.Symbol) for x in _expressions(value)])   # bound ones too
        if a not in drawn:
            self._replays[key] = (a, drawn, value, names)
        return value

    def phi(self, fam: str, inp: str, a: sp.Expr) -> sp.Expr:
        return self.replayed(("phi", fam, inp), a,
                             lambda i: self.rule.vector_step(self.ir, self.prepared_rule_input(), fam, inp, i),
                             lambda e, sub: e.xreplace(sub))

    def directions(self, u: str, a: sp.Expr) -> list[Direction]:
        """The ψ terms of the update of u_a (:meth:`update_rules.SGD.vector_along`)."""
        return self.replayed(("along", u, tuple(self.ir.overlaps)), a,
                             lambda i: self.rule.vector_along(self.ir, self.prepared_rule_input(), u, i),
                             lambda ds, sub: [_renamed_direction(d, sub) for d in ds])

    def along(self, u: str, a: sp.Expr, w: str, c: sp.Expr) -> sp.Expr:
        """Σ_(v,b) E[ψ_{a,vb}] O(v_b, w_c): the part of dO/dt from moves along vectors."""
        total = sp.S.Zero
        for d in self.directions(u, a):
            term = d.coef * self.ir.overlap_base(d.name, w)[d.index, c]
            for j, n in reversed(d.sums):
                term = sp.Sum(term, (j, 0, n - 1))
            total += term
        return total

    def _has_quadrature(self, terms: list[Term]) -> bool:
        names = set(self.exp.quadratures)
        return any(f.func.__name__ in names for t in terms
                   for f in t.coef.atoms(sp.core.function.AppliedUndef))

    def block_rhs(self, b: StateBlock, idx: tuple) -> list[Term]:
        """Terms of d(block entry idx)/dt; idx holds symbols or integers."""
        ir = self.ir
        if b.kind == "scalar":
            return self.expect(self.rule.scalar_step(ir, self.prepared_rule_input(), b.families[0], idx[0]),
                               f"the drift of `{b.name}`")
        u, w = b.families
        a, c = idx
        rhs = sp.S.Zero
        square = self.rule.square_factor(ir)
        for x, inp in ir.inputs.items():
            pu, pw = self.phi(u, x, a), self.phi(w, x, c)
            lu, lw = ir.field_base(u, x)[a], ir.field_base(w, x)[c]
            rhs += pu * lw + pw * lu + square * inp.var * pu * pw
        rhs += self.along(u, a, w, c) + self.along(w, c, u, a)
        terms = self.expect(rhs, f"the drift of `{b.name}`")
        decay = leading_order(self.rule.vector_decay(ir, u) + self.rule.vector_decay(ir, w), DIM,
                              f"the weight decay of `{b.name}`")
        if decay != 0:
            terms.append(Term(decay * b.array[a, c], (), decay * b.array[a, c]))
        return terms

    def derive(self) -> EquationIR:
        ir = self.ir
        self.rule = rule_for(ir)
        for b in self.blocks:
            if not b.evolves:
                continue
            generic = tuple(i if ir.families[f].index else sp.Integer(0)
                            for i, f in zip(b.indices, b.families))
            if all(n.is_Integer for n in b.sizes) and any(
                    int(n) > 1 or ir.families[f].index is not None for n, f in zip(b.sizes, b.families)):
                # literal sizes: one set of terms per entry, so that sums unrolled
                # inside nonlinear functions meet concrete indices (fewer Gaussian leaves)
                b.terms = []
                for entry in _entries(b):
                    where = tuple(sp.Integer(i) for i in entry)
                    b.terms += [Term(t.coef, t.sums, t.display, entry) for t in self.block_rhs(b, where)]
            else:
                b.terms = self.block_rhs(b, generic)
                if b.symmetric and self._has_quadrature(b.terms):
                    # on the diagonal the two fields coincide: derived apart, the atoms
                    # have fewer Gaussian leaves (and kinks) than with a = b at run time
                    a = generic[0]
                    b.terms = ([Term(t.coef, t.sums, t.display, None, False) for t in b.terms]
                               + [Term(t.coef, t.sums, t.display, None, True)
                                  for t in self.block_rhs(b, (a, a))])
        for name, (func, _, span) in ir.replicas.items():
            raise StatcError(f"`{func}` needs a finite training set reused over time (the dmft kind)", span,
                             hint="two-replica and two-time observables of online SGD are not supported")
        observables = [self.observable(n, e) for n, e in ir.observables.items()]
        for b in self.blocks:
            b.terms = [Term(self.state_refs(t.coef), t.sums, t.display, t.where, t.diagonal)
                       for t in b.terms]
        for o in observables:
            o.expr = self.state_refs(o.expr)
            o.means = [[Term(self.state_refs(t.coef), t.sums, t.display) for t in m] for m in o.means]
        vectors = [VectorInit(v.name, v.size, v.dist, v.arg("scale", sp.S.One)) for v in ir.vectors]
        scalars = [ScalarInit(s.name, s.size, s.index_symbol, s.init) for s in ir.scalars]
        return EquationIR(ir.name, list(ir.params), sorted(ir.int_params), self.blocks, observables,
                          dict(self.exp.quadratures), set(self.exp.mask_arities), vectors, scalars)

    def state_refs(self, e: sp.Expr) -> sp.Expr:
        """Scalars and overlaps (deterministic as N → ∞) read the state arrays."""
        return e.xreplace(_StateRefs(self))

    def state_ref(self, i: sp.Indexed) -> sp.Expr | None:
        """The state-array entry a scalar or overlap ``i`` reads, or None (memoised)."""
        if i not in self._state_refs:
            fam = self.ir.families.get(str(i.base.label))
            ref = None
            if fam is not None and fam.kind == "scalar":
                blk = next(b for b in self.blocks if b.kind == "scalar" and b.families == (fam.name,))
                ref = blk.array[i.indices[0]]
            elif i.base in self.ir.overlaps:
                u, w = self.ir.overlaps[i.base]
                ref = self.overlap(u, i.indices[0], w, i.indices[1])
            self._state_refs[i] = ref
        return self._state_refs[i]

    def observable(self, name: str, e: sp.Expr) -> Observable:
        means: list = []
        subs = {}
        for m in sorted(e.atoms(Mean), key=str):
            sym = sp.Symbol(f"m{len(means)}", real=True)
            # `given` also fixes the sample's distribution: substitute in the covariances
            terms = self.expect(self.prepared(m.args[0]), f"observable `{name}`")
            means.append([Term(t.coef.xreplace(m.given), t.sums, t.display) for t in terms])
            subs[m] = sym
        rest = e.xreplace(subs)
        return Observable(name, rest, means)


def derive_online(ir: ModelIR) -> EquationIR:
    """Derive the order-parameter ODEs of an online model."""
    return OnlineDerivation(ir).derive()


def derive(cm) -> EquationIR:
    """The online kind's ``derive`` column: checked model → Model IR → Equation IR."""
    from statc.compiler.ir.model_ir import lower
    return derive_online(lower(cm))
