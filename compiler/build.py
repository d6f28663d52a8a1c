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


class _Stages:
    """Wall and CPU seconds of each stage: ``<stage>_s`` (wall), ``<stage>_cpu_s`` (this process)."""

    def __init__(self, timings: dict):
        self.timings = timings
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def done(self, stage: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.timings[f"{stage}_s"] = wall - self.wall
        self.timings[f"{stage}_cpu_s"] = cpu - self.cpu
        self.wall, self.cpu = wall, cpu


def compile_model(model: ast.Model, cache_dir=None, force: bool = False) -> Compiled:
    """Compile a parsed model, reusing the kernel cache when possible."""
    timings: dict = {}
    clock = _Stages(timings)
    cm = check(model)
    theory = kind(cm.theory)
    cache = KernelCache(cache_dir)
    model_key = key("model " + fingerprint(model) + legacy_kink.cache_tag())
    meta = None if force else cache.lookup(model_key)
    clock.done("check")
    hit = meta is not None
    if not hit:
        try:
            eq = theory.resolve("derive")(cm)
            sim_source, sim_layout = theory.resolve("simulator")(cm)
        except Exception as err:
            from statc.dsl import StatcError
            if isinstance(err, StatcError):
                raise err.located(model.filename, model.source) from None
            raise
        clock.done("derive")
        source = theory.resolve("codegen")(eq) + "\n" + sim_source
        kkey = kernel_key(source)
        meta = theory.resolve("describe")(cm, eq)
        meta["sim"] = sim_layout
        meta["model_key"] = model_key
        cache.store(model_key, kkey, source, meta)
        meta["kernel_key"] = kkey
        clock.done("codegen")
    module = cache.load_module(meta["kernel_key"])
    clock.done("import")
    return Compiled(cm, meta, module, hit, timings)
