"""What the runtime needs to know about a derived online model, as plain data.

Stored in the kernel cache beside the generated module, so that a cache hit
runs the model without SymPy: the state blocks (the layout of the flat state
vector), observables, vectors, scalars and the `statc show` renderings.
"""
from __future__ import annotations

from statc.dsl.semantics import CheckedModel
from statc.compiler.ir.equation_ir import EquationIR, KinkAtom


def _size(s) -> str | int:
    return int(s) if s.is_Integer else str(s)


def describe(cm: CheckedModel, eq: EquationIR) -> dict:
    """Plain-data summary of the Equation IR of an online model."""
    from statc.compiler.ir.show import render_latex, render_text
    roles = {n: s.role for n, s in cm.symbols.items()}
    return {
        "model": eq.model, "theory": eq.theory, "params": eq.params, "int_params": eq.int_params,
        "blocks": [{"name": b.name, "kind": b.kind, "families": list(b.families),
                    "sizes": [_size(s) for s in b.sizes], "symmetric": b.symmetric,
                    "evolves": b.evolves, "labels": list(b.labels),
                    "indexed": list(b.indexed)} for b in eq.blocks],
        "observables": [o.name for o in eq.observables],
        "vectors": [{"name": v.name, "size": _size(v.size), "role": roles.get(v.name)}
                    for v in eq.vectors],
        "scalars": [{"name": s.name, "size": _size(s.size)} for s in eq.scalars],
        "quadratures": sorted(n for n, q in eq.quadratures.items() if not isinstance(q, KinkAtom)),
        "kink_atoms": sorted(n for n, q in eq.quadratures.items() if isinstance(q, KinkAtom)),
        "show_text": render_text(eq), "show_latex": render_latex(eq),
        "ir_digest": eq.digest(),
    }
