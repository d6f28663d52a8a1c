"""The static kind's equation object: what the fixed-point solver needs from a model.

The replica fixed point itself is generic (runtime/static); a model contributes
the loss ℓ(y, h) (SymPy, built from the AST; h is the pre-activation w·x/√N + b),
the data model as a channel registry entry with its parameters, the regulariser
entry and λ, the prior of the Bayes-optimal estimator, and α — every number as
a SymPy expression in the model's parameters, emitted by codegen without any
string evaluation at run time.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sympy as sp

#: the scalar settings in the generated ``static_values(P)``, in this order
VALUE_NAMES = ("alpha", "lam", "lam1", "teacher_p")


@dataclass(frozen=True)
class StaticEquations:
    """A model lowered for the static kind."""

    model: str
    params: tuple[str, ...]
    algorithm: str                                 # erm | bayes_optimal
    channel: str                                   # registry name in runtime/static/channels.py
    channel_args: tuple[tuple[str, sp.Expr], ...]  # its parameters
    values: tuple[tuple[str, sp.Expr], ...]        # VALUE_NAMES → expressions in the params
    loss: sp.Expr | None = None                    # ℓ(y, h) (erm)
    labels: str = "binary"                         # binary | real
    loss_name: str = ""                            # the registry loss it equals ("" if none)
    regulariser: str = "ridge"                     # ridge | lasso | elastic_net (lam: L2, lam1: L1)
    prior: str = "gaussian"
    teacher: str = "gaussian"                      # teacher prior: gaussian | sparse (density teacher_p)
    bias: bool = False
    theory: str = "static"

    def canonical(self) -> str:
        """A canonical text of everything the generated module depends on (cache key)."""
        lines = [f"static {self.model}", "params " + " ".join(self.params),
                 f"algorithm {self.algorithm}", f"channel {self.channel} "
                 + " ".join(f"{k}={sp.srepr(v)}" for k, v in self.channel_args),
                 f"loss {sp.srepr(self.loss) if self.loss is not None else '-'} {self.labels} {self.loss_name}",
                 f"regulariser {self.regulariser} prior {self.prior} teacher {self.teacher} bias {self.bias}"]
        lines += [f"value {k} {sp.srepr(v)}" for k, v in self.values]
        return "\n".join(lines)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()[:16]
