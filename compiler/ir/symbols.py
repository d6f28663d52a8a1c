"""SymPy vocabulary of the Model IR: activations with known derivatives.

The language's nonlinearities become SymPy functions whose derivatives are
again named functions, so that differentiating a loss through the network
yields factors the Gaussian-atom registry can recognise:

* ``relu(z)``  → derivative ``step(z)``;
* ``step(z)``  → derivative 0 (almost everywhere);
* ``sgn(z)``   → derivative 0 (almost everywhere); rewritten ``2 step(z) - 1``
  before expectations are taken;
* ``erf``, ``exp``, ``tanh``, ``log`` … are SymPy's own.
"""
from __future__ import annotations

import sympy as sp


class Step(sp.Function):
    """Heaviside step Θ(z) (Θ(0) = 0); its derivative is taken as 0 a.e."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _eval_power(self, e):
        if e.is_Integer and e > 0:
            return self                  # Θ^n = Θ
        return None

    def _latex(self, printer, exp=None):
        tex = r"\Theta\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class Relu(sp.Function):
    """max(z, 0); derivative Θ(z)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return Step(self.args[0])

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{relu}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class Sgn(sp.Function):
    """sign(z); derivative taken as 0 a.e. (only teachers use it in practice)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{sign}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class Mean(sp.Function):
    """``mean(expr given p = v, …)``: an expectation over a fresh sample.

    Arguments: the body (with the ``given`` values already substituted) and a
    ``Tuple`` of ``(param, value)`` pairs, which also apply to the sample's
    distribution (input variances, random-scalar parameters).
    """

    nargs = 2

    @property
    def given(self) -> dict:
        return {p: v for p, v in self.args[1]}


class TrainMean(Mean):
    """``mean(expr over train)``: an average over the training set of a finite-data model
    (same arguments as :class:`Mean`)."""


def sigmoid(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


#: Language function name -> SymPy constructor.
FUNCTIONS = {
    "erf": sp.erf, "exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sqrt": sp.sqrt,
    "sign": Sgn, "relu": Relu, "step": Step, "abs": lambda z: z * Sgn(z),
    "sigmoid": sigmoid, "cos": sp.cos, "sin": sp.sin, "delta": sp.KroneckerDelta,
}


#: The dimension N of the vectors.  The Model IR may hold it (finite-N
#: scalings written in the loss, outputs and learning rates, and the squared
#: norms ‖x‖² = N · x·x/N); the online derivation keeps the leading order as
#: N → ∞ and the simulator evaluates it at its own N.
DIM = sp.Symbol("N", positive=True)

#: Inner products of base inputs per dimension, x_r·x_s/N: ``NORM[r, s]``
#: with r, s positions in the model's list of base inputs.
NORM = sp.IndexedBase("nrm", real=True)
