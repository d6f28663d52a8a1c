"""The compile pipeline: AST → (cache hit | SymPy derivation → codegen) → kernels.

On a cache hit nothing here imports SymPy: the model is found by its AST
fingerprint and the generated module is imported from disk (Numba then
loads its own cached machine code).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import ModuleType

from statc.dsl import ast
from statc.dsl.fingerprint import fingerprint
from statc.dsl.semantics import CheckedModel, check

from . import legacy_kink
from .cache import KernelCache, key


@dataclass
class Compiled:
    """A compiled model: its checked AST, kernel module and run metadata."""

    checked: CheckedModel
    meta: dict
    module: ModuleType
    cache_hit: bool
    timings: dict = field(default_factory=dict)

    @property
    def model(self) -> ast.Model:
        return self.checked.model


def _size(s) -> str | int:
    return int(s) if s.is_Integer else str(s)


def _meta(cm: CheckedModel, eq) -> dict:
    from .equation_ir import KinkAtom
    from .show import render_latex, render_text
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


def derive(cm: CheckedModel):
    """Equation IR of a checked model (SymPy work)."""
    from .derive_online import derive_online
    from .model_ir import lower
    return derive_online(lower(cm))


def simulator(cm: CheckedModel):
    """Simulator source and buffer layout, from a fresh Model IR (not the equations)."""
    from .codegen_sim import generate_sim
    from .model_ir import lower
    return generate_sim(lower(cm))


def compile_model(model: ast.Model, cache_dir=None, force: bool = False) -> Compiled:
    """Compile a parsed model, reusing the kernel cache when possible."""
    t0 = time.perf_counter()
    cm = check(model)
    cache = KernelCache(cache_dir)
    model_key = key("model " + fingerprint(model) + legacy_kink.cache_tag())
    meta = None if force else cache.lookup(model_key)
    timings = {"check_s": time.perf_counter() - t0}
    hit = meta is not None
    if not hit:
        t1 = time.perf_counter()
        try:
            eq = derive(cm)
            sim_source, sim_layout = simulator(cm)
        except Exception as err:
            from statc.dsl import StatcError
            if isinstance(err, StatcError):
                raise err.located(model.filename, model.source) from None
            raise
        timings["derive_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        from .codegen import generate
        source = generate(eq) + "\n" + sim_source
        kernel_key = key("kernels " + eq.canonical() + "\n" + sim_source)
        meta = _meta(cm, eq)
        meta["sim"] = sim_layout
        meta["model_key"] = model_key
        cache.store(model_key, kernel_key, source, meta)
        meta["kernel_key"] = kernel_key
        timings["codegen_s"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    module = cache.load_module(meta["kernel_key"])
    timings["import_s"] = time.perf_counter() - t3
    return Compiled(cm, meta, module, hit, timings)
