"""Text → :class:`~statc.dsl.ast.Model`, with errors for people.

The grammar lives in ``grammar.lark`` (LALR, contextual lexer: keywords are
reserved only where the grammar could accept them, so ``log(x)`` and
``record log 100`` both work).
"""
from __future__ import annotations

import hashlib
import io
import math
import re
from functools import lru_cache
from pathlib import Path

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (UnexpectedCharacters, UnexpectedEOF,
                             UnexpectedInput, UnexpectedToken, VisitError)

from statc.atomic import write_bytes
from statc.locations import cache_dir

from . import ast
from .data_file import params_from_file, spectrum_files
from .errors import Span, StatcError, did_you_mean

_GRAMMAR = Path(__file__).with_name("grammar.lark")

_TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "RECORD_MODE": "`log` or `linear`",
    "STRING": "a quoted file name",
    "$END": "end of file",
}

_BLOCK_HINTS = {
    "RBRACE": "a block opened with `{` must be closed with `}`",
    "EQUAL": "declarations have the form `name = value`",
}

#: Words that start a top-level item; seen inside an open `{`, a `}` is missing.
_TOP_KEYWORDS = ("params", "input", "teacher", "student", "loss", "algorithm",
                 "order", "observe", "init", "schedule", "control", "run")

_RECORD_MODES = ("log", "linear")

#: terminals of the kernel kind's student statements (`width`, `embedding`, `layer`, `readout`)
_KERNEL_STUDENT = {"WIDTH", "EMBEDDING", "LAYER", "READOUT"}


_LARK_OPTIONS = dict(parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=True)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser.  Building its tables takes ~0.3 s, a fifth of a cached `statc run`,
    so they are saved (``Lark.save``) in the cache folder under the hash of the grammar,
    the options and the Lark version, and loaded from there; a missing, unreadable or
    stale file is rebuilt, an unwritable folder only costs the time."""
    text = _GRAMMAR.read_text()
    tag = hashlib.sha256(repr((text, sorted(_LARK_OPTIONS.items()), lark.__version__)).encode()).hexdigest()
    path = cache_dir() / "parser" / f"grammar-{tag[:20]}.lalr"
    try:
        with open(path, "rb") as f:
            return Lark.load(f)
    except Exception:                   # absent, truncated or from another Lark: rebuild
        pass
    parser = Lark(text, **_LARK_OPTIONS)
    try:
        buf = io.BytesIO()
        parser.save(buf)
        write_bytes(path, buf.getvalue())
    except OSError:
        pass
    return parser


def _span(meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line or tok.line,
                tok.end_column or tok.column + len(tok))


@v_args(meta=True)
class _ToAst(Transformer):
    """Builds the frozen AST; names follow the grammar's rule aliases."""

    # ---- expressions
    def number(self, meta, children):
        tok = children[0]
        value = float(tok)
        if not math.isfinite(value):
            raise StatcError(f"number `{tok}` is too large", _tok_span(tok),
                             expected="a finite number (at most about 1e308)")
        return ast.Num(value, str(tok), _tok_span(tok))

    def name(self, meta, children):
        tok = children[0]
        return ast.Name(str(tok), _tok_span(tok))

    def index_list(self, meta, children):
        return tuple(children)

    def indexed(self, meta, children):
        tok, indices = children
        return ast.Indexed(str(tok), tuple(indices), _span(meta))

    def call(self, meta, children):
        tok, *args = children
        args = [a for a in args if a is not None]
        kwargs = tuple(a for a in args if isinstance(a, ast.KwArg))
        pos = tuple(a for a in args if not isinstance(a, ast.KwArg))
        return ast.Call(str(tok), pos, _span(meta), _tok_span(tok), kwargs)

    def call_string(self, meta, children):
        return ast.Str(str(children[0])[1:-1], _span(meta))

    def call_range(self, meta, children):
        return ast.KwArg(str(children[0]), children[1], children[2], _span(meta))

    def call_kwarg(self, meta, children):
        return ast.KwArg(str(children[0]), children[1], None, _span(meta))

    def add(self, meta, children):
        return ast.BinOp("+", children[0], children[1], _span(meta))

    def sub(self, meta, children):
        return ast.BinOp("-", children[0], children[1], _span(meta))

    def mul(self, meta, children):
        return ast.BinOp("*", children[0], children[1], _span(meta))

    def div(self, meta, children):
        return ast.BinOp("/", children[0], children[1], _span(meta))

    def pow(self, meta, children):
        return ast.BinOp("^", children[0], children[1], _span(meta))

    def neg(self, meta, children):
        return ast.Neg(children[0], _span(meta))

    def dot(self, meta, children):
        return ast.Dot(children[0], children[1], _span(meta))

    def norm(self, meta, children):
        return ast.Norm(children[0], _span(meta))

    def range(self, meta, children):
        return ast.Range(children[0], children[1], _span(meta))

    def binder(self, meta, children):
        return children[0], children[1]

    def sum_call(self, meta, children):
        (tok, rng), body = children
        return ast.SumExpr(str(tok), rng, body, _span(meta), _tok_span(tok))

    def argmax_call(self, meta, children):
        (tok, rng), body = children
        return ast.SumExpr(str(tok), rng, body, _span(meta), _tok_span(tok), op="argmax")

    def given_item(self, meta, children):
        return str(children[0]), children[1], _span(meta)

    def given(self, meta, children):
        return tuple(children)

    def over(self, meta, children):
        return str(children[0]), _span(meta)

    def mean_call(self, meta, children):
        body, given, over = children
        name, span = over if over is not None else (None, None)
        return ast.MeanExpr(body, given or (), _span(meta), name, span)

    # ---- declarations
    def dist_kwarg(self, meta, children):
        return ("kw", (str(children[0]), children[1], _span(meta)))

    def dist_posarg(self, meta, children):
        return ("pos", children[0])

    def dist(self, meta, children):
        tok, *rest = children
        args = tuple(v for kind, v in (r for r in rest if r is not None) if kind == "pos")
        kwargs = tuple(v for kind, v in (r for r in rest if r is not None) if kind == "kw")
        return ast.Dist(str(tok), args, kwargs, _span(meta))

    def param_stmt(self, meta, children):
        return ast.ParamDecl(str(children[0]), children[1], _span(meta))

    def params_block(self, meta, children):
        return ("params", tuple(children), _span(meta))

    def param_key(self, meta, children):
        return str(children[0]), _tok_span(children[0])

    def params_from(self, meta, children):
        tok, *keys = children
        return ("params_from", (str(tok)[1:-1], _tok_span(tok), tuple(keys)), _span(meta))

    def derived_input(self, meta, children):
        return ast.InputDecl(str(children[0]), None, _span(meta), children[1])

    def input_decl(self, meta, children):
        return ast.InputDecl(str(children[0]), children[1], _span(meta))

    def input_block(self, meta, children):
        return ("inputs", tuple(children), _span(meta))

    def index_decl(self, meta, children):
        return ast.IndexDecl(str(children[0]), children[1], _span(meta))

    def vector_decl(self, meta, children):
        return ast.VectorDecl(str(children[0]), children[1], children[2], _span(meta))

    def scalar_decl(self, meta, children):
        return ast.ScalarDecl(str(children[0]), children[1], children[2], _span(meta))

    def random_decl(self, meta, children):
        return ast.RandomDecl(str(children[0]), children[1], children[2], _span(meta))

    def output_decl(self, meta, children):
        return ast.OutputDecl(str(children[0]), children[2], _span(meta), children[1])

    def teacher_block(self, meta, children):
        return ("network", ast.Network("teacher", tuple(c for c in children if c is not None), _span(meta)), _span(meta))

    def student_block(self, meta, children):
        return ("network", ast.Network("student", tuple(c for c in children if c is not None), _span(meta)), _span(meta))

    def loss_stmt(self, meta, children):
        return ("loss", ast.Loss(children[0], _span(meta)), _span(meta))

    def data_stmt(self, meta, children):
        return ("data", ast.DataDecl(str(children[0]), children[1], _span(meta)), _span(meta))

    def data_generator(self, meta, children):
        return ("data", ast.DataDecl(str(children[0]), None, _span(meta), generator=children[1]), _span(meta))

    def data_file(self, meta, children):
        tok = children[1]
        return ("data", ast.DataDecl(str(children[0]), None, _span(meta), file=str(tok)[1:-1],
                                     file_span=_tok_span(tok)), _span(meta))

    def width_decl(self, meta, children):
        return ast.WidthDecl(children[0], _span(meta))

    def embedding_decl(self, meta, children):
        return ast.EmbeddingDecl(children[0], _span(meta))

    def embedding_width(self, meta, children):
        return ast.EmbeddingDecl(children[1], _span(meta), width=children[0])

    def head_decl(self, meta, children):
        return ast.HeadDecl(str(children[0]), children[1], _span(meta), _tok_span(children[0]))

    def layer_prior(self, meta, children):
        return ("prior", children[0], _span(meta))

    def layer_width(self, meta, children):
        return ("width", children[0], _span(meta))

    def layer_block(self, meta, children):
        items = [c for c in children if c is not None]
        priors = [c for c in items if isinstance(c, tuple) and c[0] == "prior"]
        widths = [c for c in items if isinstance(c, tuple) and c[0] == "width"]
        if len(priors) > 1:
            raise StatcError("a second `prior` in this layer", priors[1][2],
                             hint="a layer has one prior variance for all its value weights")
        if len(widths) > 1:
            raise StatcError("a second `width` in this layer", widths[1][2],
                             hint=f"the first is at line {widths[0][2].line}, column {widths[0][2].column}; "
                                  "a layer has one output width")
        heads = tuple(c for c in items if isinstance(c, ast.HeadDecl))
        return ast.LayerBlock(heads, priors[0][1] if priors else None, _span(meta),
                              widths[0][1] if widths else None, widths[0][2] if widths else None)

    def readout_decl(self, meta, children):
        tok, token, prior = children
        return ast.ReadoutDecl(str(tok), token, prior, _span(meta), _tok_span(tok))

    def temperature_stmt(self, meta, children):
        return ast.Option("temperature", children[0], _span(meta))

    def train_opt(self, meta, children):
        return ast.Option(str(children[0]), children[1], _span(meta))

    def backward_opt(self, meta, children):
        return ast.Backward(str(children[0]), str(children[1]), _span(meta))

    def train_stmt(self, meta, children):
        tok, *opts = children
        return ast.Train(str(tok), tuple(o for o in opts if isinstance(o, ast.Option)),
                         _span(meta), _tok_span(tok),
                         tuple(o for o in opts if isinstance(o, ast.Backward)))

    def update_stmt(self, meta, children):
        tok, idx, value = children
        return ast.Update(str(tok), str(idx) if idx is not None else None, value, _span(meta),
                          _tok_span(tok))

    def constrain_stmt(self, meta, children):
        left, right, value = children
        return ast.Constraint(str(left), str(right), value, _span(meta), _tok_span(left), _tok_span(right))

    def algo_option(self, meta, children):
        return ast.Option(str(children[0]), children[1], _span(meta))

    def penalty_stmt(self, meta, children):
        return ast.Penalty(children[0], _span(meta))

    def bias_stmt(self, meta, children):
        return ast.BiasDecl(str(children[0]), _span(meta), _tok_span(children[0]))

    def algorithm_block(self, meta, children):
        tok, *stmts = children
        stmts = [s for s in stmts if s is not None]
        penalties = [s for s in stmts if isinstance(s, ast.Penalty)]
        biases = [s for s in stmts if isinstance(s, ast.BiasDecl)]
        for extra, what in ((penalties[1:], "penalty"), (biases[1:], "bias")):
            if extra:
                raise StatcError(f"a second `{what}` statement", extra[0].span,
                                 hint=f"an algorithm has at most one `{what}`")
        trains = tuple(s for s in stmts if isinstance(s, ast.Train))
        options = tuple(s for s in stmts if isinstance(s, ast.Option))
        updates = tuple(s for s in stmts if isinstance(s, ast.Update))
        constraints = tuple(s for s in stmts if isinstance(s, ast.Constraint))
        if len(constraints) > 1:
            raise StatcError("a second `constrain` statement", constraints[1].span,
                             hint="the dmft kind holds one norm constraint, `constrain w.w = 1`")
        return ("algorithm", ast.Algorithm(str(tok), trains, options, _span(meta), _tok_span(tok),
                                           updates, penalties[0] if penalties else None,
                                           biases[0] if biases else None, constraints), _span(meta))

    def index_names(self, meta, children):
        return tuple(str(c) for c in children)

    def ref(self, meta, children):
        return ast.Ref(str(children[0]), children[1], _span(meta))

    def order_def(self, meta, children):
        name, indices, left, right = children
        return ast.OrderDef(str(name), indices or (), left, right, _span(meta))

    def order_stmt(self, meta, children):
        return ("orders", tuple(children), _span(meta))

    def observe_def(self, meta, children):
        return ast.ObserveDef(str(children[0]), children[1], _span(meta))

    def observe_stmt(self, meta, children):
        return ("observes", tuple(children), _span(meta))

    def init_index(self, meta, children):
        out = []
        for c in children:
            if isinstance(c, ast.Name):
                out.append((c.name, c.span))
            elif c.value == int(c.value) and c.value >= 1:
                out.append((int(c.value), c.span))
            else:
                raise StatcError(f"`{c.text}` is not an index", c.span,
                                 expected="an index name or a whole number from 1")
        return tuple(out)

    def init_def(self, meta, children):
        name, indices, value = children
        indices = indices or ()
        return ast.InitDef(str(name), tuple(i for i, _ in indices), value, _span(meta),
                           tuple(s for _, s in indices))

    def schedule_piece(self, meta, children):
        return ast.SchedulePiece(children[0], children[1], children[2], _span(meta))

    def schedule_block(self, meta, children):
        tok, *pieces = children
        return ("schedules", (ast.Schedule(str(tok), tuple(pieces), _span(meta), _tok_span(tok)),),
                _span(meta))

    # ---- control
    def box(self, meta, children):
        return ("box", tuple(children))

    def choice(self, meta, children):
        return ("choice", tuple(children))

    def control_timed(self, meta, children):
        name, t, (kind, values) = children
        if str(t) != "t":
            raise StatcError(f"a control is a function of time `t`, not of `{t}`", _tok_span(t),
                             expected="`t`", hint=f"write `{name}(t) in …`")
        return ("control", ast.Control(str(name), kind, values, False, _span(meta), _tok_span(name)))

    def control_final(self, meta, children):
        name, (kind, values) = children
        return ("control", ast.Control(str(name), kind, values, True, _span(meta), _tok_span(name)))

    def minimize(self, meta, children):
        return ("objective", ("minimize", children[0]), _span(meta))

    def maximize(self, meta, children):
        return ("objective", ("maximize", children[0]), _span(meta))

    def rel_eq(self, meta, children):
        return "="

    def rel_le(self, meta, children):
        return "<="

    def rel_ge(self, meta, children):
        return ">="

    def budget_fraction(self, meta, children):
        name, value, rel, bound = children
        return ("budget", ast.Budget("fraction", str(name), value, rel, bound, _span(meta)))

    def budget_mean(self, meta, children):
        name, rel, bound = children
        return ("budget", ast.Budget("mean", str(name), None, rel, bound, _span(meta)))

    def budget_integral(self, meta, children):
        name, rel, bound = children
        return ("budget", ast.Budget("integral", str(name), None, rel, bound, _span(meta)))

    def baseline_sched(self, meta, children):
        tok, *pieces = children
        return ast.Schedule(str(tok), tuple(pieces), _span(meta), _tok_span(tok))

    def baseline(self, meta, children):
        name, *scheds = children
        return ("baseline", ast.Baseline(str(name), tuple(scheds), _span(meta)))

    def control_option(self, meta, children):
        return ("option", ast.Option(str(children[0]), children[1], _span(meta)))

    def control_block(self, meta, children):
        got: dict[str, list] = {"control": [], "budget": [], "baseline": [], "option": []}
        objective = None
        for item in children:
            if item is None:
                continue
            if item[0] == "objective":
                if objective is not None:
                    raise StatcError("a control block has one objective", item[2],
                                     hint="combine several observables in one expression, "
                                          "e.g. `minimize err1 + err2`")
                objective = item
                continue
            got[item[0]].append(item[1])
        sense, expr = objective[1] if objective else ("minimize", None)
        block = ast.ControlBlock(tuple(got["control"]), expr, sense, tuple(got["budget"]),
                                 tuple(got["baseline"]), tuple(got["option"]), _span(meta),
                                 objective[2] if objective else None)
        return ("control", block, _span(meta))

    def init_block(self, meta, children):
        return ("inits", tuple(children), _span(meta))

    def run_time(self, meta, children):
        return ("time", children, _span(meta))

    def run_record(self, meta, children):
        return ("record", children, _span(meta))

    def run_option(self, meta, children):
        return ("option", ast.Option(str(children[0]), children[1], _span(meta)), _span(meta))

    def run_block(self, meta, children):
        t0 = t1 = rec = None
        mode = None
        options = []
        for kind, val, _ in children:
            if kind == "time":
                t0, t1 = val
            elif kind == "record":
                mode_tok, rec = val
                mode = str(mode_tok) if mode_tok is not None else None
            else:
                options.append(val)
        return ("run", ast.RunBlock(t0, t1, mode, rec, tuple(options), _span(meta)), _span(meta))

    def model_decl(self, meta, children):
        return str(children[0])

    def empty(self, meta, children):
        return None

    def start(self, meta, children):
        name, *items = children
        return name, [i for i in items if i is not None]


_SINGLE_BLOCKS = {"loss": "loss", "algorithm": "algorithm", "run": "run", "control": "control", "data": "data"}


def _assemble(name: str, items: list, filename: str, source: str) -> ast.Model:
    params: list = []
    inputs: list = []
    networks: list = []
    orders: list = []
    observes: list = []
    inits: list = []
    schedules: list = []
    single: dict[str, tuple] = {}
    for kind, value, span in items:
        if kind in _SINGLE_BLOCKS:
            if kind in single:
                first = single[kind][1]
                what = "statement" if kind in ("loss", "data") else "block"
                raise StatcError(f"duplicated `{kind}` {what}", span,
                                 hint=f"the first `{kind}` is at line {first.line}; a model has one")
            single[kind] = (value, span)
        elif kind == "network":
            for other in networks:
                if other.role == value.role:
                    raise StatcError(f"duplicated `{value.role}` block", span,
                                     hint=f"the first `{value.role}` is at line {other.span.line}; "
                                          "put all its declarations in one block")
            networks.append(value)
        elif kind == "params_from":
            params.extend(params_from_file(*value, filename))
        else:
            {"params": params, "inputs": inputs, "orders": orders,
             "observes": observes, "inits": inits, "schedules": schedules}[kind].extend(value)
    inputs = [spectrum_files(inp, filename) for inp in inputs]
    lines = source.splitlines() or [""]
    whole = Span(1, 1, len(lines), len(lines[-1]) + 1)
    return ast.Model(
        name=name, params=tuple(params), inputs=tuple(inputs), networks=tuple(networks),
        loss=single.get("loss", (None,))[0], algorithm=single.get("algorithm", (None,))[0],
        orders=tuple(orders), observes=tuple(observes), inits=tuple(inits),
        run=single.get("run", (None,))[0], span=whole, filename=filename, source=source,
        schedules=tuple(schedules), control=single.get("control", (None,))[0],
        data=single.get("data", (None,))[0])


def _describe(terminals: set[str]) -> str:
    parser = _parser()
    words = []
    for t in sorted(terminals):
        if t in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[t])
            continue
        try:
            pattern = parser.get_terminal(t).pattern
        except KeyError:
            words.append(t.lower())
            continue
        words.append(f"`{pattern.value}`" if pattern.type == "str" else t.lower())
    words = sorted(set(words))
    if len(words) > 8:
        words = words[:8] + ["…"]
    return ", ".join(words)


def _unclosed_brace(source: str, end: int) -> tuple[int, str | None] | None:
    """The innermost `{` still open at offset `end`: its line and the first word of that line."""
    stack: list[tuple[int, str | None]] = []
    line = 1
    i = 0
    while i < min(end, len(source)):
        ch = source[i]
        if ch == "#":
            nl = source.find("\n", i)
            i = len(source) if nl < 0 else nl
            continue
        if ch == "\n":
            line += 1
        elif ch == "{":
            head = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", source[source.rfind("\n", 0, i) + 1:i])
            stack.append((line, head.group(1) if head else None))
        elif ch == "}" and stack:
            stack.pop()
        i += 1
    return stack[-1] if stack else None


def _word_before(source: str, pos: int) -> str | None:
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", source[:pos])
    return m.group(1) if m else None


def _syntax_error(err: UnexpectedInput, source: str) -> StatcError:
    if isinstance(err, UnexpectedToken):
        tok = err.token
        expected = set(err.expected)
        if tok.type == "STRING" and "STRING" not in expected:
            # a quoted word where no file name is allowed: the old character-level message
            return StatcError("unexpected character `\"`", Span.point(tok.line, tok.column),
                              expected=_describe(expected),
                              hint="strings are not part of the language; names are written bare")
        if tok.type == "$END":
            lines = source.splitlines() or [""]
            span = Span.point(len(lines), len(lines[-1]) + 1)
            found = "end of file"
            pos = len(source)
        else:
            span = _tok_span(tok)
            found = f"`{tok}`"
            pos = tok.start_pos
            prev = source[pos - 1] if pos >= 1 else ""
            if tok in ("=", "*") and prev == tok:
                # `==` or `**`: point at both characters
                span = Span(tok.line, tok.column - 1, tok.line, tok.column + 1)
                hint = ("there is no `==`: `=` only binds a name, as in `given sigma = 0`"
                        if tok == "=" else "powers are written `a^b`, e.g. `(yhat - y)^2`")
                return StatcError(f"unexpected `{tok}{tok}`", span,
                                  expected=_describe(expected), hint=hint)
            mode = re.search(r"\brecord\s+([A-Za-z_][A-Za-z0-9_]*)\s*$", source[:pos])
            if mode and mode.group(1) not in _RECORD_MODES:
                start = mode.start(1)
                line = source.count("\n", 0, start) + 1
                col = start - (source.rfind("\n", 0, start) + 1) + 1
                word = mode.group(1)
                return StatcError(f"unknown record mode `{word}`",
                                  Span(line, col, line, col + len(word)),
                                  expected="`log` or `linear`, then the number of records",
                                  hint=did_you_mean(word, _RECORD_MODES)
                                  or "e.g. `record log 200` (log-spaced times) or `record linear 200`")
        hint = None
        open_brace = _unclosed_brace(source, pos)
        if open_brace is None or open_brace[1] != "student":
            # LALR merges the expression states of teacher and student outputs: the kernel
            # kind's student statements are not what is missing anywhere else
            expected -= _KERNEL_STUDENT
            if not expected:
                expected = set(err.expected)
        before = _word_before(source, pos)
        top = str(tok) if str(tok) in _TOP_KEYWORDS else before if before in _TOP_KEYWORDS else None
        if "RBRACE" in expected and tok.type == "$END":
            hint = _BLOCK_HINTS["RBRACE"]
            if open_brace is not None:
                line, head = open_brace
                what = f"the `{head}` block" if head else "the block"
                hint = f"{what} opened at line {line} is not closed; add `}}`"
        elif top is not None and open_brace is not None and open_brace[1] != top:
            line, head = open_brace
            what = f"the `{head}` block" if head else "the block"
            hint = f"`{top}` cannot appear inside {what} opened at line {line}; is a `}}` missing?"
        elif expected == {"MODEL"}:
            hint = "a model file starts with `model NAME`"
        elif tok.type == "EQUAL" and "NAME" not in expected:
            hint = "`=` binds a name; to compare, there is no `==` in expressions"
        elif tok.type == "NAME" and expected <= {"EQUAL"}:
            hint = _BLOCK_HINTS["EQUAL"]
        elif tok.type == "NAME" and "EQUAL" in expected:
            hint = "keywords such as `vector`, `scalar`, `random` start declarations; " \
                   "other statements have the form `name = value`"
        return StatcError(f"unexpected {found}", span, expected=_describe(expected), hint=hint)
    if isinstance(err, UnexpectedCharacters):
        span = Span.point(err.line, err.column)
        ch = source[err.pos_in_stream] if 0 <= err.pos_in_stream < len(source) else "?"
        hint = None
        if ch == "*" or ch == "^":
            hint = "powers are written `a^b`"
        elif ch in "\"'":
            hint = "strings are not part of the language; names are written bare"
        return StatcError(f"unexpected character `{ch}`", span,
                          expected=_describe(set(err.allowed or ())) or None, hint=hint)
    if isinstance(err, UnexpectedEOF):  # pragma: no cover - LALR reports UnexpectedToken
        lines = source.splitlines() or [""]
        return StatcError("unexpected end of file", Span.point(len(lines), len(lines[-1]) + 1))
    return StatcError(str(err))  # pragma: no cover


def parse(source: str, filename: str = "<input>") -> ast.Model:
    """Parse `.model` text into an AST; raise :class:`StatcError` on bad input.

    A leading byte-order mark (U+FEFF, written by some editors) is ignored.
    """
    source = source.removeprefix(_BOM)
    try:
        tree = _parser().parse(source)
    except UnexpectedInput as err:
        raise _syntax_error(err, source).located(filename, source) from None
    try:
        name, items = _ToAst().transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, StatcError):
            raise err.orig_exc.located(filename, source) from None
        raise err.orig_exc  # pragma: no cover - transformer bug, not user error
    try:
        return _assemble(name, items, filename, source)
    except StatcError as err:
        raise err.located(filename, source) from None


_BOM = "\ufeff"


def decode_source(data: bytes, filename: str) -> str:
    """The text of a model file; a located error when it is not UTF-8 text.

    The error points at the first offending byte (line and column counted in
    the decodable text before it) and shows the line with that byte replaced.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    try:
        text = data.decode("utf-8")
        if nul < 0:
            return text
        start = nul
    except UnicodeDecodeError as err:
        start = err.start if nul < 0 else min(nul, err.start)
    binary = nul >= 0
    before = data[:start].decode("utf-8", errors="replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    shown = "".join(c if c.isprintable() or c in "\t\n" else "\ufffd"
                    for c in data.decode("utf-8", errors="replace"))
    what = ("this is a binary file, not a model" if binary else
            f"the file is not UTF-8 text: byte 0x{data[start]:02x} is not valid UTF-8")
    raise StatcError(what, Span.point(line, column),
                     expected="a `.model` text file in UTF-8",
                     hint="is this the right file?" if binary else
                     "re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
                     filename=filename, source=shown)


def parse_file(path: str | Path) -> ast.Model:
    """Read and parse a `.model` file (UTF-8, with or without a byte-order mark)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise StatcError(f"cannot read model file `{path}`: {err.strerror}",
                         hint="check the path") from None
    return parse(decode_source(data, str(path)), str(path))
