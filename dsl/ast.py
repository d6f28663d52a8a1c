"""The typed, frozen abstract syntax tree of a `.model` file.

Every node carries the :class:`~statc.dsl.errors.Span` of its source text so
that later stages can point at it.  The tree is plain data: it knows nothing
about SymPy, theory kinds or kernels.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .errors import Span


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Num:
    value: float
    text: str
    span: Span


@dataclass(frozen=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True)
class Indexed:
    name: str
    indices: tuple["Expr", ...]          # Name or Num
    span: Span


@dataclass(frozen=True)
class KwArg:
    """`name = value` or `name = lo .. hi` (hi is None for a single value) inside a call."""

    name: str
    lo: "Expr"
    hi: "Expr | None"
    span: Span


@dataclass(frozen=True)
class Str:
    """A quoted file name inside a call: `eigenvalues("sigma.txt")` (read by the parser)."""

    value: str
    span: Span


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple["Expr", ...]
    span: Span
    func_span: Span
    kwargs: tuple[KwArg, ...] = ()


@dataclass(frozen=True)
class BinOp:
    op: str                               # one of + - * / ^
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    span: Span


@dataclass(frozen=True)
class Dot:
    """`u.x` (a field u·x/√N) or `u.v` (an overlap u·v/N)."""

    left: "Expr"                          # Name or Indexed
    right: "Expr"
    span: Span


@dataclass(frozen=True)
class Range:
    lo: "Expr"
    hi: "Expr"
    span: Span


@dataclass(frozen=True)
class SumExpr:
    index: str
    range: Range | None
    body: "Expr"
    span: Span
    index_span: Span
    #: "sum", or "argmax": the index k at which the body is largest (a class label)
    op: str = "sum"


@dataclass(frozen=True)
class MeanExpr:
    """`mean(body given p = v, … over SET)`: an average over a fresh sample, or, with
    `over train`, over the training set of a finite-data model."""

    body: "Expr"
    given: tuple[tuple[str, "Expr", Span], ...]
    span: Span
    over: str | None = None
    over_span: Span | None = None


@dataclass(frozen=True)
class Norm:
    """`|v|` around a high-dimensional expression; only its square `|v|^2` is
    meaningful (the squared Euclidean norm ‖v‖², of order N)."""

    value: "Expr"
    span: Span


Expr = Union[Num, Name, Indexed, Call, BinOp, Neg, Dot, SumExpr, MeanExpr, Norm]


# ----------------------------------------------------------------- statements
@dataclass(frozen=True)
class Dist:
    name: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr, Span], ...]
    span: Span


@dataclass(frozen=True)
class IndexDecl:
    name: str
    range: Range | None
    span: Span


@dataclass(frozen=True)
class ParamDecl:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True)
class InputDecl:
    """`x ~ gaussian(var = v)`, or a derived input `x = c * mu + sqrt(D) * z`
    (a combination of base inputs and vectors; a vector counts 1/√N)."""

    name: str
    dist: Dist | None
    span: Span
    value: "Expr | None" = None


@dataclass(frozen=True)
class VectorDecl:
    name: str
    index: IndexDecl | None
    dist: Dist | None
    span: Span


@dataclass(frozen=True)
class ScalarDecl:
    name: str
    index: IndexDecl | None
    value: Expr | None
    span: Span


@dataclass(frozen=True)
class RandomDecl:
    name: str
    index: IndexDecl | None
    dist: Dist
    span: Span


@dataclass(frozen=True)
class OutputDecl:
    name: str
    value: Expr
    span: Span
    #: `yhat[k] = ...`: an indexed output (K class scores), None for a scalar output
    index: "IndexDecl | None" = None


@dataclass(frozen=True)
class WidthDecl:
    """`width N`: the hidden width of every layer (kernel kind)."""

    value: Expr
    span: Span


@dataclass(frozen=True)
class EmbeddingDecl:
    """`embedding prior s0` / `embedding width N1 [prior s0]`: the prior variance σ0² of the
    input projection V^0 and the width of its output x^(0) (N_1; default: the student's width)."""

    prior: Expr | None
    span: Span
    width: Expr | None = None


@dataclass(frozen=True)
class HeadDecl:
    """`head good ~ attention(same_token, beta = 10)`: one head and its mixing."""

    name: str
    mixing: Dist
    span: Span
    name_span: Span


@dataclass(frozen=True)
class LayerBlock:
    """`layer { head ... ; prior s; width N2 }`: the heads of one attention layer, the prior
    variance of its value weights and the width of its output (default: the student's width)."""

    heads: tuple[HeadDecl, ...]
    prior: Expr | None
    span: Span
    width: Expr | None = None
    width_span: Span | None = None


@dataclass(frozen=True)
class ReadoutDecl:
    """`readout last`, `readout mean`, `readout token(k)`, with an optional `prior s`."""

    rule: str
    token: Expr | None
    prior: Expr | None
    span: Span
    rule_span: Span


NetStmt = Union[VectorDecl, ScalarDecl, RandomDecl, OutputDecl, WidthDecl, EmbeddingDecl,
                LayerBlock, ReadoutDecl]


@dataclass(frozen=True)
class Network:
    role: str                             # "teacher" or "student"
    body: tuple[NetStmt, ...]
    span: Span


@dataclass(frozen=True)
class Loss:
    value: Expr
    span: Span


@dataclass(frozen=True)
class Option:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True)
class Backward:
    """`backward v -> b`: the backward pass uses b where the forward pass uses v."""

    source: str
    target: str
    span: Span


@dataclass(frozen=True)
class Train:
    target: str
    options: tuple[Option, ...]
    span: Span
    target_span: Span
    backward: tuple[Backward, ...] = ()


@dataclass(frozen=True)
class Update:
    """`update w[k] += <vector expression>`: an explicit (non-gradient) rule.

    For a vector the right side is linear in inputs and vectors; the
    coefficient of an input x is scaled by 1/√N, that of a vector by 1/N.
    For a scalar the right side is a number, scaled by 1/N.
    """

    target: str
    index: str | None
    value: "Expr"
    span: Span
    target_span: Span


@dataclass(frozen=True)
class Constraint:
    """`constrain w.w = q`: |w|²/N = q at every step, held by a Lagrange multiplier λ_k in
    w_{k+1} = (1 − ηλ_k) w_k − η∇L (the dmft kind; DMFT.md §2.2)."""

    target: str
    other: str
    value: "Expr"
    span: Span
    target_span: Span
    other_span: Span


@dataclass(frozen=True)
class Algorithm:
    name: str
    trains: tuple[Train, ...]
    options: tuple[Option, ...]
    span: Span
    name_span: Span
    updates: tuple[Update, ...] = ()
    #: static kind (`algorithm erm { ...; penalty lambda / 2 * |w|^2; bias b }`)
    penalty: "Penalty | None" = None
    bias: "BiasDecl | None" = None
    #: `constrain w.w = q` (the dmft kind)
    constraints: tuple[Constraint, ...] = ()


@dataclass(frozen=True)
class Penalty:
    """`penalty lambda / 2 * |w|^2`: the regulariser of empirical risk minimisation."""

    value: Expr
    span: Span


@dataclass(frozen=True)
class BiasDecl:
    """`bias b`: the student scalar b is an unpenalised learned bias."""

    name: str
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Ref:
    """`w[k]` or `w` on either side of an order-parameter definition."""

    name: str
    index: Expr | None                    # Name or Num
    span: Span


@dataclass(frozen=True)
class OrderDef:
    name: str
    indices: tuple[str, ...]
    left: Ref
    right: Ref
    span: Span


@dataclass(frozen=True)
class ObserveDef:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True)
class InitDef:
    """`Q[k,l] = expr` (every entry) or `Q[1,2] = expr` (one entry); names and numbers mix."""
    name: str
    indices: tuple[str | int, ...]
    value: Expr
    span: Span
    index_spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class SchedulePiece:
    t0: Expr
    t1: Expr
    value: Expr
    span: Span


@dataclass(frozen=True)
class Schedule:
    """`schedule eta { 0 .. 5 = 1; 5 .. 10 = 0.2 }`: piecewise constant in time."""

    name: str
    pieces: tuple[SchedulePiece, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Control:
    """`eta(t) in [0, 2]`, `Delta(t) in {0, 2}` or `p_test in [0, 1] final`."""

    name: str
    kind: str                          # box | choice
    values: tuple[Expr, ...]           # (low, high) or the allowed values
    final: bool                        # a time-constant free parameter
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Budget:
    """`fraction(Delta == 0) = 0.5`, `mean(eta) <= 1` or `integral(eta) <= 5`: linear in a control."""

    kind: str                          # fraction | mean | integral
    name: str
    value: Expr | None                 # the value compared with, for `fraction`
    relation: str                      # = | <= | >=
    bound: Expr
    span: Span


@dataclass(frozen=True)
class Baseline:
    """`baseline easy_first { Delta { 0 .. 6 = 0; 6 .. 12 = 2 } }`: a protocol to compare with."""

    name: str
    schedules: tuple[Schedule, ...]
    span: Span


@dataclass(frozen=True)
class ControlBlock:
    controls: tuple[Control, ...]
    objective: Expr | None
    sense: str                         # minimize | maximize
    budgets: tuple[Budget, ...]
    baselines: tuple[Baseline, ...]
    options: tuple[Option, ...]
    span: Span
    objective_span: Span | None = None


@dataclass(frozen=True)
class RunBlock:
    t0: Expr | None
    t1: Expr | None
    record_mode: str | None
    record: Expr | None
    options: tuple[Option, ...]
    span: Span


@dataclass(frozen=True)
class DataDecl:
    """`data n = alpha * N`: a fixed training set of n samples, reused at every step; or
    (kernel kind) `data train ~ markov_chain(...)`, a generated sequence data set, or
    `data train from "file.npz"`."""

    name: str
    size: "Expr | None"
    span: Span
    generator: Dist | None = None
    file: str | None = None
    file_span: Span | None = None


@dataclass(frozen=True)
class Model:
    name: str
    params: tuple[ParamDecl, ...]
    inputs: tuple[InputDecl, ...]
    networks: tuple[Network, ...]
    loss: Loss | None
    algorithm: Algorithm | None
    orders: tuple[OrderDef, ...]
    observes: tuple[ObserveDef, ...]
    inits: tuple[InitDef, ...]
    run: RunBlock | None
    span: Span
    filename: str = field(default="<input>", compare=False)
    schedules: tuple[Schedule, ...] = ()
    source: str = field(default="", compare=False, repr=False)
    control: ControlBlock | None = None
    data: DataDecl | None = None
