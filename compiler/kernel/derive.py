"""Checked kernel model → :class:`KernelEquations`, and the derived action (ATTENTION.md §5–6).

Level structure for the declared heads H_1 … H_L: level ℓ carries U_ℓ of size
m_ℓ = H_ℓ ⋯ H_L (partial paths), level L+1 the readout overlap U_a.  The readout overlap
enters only two level actions, N_a s_{L+1} + N_L s_L; its stationarity condition is a
quadratic that SymPy solves here (positive root), and the runtime's closed form is checked
against it by the tests.
"""
from __future__ import annotations

import sympy as sp

from statc.dsl import ast
from statc.dsl.semantics import CheckedModel

from .equations import HeadSpec, KernelEquations

_FUNCS = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "tanh": sp.tanh, "erf": sp.erf,
          "abs": sp.Abs, "cos": sp.cos, "sin": sp.sin}
_BIN = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "/": lambda a, b: a / b, "^": lambda a, b: a ** b}


def lower_param_expr(e: ast.Expr) -> sp.Expr:
    """An expression of parameters (already checked) → SymPy; never evaluates text."""
    if isinstance(e, ast.Num):
        return sp.nsimplify(e.text) if "e" not in e.text.lower() else sp.Float(e.value)
    if isinstance(e, ast.Name):
        return sp.pi if e.name == "pi" else sp.Symbol(e.name, real=True)
    if isinstance(e, ast.Neg):
        return -lower_param_expr(e.operand)
    if isinstance(e, ast.BinOp):
        return _BIN[e.op](lower_param_expr(e.left), lower_param_expr(e.right))
    if isinstance(e, ast.Call) and e.func in _FUNCS:
        return _FUNCS[e.func](*(lower_param_expr(a) for a in e.args))
    raise ValueError(f"not an expression of parameters: {e!r}")     # excluded by the checks


def readout_overlap_formula() -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """U_a minimising N_a (U_a/σ_a² − ln U_a) + N_L (Tr U_L/(σ_L² U_a) + H_L ln U_a)."""
    names = ("N_L", "N_a", "H_L", "sigma_L2", "sigma_a2", "trU_L")
    sym = {n: sp.Symbol(n, positive=True) for n in names}
    Ua = sp.Symbol("U_a", positive=True)
    S = (sym["N_a"] * (Ua / sym["sigma_a2"] - sp.log(Ua))
         + sym["N_L"] * (sym["trU_L"] / (sym["sigma_L2"] * Ua) + sym["H_L"] * sp.log(Ua)))
    # U_a² ∂S/∂U_a ∝ a quadratic whose roots multiply to −σ_a² N_L Tr U_L/(N_a σ_L²) < 0:
    # exactly one root is positive for every admissible value, the one positive at any point
    roots = sp.solve(sp.diff(S, Ua), Ua)
    point = {v: 1 for v in sym.values()}
    positive = [r for r in roots if float(r.subs(point)) > 0]
    if len(positive) != 1:                                # pragma: no cover - SymPy changed
        raise RuntimeError(f"expected one positive root for U_a, got {roots}")
    return positive[0], sym


def _span(e) -> tuple[int, int, int, int]:
    s = e.span
    return (s.line, s.column, s.end_line, s.end_column)


def derive(cm: CheckedModel) -> KernelEquations:
    m = cm.model
    net = next(n for n in m.networks if n.role == "student")
    values: list[tuple[str, sp.Expr]] = []
    spans: list[tuple[str, tuple[int, int, int, int]]] = []

    def put(key: str, e: ast.Expr | None, default: float = 1.0) -> None:
        values.append((key, lower_param_expr(e) if e is not None else sp.Float(default)))
        if e is not None:
            spans.append((key, _span(e)))

    width = next((s for s in net.body if isinstance(s, ast.WidthDecl)), None)
    embed = next((s for s in net.body if isinstance(s, ast.EmbeddingDecl)), None)
    layers = [s for s in net.body if isinstance(s, ast.LayerBlock)]
    readout = next(s for s in net.body if isinstance(s, ast.ReadoutDecl))
    # widths of the representations x^(0) (the embedding's output) … x^(L) (layer L's output):
    # N_1 … N_{L+1} of the action (N_l = the length of w^(l); N_{L+1} = N_a, the readout's)
    own = [embed.width if embed is not None else None] + [layer.width for layer in layers]
    for k, e in enumerate(own, start=1):
        put(f"width_{k}", e if e is not None else width.value)
    spans.append(("readout", _span(readout)))
    put("temperature", next(o for o in m.algorithm.options if o.name == "temperature").value)
    put("var_embedding", embed.prior if embed else None)
    heads = []
    for l, layer in enumerate(layers, start=1):
        put(f"var_{l}", layer.prior)
        specs = []
        for h, head in enumerate(layer.heads, start=1):
            d = head.mixing
            matrix = d.args[0].name if d.args else ""
            spans.append((f"head_{l}_{h}", _span(d)))
            for name, value, _ in d.kwargs:
                put(f"head_{l}_{h}_{name}", value)
            specs.append(HeadSpec(head.name, d.name, matrix, tuple(n for n, _, _ in d.kwargs)))
        heads.append(tuple(specs))
    put("var_readout", readout.prior)
    if readout.token is not None:
        put("token", readout.token)
    d = m.data
    if d.file is not None:
        data = ("file", d.file)
        fs = d.file_span
        spans.append(("data_file", (fs.line, fs.column, fs.end_line, fs.end_column)))
    else:
        data = ("generator", d.generator.name)
        for name, value, _ in d.generator.kwargs:
            put(f"data_{name}", value)
        spans.append(("data_generator", _span(d.generator)))
    ua, _ = readout_overlap_formula()
    return KernelEquations(m.name, tuple(cm.param_order), tuple(heads), readout.rule, data,
                           tuple(values), tuple(spans), ua)
