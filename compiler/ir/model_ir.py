"""Model IR: a checked `.model` lowered to SymPy.

Every vector, scalar and random-scalar *family* is indexed (a family declared
without an index has size 1 and is addressed with index 0), indices are
0-based SymPy integer symbols, sizes are SymPy symbols of the size parameters
(so that ``K`` stays symbolic and compile time does not grow with it).

* a field ``u[a].x`` is ``IndexedBase("u.x")[a]`` — the Gaussian variable
  u_a·x/√N;
* a scalar ``v[a]`` is ``IndexedBase("v")[a]``;
* a random scalar ``r[a]`` is ``IndexedBase("r")[a]``;
* sums are ``sympy.Sum(body, (j, 0, S - 1))``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from statc.dsl import ast
from statc.dsl.semantics import BUILTIN_RANDOM, CheckedModel

from .symbols import DIM, FUNCTIONS, NORM, Argmax, Mean, TrainMean


@dataclass(frozen=True)
class Family:
    """A family of vectors, scalars or random scalars, indexed by ``index``."""

    name: str
    kind: str                       # vector | scalar | random
    role: str | None                # teacher | student | None (built-in)
    index: str | None               # declared index name, None if not indexed
    size: sp.Expr                   # a size-parameter symbol or an Integer
    dist: str | None = None         # gaussian | zeros | bernoulli
    dist_args: tuple[tuple[str, sp.Expr], ...] = ()
    init: sp.Expr | None = None     # scalars: initial value (may use `index_symbol`)

    @property
    def base(self) -> sp.IndexedBase:
        return sp.IndexedBase(self.name, real=True)

    @property
    def index_symbol(self) -> sp.Symbol:
        return sp.Symbol(self.index or f"_{self.name}", integer=True)

    def arg(self, name: str, default: sp.Expr) -> sp.Expr:
        return dict(self.dist_args).get(name, default)


@dataclass(frozen=True)
class Input:
    name: str
    var: sp.Expr


@dataclass(frozen=True)
class Train:
    target: str
    lr: sp.Expr
    decay: sp.Expr
    backward: tuple[tuple[str, str], ...] = ()     # (forward scalar, backward scalar)


@dataclass(frozen=True)
class Direction:
    """One term ``coef · target`` of an explicit update direction.

    ``target`` is ``("input", x, None)`` or ``("vector", v, index)``; ``sums``
    are sums over indices of the target (Σ_l c_l w_l).
    """

    coef: sp.Expr
    kind: str
    name: str
    index: sp.Expr | None
    sums: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()


@dataclass(frozen=True)
class ExplicitUpdate:
    """``update u[a] += …``: for vectors a list of directions, for scalars a number."""

    target: str
    index: sp.Symbol | None
    directions: tuple[Direction, ...] = ()
    value: sp.Expr | None = None


@dataclass(frozen=True)
class Order:
    """An order parameter ``name[a,b] = left[a].right[b]`` (an overlap block)."""

    name: str
    left: str
    right: str
    left_index: sp.Expr | None      # a symbol, an Integer, or None (not indexed)
    right_index: sp.Expr | None
    indices: tuple[str, ...]


@dataclass
class ModelIR:
    name: str
    params: list[str]
    int_params: set[str]
    families: dict[str, Family]
    inputs: dict[str, Input]
    outputs: dict[str, sp.Expr]
    loss: sp.Expr
    algorithm: str
    trains: dict[str, Train]
    orders: list[Order]
    observables: dict[str, sp.Expr]
    fields: dict[tuple[str, str], sp.IndexedBase] = field(default_factory=dict)
    loss_outputs: sp.Expr = sp.S.Zero       # the loss in output symbols ``out_yhat`` …
    batch: sp.Expr = sp.S.One               # fresh samples per step
    updates: dict[str, ExplicitUpdate] = field(default_factory=dict)
    overlaps: dict[sp.IndexedBase, tuple[str, str]] = field(default_factory=dict)
    #: two-replica observables (`observe D = replica_distance(w)`): name -> (function, vector, span);
    #: only the dmft kind computes them (compiler/dmft/observe.py)
    replicas: dict[str, tuple] = field(default_factory=dict)
    #: high-dimensional outputs as directions along base inputs and vectors
    voutputs: dict[str, tuple[Direction, ...]] = field(default_factory=dict)
    #: indexed outputs (K class scores `yhat[k] = w[k].x`): name -> (index symbol, size); the
    #: output's expression in ``outputs`` holds the index symbol
    output_indices: dict[str, tuple[sp.Symbol, sp.Expr]] = field(default_factory=dict)

    def norm(self, r: str, s: str) -> sp.Expr:
        """x_r·x_s/N for base inputs r, s (symmetric: one entry per pair)."""
        names = list(self.inputs)
        i, j = sorted((names.index(r), names.index(s)))
        return NORM[i, j]

    @property
    def uses_norms(self) -> bool:
        """Whether the loss, an output, an observable or a learning rate holds N."""
        exprs = [self.loss_outputs, *self.outputs.values(), *self.observables.values()]
        exprs += [t.lr for t in self.trains.values()] + [t.decay for t in self.trains.values()]
        for u in self.updates.values():
            exprs += [d.coef for d in u.directions] + ([u.value] if u.value is not None else [])
        return any(e.has(DIM) or e.has(NORM) for e in exprs)

    def overlap_base(self, u: str, w: str) -> sp.IndexedBase:
        """``u[a].w[b]`` inside an expression: the overlap u_a·w_b/N (not random)."""
        base = sp.IndexedBase(f"{u}:{w}", real=True)
        self.overlaps[base] = (u, w)
        return base

    def output_symbol(self, name: str) -> sp.Symbol:
        return sp.Symbol(f"out_{name}", real=True)

    def output_values(self) -> dict[sp.Symbol, sp.Expr]:
        return {self.output_symbol(n): e for n, e in self.outputs.items()}

    def param(self, name: str) -> sp.Symbol:
        return sp.Symbol(name, real=True)

    def field_base(self, vec: str, inp: str) -> sp.IndexedBase:
        key = (vec, inp)
        if key not in self.fields:
            self.fields[key] = sp.IndexedBase(f"{vec}.{inp}", real=True)
        return self.fields[key]

    def teacher_label(self, w: str, yhat_expr, label_expr):
        """The generalised-linear form shared by the finite-data kinds (static, dmft).

        For one standard Gaussian input x, ``yhat = w·x`` and one teacher vector wt: the
        label expression as a function of τ = wt·x and ε = the ``noise`` draw, with (τ, ε)
        as real symbols — ``(label(τ, ε), τ, ε, wt)``; None when the model is not of that
        form or the label depends on anything but τ, ε and parameters.
        """
        if len(self.inputs) != 1:
            return None
        x = next(iter(self.inputs))
        if self.inputs[x].var != 1 or sp.simplify(yhat_expr - self.field_base(w, x)[0]) != 0:
            return None
        teachers = [f for f in self.families.values() if f.kind == "vector" and f.role == "teacher"]
        if len(teachers) != 1:
            return None
        wt = teachers[0].name
        tau, eps = sp.Symbol("tau", real=True), sp.Symbol("eps", real=True)
        subs = {self.field_base(wt, x)[0]: tau}
        if "noise" in self.families:
            subs[self.families["noise"].base[0]] = eps
        label = label_expr.xreplace(subs)
        if label.free_symbols - {tau, eps} - {self.param(p) for p in self.params}:
            return None
        return label, tau, eps, wt

    def field_owner(self, base: sp.IndexedBase) -> tuple[str, str] | None:
        for key, b in self.fields.items():
            if b == base:
                return key
        return None

    @property
    def vectors(self) -> list[Family]:
        return [f for f in self.families.values() if f.kind == "vector"]

    @property
    def scalars(self) -> list[Family]:
        return [f for f in self.families.values() if f.kind == "scalar"]

    @property
    def randoms(self) -> list[Family]:
        return [f for f in self.families.values() if f.kind == "random"]


class _Lower:
    def __init__(self, cm: CheckedModel):
        self.cm = cm
        self.ir: ModelIR | None = None
        self.keep_outputs = False
        self.derived: dict = {}

    def size(self, s) -> sp.Expr:
        return sp.Integer(s) if isinstance(s, int) else sp.Symbol(s, integer=True, positive=True)

    def index_value(self, e, scope: dict[str, sp.Symbol]) -> sp.Expr:
        if isinstance(e, ast.Num):
            return sp.Integer(int(e.value) - 1)
        return scope[e.name]

    def expr(self, e, scope: dict[str, sp.Symbol]) -> sp.Expr:
        ir = self.ir
        if isinstance(e, ast.Num):
            frac = Fraction(e.text)          # exact: 1e-3 -> 1/1000
            return sp.Rational(frac.numerator, frac.denominator)
        if isinstance(e, ast.Name):
            if e.name in scope:
                return scope[e.name] + 1      # an index used as a number is 1-based
            if e.name in ir.outputs:
                value = ir.output_symbol(e.name) if self.keep_outputs else ir.outputs[e.name]
                # a class label's value is its class, 1..K (Argmax is the 0-based index)
                return value + 1 if isinstance(ir.outputs[e.name], Argmax) else value
            fam = ir.families.get(e.name)
            if fam is not None:
                return fam.base[0]
            if e.name == "pi" and e.name not in ir.params:
                return sp.pi
            if e.name == "N" and e.name not in ir.params:
                return DIM
            if e.name in ir.observables:     # an earlier observable: its expression, inlined
                return ir.observables[e.name]
            order = next((o for o in self.cm.model.orders if o.name == e.name), None)
            if order is not None:            # an unindexed order parameter
                return ir.overlap_base(order.left.name, order.right.name)[0, 0]
            return ir.param(e.name)
        if isinstance(e, ast.Indexed) and e.name in ir.output_indices:
            i = e.indices[0]
            if isinstance(i, ast.Name) and i.name not in scope:      # `yhat[y]`: the label's score
                return self.scores(e.name, self.label_index(i.name))
            return self.scores(e.name, self.index_value(i, scope))
        if isinstance(e, ast.Indexed):
            order = next((o for o in self.cm.model.orders if o.name == e.name), None)
            if order is not None:            # an entry of an order parameter: an overlap
                idx = iter(self.index_value(i, scope) for i in e.indices)
                li = next(idx) if order.left.index is not None else sp.Integer(0)
                ri = next(idx) if order.right.index is not None else sp.Integer(0)
                return ir.overlap_base(order.left.name, order.right.name)[li, ri]
            fam = ir.families[e.name]
            return fam.base[self.index_value(e.indices[0], scope)]
        if isinstance(e, ast.Call) and e.func == "cross_entropy":
            name, j = e.args[0].name, sp.Symbol("j_ce", integer=True)
            size = ir.output_indices[name][1]
            return (sp.log(sp.Sum(sp.exp(self.scores(name, j)), (j, 0, size - 1)))
                    - self.scores(name, self.label_index(e.args[1].name)))
        if isinstance(e, ast.Call):
            args = [self.expr(a, scope) for a in e.args]
            if e.func == "delta":
                return sp.KroneckerDelta(*args)
            return FUNCTIONS[e.func](*args)
        if isinstance(e, ast.BinOp) and e.op == "^" and isinstance(e.left, ast.Norm):
            size = self.class_size(e.left.value)
            if size is not None:                 # |yhat - onehot(y)|^2: a sum over the K classes
                j = sp.Symbol("j_norm", integer=True)
                return sp.Sum(self.class_entry(e.left.value, j, scope) ** 2, (j, 0, size - 1))
            return self.norm2(e.left.value, scope)
        if isinstance(e, ast.BinOp):
            a, b = self.expr(e.left, scope), self.expr(e.right, scope)
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                    "/": lambda: a / b, "^": lambda: a ** b}[e.op]()
        if isinstance(e, ast.Neg):
            return -self.expr(e.operand, scope)
        if isinstance(e, ast.Dot):
            return self.dot(e, scope)
        if isinstance(e, ast.SumExpr):
            j = sp.Symbol(e.index, integer=True)
            inner = dict(scope)
            inner[e.index] = j
            body = self.expr(e.body, inner)
            size = self.sum_size(e)
            if e.op == "argmax":
                return Argmax(body, j, size)
            return sp.Sum(body, (j, 0, size - 1))
        if isinstance(e, ast.MeanExpr):
            subs = {ir.param(n): self.expr(v, {}) for n, v, _ in e.given}
            given = sp.Tuple(*[sp.Tuple(k, v) for k, v in subs.items()])
            return (TrainMean if e.over == "train" else Mean)(self.expr(e.body, scope).xreplace(subs), given)
        raise AssertionError(e)  # pragma: no cover

    def scores(self, name: str, idx: sp.Expr) -> sp.Expr:
        """Entry ``idx`` (0-based) of the indexed output ``name``."""
        ir = self.ir
        if self.keep_outputs:
            return sp.IndexedBase(ir.output_symbol(name).name, real=True)[idx]
        sym, _ = ir.output_indices[name]
        return ir.outputs[name].xreplace({sym: idx})

    def label_index(self, name: str) -> sp.Expr:
        """The 0-based class index of a label output (its Argmax, or its output symbol)."""
        return self.ir.output_symbol(name) if self.keep_outputs else self.ir.outputs[name]

    def class_size(self, e) -> sp.Expr | None:
        """K if the expression is a K-vector of class scores (semantically checked), else None."""
        stack = [e]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Name) and n.name in self.ir.output_indices:
                return self.ir.output_indices[n.name][1]
            for f in ("left", "right", "operand"):
                if hasattr(n, f):
                    stack.append(getattr(n, f))
        return None

    def class_entry(self, e, j: sp.Symbol, scope) -> sp.Expr:
        """Entry j of a K-vector of class scores: ``yhat`` → yhat[j], ``onehot(y)`` → δ(j, y)."""
        if isinstance(e, ast.Name) and e.name in self.ir.output_indices:
            return self.scores(e.name, j)
        if isinstance(e, ast.Call) and e.func == "onehot":
            return sp.KroneckerDelta(j, self.label_index(e.args[0].name))
        if isinstance(e, ast.Neg):
            return -self.class_entry(e.operand, j, scope)
        if isinstance(e, ast.BinOp) and e.op in "+-":
            a, b = self.class_entry(e.left, j, scope), self.class_entry(e.right, j, scope)
            return a + b if e.op == "+" else a - b
        left_vec = self.class_size(e.left) is not None
        vec = self.class_entry(e.left if left_vec else e.right, j, scope)
        num = self.expr(e.right if left_vec else e.left, scope)
        return vec / num if e.op == "/" else vec * num

    def sum_size(self, e: ast.SumExpr) -> sp.Expr:
        if e.range is not None:
            hi = e.range.hi
            return self.size(int(hi.value) if isinstance(hi, ast.Num) else hi.name)
        if e.index in self.cm.index_sizes:
            return self.size(self.cm.index_sizes[e.index])
        size = _infer_size(e.index, e.body, self.cm)
        return self.size(size)

    def ref(self, side, scope) -> tuple[str, sp.Expr]:
        if isinstance(side, ast.Name):
            return side.name, sp.Integer(0)
        return side.name, self.index_value(side.indices[0], scope)

    def dot(self, e: ast.Dot, scope) -> sp.Expr:
        ir = self.ir
        left, li = self.ref(e.left, scope)
        right, ri = self.ref(e.right, scope)
        if right in ir.inputs:
            return ir.field_base(left, right)[li]
        if right in self.derived:
            # u.x for x = Σ c_r x_r + Σ d_v v/√N:  Σ c_r u.x_r + Σ d_v u·v/N
            total = sp.S.Zero
            for d in self.directions(self.derived[right], {}):
                if d.kind == "input":
                    total += d.coef * ir.field_base(left, d.name)[li]
                else:
                    total += d.coef * ir.overlap_base(left, d.name)[li, d.index]
            return total
        return ir.overlap_base(left, right)[li, ri]

    def norm2(self, e, scope) -> sp.Expr:
        """‖v‖² of a high-dimensional expression, written in fields, overlaps and norms.

        v = Σ_r α_r x_r + Σ_(u,a) β_ua u_a/√N over base inputs x_r and vectors u_a
        (derived inputs and vector outputs expanded), so that exactly
        ‖v‖² = N Σ_rs α_r α_s (x_r·x_s/N) + 2 Σ α_r β_ua λ^{u x_r}_a + Σ β β' u_a·u'_b/N.
        """
        ir = self.ir
        dirs = self.base_directions(self.directions(e, scope))
        total = sp.S.Zero
        for i, d1 in enumerate(dirs):
            for d2 in dirs[i:]:
                twice = 1 if d2 is d1 else 2
                d2 = self.renamed(d2)
                if d1.kind == "input" and d2.kind == "input":
                    inner = DIM * ir.norm(d1.name, d2.name)
                elif d1.kind == "input":
                    inner = ir.field_base(d2.name, d1.name)[d2.index]
                elif d2.kind == "input":
                    inner = ir.field_base(d1.name, d2.name)[d1.index]
                else:
                    inner = ir.overlap_base(d1.name, d2.name)[d1.index, d2.index]
                term = twice * d1.coef * d2.coef * inner
                for j, n in reversed(d2.sums + d1.sums):
                    term = sp.Sum(term, (j, 0, n - 1))
                total += term
        return total

    def renamed(self, d: Direction) -> Direction:
        """The direction with its sum indices renamed apart (a second copy in a product)."""
        if not d.sums:
            return d
        self._n_renamed = getattr(self, "_n_renamed", 0) + 1
        sub = {j: sp.Symbol(f"{j.name.split('_')[0]}_n{self._n_renamed}", integer=True) for j, _ in d.sums}
        return Direction(d.coef.xreplace(sub), d.kind, d.name,
                         d.index.xreplace(sub) if d.index is not None else None,
                         tuple((sub[j], n) for j, n in d.sums))

    def base_directions(self, dirs: list[Direction]) -> list[Direction]:
        """Expand derived inputs into base inputs and vectors (a vector counts 1/√N)."""
        out = []
        for d in dirs:
            if d.kind == "input" and d.name in self.derived:
                for b in self.base_directions(self.directions(self.derived[d.name], {})):
                    out.append(Direction(d.coef * b.coef, b.kind, b.name, b.index, d.sums + b.sums))
            else:
                out.append(d)
        return out

    def directions(self, e, scope) -> list[Direction]:
        """Decompose a checked update direction into coefficient × target terms."""
        ir = self.ir
        if isinstance(e, ast.Name) and e.name in ir.voutputs:
            return [self.renamed(d) for d in ir.voutputs[e.name]]
        if isinstance(e, ast.Name) and e.name in self.derived:
            return self.base_directions(self.directions(self.derived[e.name], {}))
        if isinstance(e, (ast.Name, ast.Indexed)) and (e.name in ir.inputs or
                                                       ir.families.get(e.name, None) is not None
                                                       and ir.families[e.name].kind == "vector"):
            if e.name in ir.inputs:
                return [Direction(sp.S.One, "input", e.name, None)]
            idx = self.index_value(e.indices[0], scope) if isinstance(e, ast.Indexed) else sp.Integer(0)
            return [Direction(sp.S.One, "vector", e.name, idx)]
        if isinstance(e, ast.Neg):
            return [Direction(-d.coef, d.kind, d.name, d.index, d.sums) for d in self.directions(e.operand, scope)]
        if isinstance(e, ast.BinOp) and e.op in "+-":
            sign = 1 if e.op == "+" else -1
            right = [Direction(sign * d.coef, d.kind, d.name, d.index, d.sums)
                     for d in self.directions(e.right, scope)]
            return self.directions(e.left, scope) + right
        if isinstance(e, ast.BinOp) and e.op in "*/":
            if self.is_direction(e.left):
                dirs, coef = self.directions(e.left, scope), self.expr(e.right, scope)
                coef = 1 / coef if e.op == "/" else coef
            else:
                dirs, coef = self.directions(e.right, scope), self.expr(e.left, scope)
            return [Direction(coef * d.coef, d.kind, d.name, d.index, d.sums) for d in dirs]
        if isinstance(e, ast.SumExpr):
            j = sp.Symbol(e.index, integer=True)
            inner = dict(scope)
            inner[e.index] = j
            size = self.sum_size(e)
            return [Direction(d.coef, d.kind, d.name, d.index, d.sums + ((j, size),))
                    for d in self.directions(e.body, inner)]
        raise AssertionError("checked by the semantic pass")  # pragma: no cover

    def is_direction(self, e) -> bool:
        """Whether an AST node contains a bare input or vector (an update direction)."""
        if isinstance(e, (ast.Name, ast.Indexed)):
            fam = self.ir.families.get(e.name)
            return (e.name in self.ir.inputs or e.name in self.derived or e.name in self.ir.voutputs
                    or (fam is not None and fam.kind == "vector"))
        if isinstance(e, ast.Neg):
            return self.is_direction(e.operand)
        if isinstance(e, ast.BinOp):
            return self.is_direction(e.left) or self.is_direction(e.right)
        if isinstance(e, ast.SumExpr):
            return self.is_direction(e.body)
        return False

    def run(self) -> ModelIR:
        cm, m = self.cm, self.cm.model
        self.ir = ir = ModelIR(m.name, list(cm.param_order), set(cm.int_params), {}, {}, {},
                               sp.S.Zero, m.algorithm.name, {}, [], {})
        self.derived = {inp.name: inp.value for inp in m.inputs if inp.value is not None}
        for inp in m.inputs:
            if inp.value is not None:
                continue
            # `spectrum = ...` (a structured covariance) is read by the dmft kind (compiler/dmft/derive.py)
            var = dict((n, self.expr(v, {})) for n, v, _ in inp.dist.kwargs if n != "spectrum").get("var", sp.S.One)
            ir.inputs[inp.name] = Input(inp.name, var)
        for name, dist in BUILTIN_RANDOM.items():
            if name not in cm.symbols:
                ir.families[name] = Family(name, "random", None, None, sp.Integer(1), dist)
        for net in sorted(m.networks, key=lambda n: n.role != "teacher"):
            for st in net.body:
                if isinstance(st, ast.OutputDecl):
                    if st.index is not None:
                        sym = cm.symbols[st.name]
                        j = sp.Symbol(sym.index, integer=True)
                        ir.output_indices[st.name] = (j, self.size(sym.size))
                        ir.outputs[st.name] = self.expr(st.value, {sym.index: j})
                    elif cm.symbols[st.name].kind == "voutput":
                        ir.voutputs[st.name] = tuple(self.base_directions(self.directions(st.value, {})))
                    else:
                        ir.outputs[st.name] = self.expr(st.value, {})
                    continue
                sym = cm.symbols[st.name]
                size = self.size(sym.size)
                idx = sym.index
                if isinstance(st, ast.VectorDecl):
                    dist = st.dist.name if st.dist else "gaussian"
                    args = tuple((n, self.expr(v, {})) for n, v, _ in st.dist.kwargs) if st.dist else ()
                    ir.families[st.name] = Family(st.name, "vector", net.role, idx, size, dist, args)
                elif isinstance(st, ast.ScalarDecl):
                    scope = {idx: sp.Symbol(idx, integer=True)} if idx else {}
                    init = self.expr(st.value, scope) if st.value is not None else sp.S.Zero
                    ir.families[st.name] = Family(st.name, "scalar", net.role, idx, size, init=init)
                else:
                    args = tuple((n, self.expr(v, {})) for n, v, _ in st.dist.kwargs)
                    if st.dist.args:
                        key = "p" if st.dist.name == "bernoulli" else "var"
                        args = ((key, self.expr(st.dist.args[0], {})),) + args
                    ir.families[st.name] = Family(st.name, "random", net.role, idx, size,
                                                  st.dist.name, args)
        self.keep_outputs = True
        # `algorithm bayes_optimal` (static kind) has no loss
        ir.loss_outputs = self.expr(m.loss.value, {}) if m.loss is not None else sp.S.Zero
        self.keep_outputs = False
        ir.loss = ir.loss_outputs.xreplace(ir.output_values())
        for tr in m.algorithm.trains:
            opts = {o.name: self.expr(o.value, {}) for o in tr.options}
            ir.trains[tr.target] = Train(tr.target, opts.get("lr", sp.S.Zero), opts.get("decay", sp.S.Zero),
                                         tuple((b.source, b.target) for b in tr.backward))
        for opt in m.algorithm.options:
            if opt.name == "batch":
                ir.batch = self.expr(opt.value, {})
        for up in m.algorithm.updates:
            fam = ir.families[up.target]
            a = sp.Symbol(up.index, integer=True) if up.index else None
            scope = {up.index: a} if up.index else {}
            if fam.kind == "scalar":
                ir.updates[up.target] = ExplicitUpdate(up.target, a, value=self.expr(up.value, scope))
            else:
                ir.updates[up.target] = ExplicitUpdate(up.target, a, tuple(self.directions(up.value, scope)))
        for o in m.orders:
            scope = {i: sp.Symbol(i, integer=True) for i in o.indices}
            li = self.index_value(o.left.index, scope) if o.left.index is not None else None
            ri = self.index_value(o.right.index, scope) if o.right.index is not None else None
            ir.orders.append(Order(o.name, o.left.name, o.right.name, li, ri, o.indices))
        for ob in m.observes:
            if isinstance(ob.value, ast.Call) and ob.value.func in ("replica_distance", "fdt"):
                ir.replicas[ob.name] = (ob.value.func, ob.value.args[0].name, ob.span)
                continue
            ir.observables[ob.name] = self.expr(ob.value, {})
        return ir


def _infer_size(index: str, body, cm: CheckedModel):
    """The range of a sum index without a declared range: that of what it subscripts."""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Indexed):
            if any(isinstance(i, ast.Name) and i.name == index for i in node.indices):
                return cm.symbols[node.name].size
        if hasattr(node, "__dataclass_fields__"):
            for f in node.__dataclass_fields__:
                v = getattr(node, f)
                if isinstance(v, tuple):
                    stack.extend(x for x in v if hasattr(x, "__dataclass_fields__"))
                elif hasattr(v, "__dataclass_fields__"):
                    stack.append(v)
    raise AssertionError("semantic check guarantees a range")  # pragma: no cover


def lower(cm: CheckedModel) -> ModelIR:
    """Lower a checked model to the SymPy Model IR."""
    return _Lower(cm).run()


def expression_lowerer(cm: CheckedModel, ir: ModelIR, keep_outputs: bool = False):
    """``f(ast_expr) -> sympy.Expr`` in the scope of a lowered model: fields,
    overlaps and parameters as in :func:`lower`, outputs expanded — or, with
    `keep_outputs`, as the symbols ``ir.output_symbol(name)`` (the finite-data kinds read
    the loss, labels and observables through it; no string is ever evaluated)."""
    lw = _Lower(cm)
    lw.ir, lw.derived, lw.keep_outputs = ir, {i.name: i.value for i in cm.model.inputs
                                              if i.value is not None}, keep_outputs
    return lambda e: lw.expr(e, {})
