"""Equation IR: state variables, right-hand sides and observables.

Everything here is index-generic: a :class:`StateBlock` such as ``Q[k,l]``
holds a list of :class:`Term` whose coefficients are SymPy expressions in the
block's free indices, sum indices, parameters, state arrays and *atom calls*
(``erf_I3(c00, …)``, ``quad_…(…)``, ``bern_nd3(p, k, l, j)``).  Sizes such as
``K`` stay symbols, so the IR — and the compiled kernels — serve every K.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import sympy as sp


@dataclass(frozen=True)
class Term:
    """coef · Σ_{sums} — ``coef`` may call atoms and read state arrays."""

    coef: sp.Expr
    sums: tuple[tuple[sp.Symbol, sp.Expr], ...]
    display: sp.Expr                     # the same term with expectations shown as E[…]
    where: tuple[int, ...] | None = None  # only for this entry (blocks of literal size)
    diagonal: bool | None = None          # only on (True) or off (False) the diagonal a = b


@dataclass
class StateBlock:
    """A block of state variables: an overlap matrix or a scalar family."""

    name: str                            # user-facing name: Q, R, v
    kind: str                            # overlap | scalar
    families: tuple[str, ...]            # (u, w) for overlaps, (theta,) for scalars
    indices: tuple[sp.Symbol, ...]       # free index symbols (0-based)
    sizes: tuple[sp.Expr, ...]           # size symbols or Integers
    symmetric: bool
    evolves: bool
    terms: list[Term] = field(default_factory=list)
    labels: tuple[str, ...] = ()         # user index names, for display
    indexed: tuple[bool, ...] = ()       # False for a family declared without index

    @property
    def array(self) -> sp.IndexedBase:
        return sp.IndexedBase(f"S_{self.name}", real=True)


@dataclass(frozen=True)
class Quadrature:
    """A Gauss–Hermite atom: E[integrand(z)] with z ~ N(0, C), C given by entries."""

    name: str
    dim: int
    integrand: sp.Expr                   # in z0 … z{dim-1}, e0 … (extras) and parameters
    extras: int = 0                      # deterministic arguments after the covariance
    analytic: tuple | None = None        # (kind, alpha, rest): factor kind(alpha z_last + rest)
    params: tuple[str, ...] = ()         # parameter arguments, in order


@dataclass(frozen=True)
class ArgQuadrature:
    r"""A Gauss–Hermite atom over the *arguments* of the nonlinear factors.

    .. math:: E\Big[\prod_{i<q} \prod_{\kappa \in F_i} f_\kappa(u_i)
              \prod_{j<L} v_j\Big], \qquad (u, v) \sim N(m, C),

    called with the upper triangle of C over (u_0 … u_{q-1}, v_0 … v_{L-1})
    and then the q + L means.  Only the q arguments are integrated over; the
    linear factors are integrated exactly given u (a Wick sum of their
    conditional means and covariances).  Without linear factors the last
    argument is integrated in closed form when it carries a single ``g``,
    ``step`` or ``relu``.
    """

    name: str
    funcs: tuple[tuple[str, ...], ...]   # kinds applied to each argument u_i
    linear: int = 0                      # number of linear factors v_j

    @property
    def dim(self) -> int:
        return len(self.funcs)

    @property
    def analytic_last(self) -> bool:
        return self.linear == 0 and len(self.funcs[-1]) == 1 and self.funcs[-1][0] in ANALYTIC_KINDS


@dataclass(frozen=True)
class KinkAtom:
    r"""An exact kinked atom (:mod:`statc.compiler.kinked`):

    .. math:: E\Big[\prod_i u_i^{n_i} \Theta(u_i)^{[\text{kinked}_i]}\Big], \qquad u \sim N(0, C),

    called with the upper triangle of C; ``args`` holds (kinked, n_i) per argument.
    """

    name: str
    args: tuple[tuple[bool, int], ...]


#: kinds whose expectation over one Gaussian variable is closed (the last argument's)
ANALYTIC_KINDS = ("g", "step", "relu")


@dataclass
class Observable:
    name: str
    expr: sp.Expr                        # in means m0, m1 …, parameters, state arrays
    means: list[list[Term]]


@dataclass
class VectorInit:
    name: str
    size: sp.Expr
    dist: str                            # gaussian | zeros
    scale: sp.Expr


@dataclass
class ScalarInit:
    name: str
    size: sp.Expr
    index: sp.Symbol
    value: sp.Expr


@dataclass
class EquationIR:
    model: str
    params: list[str]
    int_params: list[str]
    blocks: list[StateBlock]
    observables: list[Observable]
    quadratures: dict[str, Quadrature | ArgQuadrature | KinkAtom]
    mask_arities: set[int]
    vectors: list[VectorInit]
    scalars: list[ScalarInit]
    theory: str = "online"
    _digest: str | None = field(default=None, init=False, repr=False, compare=False)

    def canonical(self) -> str:
        """A canonical text of the IR; its hash keys the kernel cache."""
        parts = [self.theory, self.model, repr(self.params), repr(self.int_params)]
        for b in self.blocks:
            parts.append(f"block {b.name} {b.kind} {b.families} {b.indices} {b.sizes} "
                         f"{b.symmetric} {b.evolves}")
            for t in b.terms:
                parts.append(sp.srepr(t.coef) + sp.srepr(sp.Tuple(*[sp.Tuple(*s) for s in t.sums]))
                             + repr(t.where) + repr(t.diagonal))
        for o in self.observables:
            parts.append(f"obs {o.name} {sp.srepr(o.expr)}")
            for terms in o.means:
                parts.extend(sp.srepr(t.coef) + repr(t.sums) for t in terms)
        for q in sorted(self.quadratures):
            qq = self.quadratures[q]
            if isinstance(qq, ArgQuadrature):
                parts.append(f"argquad {q} {qq.funcs} {qq.linear}")
                continue
            if isinstance(qq, KinkAtom):
                parts.append(f"kink {q} {qq.args}")
                continue
            parts.append(f"quad {q} {qq.dim} {sp.srepr(qq.integrand)} {qq.params} "
                         + (repr((qq.analytic[0], sp.srepr(qq.analytic[1]), sp.srepr(qq.analytic[2])))
                            if qq.analytic else ""))
        for v in self.vectors:
            parts.append(f"vec {v.name} {v.size} {v.dist} {sp.srepr(v.scale)}")
        for s in self.scalars:
            parts.append(f"scal {s.name} {s.size} {s.index} {sp.srepr(s.value)}")
        parts.append(repr(sorted(self.mask_arities)))
        return "\n".join(parts)

    def display_digest(self) -> str:
        """Hash of every term's display expression (the ``E[…]`` form ``statc show``
        prints; not part of :meth:`digest`, which hashes what the kernels compute)."""
        parts = [sp.srepr(t.display) for b in self.blocks for t in b.terms]
        parts += [sp.srepr(t.display) for o in self.observables for terms in o.means for t in terms]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    def digest(self) -> str:
        """The hash of :meth:`canonical`, computed once: the IR is not changed after
        derivation, and its text costs seconds on a large model (the DAE's ~300 terms)."""
        if self._digest is None:
            self._digest = hashlib.sha256(self.canonical().encode()).hexdigest()[:16]
        return self._digest
