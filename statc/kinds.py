"""The registry of theory kinds: which derivation, code generator, solver and
simulator serve a model.

The kind is chosen by the model, never by a flag: the semantic checks
(:func:`statc.dsl.semantics.check`) set ``CheckedModel.theory`` — fresh samples
every step → ``online``; later a finite data set with an iterative algorithm →
``dmft``, a minimiser or posterior → ``static``, a Bayesian network at finite
width ratio → ``kernel``.  Each stage reads only its own column:

===============  ==========================================================
column           signature
===============  ==========================================================
``derive``       ``CheckedModel -> equations`` (SymPy work, compile time)
``simulator``    ``CheckedModel -> (source, layout)``: the finite-N simulator,
                 generated from the Model IR, never from the equations
``codegen``      ``equations -> source`` of the kernel module
``describe``     ``(CheckedModel, equations) -> dict``: what the runtime needs
                 to know without SymPy (blocks, observables, ``statc show`` text)
``runner``       module with ``run``, ``parse_record``, ``write_outputs``,
                 ``options_from_model``, ``model_schedules`` (`statc run`)
``simulate``     ``(compiled, values, N, seed, times, ...) -> SimResult``
``rhs_check``    ``(compiled, values, y, ...) -> RhsReport``: the derived
                 right-hand side against a Monte Carlo of the simulator's own
                 step at one state (`statc check --rhs`; optional, "" if none)
===============  ==========================================================

Entries are ``"module:attribute"`` strings resolved on first use, so that a
cache hit imports neither SymPy nor the derivation, and no stage imports a
later one at import time.  Adding a kind is adding one entry here.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TheoryKind:
    """One theory kind: dotted references to its stage functions."""

    name: str
    summary: str
    derive: str
    simulator: str
    codegen: str
    describe: str
    runner: str
    simulate: str
    rhs_check: str = ""

    def resolve(self, column: str) -> Any:
        """The object a column names (imported on first use)."""
        ref = getattr(self, column)
        module, _, attr = ref.partition(":")
        mod = importlib.import_module(module)
        return getattr(mod, attr) if attr else mod


KINDS: dict[str, TheoryKind] = {
    "online": TheoryKind(
        name="online",
        summary="fresh sample every step: ODEs for the overlaps (order parameters)",
        derive="statc.compiler.online.derive_online:derive",
        simulator="statc.compiler.codegen.simulator:simulator",
        codegen="statc.compiler.codegen.kernels:generate",
        describe="statc.compiler.online.describe:describe",
        runner="statc.runtime.online.runner",
        simulate="statc.runtime.online.simulate:simulate",
        rhs_check="statc.runtime.online.rhs_check:check_rhs",
    ),
    "dmft": TheoryKind(
        name="dmft",
        summary="finite data set reused (GD, SGD, persistent SGD, Langevin): causal DMFT sweep",
        derive="statc.compiler.dmft.derive:derive",
        simulator="statc.compiler.dmft.describe:simulator",
        codegen="statc.compiler.dmft.codegen:generate",
        describe="statc.compiler.dmft.describe:describe",
        runner="statc.runtime.dmft.runner",
        simulate="statc.runtime.dmft.simulate:simulate_seeds",
    ),
    "static": TheoryKind(
        name="static",
        summary="end point of learning on a finite data set (ERM minimiser, Bayes-optimal): "
                "replica fixed point",
        derive="statc.compiler.static.derive:derive",
        simulator="statc.compiler.static.kind:simulator",
        codegen="statc.compiler.static.kind:generate",
        describe="statc.compiler.static.kind:describe",
        runner="statc.runtime.static.runner",
        simulate="statc.runtime.static.finite:finite_size",
    ),
    "kernel": TheoryKind(
        name="kernel",
        summary="Bayesian deep network with fixed per-layer mixing (multi-head attention) at finite "
                "width ratio: attention-path kernel renormalisation U",
        derive="statc.compiler.kernel.derive:derive",
        simulator="statc.compiler.kernel.kind:simulator",
        codegen="statc.compiler.kernel.kind:generate",
        describe="statc.compiler.kernel.kind:describe",
        runner="statc.runtime.kernel.runner",
        simulate="statc.runtime.kernel.sampler:sample",
    ),
}


def kind(name: str) -> TheoryKind:
    """The registry entry of a theory kind (a KeyError names the known kinds)."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown theory kind {name!r}; known: {', '.join(sorted(KINDS))}") from None


def theory_of(path) -> str:
    """The theory kind a `.model` file selects (parse + semantic checks, no SymPy)."""
    from statc.dsl import parse_file
    from statc.dsl.semantics import check
    return check(parse_file(path)).theory
