"""Kernel module of a dmft model: ℓ, ℓ', ℓ'' as @njit scalar functions, its settings, and
the parallel sample-side step (compiler/dmft/sample_step.py) that calls them as globals, so
that Numba caches it on disk; the rest of the causal sweep is the generic runtime/dmft. Names are produced here
(`loss`, `dloss`, `d2loss`, `dmft_values`, parameters as `p_<name>`), never from user text.
"""
from __future__ import annotations

from ..codegen.printer import KernelPrinter
from .equations import H, VALUE_NAMES, Y, DmftEquations
from .sample_step import SAMPLE_STEP

HEADER = ["import math", "", "import numpy as np", "from numba import njit, prange", ""]


def generate(eq: DmftEquations) -> str:
    """Python source of the model's kernel module."""
    pr = KernelPrinter(set(eq.params))
    y, h = pr.doprint(Y), pr.doprint(H)
    out = [f'"""statc dmft kernels for model `{eq.model}` (generated; do not edit)."""'] + HEADER
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
    return "\n".join(out) + "\n" + SAMPLE_STEP


def registry_module(module: str, names: tuple[str, str, str]) -> str:
    """A kernel module for a hand-written loss (ℓ, ℓ', ℓ'' importable from `module`)."""
    imports = ", ".join(f"{n} as {alias}" for n, alias in zip(names, ("loss", "dloss", "d2loss")))
    return "\n".join(['"""statc dmft kernels for a registry loss (generated; do not edit)."""'] + HEADER
                     + [f"from {module} import {imports}", ""]) + SAMPLE_STEP
