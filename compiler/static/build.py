"""Build (or find in the kernel cache) the generated module of a loss, and
check that the loss is convex — the replica-symmetric ERM theory of the static
kind holds for convex losses only."""
from __future__ import annotations

from types import ModuleType

import numpy as np

from statc.atomic import write_text
from statc.compiler.cache import KernelCache, kernel_key as source_key

from .codegen import generate
from .losses import Loss, loss as loss_entry


class NonConvexLoss(ValueError):
    """The loss has ℓ″ < 0 somewhere: ERM's replica-symmetric fixed point does not apply."""


def _check_convex(mod: ModuleType, loss: Loss) -> None:
    labels = (-1.0, 1.0) if loss.labels == "binary" else np.linspace(-3.0, 3.0, 7)
    for y in labels:
        for h in np.linspace(-30.0, 30.0, 601):
            d2 = mod.d2loss(float(y), float(h))
            if not d2 >= -1e-12:
                raise NonConvexLoss(
                    f"loss {loss.name!r} is not convex: d²ℓ/dh² = {d2:.3g} at y = {y:g}, h = {h:g}; "
                    "the static kind solves ERM for convex losses only")


_LOADED: dict[tuple[Loss, str], ModuleType] = {}


def load(loss: Loss | str, cache: KernelCache | None = None) -> ModuleType:
    """The compiled loss module (``prox``, ``kinks``, ``loss``, ``dloss``,
    ``d2loss``, ``channel_sums``), generated once per loss and cached on disk,
    and kept per process (the SymPy work is done once)."""
    loss = loss_entry(loss) if isinstance(loss, str) else loss
    cache = cache or KernelCache()
    memo = (loss, str(cache.root))
    if memo not in _LOADED:
        _LOADED[memo] = _build(loss, cache)
    return _LOADED[memo]


def _build(loss: Loss, cache: KernelCache) -> ModuleType:
    rule, source = generate(loss)
    kernel_key = "static_" + source_key(source)
    path = cache.module_path(kernel_key)
    if not path.exists() or path.read_text() != source:
        write_text(path, source)
    mod = cache.load_module(kernel_key)
    mod.PROX_RULE = rule
    mod.LABELS = loss.labels
    _check_convex(mod, loss)
    return mod
