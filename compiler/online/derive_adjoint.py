r"""Symbolic partial derivatives of IR expressions, for the adjoint kernels.

For a term coefficient :math:`c(r_1, …, r_n; p; A_1(a_1(r, p)), …)` — reads
:math:`r_j` of state arrays (``S_Q[k, j]``), parameters :math:`p` and atom
calls :math:`A_i` — the chain rule gives

.. math::  \frac{\partial c}{\partial v} = \frac{\partial c}{\partial v}\Big|_{A}
   + \sum_i \frac{\partial c}{\partial A_i} \sum_a \partial_a A_i \,
     \frac{\partial a_{i,a}}{\partial v},

where :math:`\partial_a A_i` are the atom's own partials, returned at run time
by a ``grad_<atom>`` kernel (exact for closed forms, see
``atom_derivatives.py``).  Everything stays index-generic: the read
``S_Q[i_k, i_j]`` is differentiated as one variable inside the loops of the
term, and the adjoint kernel scatters ``λ·∂c/∂r`` back to the entry it read.
The chain rule is applied in reverse mode over the common subexpressions of
the coefficient and the atoms' arguments (see :func:`partials`).
"""
from __future__ import annotations

from dataclasses import dataclass
from graphlib import TopologicalSorter

import sympy as sp
from sympy.core.function import AppliedUndef

from statc.compiler.ir.three_address import elementary


@dataclass
class AtomCall:
    """An atom call; ``grads`` are its partials with respect to its *distinct* arguments.

    Arguments that are the same expression (``relu_J2(c, c, c)``: a variable
    paired with itself) are one variable: the atom restricted to that diagonal
    is differentiated, whose partials stay finite where the full ones do not
    (ρ = 1).  ``pattern[a]`` is the distinct argument that slot ``a`` carries.
    """

    call: sp.Expr                    # the call as it appears in the IR
    value: sp.Symbol                 # its value
    grads: list[sp.Symbol]           # ∂call/∂(distinct argument)
    pattern: tuple[int, ...]

    @property
    def distinct(self) -> list[sp.Expr]:
        out: list[sp.Expr] = []
        for a, p in zip(self.call.args, self.pattern):
            if p == len(out):
                out.append(a)
        return out

    @property
    def grad_name(self) -> str:
        name = self.call.func.__name__
        if self.pattern == tuple(range(len(self.pattern))):
            return f"grad_{name}"
        return f"grad_{name}__{'_'.join(map(str, self.pattern))}"


def pattern_of(args) -> tuple[int, ...]:
    seen: dict = {}
    return tuple(seen.setdefault(a, len(seen)) for a in args)


def local_partial(node: sp.Symbol, payload: sp.Expr, d: sp.Symbol) -> sp.Expr:
    """∂payload/∂d for one elementary operation ``node = payload``, in terms of its
    operands and its own value (∂eᵃ/∂a = node, ∂a⁻¹/∂a = −node²); ``sp.diff`` for the rest."""
    args = payload.args
    if isinstance(payload, sp.Add):
        return sp.Integer(args.count(d))
    if isinstance(payload, sp.Mul) and args.count(d) == 1:
        return sp.Mul(*(a for a in args if a != d))
    if isinstance(payload, sp.Pow) and args[1].is_Number and args[0] == d:
        c = args[1]
        if c == -1:
            return -node * node
        if c.is_Integer and c > 0:
            return c * d ** (c - 1)
        return c * node / d
    if isinstance(payload, sp.exp):
        return node
    de = sp.diff(payload, d)
    if payload in de.atoms(type(payload)):
        de = de.xreplace({payload: node})
    return de


@dataclass
class Partials:
    atoms: list[AtomCall]            # calls whose value or gradient the partials use
    program: list[Step]              # in execution order; only what the targets need
    targets: list[tuple[object, sp.Expr]]   # (Indexed read | parameter name | Symbol, ∂/∂target)


def _reads(expr: sp.Expr) -> list[sp.Indexed]:
    found = {e for e in expr.atoms(sp.Indexed) if e.base.label.name.startswith("S_")}
    return sorted(found, key=sp.default_sort_key)


def partials(expr: sp.Expr, params: set[str], variables: tuple[sp.Symbol, ...] = (),
             prefix: str = "") -> Partials:
    """∂expr/∂ (each state read, each parameter in ``params``, each of ``variables``).

    Reverse mode on a straight-line program: the coefficient and the atoms'
    arguments are split into common subexpressions t_i = e_i(…), and adjoints
    are swept back, t̄_j += t̄_i ∂e_i/∂t_j, an atom passing Ā·∂_a A to its
    argument a.  Every derivative taken is of one short e_i, so the cost grows
    with the size of the expression, not with (size × number of reads).
    """
    calls = sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key)
    reads = _reads(expr)
    rsym = {r: sp.Symbol(f"{prefix}rd{n}", real=True) for n, r in enumerate(reads)}
    atoms = []
    for n, c in enumerate(calls):
        pat = pattern_of(c.args)
        atoms.append(AtomCall(c, sp.Symbol(f"{prefix}av{n}", real=True),
                              [sp.Symbol(f"{prefix}ag{n}_{a}", real=True) for a in range(max(pat) + 1)],
                              pat))
    args = [a.distinct for a in atoms]
    psyms = sorted((s for s in expr.free_symbols if s.name in params), key=lambda s: s.name)
    for a in args:
        for x in a:
            psyms.extend(s for s in x.free_symbols if s.name in params and s not in psyms)
    targets: list[tuple[object, sp.Symbol]] = [(r, rsym[r]) for r in reads]
    targets += [(s.name, s) for s in psyms]
    targets += [(v, v) for v in variables]

    # the straight-line program: temporaries, the output, the atoms' arguments and values
    flat_args = [x for a in args for x in a]
    temps, red = elementary([expr] + flat_args, sp.numbered_symbols(f"{prefix}x", real=True),
                            {**{a.call: a.value for a in atoms}, **rsym})
    nodes: dict[sp.Symbol, tuple] = {}
    for t, e in temps:
        nodes[t] = ("expr", e, e.free_symbols)
    out = sp.Symbol(f"{prefix}out", real=True)
    nodes[out] = ("expr", red[0], red[0].free_symbols)
    k = 1
    for n, (a, xs) in enumerate(zip(atoms, args)):
        arg_syms = []
        for i, _ in enumerate(xs):
            x = sp.Symbol(f"{prefix}arg{n}_{i}", real=True)
            nodes[x] = ("expr", red[k], red[k].free_symbols)
            arg_syms.append(x)
            k += 1
        nodes[a.value] = ("atom", (a, arg_syms), set(arg_syms))

    bar: dict[sp.Symbol, list[sp.Expr]] = {out: [sp.S.One]}
    leaves = {v for _, v in targets}
    sweep: list[tuple[sp.Symbol, sp.Expr]] = []
    named: dict[sp.Expr, sp.Symbol] = {}
    order = list(TopologicalSorter({n: [d for d in deps if d in nodes]
                                    for n, (_, _, deps) in nodes.items()}).static_order())
    for n, node in enumerate(reversed(order)):
        b = sp.Add(*bar.pop(node, ()))
        if b == 0:
            continue
        if node is not out and not b.is_Atom:
            if b not in named:                              # the adjoint, once
                named[b] = sp.Symbol(f"{prefix}b{n}", real=True)
                sweep.append((named[b], b))
            b = named[b]
        kind, payload, deps = nodes[node]
        if kind == "atom":
            atom, arg_syms = payload
            for g, x in zip(atom.grads, arg_syms):
                bar.setdefault(x, []).append(b * g)
            continue
        for d in deps:
            if d in nodes or d in leaves:
                de = local_partial(node, payload, d)
                if de != 0:
                    bar.setdefault(d, []).append(b * de)
    found = [(target, sp.Add(*bar.get(v, ()))) for target, v in targets]
    found = [(target, d) for target, d in found if d != 0]

    # the program: reads, the forward nodes in dependency order, the sweep — less what
    # no partial uses
    program: list[Step] = [(v, r) for r, v in rsym.items()]
    for node in order:
        if node is out or node not in nodes:
            continue
        kind, payload, _ = nodes[node]
        program.append(payload if kind == "atom" else (node, payload))
    program += sweep
    used = set().union(*(d.free_symbols for _, d in found)) if found else set()
    live: list[Step] = []
    for step in reversed(program):
        if isinstance(step[0], AtomCall):
            atom, arg_syms = step
            if atom.value in used or any(g in used for g in atom.grads):
                live.append(step)
                used.update(arg_syms)
        elif step[0] in used:
            live.append(step)
            used |= step[1].free_symbols
    live.reverse()
    return Partials([s[0] for s in live if isinstance(s[0], AtomCall)], live, found)
