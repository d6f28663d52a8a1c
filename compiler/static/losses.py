r"""The loss registry: one SymPy expression ℓ(y, h) per entry.

``y`` is the label, ``h`` the student's pre-activation (field plus bias).
Binary losses are written as functions of the margin u = y h with y = ±1.
Numerically delicate elementary pieces are SymPy functions of their own with
stable printed forms (:class:`Softplus`, :class:`Sigmoid`), so that ℓ′ and ℓ″
obtained by SymPy differentiation never overflow: log(1 + e^{−u}) at u = −800
is Softplus(800) = 800, not log(inf).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

Y, H = sp.symbols("y h", real=True)


class Sigmoid(sp.Function):
    """σ(x) = 1/(1 + e^{−x}), with σ′(x) = σ(x) σ(−x)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return Sigmoid(x) * Sigmoid(-x)


class Softplus(sp.Function):
    """log(1 + e^{x}), with derivative σ(x)."""

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])


@dataclass(frozen=True)
class Loss:
    """A loss ℓ(y, h): its expression and the labels it accepts.

    ``labels`` is ``"binary"`` (y ∈ {−1, +1}) or ``"real"``.
    """

    name: str
    expr: sp.Expr
    labels: str

    def derivative(self, order: int) -> sp.Expr:
        """∂^order ℓ / ∂h^order, with y² = 1 for binary labels."""
        d = sp.diff(self.expr, H, order)
        if self.labels == "binary":
            d = d.subs(Y**2, 1)
        return d


LOSSES: dict[str, Loss] = {
    "square": Loss("square", (Y - H) ** 2 / 2, "real"),
    "hinge": Loss("hinge", sp.Max(0, 1 - Y * H), "binary"),
    "logistic": Loss("logistic", Softplus(-Y * H), "binary"),
}


def loss(name: str) -> Loss:
    """The registry entry of a loss (a KeyError names the known losses)."""
    try:
        return LOSSES[name]
    except KeyError:
        raise KeyError(f"unknown loss {name!r}; known: {', '.join(sorted(LOSSES))}") from None
