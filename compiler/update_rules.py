"""Algorithm rules: the per-step update of each trained object, as data.

A rule turns the Model IR into the microscopic update coefficients of the
general online rule (ARCHITECTURE.md):

    u_a ← (1 − lr·decay/N) u_a + (1/√N) Σ_x φ_{a x} x,      θ_a ← θ_a + χ_a / N.

Both the theory (:mod:`statc.compiler.derive_online`, which takes
expectations of φ and χ) and the simulator (:mod:`statc.compiler.codegen_sim`,
which evaluates them on samples) call the same rule, so a new algorithm is a
new entry in :data:`RULES` — never a new hand-derived ODE.

**sgd**: φ_{a x} = −lr Σ_o ∂L/∂o · ∂ô/∂λ^{u x}_a, where ô is the output o with
each ``backward v -> b`` replacement applied (the backward pass may use other
weights than the forward pass: feedback alignment), and χ_a = −lr(∂L/∂θ_a +
decay·θ_a).  Without replacements the chain rule reduces to ∂L/∂λ.
**feedback_alignment** is sgd with at least one replacement (checked by the
language).  ``batch = B`` averages the update over B fresh samples: its
square (the η² term of the overlaps) is divided by B.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .model_ir import ModelIR


@dataclass(frozen=True)
class SGD:
    name: str = "sgd"

    def _chain(self, ir: ModelIR, loss_outputs: sp.Expr, values: dict, swap: dict,
               var: sp.Expr) -> sp.Expr:
        total = sp.S.Zero
        for o_sym, o_expr in values.items():
            if not loss_outputs.has(o_sym):
                continue
            outer = sp.diff(loss_outputs, o_sym).xreplace(values)
            inner = sp.diff(o_expr.xreplace(swap) if swap else o_expr, var)
            total += outer * inner
        # the loss may also depend on fields directly (not through an output)
        total += sp.diff(loss_outputs, var)
        return total

    def _swap(self, ir: ModelIR, target: str) -> dict:
        swap = {}
        for src, dst in ir.trains[target].backward:
            swap[ir.families[src].base] = ir.families[dst].base
        return swap

    def vector_step(self, ir: ModelIR, loss_outputs: sp.Expr, values: dict, vec: str, inp: str,
                    a: sp.Expr) -> sp.Expr:
        """φ_{a x}: the coefficient of x/√N in the update of u_a.

        ``values`` maps output symbols to their expressions, with sum indices
        already renamed apart from ``a`` (see ``Expander.freshen``).
        """
        tr = ir.trains.get(vec)
        if tr is None:
            return sp.S.Zero
        lam = ir.field_base(vec, inp)[a]
        return -tr.lr * self._chain(ir, loss_outputs, values, self._swap(ir, vec), lam)

    def vector_decay(self, ir: ModelIR, vec: str) -> sp.Expr:
        """ψ: the coefficient of u_a/N in the update of u_a."""
        tr = ir.trains.get(vec)
        return sp.S.Zero if tr is None else -tr.lr * tr.decay

    def scalar_step(self, ir: ModelIR, loss_outputs: sp.Expr, values: dict, scal: str,
                    a: sp.Expr) -> sp.Expr:
        """χ_a: θ_a ← θ_a + χ_a/N."""
        tr = ir.trains[scal]
        theta = ir.families[scal].base[a]
        return -tr.lr * (self._chain(ir, loss_outputs, values, self._swap(ir, scal), theta)
                         + tr.decay * theta)

    def square_factor(self, ir: ModelIR) -> sp.Expr:
        """Factor of the second-order (φφ) term: 1/B for a batch of B fresh samples."""
        return 1 / ir.batch


RULES = {"sgd": SGD(), "feedback_alignment": SGD("feedback_alignment")}


def rule_for(ir: ModelIR):
    return RULES[ir.algorithm]
