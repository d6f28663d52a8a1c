"""Algorithm rules: the per-step update of each trained object, as data.

A rule turns the Model IR into the microscopic update coefficients of the
general online rule (ARCHITECTURE.md):

    u_a ← (1 + ψ_aa/N) u_a + (1/√N) Σ_x φ_{a x} x + (1/N) Σ_(v,b) ψ_{a,vb} v_b,
    θ_a ← θ_a + χ_a / N.

Both the theory (:mod:`statc.compiler.online.derive_online`, which takes
expectations of φ, ψ and χ) and the simulator
(:mod:`statc.compiler.codegen.simulator`, which evaluates them on samples) call
the same rule, so a new algorithm is a new entry in :data:`RULES` — never a
new hand-derived ODE.

* **sgd**: φ_{a x} = −lr Σ_o ∂L/∂o · ∂ô/∂λ^{u x}_a, where ô is the output o
  with each ``backward v -> b`` replacement applied (the backward pass may
  use other weights than the forward pass: feedback alignment); weight decay
  ψ_aa = −lr·decay; χ_a = −lr(∂L/∂θ_a + decay·θ_a).  ``batch = B`` averages
  the update over B fresh samples: its square (the η² term) is divided by B.
* **feedback_alignment** is sgd with at least one replacement.
* **explicit updates** (``update w[k] += c1 * x + c2 * f``, any algorithm):
  φ and ψ are read off the direction, χ is the written value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from statc.compiler.gaussian.expand import collapse_delta_sums
from statc.compiler.ir.model_ir import Direction, ModelIR


@dataclass
class Prepared:
    """The loss and outputs, with sum indices renamed apart by ``freshen``."""

    loss_outputs: sp.Expr
    values: dict
    freshen: Callable[[sp.Expr], sp.Expr]


@dataclass(frozen=True)
class SGD:
    name: str = "sgd"

    # ------------------------------------------------------------ gradients
    def _chain(self, p: Prepared, swap: dict, var: sp.Expr) -> sp.Expr:
        total = sp.S.Zero
        for o_sym, o_expr in p.values.items():
            if not p.loss_outputs.has(o_sym):
                continue
            outer = sp.diff(p.loss_outputs, o_sym).xreplace(p.values)
            inner = sp.diff(o_expr.xreplace(swap) if swap else o_expr, var)
            total += outer * inner
        return total + sp.diff(p.loss_outputs, var)   # a loss may use fields directly

    def _swap(self, ir: ModelIR, target: str) -> dict:
        return {ir.families[src].base: ir.families[dst].base for src, dst in ir.trains[target].backward}

    def _explicit(self, ir: ModelIR, target: str, a: sp.Expr):
        """The explicit update of `target` and the substitution of its index by `a`."""
        up = ir.updates[target]
        sub = {up.index: a} if up.index is not None else {}
        return up, sub

    # ----------------------------------------------------------- interface
    def vector_step(self, ir: ModelIR, p: Prepared, vec: str, inp: str, a: sp.Expr) -> sp.Expr:
        """φ_{a x}: the coefficient of x/√N in the update of u_a."""
        if vec in ir.updates:
            up, sub = self._explicit(ir, vec, a)
            return sp.Add(*[p.freshen(d.coef).xreplace(sub) for d in up.directions
                            if d.kind == "input" and d.name == inp])
        tr = ir.trains.get(vec)
        if tr is None:
            return sp.S.Zero
        lam = ir.field_base(vec, inp)[a]
        return -tr.lr * self._chain(p, self._swap(ir, vec), lam)

    def vector_along(self, ir: ModelIR, p: Prepared, vec: str, a: sp.Expr) -> list[Direction]:
        """ψ terms: (coefficient of v_b/N, v, b, sums) in the update of u_a (decay excluded)."""
        if vec not in ir.updates:
            return self._overlap_gradient(ir, p, vec, a)
        up, sub = self._explicit(ir, vec, a)
        out = []
        tag = sp.Function("_target")
        for d in up.directions:
            if d.kind != "vector":
                continue
            body = d.coef * tag(d.index)
            nested = body
            for j, n in d.sums:  # rename the sum indices apart from the block's free indices
                nested = sp.Sum(nested, (j, 0, n - 1))
            nested = p.freshen(nested)
            sums = []
            while isinstance(nested, sp.Sum):
                j, _, hi = nested.limits[0]
                sums.append((j, hi + 1))
                nested = nested.function
            body, sums = nested, tuple(sums)
            body = body.xreplace(sub)
            index = next(iter(body.atoms(tag))).args[0]
            out.append(Direction(body.xreplace({tag(index): 1}), "vector", d.name, index, sums))
        return out

    def _overlap_gradient(self, ir: ModelIR, p: Prepared, vec: str, a: sp.Expr) -> list[Direction]:
        """Moves along vectors when the loss reads overlaps u_a·v_b/N.

        ∇_{u_a} (u_a·v_b/N) = v_b/N, so each overlap entry O(u_a, v_b) the loss
        reads gives ψ_{a,vb} = −lr ∂L/∂O(u_a, v_b) along v_b, and each entry
        O(v_b, u_a) the same along v_b.  The partner may be indexed (a sum over
        its index b) and may be u itself: a squared norm ‖Σ_k β_k u_k/√N‖² reads
        u_k·u_l/N, and u_a then moves along every u_l (itself included), with
        ψ_{a,l} = −lr (∂L/∂O_al + ∂L/∂O_la): the entries are independent symbols.
        """
        tr = ir.trains.get(vec)
        if tr is None:
            return []
        full = p.loss_outputs.xreplace(p.values)
        out = []
        swap = self._swap(ir, vec)
        for base, (u, w) in list(ir.overlaps.items()):
            if vec not in (u, w) or not full.has(base):
                continue
            for slot, other in ((0, w), (1, u)):
                if (u, w)[slot] != vec:
                    continue
                fam = ir.families[other]
                if fam.index is not None:
                    j = p.freshen(sp.Sum(fam.index_symbol, (fam.index_symbol, 0, fam.size - 1))).limits[0][0]
                    sums = ((j, fam.size),)
                else:
                    j, sums = sp.Integer(0), ()
                ov = base[a, j] if slot == 0 else base[j, a]
                coef = collapse_delta_sums(-tr.lr * self._chain(p, swap, ov))
                if coef != 0:
                    out.append(Direction(coef, "vector", other, j, sums))
        return out

    def vector_decay(self, ir: ModelIR, vec: str) -> sp.Expr:
        """ψ_aa from weight decay: the coefficient of u_a/N in the update of u_a."""
        tr = ir.trains.get(vec)
        return sp.S.Zero if tr is None else -tr.lr * tr.decay

    def scalar_step(self, ir: ModelIR, p: Prepared, scal: str, a: sp.Expr) -> sp.Expr:
        """χ_a: θ_a ← θ_a + χ_a/N."""
        if scal in ir.updates:
            up, sub = self._explicit(ir, scal, a)
            return p.freshen(up.value).xreplace(sub)
        tr = ir.trains[scal]
        theta = ir.families[scal].base[a]
        return -tr.lr * (self._chain(p, self._swap(ir, scal), theta) + tr.decay * theta)

    def square_factor(self, ir: ModelIR) -> sp.Expr:
        """Factor of the second-order (φφ) term: 1/B for a batch of B fresh samples."""
        return 1 / ir.batch


RULES = {"sgd": SGD(), "feedback_alignment": SGD("feedback_alignment"), "custom": SGD("custom")}


def rule_for(ir: ModelIR):
    return RULES[ir.algorithm]


def trained(ir: ModelIR, name: str) -> bool:
    """Whether a vector or scalar moves (by a `train` or an `update`)."""
    return name in ir.trains or name in ir.updates
