r"""Exact expectations of products of relu, step and linear factors.

For a centred Gaussian vector and factors of the canonical kinds ``relu``,
``step`` and ``z`` (see :mod:`statc.compiler.gaussian_atoms`), the factors on
one *argument* u multiply to u^n Θ(u) (kinked: relu = uΘ, Θ² = Θ) or u^n
(linear).  Every such atom is therefore

.. math::  A(C) = E\Big[\prod_{i \in K} u_i^{n_i}\Theta(u_i) \prod_{j \in L} u_j^{n_j}\Big],
           \qquad u \sim N(0, C),

a :class:`~statc.compiler.equation_ir.KinkAtom` with signature
((kinked, n) per argument).  It is evaluated exactly by **Stein's lemma**,
:math:`E[u_i F(u)] = \sum_k C_{ik} E[\partial_k F(u)]`, with

.. math::  \partial_k\big(u_k^{n}\Theta(u_k)\big) = n\,u_k^{n-1}\Theta(u_k) + [n = 0]\,\delta(u_k),
           \qquad E[\delta(u_k) G(u)] = \frac{E[G(u) \mid u_k = 0]}{\sqrt{2\pi C_{kk}}},

and the conditional Gaussian given u_k = 0 is again centred, with covariance
C − C_{:k}C_{k:}/C_kk.  Each step lowers the total degree or the number of
arguments, and what remains are orthant probabilities of at most four
variables (:mod:`statc.compiler.orthant`: Sheppard for 2, its
inclusion–exclusion for 3, Plackett's one-dimensional integral for 4).  The
expansion is done once, in Python, at code-generation time: each signature
becomes a straight-line ``@njit`` kernel ``kink_<signature>`` of the
covariance entries (shared sub-expressions computed once).

Singular covariances: two slots with Var(u_i − u_j) = 0 symbolically are one
argument (merged before the expansion; Var(u_i + u_j) = 0 gives u_j = −u_i);
a kinked argument with C_ii = 0 at run time makes the atom 0 (Θ(0) = 0);
variables that become degenerate under conditioning follow the convention of
:mod:`statc.compiler.orthant`.

``STATC_LEGACY_KINK_QUADRATURE=1`` (test-only) turns this off: kinked atoms
then take the previous Gauss–Hermite path, and the kernel cache key changes.
"""
from __future__ import annotations

import sympy as sp

from statc.compiler.ir.equation_ir import KinkAtom
from .legacy_kink import legacy
from .orthant import DEGENERATE

#: at most this many kinked arguments (the orthant probabilities available)
MAX_KINKED = 4

_KINDS = ("relu", "step", "z")


def _same(C: sp.Matrix, i: int, j: int, sign: int) -> bool:
    """Var(u_i − sign·u_j) = 0 identically: u_j = sign·u_i."""
    return sp.expand(C[i, i] + C[j, j] - 2 * sign * C[i, j]) == 0


def signature(kinds: tuple[str, ...], C: sp.Matrix
              ) -> tuple[tuple[tuple[bool, int], ...], list[int], int] | None:
    """Merge slots on one argument: ((kinked, degree) per argument, a representative
    slot per argument, sign), or None when the kinds are not all relu/step/z, or
    there are more than :data:`MAX_KINKED` kinked arguments.  The sign is 0 when
    the product vanishes identically (Θ(u)Θ(−u))."""
    if not kinds or any(k not in _KINDS for k in kinds) or \
            not any(k in ("relu", "step") for k in kinds):
        return None
    reps: list[int] = []
    members: list[list[tuple[int, int]]] = []       # (slot, sign) per argument
    for s in range(len(kinds)):
        for a, r in enumerate(reps):
            hit = 1 if _same(C, r, s, 1) else (-1 if _same(C, r, s, -1) else 0)
            if hit:
                members[a].append((s, hit))
                break
        else:
            reps.append(s)
            members.append([(s, 1)])
    sign = 1
    args = []
    for a, group in enumerate(members):
        kinked_signs = {sg for s, sg in group if kinds[s] != "z"}
        if len(kinked_signs) > 1:
            return (), [], 0                     # Θ(u) Θ(−u) = 0
        # the argument is u = flip · u_rep, so that its kinked factors read +u
        flip = next(iter(kinked_signs)) if kinked_signs else 1
        if flip < 0:
            reps[a] = next(s for s, sg in group if sg == flip)
        degree = sum(1 for s, _ in group if kinds[s] in ("relu", "z"))
        for s, sg in group:
            if kinds[s] == "z":
                sign *= sg * flip                # a linear factor −u
        args.append((bool(kinked_signs), degree))
    if sum(k for k, _ in args) > MAX_KINKED:
        return None
    return tuple(args), reps, sign


def atom_name(args: tuple[tuple[bool, int], ...]) -> str:
    return "kink_" + "_".join(("t" if k else "l") + str(n) for k, n in args)


def value(kinds: tuple[str, ...], C: sp.Matrix, register: dict) -> sp.Expr | None:
    """E[Π f_kind_i(z_i)], z ~ N(0, C), as a call of a registered :class:`KinkAtom`,
    or None when this module does not apply (or the legacy switch is on)."""
    if legacy():
        return None
    found = signature(kinds, C)
    if found is None:
        return None
    args, reps, sign = found
    if sign == 0:
        return sp.S.Zero
    order = sorted(range(len(args)), key=lambda a: (not args[a][0], args[a][1]))
    args = tuple(args[a] for a in order)
    slots = [reps[a] for a in order]
    name = atom_name(args)
    register[name] = KinkAtom(name, args)
    p = len(args)
    cov = [C[slots[i], slots[j]] for i in range(p) for j in range(i, p)]
    return sign * sp.Function(name)(*cov)


# ------------------------------------------------------------------------ code


class _Expander:
    """Emits the Stein expansion of one signature as straight-line code."""

    def __init__(self, w, refs: list[str]):
        self.w = w
        self.refs = refs
        self.memo: dict = {}
        self.count = 0

    def var(self, prefix: str, code: str) -> str:
        key = (prefix, code)
        if key in self.memo:
            return self.memo[key]
        self.count += 1
        name = f"{prefix}{self.count}"
        self.w.emit(f"    {name} = {code}")
        self.memo[key] = name
        return name

    def condition(self, args: tuple, C: dict, k: int) -> tuple[tuple, dict, str]:
        """Condition on u_k = 0: remaining args, covariance, and 1/C_kk (0 if degenerate)."""
        ckk = C[k, k]
        iv = self.var("iv", f"1.0 / {ckk} if {ckk} > {DEGENERATE!r} * {self.refs[args[k][2]]} else 0.0")
        keep = [a for a in range(len(args)) if a != k]
        C2 = {}
        for x, a in enumerate(keep):
            for y, b in enumerate(keep[x:], start=x):
                C2[x, y] = self.var("c", f"{C[min(a, b), max(a, b)]} - {C[min(a, k), max(a, k)]}"
                                         f" * {C[min(b, k), max(b, k)]} * {iv}")
        return tuple(args[a] for a in keep), C2, iv

    def expect(self, args: tuple, C: dict) -> str:
        """E[Π ...] for args ((kinked, degree, ref index), ...) and covariance C[(i, j)], i ≤ j."""
        keep = [a for a in range(len(args)) if args[a][0] or args[a][1] > 0]
        if len(keep) < len(args):
            args = tuple(args[a] for a in keep)
            C = {(x, y): C[keep[x], keep[y]] for x in range(len(keep)) for y in range(x, len(keep))}
        if not args:
            return "1.0"
        p = len(args)
        if all(n == 0 for _, n, _ in args):
            cov = [C[i, j] for i in range(p) for j in range(i, p)]
            refs = [self.refs[r] for _, _, r in args]
            return self.var("o", f"orth{p}({', '.join(cov + refs)})")
        linear = [a for a in range(p) if not args[a][0] and args[a][1] > 0]
        i = linear[0] if linear else max(range(p), key=lambda a: args[a][1])
        # E[u_i F] with F = u_i^{n_i − 1}(Θ(u_i)) Π_{k≠i} …
        base = list(args)
        base[i] = (args[i][0], args[i][1] - 1, args[i][2])
        terms = []
        for k in range(p):
            kinked, n, _ = base[k]
            cik = C[min(i, k), max(i, k)]
            if n >= 1:
                sub = list(base)
                sub[k] = (kinked, n - 1, base[k][2])
                v = self.expect(tuple(sub), C)
                terms.append(f"{n} * {cik} * {v}" if n > 1 else f"{cik} * {v}")
            elif kinked:                                   # ∂Θ(u_k) = δ(u_k)
                rest, C2, iv = self.condition(tuple(base), C, k)
                v = self.expect(rest, C2)
                terms.append(f"{cik} * 0.3989422804014327 * math.sqrt({iv}) * {v}")
        return self.var("e", " + ".join(terms) or "0.0")


def _partitions(items: list[int]):
    """All set partitions of ``items`` (lists of groups)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _partitions(rest):
        yield [[first]] + part
        for g in range(len(part)):
            yield part[:g] + [[first] + part[g]] + part[g + 1:]


def _merged(args: tuple[tuple[bool, int], ...], groups: list[list[int]]):
    """Signature of the atom whose arguments in one group coincide, in canonical
    order, with the representative slot of each of its arguments."""
    merged = [(any(args[i][0] for i in g), sum(args[i][1] for i in g)) for g in groups]
    order = sorted(range(len(groups)), key=lambda a: (not merged[a][0], merged[a][1]))
    return tuple(merged[a] for a in order), [groups[a][0] for a in order]


def _emit_expansion(w, name: str, args: tuple[tuple[bool, int], ...]) -> None:
    """``name``(upper triangle of C): the Stein expansion, no coincidence test."""
    p = len(args)
    C = {(i, j): f"c{i}_{j}" for i in range(p) for j in range(i, p)}
    w.emit("@njit(cache=True)")
    w.emit(f"def {name}({', '.join(C[i, j] for i in range(p) for j in range(i, p))}):")
    ex = _Expander(w, [f"c{i}_{i}" for i in range(p)])
    result = ex.expect(tuple((k, n, i) for i, (k, n) in enumerate(args)), C)
    w.emit(f"    return {result}")
    w.emit()


def emit_kink_atom(w, atom: KinkAtom) -> None:
    """A ``@njit`` kernel for ``atom``, called with the upper triangle of C.

    Fields that coincide at run time (a sum index equal to a free index makes
    two rows of C bitwise equal) are merged first: the kernel tests every
    partition of the arguments, coarsest first, and calls the expansion of the
    merged signature — so that the expansion never sees exact duplicates
    (three coinciding fields would put two δ's on one variable).
    """
    done = w.__dict__.setdefault("_kink_expansions", set())
    p = len(atom.args)
    C = {(i, j): f"c{i}_{j}" for i in range(p) for j in range(i, p)}
    branches = []
    for groups in sorted(_partitions(list(range(p))), key=len):
        sig, reps = _merged(atom.args, groups)
        inner = "_x" + atom_name(sig)
        if inner not in done:
            _emit_expansion(w, inner, sig)
            done.add(inner)
        pairs = [(a, b) for g in groups for x, a in enumerate(g) for b in g[x + 1:]]
        q = len(sig)
        call = f"{inner}({', '.join(C[min(reps[i], reps[j]), max(reps[i], reps[j])] for i in range(q) for j in range(i, q))})"
        branches.append((pairs, call))
    w.emit("@njit(cache=True)")
    w.emit(f"def {atom.name}({', '.join(C[i, j] for i in range(p) for j in range(i, p))}):")
    for i, (kinked, _) in enumerate(atom.args):
        if kinked:
            w.emit(f"    if c{i}_{i} <= 0.0:")
            w.emit("        return 0.0                       # Θ(0) = 0")
    for a in range(p):
        for b in range(a + 1, p):
            # Var(u_a − u_b) = 0 up to rounding: u_a = u_b
            w.emit(f"    s{a}{b} = c{a}_{a} + c{b}_{b} - 2.0 * c{a}_{b} <= 1e-14 * (c{a}_{a} + c{b}_{b})")
    for pairs, call in branches[:-1]:
        w.emit(f"    if {' and '.join(f's{a}{b}' for a, b in pairs)}:")
        w.emit(f"        return {call}")
    w.emit(f"    return {branches[-1][1]}")
    w.emit()
