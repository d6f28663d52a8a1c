"""Semantic checks on the AST: names, indices, shapes, blocks, theory kind.

:func:`check` walks a parsed :class:`~statc.dsl.ast.Model` and either raises
a :class:`StatcError` pointing at the first mistake or returns a
:class:`CheckedModel`: the AST plus a symbol table saying what every name is
(parameter, index, vector, scalar, random scalar, input, output, order
parameter, observable) and over which range each index runs.  Later stages
can then lower the tree without re-checking it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import ast
from .errors import Span, StatcError, did_you_mean
from .domain import check_domains
from .kernel import check_kernel, first_kernel_statement, is_kernel
from .static import STATIC_ALGORITHMS, check_static, is_static
from .values import LiteralIndex, check_values, defaults

#: Functions of the language: name -> number of arguments.
FUNCTIONS: dict[str, int] = {
    "erf": 1, "exp": 1, "log": 1, "tanh": 1, "sqrt": 1, "sign": 1, "relu": 1,
    "abs": 1, "sigmoid": 1, "step": 1, "cos": 1, "sin": 1, "delta": 2,
}

#: Functions of class scores and class labels (the static kind's K-class ERM): name -> number of
#: arguments.  `cross_entropy(yhat, y)` = log(sum(k, exp(yhat[k]))) - yhat[y] with `yhat[k]` an
#: indexed output and `y` a class label; `onehot(y)` is the label's one-hot K-vector, used inside a
#: squared norm of class scores, `|yhat - onehot(y)|^2`.
CLASS_FUNCTIONS: dict[str, int] = {"cross_entropy": 2, "onehot": 1}

#: Whole-run observables of the dmft kind: two coupled replicas, the FDT effective temperature: name -> number of arguments. Only a
#: whole `observe` statement may be one (`observe D = replica_distance(w)`); its argument is a
#: student vector.
REPLICA_FUNCTIONS: dict[str, int] = {"replica_distance": 1, "fdt": 1}
#: keyword arguments of the whole-run observables, each a range `lo .. hi` of times
#: (`observe T = fdt(w, window = 10 .. 12, lags = 0.5 .. 8)`: waiting times and lags)
REPLICA_KWARGS: dict[str, tuple[str, ...]] = {"replica_distance": (), "fdt": ("window", "lags")}

#: Distributions of vectors, inputs and random scalars: name -> allowed kwargs.
VECTOR_DISTS = {"gaussian": ("scale",), "zeros": (), "sparse": ("p",), "rademacher": ()}
INPUT_DISTS = {"gaussian": ("var", "spectrum")}
#: spectra of a structured input covariance (`input x ~ gaussian(spectrum = two_level(...))`, dmft
#: kind): family -> (keyword arguments, required ones, whether it takes positional eigenvalues)
SPECTRA: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "two_level": (("low", "high", "fraction", "align"), ("low", "high", "fraction"), False),
    "power_law": (("exponent", "levels", "align"), ("exponent", "levels"), False),
    "eigenvalues": (("align",), (), True),
}
RANDOM_DISTS = {"gaussian": ("var",), "bernoulli": ("p",), "rademacher": ("p",)}

#: Built-in constants.
CONSTANTS = ("pi",)

#: Built-in random scalars available without declaration.
BUILTIN_RANDOM = {"noise": "gaussian"}

#: Algorithm rules known to the compiler (the registry lives in compiler/).
ALGORITHMS = ("sgd", "feedback_alignment", "custom")
ALGORITHM_OPTIONS = ("batch",)
#: On a fixed training set (`data n = alpha * N`, the dmft kind): gradient descent, SGD with
#: batch fraction `batch` (persistence time `persistence`, Langevin noise `temperature`), Langevin;
#: heavy-ball `momentum` or Nesterov's `nesterov` (momentum β) on any of them; `sgf`, stochastic
#: gradient flow (the η → 0 limit of persistent SGD at fixed batch fraction and persistence time).
DATA_ALGORITHMS = ("gd", "sgd", "langevin", "sgf", *STATIC_ALGORITHMS)
DATA_ALGORITHM_OPTIONS = ("batch", "persistence", "temperature", "momentum", "nesterov")
TRAIN_OPTIONS = ("lr", "decay")
RUN_OPTIONS = ("method", "rtol", "atol", "dt")
METHODS = ("dopri5", "rk4")

#: How symbol kinds read in messages, with their article.
KIND_WORDS = {
    "param": "a parameter", "vector": "a vector", "scalar": "a scalar",
    "random": "a random scalar", "input": "an input", "output": "an output",
    "order": "an order parameter", "observable": "an observable",
    "voutput": "a vector output",
}

#: The dimension N: allowed where finite-N scalings are written (the loss,
#: outputs, learning rates, inside `mean(...)`); the theory takes N → ∞.
DIMENSION = "N"
N_CONTEXTS = ("loss", "output", "train")


def kind_word(kind: str, article: bool = True) -> str:
    """`a parameter` (or `parameter`) for a symbol kind."""
    words = KIND_WORDS.get(kind, f"a {kind}")
    return words if article else words.split(" ", 1)[1]


def _text(e) -> str:
    """Short source-like text of an index or a simple expression, for hints."""
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Num):
        return e.text
    return "..."


KEYWORDS = ("model", "params", "input", "teacher", "student", "vector", "scalar", "schedule",
            "random", "loss", "algorithm", "train", "order", "observe", "init",
            "run", "time", "record", "sum", "mean", "given", "in", "data")


@dataclass(frozen=True)
class Symbol:
    """What a declared name stands for."""

    kind: str            # param | vector | scalar | random | input | output | order | observable
    name: str
    span: Span | None
    role: str | None = None          # teacher / student for network objects
    index: str | None = None         # declared index name
    size: str | int | None = None    # size: a param name or an int (1 when not indexed)
    indexed: bool = False


@dataclass
class CheckedModel:
    """A model that passed the semantic checks, with its symbol table."""

    model: ast.Model
    symbols: dict[str, Symbol]
    index_sizes: dict[str, str | int]          # global index names -> size
    theory: str = "online"
    param_order: list[str] = field(default_factory=list)
    int_params: set[str] = field(default_factory=set)
    #: numbers used as indices of ranges `1..K`: checked against each run's K
    literal_indices: list[LiteralIndex] = field(default_factory=list)


class _Checker:
    def __init__(self, model: ast.Model):
        self.m = model
        self.symbols: dict[str, Symbol] = {}
        self.index_sizes: dict[str, str | int] = {}
        self.int_params: set[str] = set()
        self.literal_indices: list[LiteralIndex] = []
        #: outputs that are class labels (`y = argmax(k, ...)`) and indexed outputs (class scores)
        self.labels: set[str] = set()
        self._indexed_outputs: list = []

    # ------------------------------------------------------------- helpers
    def err(self, msg: str, span: Span | None, **kw) -> StatcError:
        return StatcError(msg, span, **kw)

    def declare(self, sym: Symbol) -> None:
        if sym.name in KEYWORDS:
            raise self.err(f"`{sym.name}` is a keyword and cannot be used as a name",
                           sym.span, hint="choose another name")
        if sym.name in FUNCTIONS or sym.name in CLASS_FUNCTIONS:
            raise self.err(f"`{sym.name}` is a built-in function and cannot be declared",
                           sym.span, hint="choose another name")
        old = self.symbols.get(sym.name)
        if old is not None:
            where = f" at line {old.span.line}" if old.span else ""
            raise self.err(f"duplicated name `{sym.name}`", sym.span,
                           hint=f"`{sym.name}` is already declared as {kind_word(old.kind)}{where}")
        self.symbols[sym.name] = sym

    def input_name(self) -> str:
        """The first declared input's name (for hints), `x` when there is none."""
        return next((s.name for s in self.symbols.values() if s.kind == "input"), "x")

    def unknown(self, name: str, span: Span, expected: str, pool: list[str] | None = None) -> StatcError:
        pool = pool if pool is not None else list(self.symbols)
        return self.err(f"unknown name `{name}`", span, expected=expected,
                        hint=did_you_mean(name, pool))

    def size_of(self, rng: ast.Range | None, span: Span) -> str | int:
        """Check an index range `1..S` and return S (a param name or an int)."""
        if rng is None:
            raise self.err("an index needs a range", span, expected="`[k in 1..K]`",
                           hint="declare the range once, e.g. `vector w[k in 1..K]`")
        lo = rng.lo
        if not (isinstance(lo, ast.Num) and lo.value == 1):
            raise self.err("index ranges start at 1", lo.span, expected="`1..size`",
                           hint=f"write `1..{_text(rng.hi)}`; indices run from 1 to the size")
        hi = rng.hi
        if isinstance(hi, ast.Num):
            if hi.value != int(hi.value) or hi.value < 1:
                raise self.err("an index range ends at a positive integer", hi.span)
            return int(hi.value)
        if isinstance(hi, ast.Name):
            sym = self.symbols.get(hi.name)
            if sym is not None and sym.kind != "param":
                raise self.err(f"`{hi.name}` is {kind_word(sym.kind)}; an index range ends at a parameter",
                               hi.span, expected="a parameter giving the size, e.g. `1..K`")
            if sym is None:
                raise self.unknown(hi.name, hi.span, "a parameter giving the size",
                                   [n for n, s in self.symbols.items() if s.kind == "param"])
            self.int_params.add(hi.name)
            return hi.name
        raise self.err("an index range ends at a number or a parameter", hi.span,
                       expected="`1..K` with K a parameter")

    def index_decl(self, idx: ast.IndexDecl | None) -> tuple[str | None, str | int]:
        if idx is None:
            return None, 1
        if idx.range is None:
            if idx.name not in self.index_sizes:
                raise self.err(f"index `{idx.name}` has no range", idx.span,
                               expected=f"`[{idx.name} in 1..SIZE]`",
                               hint="give the range the first time an index is used")
            return idx.name, self.index_sizes[idx.name]
        size = self.size_of(idx.range, idx.span)
        old = self.index_sizes.get(idx.name)
        if old is not None and old != size:
            raise self.err(f"index `{idx.name}` already ranges over 1..{old}", idx.range.span,
                           hint="use a new index name for a different range")
        self.index_sizes[idx.name] = size
        return idx.name, size

    # ------------------------------------------------------------- blocks
    def run(self) -> CheckedModel:
        m = self.m
        end = Span.point(m.span.end_line, m.span.end_column)
        for p in m.params:
            self.expr(p.value, scope={}, ctx="param")   # before declaring: no `eta = eta`
            self.declare(Symbol("param", p.name, p.span))
        if is_kernel(m):
            check_kernel(m, lambda e: self.expr(e, scope={}, ctx="param"))
            check_values(m, [], defaults(m))
            return CheckedModel(m, self.symbols, {}, "kernel", [p.name for p in m.params], set(), [])
        st = first_kernel_statement(m)
        if st is not None:
            word = {ast.WidthDecl: "width", ast.EmbeddingDecl: "embedding", ast.LayerBlock: "layer",
                    ast.ReadoutDecl: "readout"}[type(st)]
            raise self.err(f"`{word}` belongs to the kernel kind", st.span,
                           expected="`algorithm bayes { temperature T }` with a sequence data set",
                           hint="attention layers, widths and readouts describe a Bayesian network "
                                "at finite width (the kernel kind)")
        for inp in m.inputs:
            self.declare(Symbol("input", inp.name, inp.span))
            if inp.dist is not None:
                self.dist(inp.dist, INPUT_DISTS, "an input distribution")
        if not m.inputs:
            raise self.err("missing `input` declaration", end, expected="`input x ~ gaussian`",
                           hint="online models draw a fresh input at every step")
        roles = {n.role: n for n in m.networks}
        if "student" not in roles:
            raise self.err("missing `student` block", end, expected="`student { ... }`",
                           hint="the student declares the trained vectors and the output `yhat`")
        for role in ("teacher", "student"):
            if role in roles:
                self.network(roles[role])
        for inp in m.inputs:
            if inp.value is not None:
                self.derived_input(inp)
        if m.data is not None:
            self.data(m.data)
        static = is_static(m)
        if m.loss is None and not (static and m.algorithm.name == "bayes_optimal"):
            raise self.err("missing `loss`", end, expected="`loss = ...`",
                           hint="e.g. `loss = (yhat - y)^2 / 2`")
        if m.loss is not None:
            self.expr(m.loss.value, scope={}, ctx="loss")
        if m.algorithm is None:
            raise self.err("missing `algorithm` block", end,
                           expected="`algorithm sgd { train w lr eta }`",
                           hint="the algorithm says how the student learns: one `train` line "
                                "per trained vector or scalar")
        self.algorithm(m.algorithm)
        for o in m.orders:
            self.order(o)
        for ob in m.observes:
            # checked before declaring: no self-reference
            if isinstance(ob.value, ast.Call) and ob.value.func in REPLICA_FUNCTIONS:
                self.replica_call(ob.value, "observe_whole")
            else:
                self.expr(ob.value, scope={}, ctx="observe")
            self.declare(Symbol("observable", ob.name, ob.span))
        for it in m.inits:
            self.init(it)
        seen_sched: dict[str, ast.Schedule] = {}
        for sc in m.schedules:
            self.schedule(sc, seen_sched)
        if m.run is not None:
            self.run_block(m.run)
        if m.control is not None:
            from .control import check_control
            check_control(m.control, self.symbols, self.int_params,
                          lambda e: self.expr(e, scope={}, ctx="param"))
        # every size parameter must hold an integer
        for p in m.params:
            if p.name in self.int_params and not (isinstance(p.value, ast.Num)
                                                  and p.value.value == int(p.value.value)
                                                  and p.value.value >= 1):
                raise self.err(f"`{p.name}` is an index size and must be a positive integer",
                               p.value.span, expected=f"a whole number, e.g. `{p.name} = 2`",
                               hint=f"`{p.name}` counts the entries of an index range `1..{p.name}`")
        values = defaults(m)
        check_values(m, self.literal_indices, values)
        check_domains(m, self.symbols, values)
        theory = "static" if static else "dmft" if m.data is not None else "online"
        if theory != "dmft" and getattr(self, "_spectrum_spans", None):
            raise self.err("a structured input covariance (`spectrum`) is supported by the dmft kind only",
                           self._spectrum_spans[0], expected="`data n = alpha * N` and `algorithm gd` or `sgd`",
                           hint="online and static models take isotropic inputs (`var = s` scales them)")
        if theory != "static" and getattr(self, "_argmax_spans", None):
            raise self.err("`argmax(k, ...)` class labels are supported by the static kind only", self._argmax_spans[0],
                           expected="`data n = alpha * N` and `algorithm bayes_optimal`",
                           hint="the K-class perceptron is a fixed-point (static) model; online SGD and "
                                "gradient-flow (dmft) dynamics with K-class labels are not implemented")
        if theory != "static" and self._indexed_outputs:
            st = self._indexed_outputs[0]
            raise self.err("indexed outputs (class scores `yhat[k]`) are supported by the static kind only", st.span,
                           expected="`data n = alpha * N` and `algorithm erm { train w; ... }`",
                           hint="the K-class perceptron (cross-entropy or square-loss ERM) is a fixed-point "
                                "(static) model")
        return CheckedModel(m, self.symbols, self.index_sizes, theory,
                            [p.name for p in m.params], set(self.int_params), self.literal_indices)

    def data(self, d: ast.DataDecl) -> None:
        """`data n = alpha * N`: n samples proportional to the dimension (α = n/N fixed as N → ∞)."""
        e = d.size
        if e is None:
            raise self.err("a sequence data set belongs to the kernel kind", d.span,
                           expected=f"`data {d.name} = alpha * N`",
                           hint="`data train ~ markov_chain(...)` and `data train from \"file.npz\"` "
                                "go with `algorithm bayes { temperature T }`")
        ok = (isinstance(e, ast.BinOp) and e.op == "*"
              and any(isinstance(s, ast.Name) and s.name == "N" for s in (e.left, e.right)))
        if not ok:
            raise self.err("the training-set size must be proportional to N", e.span,
                           expected=f"`data {d.name} = alpha * N`",
                           hint="the theory takes n, N → ∞ at fixed alpha = n/N; declare alpha in `params`")
        ratio = e.right if isinstance(e.left, ast.Name) and e.left.name == "N" else e.left
        self.expr(ratio, scope={}, ctx="param")

    def dist(self, d: ast.Dist, table: dict[str, tuple[str, ...]], what: str) -> None:
        if d.name not in table:
            raise self.err(f"unknown distribution `{d.name}`", d.span, expected=what + ": " +
                           ", ".join(f"`{k}`" for k in table), hint=did_you_mean(d.name, table))
        allowed = table[d.name]
        if len(d.args) + len(d.kwargs) > len(allowed):
            n = len(allowed)
            raise self.err(f"`{d.name}` takes at most {n} argument{'s' if n != 1 else ''}", d.span,
                           expected=", ".join(f"`{a} = ...`" for a in allowed) or "no arguments")
        for name, value, span in d.kwargs:
            if name not in allowed:
                raise self.err(f"unknown argument `{name}` of `{d.name}`", span,
                               expected=", ".join(f"`{a}`" for a in allowed) or "no arguments",
                               hint=did_you_mean(name, allowed) or (
                                   f"write e.g. `{d.name}({allowed[0]} = ...)`" if allowed
                                   else f"write `{d.name}` without arguments"))
        for name, value, span in d.kwargs:
            if name == "spectrum":
                self.spectrum(value, span)
        for value in list(d.args) + [v for n, v, _ in d.kwargs if n != "spectrum"]:
            self.expr(value, scope={}, ctx="param")

    def spectrum(self, e, span) -> None:
        """`spectrum = two_level(low = a, high = b, fraction = p)`, `power_law(exponent = a, levels = M)`
        or `eigenvalues(s1, s2, ...)` (each with an optional `align = g`: teacher variance ∝ σ^g)."""
        families = ", ".join(f"`{f}(...)`" for f in SPECTRA)
        if not (isinstance(e, ast.Call) and e.func in SPECTRA):
            raise self.err("`spectrum` is a named family of eigenvalues", e.span, expected=families,
                           hint=did_you_mean(e.func, SPECTRA) if isinstance(e, ast.Call) else
                           "e.g. `spectrum = two_level(low = 0.5, high = 2, fraction = 0.3)`")
        allowed, required, positional = SPECTRA[e.func]
        if e.args and not positional:
            raise self.err(f"`{e.func}` takes keyword arguments only", e.args[0].span,
                           expected=", ".join(f"`{a} = ...`" for a in allowed))
        if positional and not e.args:
            raise self.err(f"`{e.func}` needs at least one eigenvalue", e.span, expected=f"`{e.func}(0.5, 2)`")
        given = set()
        for kw in e.kwargs:
            if kw.name not in allowed or kw.hi is not None or kw.name in given:
                why = "is given twice" if kw.name in given else "is not an argument"
                raise self.err(f"`{kw.name}` {why} of `{e.func}`", kw.span,
                               expected=", ".join(f"`{a} = ...`" for a in allowed),
                               hint=did_you_mean(kw.name, allowed))
            given.add(kw.name)
        missing = [a for a in required if a not in given]
        if missing:
            raise self.err(f"`{e.func}` needs {', '.join(f'`{a}`' for a in missing)}", e.span,
                           expected=", ".join(f"`{a} = ...`" for a in required))
        for value in list(e.args) + [kw.lo for kw in e.kwargs]:
            self.expr(value, scope={}, ctx="param")
        self._spectrum_spans = getattr(self, "_spectrum_spans", []) + [span]

    def network(self, net: ast.Network) -> None:
        for st in net.body:
            if isinstance(st, ast.VectorDecl):
                idx, size = self.index_decl(st.index)
                self.declare(Symbol("vector", st.name, st.span, net.role, idx, size, idx is not None))
                if st.dist is not None:
                    self.dist(st.dist, VECTOR_DISTS, "a vector distribution")
                    if st.dist.name == "rademacher" and not (net.role == "teacher" and is_static(self.m)):
                        raise self.err("a `rademacher` vector (i.i.d. ±1 entries) is supported for the teacher "
                                       "of a static model only", st.dist.span,
                                       expected=f"`vector {st.name} ~ gaussian`",
                                       hint="`vector wt[k in 1..K] ~ rademacher` is the binary teacher of the "
                                            "K-class perceptron (static kind, `algorithm bayes_optimal`)")
                    if st.dist.name == "sparse" and not (net.role == "teacher" and is_static(self.m)):
                        raise self.err("a `sparse` vector is supported for the teacher of a static model only",
                                       st.dist.span, expected=f"`vector {st.name} ~ gaussian`",
                                       hint="`vector wt ~ sparse(p = eps)` (Bernoulli-Gaussian: 0 w.p. 1 - eps, "
                                            "N(0, 1/eps) w.p. eps) is a teacher prior of the static kind")
            elif isinstance(st, ast.ScalarDecl):
                idx, size = self.index_decl(st.index)
                self.declare(Symbol("scalar", st.name, st.span, net.role, idx, size, idx is not None))
                if st.value is not None:
                    self.expr(st.value, scope={idx: size} if idx else {}, ctx="init")
            elif isinstance(st, ast.RandomDecl):
                idx, size = self.index_decl(st.index)
                self.declare(Symbol("random", st.name, st.span, net.role, idx, size, idx is not None))
                self.dist(st.dist, RANDOM_DISTS, "a random-scalar distribution")
            elif st.index is not None:
                # `yhat[k] = w[k].x`: K class scores (the static kind's K-class ERM)
                idx, size = self.index_decl(st.index)
                self.expr(st.value, scope={idx: size}, ctx="output")
                self.declare(Symbol("output", st.name, st.span, net.role, idx, size, True))
                self._indexed_outputs.append(st)
            elif self.is_vec(st.value):
                # a high-dimensional output: Σ (number) × (input, vector or vector output)
                try:
                    self.vector_linear(st.value, {})
                except StatcError as vec_err:
                    # not linear in inputs and vectors: most likely a scalar output that
                    # uses an input or a vector as a number; say so if it is
                    self.expr(st.value, scope={}, ctx="output")
                    raise vec_err
                self.declare(Symbol("voutput", st.name, st.span, net.role))
            else:
                # argmax(k, ...) is a class label: allowed only as a whole output
                self._label_node = st.value
                self.expr(st.value, scope={}, ctx="output")
                self._label_node = None
                self.declare(Symbol("output", st.name, st.span, net.role))
                if isinstance(st.value, ast.SumExpr) and st.value.op == "argmax":
                    self.labels.add(st.name)

    def algorithm(self, alg: ast.Algorithm) -> None:
        finite = self.m.data is not None
        if alg.name in STATIC_ALGORITHMS:
            if not finite:
                raise self.err(f"`algorithm {alg.name}` needs a finite training set", alg.name_span,
                               expected="`data n = alpha * N`",
                               hint=f"`{alg.name}` computes {STATIC_ALGORITHMS[alg.name]} of n = alpha N "
                                    "samples (the static kind)")
            if alg.constraints:
                raise self.err(f"`constrain` is not supported by `algorithm {alg.name}`", alg.constraints[0].span,
                               hint="a norm constraint is part of a trajectory algorithm (`gd`, `sgd`, "
                                    "`langevin` on a fixed training set: the dmft kind)")
            check_static(alg, self.symbols, lambda e: self.expr(e, scope={}, ctx="param"))
            return
        extra = alg.penalty or alg.bias
        if extra is not None:
            raise self.err(f"`{'penalty' if alg.penalty else 'bias'}` belongs to `algorithm erm`", extra.span,
                           hint="a trajectory algorithm takes its ridge as `train w lr eta decay lambda`")
        known, options = (DATA_ALGORITHMS, DATA_ALGORITHM_OPTIONS) if finite else (ALGORITHMS, ALGORITHM_OPTIONS)
        if alg.name not in known:
            hint = did_you_mean(alg.name, known)
            if not finite and alg.name in DATA_ALGORITHMS:
                hint = f"`{alg.name}` reuses a fixed training set: add `data n = alpha * N`"
            elif finite and alg.name in ALGORITHMS:
                hint = "on a fixed training set (`data`) the algorithms are gd, sgd, langevin and sgf"
            raise self.err(f"unknown algorithm `{alg.name}`", alg.name_span,
                           expected=", ".join(f"`{a}`" for a in known), hint=hint)
        if not alg.trains and not alg.updates:
            raise self.err("the algorithm trains nothing", alg.span,
                           expected="`train w lr eta` or `update w[k] += ...`")
        seen: dict[str, object] = {}
        for up in alg.updates:
            self.update(up, seen)
        for tr in alg.trains:
            sym = self.symbols.get(tr.target)
            if sym is None:
                raise self.unknown(tr.target, tr.target_span, "a student vector or scalar",
                                   [n for n, s in self.symbols.items() if s.kind in ("vector", "scalar")])
            if sym.kind not in ("vector", "scalar"):
                raise self.err(f"`{tr.target}` is {kind_word(sym.kind)}; only vectors and scalars are trained",
                               tr.target_span)
            if sym.role != "student":
                raise self.err(f"`{tr.target}` belongs to the teacher; only the student is trained",
                               tr.target_span, hint="move it to the `student` block")
            if tr.target in seen:
                raise self.err(f"`{tr.target}` is trained twice", tr.span,
                               hint=f"first `train {tr.target}` at line {seen[tr.target].span.line}")
            seen[tr.target] = tr
            names = set()
            for opt in tr.options:
                if opt.name not in TRAIN_OPTIONS:
                    raise self.err(f"unknown option `{opt.name}` of `train`", opt.span,
                                   expected=", ".join(f"`{o}`" for o in TRAIN_OPTIONS),
                                   hint=did_you_mean(opt.name, TRAIN_OPTIONS))
                names.add(opt.name)
                self.expr(opt.value, scope={}, ctx="train")
            if "lr" not in names:
                raise self.err(f"`train {tr.target}` needs a learning rate", tr.span,
                               expected=f"`train {tr.target} lr eta`")
            for bw in tr.backward:
                self.backward(bw)
        if alg.name == "feedback_alignment" and not any(tr.backward for tr in alg.trains):
            raise self.err("feedback alignment needs a backward replacement", alg.span,
                           expected="`train w lr eta backward v -> b`")
        for opt in alg.options:
            if opt.name not in options:
                raise self.err(f"unknown algorithm option `{opt.name}`", opt.span,
                               expected=", ".join(f"`{o} = ...`" for o in options),
                               hint=did_you_mean(opt.name, options) or (
                                   "on a fixed training set `batch = b` is the batch fraction of SGD"
                                   if finite else "options of a trained object go after it: "
                                   "`train w lr eta decay lam`"))
            self.expr(opt.value, scope={}, ctx="param")
        for con in alg.constraints:
            self.constraint(con, alg, finite)

    def constraint(self, con: ast.Constraint, alg: ast.Algorithm, finite: bool) -> None:
        """`constrain w.w = q`: the spherical constraint of the dmft kind (DMFT.md §2.2)."""
        if not finite:
            raise self.err("`constrain` needs a fixed training set (the dmft kind)", con.span,
                           hint="add `data n = alpha * N`; online models have no norm constraint yet")
        tr = next((t for t in alg.trains if t.target == con.target), None)
        if tr is None or self.symbols[tr.target].kind != "vector":
            raise self.err(f"`{con.target}` is not a vector trained by this algorithm", con.target_span,
                           expected=f"`constrain w.w = 1` for a `train w lr eta` of a student vector w")
        if con.other != con.target:
            raise self.err(f"`{con.target}.{con.other}`: a norm constraint fixes |{con.target}|²/N", con.other_span,
                           expected=f"`constrain {con.target}.{con.target} = 1`")
        decay = next((o for o in tr.options if o.name == "decay"), None)
        if decay is not None:
            raise self.err("a ridge `decay` has no effect under `constrain`", decay.span,
                           hint="on the sphere the Lagrange multiplier absorbs any λ|w|²/2; remove `decay ...`")
        mom = next((o for o in alg.options if o.name in ("momentum", "nesterov")), None)
        if mom is not None:
            raise self.err(f"`{mom.name}` with `constrain` is not supported", mom.span,
                           hint="the spherical constraint is implemented for GD, SGD, persistent SGD and Langevin")
        self.expr(con.value, scope={}, ctx="param")

    def derived_input(self, inp: ast.InputDecl) -> None:
        """`x = c * mu + sqrt(D) * z`: base inputs and (unindexed) vectors, scalar weights."""
        self.vector_linear(inp.value, {})
        stack = [inp.value]
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Name, ast.Indexed)):
                sym = self.symbols.get(node.name)
                if sym is not None and sym.kind == "voutput":
                    raise self.err(f"derived input `{inp.name}` is built from vector output "
                                   f"`{node.name}`", node.span,
                                   hint="inputs are drawn before the network runs; write it in terms "
                                        "of base inputs and vectors")
                if sym is not None and sym.kind == "input":
                    # derived inputs may build on derived inputs, without cycles
                    if self.derives_from(node.name, inp.name, set()):
                        raise self.err(f"derived input `{inp.name}` is built from itself "
                                       f"(through `{node.name}`)", node.span,
                                       hint="write it in terms of the base inputs (`~ gaussian`)")
            elif hasattr(node, "__dataclass_fields__"):
                for f in ("left", "right", "operand", "body"):
                    if hasattr(node, f):
                        stack.append(getattr(node, f))

    def derives_from(self, name: str, target: str, seen: set) -> bool:
        """Whether input `name` is `target` or is built (transitively) from it."""
        if name == target:
            return True
        if name in seen:
            return False
        seen.add(name)
        inp = next((i for i in self.m.inputs if i.name == name), None)
        if inp is None or inp.value is None:
            return False
        stack = [inp.value]
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Name, ast.Indexed)):
                sym = self.symbols.get(node.name)
                if sym is not None and sym.kind == "input" and self.derives_from(node.name, target, seen):
                    return True
            elif hasattr(node, "__dataclass_fields__"):
                for f in ("left", "right", "operand", "body"):
                    if hasattr(node, f):
                        stack.append(getattr(node, f))
        return False

    def order_entry(self, sym: Symbol, e: ast.Indexed, ctx: str) -> None:
        """`Q[1,2]` in an observable: one entry of an order parameter, literal indices."""
        if ctx != "observe":
            raise self.err(f"order parameter `{e.name}` can only be used in `observe`", e.span)
        if len(e.indices) != sym.size:
            raise self.err(f"`{e.name}` takes {sym.size} index(es), got {len(e.indices)}", e.span)
        o = next(o for o in self.m.orders if o.name == e.name)
        for i, name in zip(e.indices, o.indices):
            if not (isinstance(i, ast.Num) and i.value == int(i.value) and i.value >= 1):
                raise self.err("an entry of an order parameter is named by numbers", i.span,
                               expected=f"e.g. `{e.name}[{', '.join(['1'] * sym.size)}]`")
            ref = next(r for r in (o.left, o.right) if isinstance(r.index, ast.Name) and r.index.name == name)
            vec = self.symbols[ref.name]
            self.literal_index(int(i.value), vec.size, i.span, vec)

    def schedule(self, sc: ast.Schedule, seen: dict) -> None:
        sym = self.symbols.get(sc.name)
        if sym is None or sym.kind != "param":
            raise self.unknown(sc.name, sc.name_span, "a parameter",
                               [n for n, s in self.symbols.items() if s.kind == "param"]) \
                if sym is None else self.err(f"`{sc.name}` is {kind_word(sym.kind)}; only parameters "
                                             "have schedules", sc.name_span)
        if sc.name in self.int_params:
            raise self.err(f"`{sc.name}` is an index size and cannot change in time", sc.name_span)
        if sc.name in seen:
            raise self.err(f"`{sc.name}` has two schedules", sc.span,
                           hint=f"the first is at line {seen[sc.name].span.line}")
        seen[sc.name] = sc
        if not sc.pieces:
            raise self.err("a schedule needs at least one piece", sc.span,
                           expected="`schedule eta { 0 .. 5 = 1; 5 .. 10 = 0.5 }`")
        for piece in sc.pieces:
            for e in (piece.t0, piece.t1, piece.value):
                self.expr(e, scope={}, ctx="param")

    def update(self, up: ast.Update, seen: dict) -> None:
        sym = self.symbols.get(up.target)
        if sym is None:
            raise self.unknown(up.target, up.target_span, "a student vector or scalar",
                               [n for n, s in self.symbols.items() if s.kind in ("vector", "scalar")])
        if sym.kind not in ("vector", "scalar") or sym.role != "student":
            raise self.err(f"`{up.target}` cannot be updated: only student vectors and scalars are",
                           up.target_span)
        if up.target in seen:
            raise self.err(f"`{up.target}` is updated twice", up.span)
        seen[up.target] = up
        scope: dict = {}
        if sym.indexed:
            if up.index is None:
                raise self.err(f"`{up.target}` is indexed; name the entry", up.target_span,
                               expected=f"`update {up.target}[{sym.index}] += ...`")
            scope[up.index] = sym.size
        elif up.index is not None:
            raise self.err(f"`{up.target}` is not indexed", up.target_span)
        if sym.kind == "scalar":
            self.expr(up.value, scope, ctx="output")
        else:
            self.vector_linear(up.value, scope)

    def names_in(self, node) -> list[str]:
        """Declared names (plain or indexed) anywhere in an expression."""
        out, stack = [], [node]
        while stack:
            n = stack.pop()
            if isinstance(n, (ast.Name, ast.Indexed)) and n.name in self.symbols:
                out.append(n.name)
            elif hasattr(n, "__dataclass_fields__"):
                for f in ("left", "right", "operand", "body", "value"):
                    if hasattr(n, f):
                        stack.append(getattr(n, f))
        return out

    def is_vec(self, node) -> bool:
        """Whether an expression holds a bare input, vector or vector output."""
        if isinstance(node, (ast.Name, ast.Indexed)):
            sym = self.symbols.get(node.name)
            return sym is not None and sym.kind in ("vector", "input", "voutput")
        if isinstance(node, ast.Neg):
            return self.is_vec(node.operand)
        if isinstance(node, ast.BinOp):
            return self.is_vec(node.left) or self.is_vec(node.right)
        if isinstance(node, ast.SumExpr):
            return self.is_vec(node.body)
        return False

    def vector_linear(self, e, scope: dict) -> None:
        """Check a high-dimensional expression (an update direction, a vector output,
        the inside of a norm): Σ (scalar) × (input, vector or vector output)."""
        is_vec = self.is_vec
        if isinstance(e, ast.Name) and is_vec(e) and self.symbols[e.name].kind == "voutput":
            return
        if isinstance(e, ast.Indexed) and is_vec(e) and self.symbols[e.name].kind == "voutput":
            raise self.err(f"vector output `{e.name}` is not indexed", e.span,
                           hint=f"write `{e.name}`")
        if isinstance(e, (ast.Name, ast.Indexed)) and is_vec(e):
            self.field_side(e, scope)
            return
        if isinstance(e, ast.Neg):
            return self.vector_linear(e.operand, scope)
        if isinstance(e, ast.BinOp) and e.op in "+-":
            self.vector_linear(e.left, scope)
            self.vector_linear(e.right, scope)
            return
        if isinstance(e, ast.BinOp) and e.op in "*/":
            lv, rv = is_vec(e.left), is_vec(e.right)
            if lv and not rv:
                self.vector_linear(e.left, scope)
                self.expr(e.right, scope, ctx="output")
                return
            if rv and not lv and e.op == "*":
                self.expr(e.left, scope, ctx="output")
                self.vector_linear(e.right, scope)
                return
        if isinstance(e, ast.SumExpr):
            inner = dict(scope)
            inner[e.index] = self.size_of(e.range, e.span) if e.range else self.index_sizes.get(e.index)
            self.vector_linear(e.body, inner)
            return
        raise self.err("an update direction is a sum of (number) × (input or vector)", e.span,
                       expected="e.g. `eta * err * x + c * f`",
                       hint="inputs are scaled by 1/sqrt(N) and vectors by 1/N automatically")

    def backward(self, bw: ast.Backward) -> None:
        syms = []
        for name in (bw.source, bw.target):
            sym = self.symbols.get(name)
            if sym is None:
                raise self.unknown(name, bw.span, "a scalar",
                                   [n for n, s in self.symbols.items() if s.kind == "scalar"])
            if sym.kind != "scalar":
                raise self.err(f"`{name}` is {kind_word(sym.kind)}; `backward` swaps scalars", bw.span,
                               expected="`backward v -> b` with v, b scalars")
            syms.append(sym)
        if syms[0].size != syms[1].size:
            raise self.err(f"`{bw.source}` and `{bw.target}` have different sizes", bw.span,
                           hint="the feedback must have one entry per hidden unit")

    def ref_family(self, ref: ast.Ref, scope: dict[str, str | int]) -> Symbol:
        sym = self.symbols.get(ref.name)
        if sym is None or sym.kind != "vector":
            raise self.unknown(ref.name, ref.span, "a vector",
                               [n for n, s in self.symbols.items() if s.kind == "vector"]) \
                if sym is None else self.err(f"`{ref.name}` is {kind_word(sym.kind)}, not a vector", ref.span)
        self.index_use(sym, (ref.index,) if ref.index is not None else (), ref.span, scope)
        return sym

    def order(self, o: ast.OrderDef) -> None:
        scope: dict[str, str | int] = {}
        for name in o.indices:
            scope[name] = None  # filled from use
        self.declare(Symbol("order", o.name, o.span, size=len(o.indices), indexed=bool(o.indices)))
        a = self.ref_family(o.left, scope)
        b = self.ref_family(o.right, scope)
        used = [r.index.name for r in (o.left, o.right) if isinstance(r.index, ast.Name)]
        for name in o.indices:
            if name not in used:
                raise self.err(f"index `{name}` of `{o.name}` is not used on the right", o.span,
                               hint=f"write e.g. `{o.name}[k,l] = w[k].w[l]`")
        for name in used:
            if name not in o.indices:
                raise self.err(f"index `{name}` is not declared on `{o.name}`", o.span,
                               expected=f"`{o.name}[{', '.join(used)}]`")
        for r, s in ((o.left, a), (o.right, b)):
            if s.indexed and r.index is None:
                raise self.err(f"`{s.name}` is indexed; name the entry", r.span,
                               expected=f"`{s.name}[{s.index}]`")

    def init(self, it: ast.InitDef) -> None:
        sym = self.symbols.get(it.name)
        if sym is None or sym.kind not in ("order", "scalar"):
            raise self.unknown(it.name, it.span, "an order parameter or a scalar",
                               [n for n, s in self.symbols.items() if s.kind in ("order", "scalar")]) \
                if sym is None else self.err(f"`{it.name}` is {kind_word(sym.kind)}; `init` sets order parameters and scalars", it.span)
        self.init_indices(sym, it)
        scope = {i: None for i in it.indices if isinstance(i, str)}
        self.expr(it.value, scope=scope, ctx="init")

    def init_indices(self, sym: Symbol, it: ast.InitDef) -> None:
        """Literal entries of an `init` in range; as many indices as the object has."""
        if not it.indices:
            return
        if sym.kind == "order":
            o = next(o for o in self.m.orders if o.name == it.name)
            sides = [next(r for r in (o.left, o.right) if isinstance(r.index, ast.Name) and r.index.name == n)
                     for n in o.indices]
            owners = [self.symbols[r.name] for r in sides]
        else:
            owners = [sym] if sym.indexed else []
        if len(it.indices) != len(owners):
            raise self.err(f"`{it.name}` takes {len(owners)} index(es), got {len(it.indices)}", it.span,
                           expected=f"`{it.name}` or `{it.name}[{', '.join(['1'] * len(owners))}]`"
                           if owners else f"`{it.name} = ...`")
        for i, span, owner in zip(it.indices, it.index_spans, owners):
            if isinstance(i, int):
                self.literal_index(i, owner.size, span, owner)

    def run_block(self, r: ast.RunBlock) -> None:
        for e in (r.t0, r.t1, r.record):
            if e is not None:
                self.expr(e, scope={}, ctx="param")
        for opt in r.options:
            if opt.name not in RUN_OPTIONS:
                raise self.err(f"unknown run option `{opt.name}`", opt.span,
                               expected=", ".join(f"`{o}`" for o in RUN_OPTIONS),
                               hint=did_you_mean(opt.name, RUN_OPTIONS))
            if opt.name != "method":
                self.expr(opt.value, scope={}, ctx="param")
            elif not (isinstance(opt.value, ast.Name) and opt.value.name in METHODS):
                what = f" `{opt.value.name}`" if isinstance(opt.value, ast.Name) else ""
                raise self.err(f"unknown integration method{what}", opt.value.span,
                               expected=" or ".join(f"`{m}`" for m in METHODS),
                               hint=(did_you_mean(opt.value.name, METHODS)
                                     if isinstance(opt.value, ast.Name) else None)
                               or "`dopri5`: adaptive Runge-Kutta (default); `rk4`: fixed step `dt`")

    # ---------------------------------------------------------- expressions
    def index_use(self, sym: Symbol, indices: tuple, span: Span, scope: dict) -> None:
        if not sym.indexed:
            if indices:
                raise self.err(f"`{sym.name}` is not indexed", span,
                               hint=f"write `{sym.name}` without `[...]`")
            return
        if len(indices) != 1:
            raise self.err(f"`{sym.name}` takes one index, got {len(indices)}", span,
                           expected=f"`{sym.name}[{sym.index}]`")
        idx = indices[0]
        if isinstance(idx, ast.Num):
            if idx.value != int(idx.value) or idx.value < 1:
                raise self.err("an index is a positive integer (indices start at 1)", idx.span)
            self.literal_index(int(idx.value), sym.size, idx.span, sym)
            return
        name = idx.name
        if name not in scope and sym.kind == "output" and name in self.labels:
            # `yhat[y]`: the class score of the label (a class index in 1..K)
            return
        if name not in scope:
            bound_here = ", ".join(f"`{i}`" for i in scope)
            hint = f"sum over it: `sum({name}, ...)`"
            if bound_here:
                hint = f"the indices bound here are {bound_here}; or " + hint
            raise self.err(f"index `{name}` is out of scope", idx.span,
                           expected="an index bound by `sum(...)` or by the statement",
                           hint=hint)
        bound = scope[name]
        if bound is None:
            scope[name] = sym.size
        elif bound != sym.size:
            raise self.err(f"index `{name}` ranges over 1..{bound} but `{sym.name}` is indexed over 1..{sym.size}",
                           idx.span, hint=f"`{sym.name}` is declared with index `{sym.index}` in 1..{sym.size}; "
                                          f"use an index over 1..{sym.size}, e.g. `{sym.name}[{sym.index}]`")

    def literal_index(self, value: int, size: str | int, span: Span, sym: Symbol) -> None:
        """`w[3]`: out of range now if the size is a number, else when the size is known."""
        if isinstance(size, int):
            if value > size:
                raise self.err(f"index {value} is out of range 1..{size}", span,
                               hint=f"`{sym.name}` is indexed over 1..{size}"
                                    + (f" (line {sym.span.line})" if sym.span else ""))
            return
        self.literal_indices.append(LiteralIndex(value, size, span, sym.name, sym.span))

    def field_side(self, e, scope) -> Symbol:
        if isinstance(e, ast.Name):
            name, indices, span = e.name, (), e.span
        elif isinstance(e, ast.Indexed):
            name, indices, span = e.name, e.indices, e.span
        else:
            raise self.err("a field or an overlap joins two vectors", e.span,
                           expected="`w[k].x` or `w[k].wt[m]`")
        sym = self.symbols.get(name)
        if sym is None:
            raise self.unknown(name, span, "a vector or an input",
                               [n for n, s in self.symbols.items() if s.kind in ("vector", "input")])
        if sym.kind == "voutput":
            raise self.err(f"`{name}` is a vector output; fields and overlaps with it are not supported",
                           span, hint="use its squared norm `|...|^2`, or write the field out "
                                      "from the output's definition")
        if sym.kind not in ("vector", "input"):
            raise self.err(f"`{name}` is {kind_word(sym.kind)}, not a vector", span,
                           hint="`u.x` is a field u·x/√N; both sides are vectors")
        if sym.kind == "vector":
            if sym.indexed and not indices:
                raise self.err(f"`{name}` is indexed; name the entry", span,
                               expected=f"`{name}[{sym.index}]`")
            self.index_use(sym, tuple(indices), span, scope)
        elif indices:
            raise self.err(f"input `{name}` is not indexed", span)
        return sym

    def replica_call(self, e: ast.Call, ctx: str) -> None:
        """`replica_distance(w)`: a whole observable whose argument is a student vector."""
        if ctx != "observe_whole":
            raise self.err(f"`{e.func}(...)` can only be a whole observable", e.span,
                           expected=f"`observe D = {e.func}(w)` with w a trained student vector")
        a = e.args[0] if len(e.args) == 1 else None
        sym = self.symbols.get(a.name) if isinstance(a, ast.Name) else None
        if sym is None or sym.kind != "vector" or sym.role != "student":
            raise self.err(f"`{e.func}` takes one argument, a student vector", e.span,
                           expected=f"`{e.func}(w)` with w declared in the student block")
        allowed = REPLICA_KWARGS[e.func]
        seen: set[str] = set()
        for kw in e.kwargs:
            if kw.name not in allowed:
                raise self.err(f"`{kw.name}` is not an option of `{e.func}`", kw.span,
                               expected=", ".join(f"`{a} = t1 .. t2`" for a in allowed) if allowed
                               else f"`{e.func}(w)` (no options)",
                               hint=did_you_mean(kw.name, allowed) if allowed else None)
            if kw.name in seen:
                raise self.err(f"`{kw.name}` is given twice", kw.span)
            seen.add(kw.name)
            if kw.hi is None:
                raise self.err(f"`{kw.name}` is a range of times", kw.span,
                               expected=f"`{kw.name} = t1 .. t2` (model time units, t = steps × eta)")
            for bound in (kw.lo, kw.hi):
                self.expr(bound, scope={}, ctx="param")

    def is_scores(self, e) -> bool:
        """Whether a node is a bare indexed output (the K class scores `yhat`)."""
        sym = self.symbols.get(e.name) if isinstance(e, ast.Name) else None
        return sym is not None and sym.kind == "output" and sym.indexed

    def is_class_vec(self, e) -> bool:
        """Whether an expression holds bare class scores or `onehot(y)` (a K-vector)."""
        if self.is_scores(e) or (isinstance(e, ast.Call) and e.func == "onehot"):
            return True
        if isinstance(e, ast.Neg):
            return self.is_class_vec(e.operand)
        if isinstance(e, ast.BinOp):
            return self.is_class_vec(e.left) or self.is_class_vec(e.right)
        return False

    def label_arg(self, a, call: ast.Call) -> None:
        if not (isinstance(a, ast.Name) and a.name in self.labels):
            raise self.err(f"the argument of `{call.func}` must be a class label", a.span,
                           expected="a teacher output `y = argmax(k, wt[k].x)`",
                           hint="class labels are indices 1..K given by an argmax")

    def class_call(self, e: ast.Call, ctx: str, in_norm: bool = False) -> None:
        """`cross_entropy(yhat, y)` in the loss; `onehot(y)` inside `|yhat - onehot(y)|^2`."""
        n = CLASS_FUNCTIONS[e.func]
        if len(e.args) != n:
            raise self.err(f"`{e.func}` takes {n} argument{'s' if n != 1 else ''}, got {len(e.args)}", e.span,
                           expected="`cross_entropy(yhat, y)`" if e.func == "cross_entropy" else "`onehot(y)`")
        if ctx != "loss":
            raise self.err(f"`{e.func}` can only be used in the loss", e.span)
        if e.func == "onehot":
            if not in_norm:
                raise self.err("`onehot(y)` is a K-vector: use it inside a squared norm of class scores", e.span,
                               expected="`|yhat - onehot(y)|^2 / 2`")
            self.label_arg(e.args[0], e)
            return
        if not self.is_scores(e.args[0]):
            raise self.err("the first argument of `cross_entropy` is the class scores", e.args[0].span,
                           expected="`cross_entropy(yhat, y)` with `yhat[k] = w[k].x` in `student`")
        self.label_arg(e.args[1], e)

    def class_vector(self, e, scope: dict, ctx: str) -> None:
        """The inside of `|...|^2` over class scores: a linear combination of bare indexed outputs
        and `onehot(y)` with scalar coefficients."""
        if self.is_scores(e):
            return
        if isinstance(e, ast.Call) and e.func == "onehot":
            self.class_call(e, ctx, in_norm=True)
            return
        if isinstance(e, ast.Neg):
            self.class_vector(e.operand, scope, ctx)
            return
        if isinstance(e, ast.BinOp) and e.op in "+-":
            self.class_vector(e.left, scope, ctx)
            self.class_vector(e.right, scope, ctx)
            return
        if isinstance(e, ast.BinOp) and e.op in "*/" and self.is_class_vec(e.left) != self.is_class_vec(e.right) \
                and not (e.op == "/" and self.is_class_vec(e.right)):
            vec, num = (e.left, e.right) if self.is_class_vec(e.left) else (e.right, e.left)
            self.class_vector(vec, scope, ctx)
            self.expr(num, scope, ctx)
            return
        raise self.err("the squared norm of class scores takes a linear combination of K-vectors", e.span,
                       expected="e.g. `|yhat - onehot(y)|^2` with `yhat[k] = w[k].x`",
                       hint="K-vectors are the indexed outputs (written without an index) and `onehot(y)`")

    def expr(self, e, scope: dict, ctx: str) -> None:
        """Check a scalar expression; `scope` maps bound indices to sizes."""
        if isinstance(e, ast.Str):
            raise self.err("a quoted file name is not a value", e.span,
                           expected='numbers and names; a file only as `spectrum = eigenvalues("sigma.txt")`')
        if isinstance(e, ast.Num):
            return
        if isinstance(e, ast.Name):
            if e.name in scope:
                return  # an index used as a number
            if e.name in CONSTANTS and e.name not in self.symbols:
                return
            if e.name == DIMENSION and e.name not in self.symbols:
                if ctx not in N_CONTEXTS:
                    raise self.err("the dimension `N` cannot be used here", e.span,
                                   hint="`N` may appear in the loss, outputs, learning rates and "
                                        "inside `mean(...)`; the theory takes N → ∞")
                return
            if e.name in BUILTIN_RANDOM and e.name not in self.symbols:
                if ctx not in ("output", "loss", "observe"):
                    raise self.err("random scalars appear in outputs, the loss and observables", e.span)
                return
            sym = self.symbols.get(e.name)
            if sym is None:
                if any(o.name == e.name for o in self.m.orders):
                    raise self.err(f"order parameter `{e.name}` can only be used in `observe`", e.span,
                                   hint="the loss and the outputs are written with fields such as `w[k].x`"
                                   if ctx in ("loss", "output") else None)
                later = next((p for p in self.m.params if p.name == e.name), None)
                if later is not None:
                    raise self.err(f"parameter `{e.name}` is used before it is declared", e.span,
                                   expected="a parameter declared above",
                                   hint=f"`{e.name}` is declared at line {later.span.line}; "
                                        "move it above this line")
                raise self.unknown(e.name, e.span, "a parameter, scalar or output"
                                   if ctx not in ("param", "train")
                                   else "a parameter declared above",
                                   [n for n, s in self.symbols.items() if s.kind not in ("vector", "input")]
                                   + list(BUILTIN_RANDOM))
            if sym.kind == "voutput":
                raise self.err(f"vector output `{e.name}` used where a number is needed", e.span,
                               expected="a scalar expression",
                               hint=f"use its squared norm, e.g. `|{e.name}|^2` (of order N)")
            if sym.kind in ("vector", "input"):
                raise self.err(f"{sym.kind} `{e.name}` used where a number is needed", e.span,
                               expected="a scalar expression",
                               hint=f"a field is written `{e.name}.{self.input_name()}`" if sym.kind == "vector"
                               else f"project it on a vector: `w.{e.name}`")
            if ctx in ("param", "train") and sym.kind != "param":
                raise self.err(f"`{e.name}` is {kind_word(sym.kind)}; only parameters can be used here", e.span)
            if sym.indexed:
                hint = None if sym.index in scope else \
                    f"or sum over it: `sum({sym.index}, {e.name}[{sym.index}])`"
                raise self.err(f"`{e.name}` is indexed; name the entry", e.span,
                               expected=f"`{e.name}[{sym.index}]`", hint=hint)
            if sym.kind in ("order", "observable") and ctx != "observe":
                raise self.err(f"{kind_word(sym.kind, article=False)} `{e.name}` can only be used in `observe`",
                               e.span)
            return
        if isinstance(e, ast.Indexed):
            sym = self.symbols.get(e.name)
            if sym is None:
                raise self.unknown(e.name, e.span, "an indexed scalar",
                                   [n for n, s in self.symbols.items() if s.indexed])
            if sym.kind in ("vector", "input"):
                entry = f"{e.name}[{', '.join(_text(i) for i in e.indices)}]"
                raise self.err(f"{sym.kind} `{entry}` used where a number is needed", e.span,
                               expected="a scalar expression",
                               hint=f"a field is written `{entry}.{self.input_name()}`")
            if sym.kind == "voutput":
                raise self.err(f"vector output `{e.name}` is not indexed", e.span,
                               hint=f"use its squared norm, e.g. `|{e.name}|^2`")
            if ctx in ("param", "train"):
                raise self.err(f"`{e.name}` is {kind_word(sym.kind)}; only parameters can be used here", e.span)
            if sym.kind == "order":
                self.order_entry(sym, e, ctx)
                return
            self.index_use(sym, e.indices, e.span, scope)
            return
        if isinstance(e, ast.Call) and e.func in REPLICA_FUNCTIONS:
            self.replica_call(e, ctx)
            return
        if isinstance(e, ast.Call) and e.func in CLASS_FUNCTIONS:
            self.class_call(e, ctx)
            return
        if isinstance(e, ast.Call):
            if e.func not in FUNCTIONS:
                raise self.err(f"unknown function `{e.func}`", e.func_span,
                               expected=", ".join(f"`{f}`" for f in FUNCTIONS),
                               hint=did_you_mean(e.func, FUNCTIONS))
            n = FUNCTIONS[e.func]
            if e.kwargs:
                raise self.err(f"`{e.func}` takes no keyword arguments", e.kwargs[0].span,
                               expected=f"`{e.func}({', '.join('ab'[i] if n > 1 else 'x' for i in range(n))})`")
            if len(e.args) != n:
                raise self.err(f"`{e.func}` takes {n} argument{'s' if n != 1 else ''}, got {len(e.args)}",
                               e.span, expected=f"`{e.func}({', '.join('ab'[i] if n > 1 else 'x' for i in range(n))})`")
            for a in e.args:
                self.expr(a, scope, ctx)
            return
        if isinstance(e, ast.BinOp) and e.op == "^" and isinstance(e.left, ast.Norm):
            if not (isinstance(e.right, ast.Num) and e.right.value == 2):
                raise self.err("only the squared norm `|v|^2` is supported", e.right.span,
                               expected="`^2`")
            if ctx not in ("loss", "output"):
                raise self.err("squared norms can be used in the loss, outputs and `mean(...)`",
                               e.span)
            inner = e.left.value
            if self.is_class_vec(inner):
                self.class_vector(inner, scope, ctx)
                return
            if not self.is_vec(inner):
                raise self.err("`|...|^2` is the squared norm of a high-dimensional expression",
                               inner.span, expected="inputs, vectors or vector outputs, e.g. `|x - xhat|^2`",
                               hint="for the absolute value of a number use `abs(...)`")
            self.vector_linear(inner, scope)
            return
        if isinstance(e, ast.BinOp) and e.op == "^" and self.is_vec(e.left) and \
                any(self.symbols[n].kind == "voutput" for n in self.names_in(e.left)):
            raise self.err("a high-dimensional expression cannot be squared like a number", e.left.span,
                           expected="its squared norm, e.g. `|x - xhat|^2`",
                           hint="`|v|^2` is ‖v‖², of order N; divide by `N` for a per-dimension error")
        if isinstance(e, ast.Norm):
            raise self.err("`|...|` is only used squared", e.span, expected="`|v|^2`",
                           hint="`|v|^2` is the squared norm of a high-dimensional v; "
                                "for the absolute value of a number use `abs(...)`")
        if isinstance(e, ast.BinOp):
            self.expr(e.left, scope, ctx)
            self.expr(e.right, scope, ctx)
            return
        if isinstance(e, ast.Neg):
            self.expr(e.operand, scope, ctx)
            return
        if isinstance(e, ast.Dot):
            if ctx in ("param", "init", "train"):
                raise self.err("fields and overlaps cannot be used here", e.span)
            a = self.field_side(e.left, scope)
            b = self.field_side(e.right, scope)
            if a.kind == "input":
                raise self.err("write the vector first and the input second", e.span,
                               expected=f"`w.{a.name}`")
            return
        if isinstance(e, ast.SumExpr) and e.op == "argmax" and e is getattr(self, "_label_node", None):
            self._argmax_spans = [*getattr(self, "_argmax_spans", []), e.span]
        elif isinstance(e, ast.SumExpr) and e.op == "argmax":
            raise self.err("`argmax(k, ...)` is a class label: it can only be a whole output", e.span,
                           expected="`y = argmax(k, wt[k].x)` in `teacher`",
                           hint="the K-class perceptron (static kind) labels data by the largest teacher field")
        if isinstance(e, ast.SumExpr):
            if ctx in ("param", "train"):
                raise self.err("sums cannot be used here", e.span)
            if e.index in scope or e.index in self.symbols:
                raise self.err(f"`{e.index}` is already bound", e.index_span,
                               hint="use a fresh index name for the sum")
            if e.range is not None:
                size = self.size_of(e.range, e.span)
            else:
                size = self.index_sizes.get(e.index)
            inner = dict(scope)
            inner[e.index] = size
            self.expr(e.body, inner, ctx)
            if inner[e.index] is None:
                raise self.err(f"cannot tell the range of `{e.index}`", e.index_span,
                               expected=f"`sum({e.index} in 1..SIZE, ...)`")
            return
        if isinstance(e, ast.MeanExpr):
            if ctx != "observe":
                raise self.err("`mean(...)` can only be used in `observe`", e.span,
                               hint="the loss and outputs are averaged by the theory itself")
            if e.over is not None:
                if e.over != "train":
                    raise self.err(f"unknown sample set `{e.over}`", e.over_span, expected="`over train` "
                                   "(the training set); without `over` the mean is over a fresh sample")
                if self.m.data is None:
                    raise self.err("`over train` needs a training set", e.over_span,
                                   hint="add `data n = alpha * N` (a finite-data model); online models "
                                        "see a fresh sample at every step")
            for name, value, span in e.given:
                sym = self.symbols.get(name)
                if sym is None or sym.kind != "param":
                    raise self.unknown(name, span, "a parameter",
                                       [n for n, s in self.symbols.items() if s.kind == "param"])
                self.expr(value, {}, "param")
            self.expr(e.body, scope, "output")
            return
        raise AssertionError(f"unhandled node {e!r}")  # pragma: no cover


def check(model: ast.Model) -> CheckedModel:
    """Check a parsed model; raise :class:`StatcError` on the first mistake."""
    try:
        return _Checker(model).run()
    except StatcError as err:
        raise err.located(model.filename, model.source) from None
