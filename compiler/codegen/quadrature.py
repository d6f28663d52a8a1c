r"""Gauss–Hermite kernels for the atoms without closed form.

Two kinds of atom (``equation_ir``), both tensor Gauss–Hermite rules on a
semi-definite Cholesky factor of their covariance:

* :class:`~statc.compiler.ir.equation_ir.Quadrature` — any integrand of the
  group's Gaussian *leaves* z = L ξ;
* :class:`~statc.compiler.ir.equation_ir.ArgQuadrature` — products of canonical
  factors of q *arguments* u = m + L ξ, times L linear factors v_j, which are
  integrated exactly given u: with a_j = E[v_j | u] and G_jk = Cov(v_j, v_k | u),
  E[Π_j v_j | u] = Σ_S Π_{j∉S} a_j Σ_{matchings of S} Π G.

In both, the last variable may be integrated in closed form when it enters
through a single step, relu or erf: given the other nodes it is A + B ξ and
E_ξ[Θ] = Φ(A/B), E_ξ[relu] = AΦ(A/B) + Bφ(A/B), E_ξ[erf(α(A + Bξ))] =
erf(αA/√(1 + 2α²B²)).
"""
from __future__ import annotations

import importlib.util
from itertools import combinations
from pathlib import Path
from types import ModuleType

import numpy as np

from statc.compiler.ir.equation_ir import ArgQuadrature, KinkAtom, Quadrature
from statc.compiler.gaussian.gaussian_moments import matchings

from .printer import KernelPrinter

#: Gauss–Hermite points per dimension, by the number of dimensions summed over.
QUAD_POINTS = {1: 96, 2: 48, 3: 32, 4: 16}
QUAD_POINTS_HIGH = 8

#: the canonical factor kinds as code of a float ``u``
KIND_CODE = {
    "g": "math.erf({u} * 0.7071067811865476)",
    "dg": "(0.7978845608028654 * math.exp(-0.5 * {u} * {u}))",
    "relu": "max({u}, 0.0)",
    "step": "(1.0 if {u} > 0.0 else 0.0)",
    "z": "{u}",
}


def _gh_table(w, npts: int) -> tuple[str, str]:
    """Module-level node and weight arrays for ``npts`` points (emitted once)."""
    done = w.__dict__.setdefault("_gh_tables", set())
    xs, ws = f"_GH{npts}_X", f"_GH{npts}_W"
    if npts not in done:
        x, wt = np.polynomial.hermite_e.hermegauss(npts)
        w.emit(f"{xs} = np.array({x.tolist()!r})")
        w.emit(f"{ws} = np.array({(wt / np.sqrt(2 * np.pi)).tolist()!r})")
        done.add(npts)
    return xs, ws


def _cholesky(w, p: int, cols: int, c, l) -> None:
    """Unrolled semi-definite Cholesky: the first ``cols`` columns of L for a p×p C.

    A pivot at the rounding level of c_ii is 0: its square root would add
    noise of size √1e-16 and make the atom rough in C.
    """
    for i in range(p):
        for j in range(min(i + 1, cols)):
            s = " - ".join([c(j, i)] + [f"{l(i, k)} * {l(j, k)}" for k in range(j)])
            if i == j:
                w.emit(f"    piv = {s}")
                w.emit(f"    {l(i, i)} = math.sqrt(piv) if piv > 1e-13 * abs({c(i, i)}) else 0.0")
            else:
                w.emit(f"    {l(i, j)} = ({s}) / {l(j, j)} if {l(j, j)} > 1e-12 else 0.0")


def _closed_last(w, indent: str, kind: str) -> None:
    """F = E_ξ[kind(A + Bξ)], ξ ~ N(0, 1), for kind erf, step or relu (``A``, ``B`` already set)."""
    if kind == "erf":
        w.emit(f"{indent}F = math.erf(A / math.sqrt(1.0 + 2.0 * B * B))")
        return
    w.emit(f"{indent}if B > 1e-300:")
    w.emit(f"{indent}    cdf = 0.5 * (1.0 + math.erf(A / (B * 1.4142135623730951)))")
    if kind == "step":
        w.emit(f"{indent}    F = cdf")
        w.emit(f"{indent}else:")
        w.emit(f"{indent}    F = 1.0 if A > 0.0 else 0.0")
    else:
        w.emit(f"{indent}    F = A * cdf + B * math.exp(-0.5 * (A / B) ** 2) * 0.3989422804014327")
        w.emit(f"{indent}else:")
        w.emit(f"{indent}    F = max(A, 0.0)")


def _loops(w, loops: int, xs: str, ws: str, npts: int) -> tuple[str, str]:
    indent = "    "
    for i in range(loops):
        w.emit(f"{indent}for q{i} in range({npts}):")
        indent += "    "
        w.emit(f"{indent}x{i} = {xs}[q{i}]")
    weight = " * ".join(f"{ws}[q{k}]" for k in range(loops)) or "1.0"
    return indent, weight


def emit_leaf_quadrature(w, q: Quadrature) -> None:
    """E[integrand(z)] over z = L ξ; with ``q.analytic`` the last leaf in closed form
    (the factor kind(α z_last + r): A = α m + r, B = |α| s, m = Σ_j L_{last,j} ξ_j)."""
    p = q.dim
    loops = p - 1 if q.analytic else p
    npts = QUAD_POINTS.get(loops, QUAD_POINTS_HIGH)
    xs, ws = _gh_table(w, npts)
    cov = [f"c{i}{j}" for i in range(p) for j in range(i, p)]
    extras = [f"e{i}" for i in range(q.extras)]
    args = cov + extras + [f"p_{s}" for s in q.params]
    w.emit("@njit(cache=True)")
    w.emit(f"def {q.name}({', '.join(args)}):")
    _cholesky(w, p, p, lambda i, j: f"c{i}{j}", lambda i, j: f"l{i}{j}")
    w.emit("    acc = 0.0")
    indent, weight = _loops(w, loops, xs, ws, npts)
    for i in range(loops):
        zi = " + ".join(f"l{i}{k} * x{k}" for k in range(i + 1))
        w.emit(f"{indent}z{i} = {zi}")
    value = f"({w.code(q.integrand)})"
    if q.analytic:
        kind, alpha, rest = q.analytic
        last = p - 1
        m = " + ".join([f"l{last}{k} * x{k}" for k in range(last)] or ["0.0"])
        w.emit(f"{indent}al = {w.code(alpha)}")
        w.emit(f"{indent}A = al * ({m}) + ({w.code(rest)})")
        w.emit(f"{indent}B = abs(al) * l{last}{last}")
        _closed_last(w, indent, {"Step": "step", "Relu": "relu", "erf": "erf"}[kind])
        value = f"{value} * F"
    w.emit(f"{indent}acc += {weight} * {value}")
    w.emit("    return acc")
    w.emit()


def arg_c(i: int, j: int) -> str:
    """Code name of the covariance argument c_ij (upper triangle) of an argument quadrature."""
    return f"c{min(i, j)}_{max(i, j)}"


def arg_l(i: int, j: int) -> str:
    """Code name of the Cholesky entry L_ij."""
    return f"l{i}_{j}"


def arg_rule(w, q: ArgQuadrature) -> tuple[int, str, str, int]:
    """The node rule of ``q`` (module-level tables, emitted before the kernel): the number
    of summed dimensions (the last is dropped when integrated in closed form), the node
    and weight array names and the points per dimension."""
    loops = q.dim - 1 if q.analytic_last else q.dim
    npts = QUAD_POINTS.get(loops, QUAD_POINTS_HIGH)
    xs, ws = _gh_table(w, npts) if loops else ("", "")
    return loops, xs, ws, npts


def arg_prelude(w, q: ArgQuadrature, gprefix: str) -> None:
    """The start of a kernel body over ``q``'s arguments: the semi-definite Cholesky of C
    and the covariances ``<gprefix>a_b`` = Cov(v_a, v_b | u) of its linear factors."""
    nq, p = q.dim, q.dim + q.linear
    _cholesky(w, p, nq, arg_c, arg_l)
    for a, b in combinations(range(nq, p), 2):
        w.emit(f"    {gprefix}{a}_{b} = {' - '.join([arg_c(a, b)] + [f'{arg_l(a, r)} * {arg_l(b, r)}' for r in range(nq)])}")


def arg_nodes(w, q: ArgQuadrature, indent: str, loops: int, uprefix: str, aprefix: str) -> None:
    """At a node: the summed arguments ``<uprefix>i`` = m_i + (Lx)_i and the conditional
    means ``<aprefix>j`` = E[v_j | u] of the linear factors."""
    nq = q.dim
    for i in range(loops):
        w.emit(f"{indent}{uprefix}{i} = m{i} + {' + '.join(f'{arg_l(i, r)} * x{r}' for r in range(i + 1))}")
    for j in range(nq, nq + q.linear):
        w.emit(f"{indent}{aprefix}{j} = m{j} + {' + '.join(f'{arg_l(j, r)} * x{r}' for r in range(nq))}")


def emit_arg_quadrature(w, q: ArgQuadrature) -> None:
    """E[Π_i Π_{κ∈F_i} f_κ(u_i) · Π_j v_j], (u, v) ~ N(m, C); see the module docstring."""
    nq, nl = q.dim, q.linear
    p = nq + nl
    loops, xs, ws, npts = arg_rule(w, q)
    l = arg_l
    args = [arg_c(i, j) for i in range(p) for j in range(i, p)] + [f"m{i}" for i in range(p)]
    w.emit("@njit(cache=True)")
    w.emit(f"def {q.name}({', '.join(args)}):")
    arg_prelude(w, q, "G")
    lin = list(range(nq, p))
    w.emit("    acc = 0.0")
    indent, weight = _loops(w, loops, xs, ws, npts)
    arg_nodes(w, q, indent, loops, "u", "a")
    factors = [KIND_CODE[k].format(u=f"u{i}") for i in range(loops) for k in q.funcs[i]]
    if nl:
        terms = []
        for size in range(0, nl + 1, 2):
            for S in combinations(lin, size):
                rest = [f"a{j}" for j in lin if j not in S]
                for mt in matchings(list(S)):
                    terms.append(" * ".join(rest + [f"G{a}_{b}" for a, b in mt]) or "1.0")
        w.emit(f"{indent}P = {' + '.join(terms)}")
        factors.append("P")
    if q.analytic_last:
        last = nq - 1
        m = " + ".join([f"{l(last, r)} * x{r}" for r in range(last)] or ["0.0"])
        kind = q.funcs[last][0]
        if kind == "g":             # erf(u/√2): A, B of u/√2
            w.emit(f"{indent}A = (m{last} + {m}) * 0.7071067811865476")
            w.emit(f"{indent}B = {l(last, last)} * 0.7071067811865476")
            _closed_last(w, indent, "erf")
        else:
            w.emit(f"{indent}A = m{last} + {m}")
            w.emit(f"{indent}B = {l(last, last)}")
            _closed_last(w, indent, kind)
        factors.append("F")
    w.emit(f"{indent}acc += {weight} * {' * '.join(factors) or '1.0'}")
    w.emit("    return acc")
    w.emit()


class _StandaloneWriter:
    """The two methods the emitters need, outside a model's kernel module."""

    def __init__(self):
        self.printer = KernelPrinter(set())
        self.lines = ["import math", "import numpy as np", "from numba import njit"]

    def emit(self, text: str = "") -> None:
        self.lines.append(text)

    def code(self, e) -> str:
        return self.printer.doprint(e)


def load_standalone(atoms: list[Quadrature | ArgQuadrature | KinkAtom], directory) -> ModuleType:
    """Generate a module holding only ``atoms``, write it to ``directory`` and import it
    (tests and benchmarks of the kernels, outside any model)."""
    from statc.compiler.gaussian.kinked import emit_kink_atom
    w = _StandaloneWriter()
    w.lines.append("from statc.compiler.gaussian.orthant import orth1, orth2, orth3, orth4")
    for q in atoms:
        if isinstance(q, KinkAtom):
            emit_kink_atom(w, q)
        else:
            (emit_arg_quadrature if isinstance(q, ArgQuadrature) else emit_leaf_quadrature)(w, q)
    return import_lines(w.lines, "statc_atoms_" + "_".join(q.name for q in atoms)[:60], directory)


def import_lines(lines: list[str], name: str, directory) -> ModuleType:
    """Write ``lines`` as ``<directory>/<name>.py`` and import it (a file, so that Numba
    can cache its kernels)."""
    path = Path(directory) / f"{name}.py"
    path.write_text("\n".join(lines) + "\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
