"""The kernel kind's equation object: what the solver needs from a model.

The action itself is generic (runtime/kernel/action.py, written once for any L and H_ℓ);
a model contributes its layers (heads with their mixing type, matrix name and options),
the readout rule, the data set, and the numbers — width N, temperature T, prior variances
σ0², σ_1² … σ_L², σ_a², head options, readout token, generator settings — as SymPy
expressions of its parameters, emitted by codegen (no string evaluation at run time).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class HeadSpec:
    name: str
    mixing: str
    matrix: str                       # "" when the mixing takes none
    options: tuple[str, ...]          # option names; values under head_<l>_<h>_<option>


@dataclass(frozen=True)
class KernelEquations:
    model: str
    params: tuple[str, ...]
    layers: tuple[tuple[HeadSpec, ...], ...]
    readout: str
    data: tuple[str, str]             # ("generator", name) or ("file", path)
    values: tuple[tuple[str, sp.Expr], ...]
    spans: tuple[tuple[str, tuple[int, int, int, int]], ...]   # value key -> where it is written
    readout_overlap: sp.Expr          # U_a(N_L, N_a, H_L, σ_L², σ_a², Tr U_L), SymPy-derived
    theory: str = "kernel"

    @property
    def heads(self) -> tuple[int, ...]:
        return tuple(len(layer) for layer in self.layers)

    def canonical(self) -> str:
        lines = [f"kernel {self.model}", "params " + " ".join(self.params),
                 f"readout {self.readout}", f"data {self.data[0]} {self.data[1]!r}",
                 f"ua {sp.srepr(self.readout_overlap)}"]
        for l, layer in enumerate(self.layers):
            for h in layer:
                lines.append(f"head {l} {h.name!r} {h.mixing} {h.matrix!r} {' '.join(h.options)}")
        lines += [f"value {k} {sp.srepr(v)}" for k, v in self.values]
        return "\n".join(lines)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()[:16]
