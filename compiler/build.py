"""The compile pipeline: AST → (cache hit | SymPy derivation → codegen) → kernels.

The stages of each theory kind come from the registry :mod:`statc.kinds`.

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
from statc.kinds import TheoryKind, kind

from .cache import KernelCache, kernel_key, key
from .gaussian import legacy_kink


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

    @property
    def kind(self) -> TheoryKind:
        """The registry entry of this model's theory kind."""
        return kind(self.meta["theory"])


def compile_model(model: ast.Model, cache_dir=None, force: bool = False) -> Compiled:
    """Compile a parsed model, reusing the kernel cache when possible."""
    t0 = time.perf_counter()
    cm = check(model)
    theory = kind(cm.theory)
    cache = KernelCache(cache_dir)
    model_key = key("model " + fingerprint(model) + legacy_kink.cache_tag())
    meta = None if force else cache.lookup(model_key)
    timings = {"check_s": time.perf_counter() - t0}
    hit = meta is not None
    if not hit:
        t1 = time.perf_counter()
        try:
            eq = theory.resolve("derive")(cm)
            sim_source, sim_layout = theory.resolve("simulator")(cm)
        except Exception as err:
            from statc.dsl import StatcError
            if isinstance(err, StatcError):
                raise err.located(model.filename, model.source) from None
            raise
        timings["derive_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        source = theory.resolve("codegen")(eq) + "\n" + sim_source
        kkey = kernel_key(source)
        meta = theory.resolve("describe")(cm, eq)
        meta["sim"] = sim_layout
        meta["model_key"] = model_key
        cache.store(model_key, kkey, source, meta)
        meta["kernel_key"] = kkey
        timings["codegen_s"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    module = cache.load_module(meta["kernel_key"])
    timings["import_s"] = time.perf_counter() - t3
    return Compiled(cm, meta, module, hit, timings)
