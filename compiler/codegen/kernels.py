"""Equation IR → the text of a Python module of ``@numba.njit(cache=True)`` kernels.

The module holds, as globals that refer to each other (Numba can cache only
functions that live in files, and a jitted function passed as an argument
defeats the cache):

* one small function per term (its sum loops and atom calls) and per block;
* ``rhs(t, y, P, dy)`` and ``observables(t, y, P, out)``;
* quadrature atoms and Bernoulli-mask helpers the IR asks for;
* ``init_scalars(P, y)`` and ``vector_scales(P, out)`` for initial conditions;
* the integrators of ``templates/integrators.py``.

Every identifier is produced here — parameters become ``p_<name>``, indices
``i_<name>``, state arrays ``S_<name>`` — so user text never reaches the
generated code except as names that already matched ``[A-Za-z_][A-Za-z0-9_]*``.
"""
from __future__ import annotations

from pathlib import Path

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.pycode import PythonCodePrinter

from statc.compiler.gaussian import gaussian_atoms
from .quadrature import emit_arg_quadrature, emit_leaf_quadrature
from statc.compiler.ir.equation_ir import ArgQuadrature, EquationIR, StateBlock, Term
from statc.compiler.ir.symbols import Relu, Sgn, Step

_TEMPLATES = Path(__file__).with_name("templates")

#: coefficient text per generated term function (see ``_Writer.term_functions``)
CHUNK_CHARS = 20_000


class KernelPrinter(PythonCodePrinter):
    """Prints IR expressions as Numba-friendly Python."""

    def __init__(self, params: set[str]):
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self.params = params

    def _print_Symbol(self, s):
        if s.name in self.params:
            return f"p_{s.name}"
        if s.name[:1] in ("z", "e") and s.name[1:].isdigit():
            return s.name
        if s.name.startswith("v_"):
            return s.name                  # temporaries of the adjoint kernels
        if s.name.startswith("m") and s.name[1:].isdigit() and not s.is_integer:
            return f"mean_{s.name[1:]}"
        return f"i_{s.name}"

    def _print_Indexed(self, e):
        return f"{e.base.label}[{', '.join(self._index(i) for i in e.indices)}]"

    def _index(self, i):
        """Array indices are integers: ``0``, ``i_k``, ``i_k + 1``."""
        if i.is_Integer:
            return str(int(i))
        if i.is_Add:
            return " + ".join(self._index(a) for a in i.args)
        return self._print(i)

    def _print_KroneckerDelta(self, e):
        a, b = e.args
        return f"(1.0 if {self._index(a)} == {self._index(b)} else 0.0)"

    def _print_Step(self, e):
        return f"(1.0 if {self._print(e.args[0])} > 0.0 else 0.0)"

    def _print_Relu(self, e):
        return f"max({self._print(e.args[0])}, 0.0)"

    def _print_Sgn(self, e):
        x = self._print(e.args[0])
        return f"(1.0 if {x} > 0.0 else (-1.0 if {x} < 0.0 else 0.0))"

    def _print_Function(self, e):
        if isinstance(e, AppliedUndef):
            return f"{e.func.__name__}({', '.join(self._print(a) for a in e.args)})"
        return super()._print_Function(e)

    def _print_Rational(self, e):
        return f"({e.p}.0/{e.q}.0)"

    def _print_Integer(self, e):
        return f"{e.p}.0" if abs(e.p) < 2**53 else super()._print_Integer(e)

    def _print_Pow(self, e, rational=False):
        b, x = e.args
        if x.is_Integer and 0 < int(x) <= 4:
            base = self.parenthesize(b, 1000)
            return "(" + "*".join([base] * int(x)) + ")"   # safe after `/`
        if x == sp.Rational(1, 2):
            return f"math.sqrt({self._print(b)})"
        if x == -1:
            return f"(1.0/{self.parenthesize(b, 1000)})"
        return f"{self.parenthesize(b, 1000)}**{self.parenthesize(x, 1000)}"


def _exchangeable_pair(t: Term) -> tuple[int, int] | None:
    """Two sums of equal range under whose exchange the term is invariant, if any.

    The displayed term (coefficient × E[product]) is canonical in SymPy, so
    the test is exact; the generated loop then runs over j1 <= j2 only.
    """
    for p in range(len(t.sums)):
        for q in range(p + 1, len(t.sums)):
            (j1, n1), (j2, n2) = t.sums[p], t.sums[q]
            if n1 == n2 and t.display.xreplace({j1: j2, j2: j1}) == t.display:
                return p, q
    return None


class _Writer:
    def __init__(self, eq: EquationIR):
        self.eq = eq
        self.printer = KernelPrinter(set(eq.params))
        self.lines: list[str] = []
        self.arrays = [b.array.label.name for b in eq.blocks]
        self.param_index = {p: i for i, p in enumerate(eq.params)}

    def code(self, e: sp.Expr) -> str:
        s = self.printer.doprint(e)
        return s

    def emit(self, text: str = "") -> None:
        self.lines.append(text)

    # ---------------------------------------------------------- prologue
    def header(self) -> None:
        used = set()
        for b in self.eq.blocks:
            for t in b.terms:
                used |= {f.func.__name__ for f in t.coef.atoms(AppliedUndef)}
        for o in self.eq.observables:
            for terms in o.means:
                for t in terms:
                    used |= {f.func.__name__ for f in t.coef.atoms(AppliedUndef)}
        closed = sorted(n for n in used if n in gaussian_atoms.ATOM_NAMES.values())
        self.emit('"""Kernels generated by statc for model %r — do not edit."""' % self.eq.model)
        self.emit("import math")
        self.emit("import numpy as np")
        self.emit("from numba import njit")
        if closed:
            self.emit(f"from statc.compiler.gaussian_atoms import {', '.join(closed)}")
        self.emit()
        self.emit(f"PARAMS = {self.eq.params!r}")
        self.emit(f"IR_DIGEST = {self.eq.digest()!r}")
        self.emit()

    def unpack_params(self, indent: str, needed: set[str]) -> None:
        for p in self.eq.params:
            if p in needed:
                self.emit(f"{indent}p_{p} = P[{self.param_index[p]}]")

    def sizes(self, indent: str) -> None:
        for p in self.eq.int_params:
            self.emit(f"{indent}n_{p} = int(P[{self.param_index[p]}] + 0.5)")

    def size_code(self, size: sp.Expr) -> str:
        if size.is_Integer:
            return str(int(size))
        return f"n_{size.name}"

    # ------------------------------------------------------------- helpers
    def helpers(self) -> None:
        for n in sorted(self.eq.mask_arities):
            args = [f"a{i}" for i in range(n)]
            self.emit("@njit(cache=True)")
            self.emit(f"def bern_nd{n}(p, {', '.join(args)}):")
            self.emit("    d = 1")
            for i in range(1, n):
                cond = " and ".join(f"a{i} != a{j}" for j in range(i))
                self.emit(f"    if {cond}:")
                self.emit("        d += 1")
            self.emit("    return p ** d")
            self.emit()
        for q in self.eq.quadratures.values():
            if isinstance(q, ArgQuadrature):
                emit_arg_quadrature(self, q)
            else:
                emit_leaf_quadrature(self, q)

    # ---------------------------------------------------------------- terms
    def sum_loops(self, t: Term, indent: str = "    ") -> tuple[str, str | None]:
        """Emit the loops over a term's sums; return the body indent and the pair factor.

        A term symmetric in two sums visits each unordered pair once (j2 from j1),
        weighted by the factor ``(1.0 if j1 == j2 else 2.0)``.
        """
        pair = _exchangeable_pair(t)
        for n, (j, size) in enumerate(t.sums):
            lo = f"i_{t.sums[pair[0]][0].name}" if pair and n == pair[1] else "0"
            self.emit(f"{indent}for i_{j.name} in range({lo}, {self.size_code(size)}):")
            indent += "    "
        if not pair:
            return indent, None
        a, b = (f"i_{t.sums[i][0].name}" for i in pair)
        return indent, f"(1.0 if {a} == {b} else 2.0)"

    def entry_loops(self, b: StateBlock) -> tuple[str, list[str]]:
        """Emit the loops over a block's entries (upper triangle if symmetric)."""
        idx = [f"i_{s.name}" for s in b.indices]
        indent = "    "
        for k, (s, size) in enumerate(zip(idx, b.sizes)):
            lo = idx[0] if (b.symmetric and k == 1) else "0"
            self.emit(f"{indent}for {s} in range({lo}, {self.size_code(size)}):")
            indent += "    "
        return indent, idx

    @staticmethod
    def term_guard(t: Term, idx: list[str]) -> str | None:
        """The condition on the entry under which a term applies, if any."""
        if t.where is not None:
            return " and ".join(f"{i} == {v}" for i, v in zip(idx, t.where))
        if t.diagonal is not None:
            return f"{idx[0]} {'==' if t.diagonal else '!='} {idx[1]}"
        return None

    def term_loops(self, t: Term, idx: list[str]) -> tuple[str, str | None]:
        """Emit a term's guard on the entry and its sum loops; return as :meth:`sum_loops`."""
        indent = "    "
        cond = self.term_guard(t, idx)
        if cond is not None:
            self.emit(f"{indent}if {cond}:")
            indent += "    "
        return self.sum_loops(t, indent)

    def term_body(self, t: Term, idx: list[str], tag: str) -> None:
        """Emit ``acc += term`` (its guard, sum loops and common subexpressions)."""
        indent, factor = self.term_loops(t, idx)
        # long coefficients (tilted covariances, shifted atoms) repeat subexpressions:
        # computed once, they also keep the code Numba compiles small
        repl, (coef,) = sp.cse([t.coef], symbols=sp.numbered_symbols(f"v_{tag}_"), optimizations=None)
        for sym, e in repl:
            self.emit(f"{indent}{sym.name} = {self.code(e)}")
        value = self.code(coef)
        self.emit(f"{indent}acc += {factor} * ({value})" if factor else f"{indent}acc += {value}")

    def chunked(self, prefix: str, terms: list[Term], args: list[str], body,
                options: str = "cache=True", result: str | None = "acc",
                budget: int = CHUNK_CHARS) -> list[str]:
        """Emit ``terms`` as a few functions of ``args``; return their names.

        Each function holds the code of several terms (``body(term, n)`` emits one,
        adding to ``result`` if given), up to ``CHUNK_CHARS`` of coefficient text:
        Numba's cost per function is large, and LLVM's on one huge function
        superlinear (a block of hundreds of long terms inlined into its loop took
        minutes and gigabytes).  A block that fits one chunk is inlined into the
        block loop, where a call per entry would cost more than the terms.
        A term reads the parameters in its coefficient and its sums' bounds.
        """
        chunks: list[list[int]] = [[]]
        size = 0
        for n, t in enumerate(terms):
            cost = len(str(t.coef))
            if chunks[-1] and size + cost > budget:
                chunks.append([])
                size = 0
            chunks[-1].append(n)
            size += cost
        names = []
        for c, members in enumerate(chunks):
            if not members:
                continue
            name = f"{prefix}_{c}"
            self.emit(f'@njit({options}, inline="always")' if len(chunks) == 1 else f"@njit({options})")
            self.emit(f"def {name}({', '.join(args)}):")
            needed = set()
            for n in members:
                needed |= {x.name for x in terms[n].coef.free_symbols}
                needed |= {x.name for _, size in terms[n].sums for x in size.free_symbols}
            self.unpack_params("    ", needed)
            self.sizes("    ")
            if result:
                self.emit(f"    {result} = 0.0")
            for n in members:
                body(terms[n], n)
            self.emit(f"    return {result or ''}".rstrip())
            self.emit()
            names.append(name)
        return names

    def term_functions(self, prefix: str, terms: list[Term], free: tuple[sp.Symbol, ...]) -> list[str]:
        """The forward terms, chunked (see :meth:`chunked`); each chunk returns its sum."""
        idx = [f"i_{s.name}" for s in free]
        return self.chunked(prefix, terms, idx + ["P"] + self.arrays,
                            lambda t, n: self.term_body(t, idx, str(n)))

    def block_function(self, b: StateBlock) -> str:
        fname = f"_block_{b.name}"
        tnames = self.term_functions(f"_terms_{b.name}", b.terms, b.indices)
        self.emit("@njit(cache=True)")
        self.emit(f"def {fname}(P, {', '.join(self.arrays)}, d):")
        self.sizes("    ")
        indent, idx = self.entry_loops(b)
        self.emit(f"{indent}acc = 0.0")
        for tn in tnames:
            self.emit(f"{indent}acc += {tn}({', '.join(idx)}, P, {', '.join(self.arrays)})")
        self.emit(f"{indent}d[{', '.join(idx)}] = acc")
        if b.symmetric:
            self.emit(f"{indent}d[{', '.join(reversed(idx))}] = acc")
        self.emit()
        return fname

    def views(self, src: str, prefix: str) -> None:
        self.emit("    o = 0")
        for b in self.eq.blocks:
            shape = ", ".join(self.size_code(s) for s in b.sizes)
            count = " * ".join(self.size_code(s) for s in b.sizes)
            self.emit(f"    {prefix}{b.array.label.name} = {src}[o:o + {count}].reshape(({shape},))")
            self.emit(f"    o += {count}")

    def rhs(self) -> None:
        fnames = {b.name: self.block_function(b) for b in self.eq.blocks if b.evolves}
        self.emit("@njit(cache=True)")
        self.emit("def rhs(t, y, P, dy):")
        self.sizes("    ")
        self.views("y", "")
        self.emit("    o = 0")
        for b in self.eq.blocks:
            count = " * ".join(self.size_code(s) for s in b.sizes)
            shape = ", ".join(self.size_code(s) for s in b.sizes)
            if b.evolves:
                self.emit(f"    {fnames[b.name]}(P, {', '.join(self.arrays)}, "
                          f"dy[o:o + {count}].reshape(({shape},)))")
            else:
                self.emit(f"    dy[o:o + {count}] = 0.0")
            self.emit(f"    o += {count}")
        self.emit()

    def observables(self) -> None:
        calls = []
        for k, o in enumerate(self.eq.observables):
            mean_names = []
            for j, terms in enumerate(o.means):
                tnames = self.term_functions(f"_obs_{k}_{j}", terms, ())
                mn = f"_mean_{k}_{j}"
                self.emit("@njit(cache=True)")
                self.emit(f"def {mn}(P, {', '.join(self.arrays)}):")
                self.emit("    acc = 0.0")
                for tn in tnames:
                    self.emit(f"    acc += {tn}(P, {', '.join(self.arrays)})")
                self.emit("    return acc")
                self.emit()
                mean_names.append(mn)
            calls.append((o, mean_names))
        self.emit("@njit(cache=True)")
        self.emit("def observables(t, y, P, out):")
        self.sizes("    ")
        self.views("y", "")
        for k, (o, mean_names) in enumerate(calls):
            for j, mn in enumerate(mean_names):
                self.emit(f"    mean_{j} = {mn}(P, {', '.join(self.arrays)})")
            needed = {s.name for s in o.expr.free_symbols}
            self.unpack_params("    ", needed)
            self.emit(f"    out[{k}] = {self.code(o.expr)}")
        self.emit()

    def inits(self) -> None:
        self.emit("def vector_scales(P):")
        self.emit('    """Entry standard deviation of each vector family at t = 0."""')
        self.emit("    out = {}")
        for v in self.eq.vectors:
            needed = {s.name for s in v.scale.free_symbols}
            self.unpack_params("    ", needed)
            scale = "0.0" if v.dist == "zeros" else self.code(v.scale)
            self.emit(f"    out[{v.name!r}] = float({scale})")
        self.emit("    return out")
        self.emit()
        self.emit("def scalar_inits(P):")
        self.emit('    """Initial value of each scalar family, as lists."""')
        self.sizes("    ")
        self.emit("    out = {}")
        for s in self.eq.scalars:
            needed = {x.name for x in s.value.free_symbols}
            self.unpack_params("    ", needed)
            self.emit(f"    out[{s.name!r}] = [float({self.code(s.value)}) for i_{s.index.name} "
                      f"in range({self.size_code(s.size)})]")
        self.emit("    return out")
        self.emit()

    def module(self) -> str:
        self.header()
        self.helpers()
        self.rhs()
        self.observables()
        self.inits()
        from .adjoint import AdjointWriter
        AdjointWriter(self).module_part()
        self.emit((_TEMPLATES / "integrators.py").read_text())
        self.emit((_TEMPLATES / "adjoint.py").read_text())
        return "\n".join(self.lines) + "\n"


def generate(eq: EquationIR) -> str:
    """The source text of the kernel module for `eq`."""
    return _Writer(eq).module()
