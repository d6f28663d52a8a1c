r"""Proximal operators derived from a loss, as a registry of rules (STATIC.md §2).

For a scalar field and prox variance V > 0,

    h*(ω; y, V) = argmin_h (h − ω)²/(2V) + ℓ(y, h),   ∂h*/∂ω = 1/(1 + V ℓ″(y, h*)).

Each rule recognises the losses it can treat and returns the Python source of
``prox(i_omega, i_y, i_V) -> (h*, ∂h*/∂ω)`` and of ``kinks(i_y, i_V, out) ->
count``, the values of ω at which h* is not smooth (quadrature breakpoints).
Rules are tried in order:

* ``linear`` — the stationarity condition (h − ω)/V + ℓ′(y, h) = 0 is linear
  in h (square loss): SymPy solves it, and ∂h*/∂ω is its derivative;
* ``hinge`` — ℓ = max(0, a − y h) with y = ±1: piecewise closed form in the
  margin u₀ = y ω (u = u₀ for u₀ ≥ a, u = a for a − V ≤ u₀ < a, u = u₀ + V
  below), kinks at ω = y a and ω = y (a − V);
* ``newton`` — any smooth convex ℓ: safeguarded Newton on
  g(h) = h − ω + V ℓ′(y, h), which is increasing, inside the bracket between
  ω and ω − V ℓ′(y, ω) (convexity puts the root there: ℓ′ is monotone).
  Plain Newton is not enough (STATIC.md §8: it silently diverges for large V).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sympy as sp

from .losses import H, Y, Loss

OMEGA, VAR = sp.symbols("omega V", real=True)
_TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class ProxRule:
    """One way of building the prox: ``build(loss, printer)`` returns the
    source of ``prox`` and ``kinks``, or ``None`` when the rule does not apply."""

    name: str
    build: Callable[[Loss, Callable[[sp.Expr], str]], "str | None"]


def _template(name: str, **subs: str) -> str:
    """A template's text with its placeholder identifiers (valid Python names,
    e.g. ``HINGE_A``) replaced by compiler-produced literals."""
    text = (_TEMPLATES / f"{name}.py").read_text()
    for k, v in subs.items():
        text = text.replace(k, v)
    return text


_NO_KINKS = """
@numba.njit(cache=True)
def kinks(i_y, i_V, out):
    return 0
"""


def _linear(loss: Loss, pr) -> str | None:
    dl = loss.derivative(1)
    if dl.has(sp.Heaviside, sp.Max, sp.Min, sp.Piecewise, sp.Abs):
        return None
    stationarity = (H - OMEGA) / VAR + dl
    if not sp.diff(stationarity, H, 2).equals(0):
        return None
    (h_star,) = sp.solve(stationarity, H)
    dh = sp.simplify(sp.diff(h_star, OMEGA))
    return (f"""
@numba.njit(cache=True)
def prox(i_omega, i_y, i_V):
    return {pr(sp.simplify(h_star))}, {pr(dh)}
""" + _NO_KINKS)


def _hinge(loss: Loss, pr) -> str | None:
    if loss.labels != "binary":
        return None
    a = sp.Wild("a", exclude=[Y, H])
    match = loss.expr.match(sp.Max(0, a - Y * H))
    if not match or not match[a].is_number:
        return None
    return _template("prox_hinge", HINGE_A=repr(float(match[a])))


def _newton(loss: Loss, pr) -> str | None:
    if loss.derivative(2).has(sp.DiracDelta, sp.Heaviside):
        return None
    return _template("prox_newton")


RULES: tuple[ProxRule, ...] = (ProxRule("linear", _linear), ProxRule("hinge", _hinge),
                               ProxRule("newton", _newton))


def prox_source(loss: Loss, pr: Callable[[sp.Expr], str]) -> tuple[str, str]:
    """(rule name, source of ``prox`` and ``kinks``) for a loss."""
    for rule in RULES:
        src = rule.build(loss, pr)
        if src is not None:
            return rule.name, src
    raise ValueError(f"no proximal operator for loss {loss.name!r}: it is neither linear "
                     "in its stationarity condition, hinge-like, nor smooth")
