r"""Adjoint (reverse-mode) kernels: vector–Jacobian products of the RHS and observables.

Emitted into the same module as ``rhs`` (see ``codegen.py``):

* ``grad_<atom>(args…)`` — the tuple of an atom's partials: exact for the
  closed forms (``atom_derivatives.py``), exact for Bernoulli masks
  :math:`p^d`, exact for the Gauss–Hermite quadratures with smooth integrands
  (differentiation under the integral, ``quadrature_partials.py``), central
  differences for those with a kink or a factor integrated in closed form by
  a leaf quadrature (listed in ``FD_ATOMS`` so that callers can report it);
* ``rhs_vjp(t, y, P, lam, gy, gP)`` — adds :math:`J_y^\top\lambda` to ``gy`` and
  :math:`J_P^\top\lambda` to ``gP``, where :math:`J` is the Jacobian of
  ``rhs(t, y, P)`` as implemented (full matrices of symmetric blocks, whose
  mirrored entries are copies);
* ``obs_vjp(t, y, P, wbar, gy, gP)`` — the same for :math:`\sum_k \bar w_k\, o_k(y, P)`.

Each term's adjoint runs the forward term's loops and, per iteration, scatters
``λ·∂c/∂r`` to every state entry ``r`` the coefficient read (see
``derive_adjoint.py``).  The cost is a small multiple of one RHS evaluation,
whatever the number of state variables.
"""
from __future__ import annotations

import re

import sympy as sp

from statc.compiler.gaussian import atom_derivatives, gaussian_atoms
from statc.compiler.online.derive_adjoint import AtomCall, Partials, partials
from statc.compiler.ir.equation_ir import StateBlock, Term

from .quadrature_partials import emit_quadrature_grad

_CLOSED = set(gaussian_atoms.ATOM_NAMES.values())
_PREFIX = "v_"
#: code text per adjoint function: most terms' adjoints exceed it, so a term gets a function
#: of its own — cheaper for Numba than several per function (12 DAE terms: 16.7 s of JIT as
#: 12 functions, 23.9 s as 4)
ADJOINT_CHUNK_CHARS = 3_000


class AdjointWriter:
    """Emits the adjoint functions through a ``codegen._Writer``."""

    def __init__(self, w):
        self.w = w
        self.eq = w.eq
        self.grads: dict[tuple[str, tuple[int, ...]], str] = {}   # (atom, pattern) -> kernel name
        self.float_params = {p for p in self.eq.params if p not in self.eq.int_params}
        self.G = [f"G_{a}" for a in w.arrays]

    # ----------------------------------------------------------- atom partials
    def _note_atoms(self, pt: Partials) -> None:
        for a in pt.atoms:
            self.grads[(a.call.func.__name__, a.pattern)] = a.grad_name

    def grad_functions(self) -> list[str]:
        """Emit a gradient kernel per (atom, argument pattern); return those differenced numerically."""
        fd = []
        for (name, pattern), gname in sorted(self.grads.items()):
            q = self.eq.quadratures.get(name)
            if q is not None and emit_quadrature_grad(self.w, q, gname, pattern):
                continue                 # exact: differentiation under the integral
            n = max(pattern) + 1
            args = [f"a{i}" for i in range(n)]
            self.w.emit("@njit(cache=True, error_model=\"numpy\")")
            self.w.emit(f"def {gname}({', '.join(args)}):")
            if name in _CLOSED:
                self._closed_grad(name, pattern)
            elif re.fullmatch(r"bern_nd\d+", name) and pattern == tuple(range(n)):
                self.w.emit("    d = 1")
                for i in range(2, n):
                    cond = " and ".join(f"a{i} != a{j}" for j in range(1, i))
                    self.w.emit(f"    if {cond}:")
                    self.w.emit("        d += 1")
                zeros = ", ".join(["0.0"] * (n - 1))
                self.w.emit(f"    return (d * a0 ** (d - 1), {zeros})")
            else:
                fd.append(name)
                outs = []
                for i in range(n):
                    self.w.emit(f"    h = 1e-5 * max(1.0, abs(a{i}))")
                    up = ", ".join(f"a{p} + h" if p == i else f"a{p}" for p in pattern)
                    dn = ", ".join(f"a{p} - h" if p == i else f"a{p}" for p in pattern)
                    self.w.emit(f"    d{i} = ({name}({up}) - {name}({dn})) / (2.0 * h)")
                    outs.append(f"d{i}")
                self.w.emit(f"    return ({', '.join(outs)},)")
            self.w.emit()
        return sorted(set(fd))

    def _closed_grad(self, name: str, pattern: tuple[int, ...]) -> None:
        syms, ders = atom_derivatives.partials(name, len(pattern), pattern)
        sub = {s: sp.Symbol(f"{_PREFIX}a{i}", real=True) for i, s in enumerate(syms)}
        ders = [d.xreplace(sub) for d in ders]
        repl, red = sp.cse(ders, symbols=sp.numbered_symbols(f"{_PREFIX}x"), optimizations=None)
        for i in range(len(syms)):
            self.w.emit(f"    {_PREFIX}a{i} = a{i}")
        for s, e in repl:
            self.w.emit(f"    {s.name} = {self.w.code(e)}")
        self.w.emit(f"    return ({', '.join('float(' + self.w.code(e) + ')' for e in red)},)")

    # ------------------------------------------------------------- partials
    def _emit_partials(self, pt: Partials, indent: str, weight: str,
                       var_targets: dict | None = None) -> None:
        for step in pt.program:
            if isinstance(step[0], AtomCall):
                atom, arg_syms, value, grads = step
                if value:
                    full = ", ".join(arg_syms[p].name for p in atom.pattern)
                    self.w.emit(f"{indent}{atom.value.name} = {atom.call.func.__name__}({full})")
                if grads:
                    args = ", ".join(x.name for x in arg_syms)
                    self.w.emit(f"{indent}{', '.join(g.name for g in atom.grads)}, = {atom.grad_name}({args})")
            else:
                self.w.emit(f"{indent}{step[0].name} = {self.w.code(step[1])}")
        for target, e in pt.targets:
            value = f"{weight} * ({self.w.code(e)})"
            if isinstance(target, sp.Indexed):
                self.w.emit(f"{indent}G_{self.w.code(target)} += {value}")
            elif isinstance(target, str):
                self.w.emit(f"{indent}gP[{self.w.param_index[target]}] += {value}")
            else:
                self.w.emit(f"{indent}{var_targets[target]} = {value}")

    def _needed(self, *exprs) -> set[str]:
        out = set()
        for e in exprs:
            out |= {s.name for s in e.free_symbols}
        return out

    # ---------------------------------------------------------------- terms
    def term_body(self, t: Term, idx: list[str], n: int) -> None:
        """Emit one term's adjoint: its guard, loops, and the scatter of λ·∂c/∂r."""
        pt = partials(t.coef, self.float_params, prefix=f"{_PREFIX}{n}_")
        self._note_atoms(pt)
        indent, factor = self.w.term_loops(t, idx)
        weight = "lam"
        if factor:
            self.w.emit(f"{indent}wt = lam * {factor}")
            weight = "wt"
        self._emit_partials(pt, indent, weight)

    def terms(self, prefix: str, terms: list[Term], free: tuple[sp.Symbol, ...]) -> list[str]:
        """The adjoints of ``terms``, chunked as the forward terms are."""
        idx = [f"i_{s.name}" for s in free]
        args = idx + ["lam", "P"] + self.w.arrays + self.G + ["gP"]
        # the partials read the parameters the coefficient reads, or a subset of them
        return self.w.chunked(prefix, terms, args, lambda t, n: self.term_body(t, idx, n),
                              options='cache=True, error_model="numpy"', result=None,
                              budget=ADJOINT_CHUNK_CHARS)

    def block(self, b: StateBlock) -> str:
        fname = f"_vjp_block_{b.name}"
        tnames = self.terms(f"_vjp_terms_{b.name}", b.terms, b.indices)
        arrays = ", ".join(self.w.arrays)
        G = ", ".join(self.G)
        self.w.emit("@njit(cache=True, error_model=\"numpy\")")
        self.w.emit(f"def {fname}(P, {arrays}, lb, {G}, gP):")
        self.w.sizes("    ")
        indent, idx = self.w.entry_loops(b)
        lam = f"lb[{', '.join(idx)}]" if idx else "lb[()]"
        if b.symmetric:
            lam += f" + (lb[{', '.join(reversed(idx))}] if {idx[0]} != {idx[1]} else 0.0)"
        self.w.emit(f"{indent}lam = {lam}")
        self.w.emit(f"{indent}if lam != 0.0:")
        indent += "    "
        for tn in tnames:
            self.w.emit(f"{indent}{tn}({''.join(i + ', ' for i in idx)}lam, P, {arrays}, {G}, gP)")
        self.w.emit("    return")
        self.w.emit()
        return fname

    def rhs_vjp(self) -> None:
        fnames = {b.name: self.block(b) for b in self.eq.blocks if b.evolves}
        self.w.emit("@njit(cache=True, error_model=\"numpy\")")
        self.w.emit("def rhs_vjp(t, y, P, lam, gy, gP):")
        self.w.emit('    """gy += J_y(t, y, P)^T lam;  gP += J_P(t, y, P)^T lam."""')
        self.w.sizes("    ")
        self.w.views("y", "")
        self.w.views("gy", "G_")
        self.w.emit("    o = 0")
        for b in self.eq.blocks:
            count = " * ".join(self.w.size_code(s) for s in b.sizes)
            if b.evolves:
                self.w.emit(f"    {fnames[b.name]}(P, {', '.join(self.w.arrays)}, "
                            f"{self.w.view('lam', b)}, {', '.join(self.G)}, gP)")
            self.w.emit(f"    o += {count}")
        self.w.emit()

    def obs_vjp(self) -> None:
        arrays = ", ".join(self.w.arrays)
        G = ", ".join(self.G)
        bodies = []
        for k, o in enumerate(self.eq.observables):
            means = []
            for j, terms in enumerate(o.means):
                tnames = self.terms(f"_vjp_obs_{k}_{j}", terms, ())
                mn = f"_vjp_mean_{k}_{j}"
                self.w.emit("@njit(cache=True, error_model=\"numpy\")")
                self.w.emit(f"def {mn}(lam, P, {arrays}, {G}, gP):")
                for tn in tnames:
                    self.w.emit(f"    {tn}(lam, P, {arrays}, {G}, gP)")
                self.w.emit("    return")
                self.w.emit()
                means.append(mn)
            bodies.append((o, means))
        self.w.emit("@njit(cache=True, error_model=\"numpy\")")
        self.w.emit("def obs_vjp(t, y, P, wbar, gy, gP):")
        self.w.emit('    """gy, gP += gradients of sum_k wbar[k] * observable_k(t, y, P)."""')
        self.w.sizes("    ")
        self.w.views("y", "")
        self.w.views("gy", "G_")
        for k, (o, means) in enumerate(bodies):
            msyms = [sp.Symbol(f"m{j}", real=True) for j in range(len(means))]
            pt = partials(o.expr, self.float_params, tuple(msyms), prefix=_PREFIX)
            self._note_atoms(pt)
            self.w.emit(f"    if wbar[{k}] != 0.0:")
            for j in range(len(means)):
                self.w.emit(f"        mean_{j} = _mean_{k}_{j}(P, {arrays})")
                self.w.emit(f"        lm_{j} = 0.0")
            exprs = [o.expr] + [e for _, e in pt.targets]
            exprs += [e for s, e in pt.program if not isinstance(s, AtomCall)]
            self.w.unpack_params("        ", self._needed(*exprs))
            self._emit_partials(pt, "        ", f"wbar[{k}]",
                                {m: f"lm_{j}" for j, m in enumerate(msyms)})
            for j, mn in enumerate(means):
                self.w.emit(f"        {mn}(lm_{j}, P, {arrays}, {G}, gP)")
        self.w.emit("    return")
        self.w.emit()

    def module_part(self) -> None:
        self.rhs_vjp()
        self.obs_vjp()
        fd = self.grad_functions()
        self.w.emit(f"FD_ATOMS = {fd!r}")
        self.w.emit()
