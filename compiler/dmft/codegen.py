"""Kernel module of a dmft model: ℓ, ℓ', ℓ'' as @njit scalar functions, and its settings.

The module holds only what depends on the model; the causal sweep is the generic runtime
(runtime/dmft) that closes over these three functions. Names are produced here
(`loss`, `dloss`, `d2loss`, `dmft_values`, parameters as `p_<name>`), never from user text.
"""
from __future__ import annotations

from ..codegen.printer import KernelPrinter
from .equations import H, VALUE_NAMES, Y, DmftEquations


def generate(eq: DmftEquations) -> str:
    """Python source of the model's kernel module."""
    pr = KernelPrinter(set(eq.params))
    y, h = pr.doprint(Y), pr.doprint(H)
    out = [f'"""statc dmft kernels for model `{eq.model}` (generated; do not edit)."""',
           "import math", "", "from numba import njit", ""]
    for name, expr, what in (("loss", eq.loss, "ℓ(y, h)"), ("dloss", eq.dloss, "∂_h ℓ(y, h)"),
                             ("d2loss", eq.d2loss, "∂²_h ℓ(y, h)")):
        out += ["", "@njit(cache=True)", f"def {name}({y}, {h}):", f'    """{what}"""',
                f"    return float({pr.doprint(expr)})", ""]
    unpack = ", ".join(f"p_{p}" for p in eq.params)
    out += ["", "def dmft_values(P):", f'    """{", ".join(VALUE_NAMES)} from the parameter vector P."""']
    if eq.params:
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    values = dict(eq.values)
    out.append("    return {" + ", ".join(f"{k!r}: float({pr.doprint(values[k])})" for k in VALUE_NAMES) + "}")
    out += ["", "", "def teacher_values(P):", '    """Parameters of the data model."""']
    if eq.params:
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    out.append("    return {" + ", ".join(f"{k!r}: float({pr.doprint(v)})" for k, v in eq.teacher_args) + "}")
    return "\n".join(out) + "\n"
