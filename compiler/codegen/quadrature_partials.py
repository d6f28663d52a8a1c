r"""Exact partials of the Gauss–Hermite argument quadratures (:class:`ArgQuadrature`).

An argument quadrature is :math:`F(m, C) = E[h(w)]`, :math:`w = (u, v) \sim N(m, C)`,
with :math:`h = \Phi(u) \prod_j v_j` and :math:`\Phi(u) = \prod_i \prod_{\kappa \in F_i}
f_\kappa(u_i)`.  Differentiating under the integral (Gaussian integration by
parts, Price's theorem) its partials are expectations of the same form:

.. math::  \frac{\partial F}{\partial m_a} = E[\partial_a h], \qquad
   \frac{\partial F}{\partial c_{aa}} = \tfrac12 E[\partial_a^2 h], \qquad
   \frac{\partial F}{\partial c_{ab}} = E[\partial_a \partial_b h] \quad (a < b),

where :math:`c_{ab}` is the atom's argument for the entry (a, b) of the upper
triangle (it sets both :math:`C_{ab}` and :math:`C_{ba}`).  These hold on the
boundary of the semi-definite cone too (a zero pivot: identical arguments, a
degenerate covariance), where the score-function form
:math:`L^{-\top}E[h\xi]` would divide by zero — so one kernel serves every C.

One pass over the forward rule's nodes accumulates all of them: at a node
the derivatives of :math:`\Phi` are SymPy derivatives of the smooth canonical
kinds (:math:`g = \mathrm{erf}(u/\sqrt2)`, :math:`g' = dg`, :math:`dg' = -u\,dg`,
:math:`z' = 1`); a linear factor's derivative removes it, and what is left is
integrated exactly given u by the same Wick sum as the forward kernel,
:math:`P_S = E[\prod_{j \in S} v_j \mid u]`.  When the last argument carries a
single ``g`` and is integrated in closed form, :math:`u_q = A + B\xi` given the
other nodes, and

.. math::  E[g] = \mathrm{erf}\big(A/\sqrt{2(1+B^2)}\big), \quad
   E[g'] = \sqrt{2/\pi}\,(1+B^2)^{-1/2} e^{-A^2/(2(1+B^2))}, \quad
   E[g''] = -\frac{A}{1+B^2}\,E[g'].

Kinds with a kink (``step``, ``relu``) have distributional derivatives and are
not handled here: :func:`emit_arg_quadrature_grad` returns ``False`` and the
caller keeps central differences for them (reported in ``FD_ATOMS``).
"""
from __future__ import annotations

from itertools import combinations

import sympy as sp

from statc.compiler.gaussian.gaussian_moments import matchings
from statc.compiler.ir.equation_ir import ArgQuadrature, Quadrature

from .quadrature import (QUAD_POINTS, QUAD_POINTS_HIGH, _cholesky, _gh_table, _loops, arg_c, arg_l,
                         arg_nodes, arg_prelude, arg_rule)

_SQRT2 = sp.sqrt(2)
#: the smooth canonical kinds as SymPy functions of u (derivatives taken by SymPy)
SMOOTH_KINDS = {
    "g": lambda u: sp.erf(u / _SQRT2),
    "dg": lambda u: sp.sqrt(2 / sp.pi) * sp.exp(-u ** 2 / 2),
    "z": lambda u: u,
}


def supported(q: ArgQuadrature) -> bool:
    """Whether every factor of ``q`` is smooth (its partials are emitted exactly)."""
    return all(k in SMOOTH_KINDS for ks in q.funcs for k in ks)


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(f"v_{name}", real=True)


def _wick(S: tuple[int, ...]) -> str:
    """Code of E[Π_{j∈S} v_j | u]: Σ over even subsets T of S of Π_{S∖T} a_j Σ_matchings(T) Π G."""
    terms = []
    for size in range(0, len(S) + 1, 2):
        for T in combinations(S, size):
            rest = [f"v_a{j}" for j in S if j not in T]
            for mt in matchings(list(T)):
                terms.append(" * ".join(rest + [f"v_G{a}_{b}" for a, b in mt]) or "1.0")
    return " + ".join(terms)


def slot_partials(q: ArgQuadrature) -> list[sp.Expr]:
    """∂h/∂(each argument slot) at one node, in the atom's argument order (upper
    triangle of C, then the means), as SymPy expressions in ``v_u<i>`` (the loop
    arguments), ``v_F0..2`` (the closed-form last argument) and ``v_P<S>`` (Wick sums)."""
    nq, nl = q.dim, q.linear
    p = nq + nl
    lin = tuple(range(nq, p))
    n = nq - 1 if q.analytic_last else nq
    u = [_sym(f"u{i}") for i in range(n)]
    R = sp.Mul(*[SMOOTH_KINDS[k](u[i]) for i in range(n) for k in q.funcs[i]])
    F = [_sym(f"F{k}") for k in range(3)] if q.analytic_last else [sp.S.One] * 3
    last = nq - 1 if q.analytic_last else None

    def d1(a):
        return R * F[1] if a == last else sp.diff(R, u[a]) * F[0]

    def d2(a, b):
        if a == last and b == last:
            return R * F[2]
        if b == last:
            return sp.diff(R, u[a]) * F[1]
        if a == last:
            return sp.diff(R, u[b]) * F[1]
        return sp.diff(R, u[a], u[b]) * F[0]

    def P(S):
        return _sym("P" + "_".join(map(str, S))) if S else sp.S.One

    def without(*js):
        return tuple(j for j in lin if j not in js)

    out = []
    for a in range(p):
        for b in range(a, p):
            if b < nq:
                e = d2(a, b) * P(lin)
                out.append(e / 2 if a == b else e)
            elif a < nq:
                out.append(d1(a) * P(without(b)))
            elif a == b:
                out.append(sp.S.Zero)
            else:
                out.append(R * F[0] * P(without(a, b)))
    for a in range(p):
        out.append(d1(a) * P(lin) if a < nq else R * F[0] * P(without(a)))
    return out


def emit_arg_quadrature_grad(w, q: ArgQuadrature, gname: str, pattern: tuple[int, ...]) -> bool:
    """Emit ``gname(a0, …)``: the partials of ``q`` with respect to its distinct
    arguments (slot s carries ``a<pattern[s]>``; a distinct argument's partial
    is the sum over its slots).  ``False`` (nothing emitted) for kinked kinds."""
    if not supported(q):
        return False
    nq, nl = q.dim, q.linear
    p = nq + nl
    loops, xs, ws, npts = arg_rule(w, q)
    l = arg_l
    slots = [arg_c(i, j) for i in range(p) for j in range(i, p)] + [f"m{i}" for i in range(p)]
    n = max(pattern) + 1
    w.emit("@njit(cache=True, error_model=\"numpy\")")
    w.emit(f"def {gname}({', '.join(f'a{i}' for i in range(n))}):")
    for s, k in zip(slots, pattern):
        w.emit(f"    {s} = a{k}")
    arg_prelude(w, q, "v_G")
    exprs = slot_partials(q)
    live = [i for i, e in enumerate(exprs) if e != 0]
    for i in live:
        w.emit(f"    d{i} = 0.0")
    indent, weight = _loops(w, loops, xs, ws, npts)
    arg_nodes(w, q, indent, loops, "v_u", "v_a")
    needed = sorted({s.name for i in live for s in exprs[i].free_symbols if s.name.startswith("v_P")})
    for name in needed:
        S = tuple(int(t) for t in name[3:].split("_"))
        w.emit(f"{indent}{name} = {_wick(S)}")
    if q.analytic_last:
        last = nq - 1
        mu = " + ".join([f"{l(last, r)} * x{r}" for r in range(last)] or ["0.0"])
        w.emit(f"{indent}A = m{last} + {mu}")
        w.emit(f"{indent}s2 = 1.0 + {l(last, last)} * {l(last, last)}")
        w.emit(f"{indent}v_F0 = math.erf(A / math.sqrt(2.0 * s2))")
        w.emit(f"{indent}v_F1 = 0.7978845608028654 * math.exp(-0.5 * A * A / s2) / math.sqrt(s2)")
        w.emit(f"{indent}v_F2 = -A / s2 * v_F1")
    repl, red = sp.cse([exprs[i] for i in live], symbols=sp.numbered_symbols("v_t"),
                       optimizations=None)
    for s, e in repl:
        w.emit(f"{indent}{s.name} = {w.code(e)}")
    if loops:
        w.emit(f"{indent}wt = {weight}")
    for i, e in zip(live, red):
        w.emit(f"{indent}d{i} += {'wt * ' if loops else ''}({w.code(e)})")
    outs = []
    for k in range(n):
        parts = [f"d{i}" for i, pk in enumerate(pattern) if pk == k and i in live]
        outs.append(" + ".join(parts) or "0.0")
    w.emit(f"    return ({', '.join(outs)},)")
    w.emit()
    return True


#: functions whose derivatives are ordinary functions: a leaf integrand built of
#: these (with +, ×, powers) is differentiated under the integral exactly
SMOOTH_FUNCTIONS = (sp.exp, sp.log, sp.erf, sp.erfc, sp.tanh, sp.sinh, sp.cosh, sp.sin,
                    sp.cos, sp.atan)


def leaf_supported(q: Quadrature) -> bool:
    """Whether the integrand of the leaf quadrature ``q`` is smooth and no factor is
    integrated in closed form (kinks and ``analytic`` keep central differences)."""
    return q.analytic is None and all(isinstance(f, SMOOTH_FUNCTIONS)
                                      for f in q.integrand.atoms(sp.Function))


def leaf_slot_partials(q: Quadrature) -> list[sp.Expr]:
    r"""∂/∂(each argument slot) of :math:`E[f(z; e, p)]`, :math:`z \sim N(0, C)`, as
    integrands in ``z<i>``, ``e<k>`` and the parameters: Price's theorem
    (½∂_i²f on c_ii, ∂_i∂_jf on c_ij) for the covariance, ∂f/∂e_k and ∂f/∂p
    (plain differentiation under the integral) for the rest."""
    p = q.dim
    f = q.integrand
    z = {s.name: s for s in f.free_symbols}
    zs = [z.get(f"z{i}", sp.Symbol(f"z{i}", real=True)) for i in range(p)]
    out = []
    for i in range(p):
        for j in range(i, p):
            e = sp.diff(f, zs[i], zs[j])
            out.append(e / 2 if i == j else e)
    for name in [f"e{k}" for k in range(q.extras)] + list(q.params):
        out.append(sp.diff(f, z[name]) if name in z else sp.S.Zero)
    return out


def emit_leaf_quadrature_grad(w, q: Quadrature, gname: str, pattern: tuple[int, ...]) -> bool:
    """Emit ``gname(a0, …)``: the partials of the leaf quadrature ``q`` with respect to
    its distinct arguments, by one pass over the forward rule's nodes (see
    :func:`leaf_slot_partials`); ``False`` (nothing emitted) if not :func:`leaf_supported`."""
    if not leaf_supported(q):
        return False
    p = q.dim
    npts = QUAD_POINTS.get(p, QUAD_POINTS_HIGH)
    xs, ws = _gh_table(w, npts)
    slots = [f"c{i}{j}" for i in range(p) for j in range(i, p)]
    slots += [f"e{i}" for i in range(q.extras)] + [f"p_{s}" for s in q.params]
    n = max(pattern) + 1
    w.emit("@njit(cache=True, error_model=\"numpy\")")
    w.emit(f"def {gname}({', '.join(f'a{i}' for i in range(n))}):")
    for s, k in zip(slots, pattern):
        w.emit(f"    {s} = a{k}")
    _cholesky(w, p, p, lambda i, j: f"c{i}{j}", lambda i, j: f"l{i}{j}")
    exprs = leaf_slot_partials(q)
    live = [i for i, e in enumerate(exprs) if e != 0]
    for i in live:
        w.emit(f"    d{i} = 0.0")
    indent, weight = _loops(w, p, xs, ws, npts)
    for i in range(p):
        w.emit(f"{indent}z{i} = {' + '.join(f'l{i}{k} * x{k}' for k in range(i + 1))}")
    repl, red = sp.cse([exprs[i] for i in live], symbols=sp.numbered_symbols("v_t"),
                       optimizations=None)
    for s, e in repl:
        w.emit(f"{indent}{s.name} = {w.code(e)}")
    w.emit(f"{indent}wt = {weight}")
    for i, e in zip(live, red):
        w.emit(f"{indent}d{i} += wt * ({w.code(e)})")
    outs = [" + ".join([f"d{i}" for i, pk in enumerate(pattern) if pk == k and i in live]) or "0.0"
            for k in range(n)]
    w.emit(f"    return ({', '.join(outs)},)")
    w.emit()
    return True


def emit_quadrature_grad(w, q, gname: str, pattern: tuple[int, ...]) -> bool:
    """Exact partials of a Gauss–Hermite atom of either kind, if it has them (else ``False``)."""
    emit = {ArgQuadrature: emit_arg_quadrature_grad, Quadrature: emit_leaf_quadrature_grad}.get(type(q))
    return emit is not None and emit(w, q, gname, pattern)


def load_standalone_partials(atoms: list[ArgQuadrature | Quadrature], directory,
                             patterns: dict[str, tuple[int, ...]] | None = None):
    """A module with each atom of ``atoms`` and its ``grad_<name>`` (all slots distinct,
    or ``patterns[name]``), outside any model (tests and benchmarks)."""
    from .quadrature import _StandaloneWriter, emit_arg_quadrature, emit_leaf_quadrature, import_lines
    w = _StandaloneWriter()
    for q in atoms:
        if isinstance(q, ArgQuadrature):
            emit_arg_quadrature(w, q)
            p = q.dim + q.linear
            nargs = p * (p + 1) // 2 + p
        else:
            emit_leaf_quadrature(w, q)
            nargs = q.dim * (q.dim + 1) // 2 + q.extras + len(q.params)
        pattern = (patterns or {}).get(q.name, tuple(range(nargs)))
        if not emit_quadrature_grad(w, q, f"grad_{q.name}", pattern):
            raise ValueError(f"{q.name}: kinked factors have no exact partials here")
    return import_lines(w.lines, "statc_grads_" + "_".join(q.name for q in atoms)[:60], directory)
