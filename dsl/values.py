"""Checks that need numbers: probabilities, scales, batch sizes, times, indices.

Some mistakes are only mistakes for particular values: ``bernoulli(keep)`` is
fine until ``keep = 1.5``, ``w[3]`` is fine until ``K = 2``.  These checks run
twice: on the file's defaults when the model is checked (so ``statc compile``
and ``statc show`` already refuse them), and on the values in force for a run
(after ``--set`` or API overrides), when :func:`statc.runtime.params.resolve`
calls :func:`check_values`.  Each error points at the expression in the file
and says where the offending value came from.

The rules are a table (:data:`DIST_RULES`, :data:`ALGORITHM_RULES`,
:data:`RUN_RULES`): a new constraint is a new entry, not a new branch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

from . import ast
from .errors import Span, StatcError
from .evaluate import evaluate, param_names, param_values
from .kernel import GENERATORS, MIXINGS, is_kernel

#: At most this many recorded times: each is a landing point of the integrator
#: and a row of trajectory.csv (10⁶ rows is already ~100 MB of CSV).
MAX_RECORDS = 1_000_000


@dataclass(frozen=True)
class Rule:
    """What a number must be: a test, and the words for it."""

    noun: str                          # "the probability `p` of `bernoulli`"
    expected: str                      # "in [0, 1]"
    ok: Callable[[float], bool]
    hint: str | None = None


def _whole(v: float) -> bool:
    return v == int(v)


PROBABILITY = Rule("probability", "in [0, 1]", lambda v: 0.0 <= v <= 1.0)
SCALE = Rule("scale", ">= 0", lambda v: v >= 0.0,
             "the scale is the standard deviation of each entry; `zeros` starts a vector at 0")
VARIANCE = Rule("variance", ">= 0", lambda v: v >= 0.0)
BATCH = Rule("batch size", "a whole number >= 1", lambda v: v >= 1 and _whole(v),
             "`batch = B` averages the gradient over B fresh samples per step")
POSITIVE = Rule("value", "> 0", lambda v: v > 0.0)
RECORDS = Rule("number of recorded times", f"a whole number in 1..{MAX_RECORDS:,}",
               lambda v: 1 <= v <= MAX_RECORDS and _whole(v),
               "the integrator stops at every recorded time; `record log 200` is plenty for a plot")

#: Distribution arguments: (distribution, argument) -> rule.
DIST_RULES: dict[tuple[str, str], Rule] = {
    ("bernoulli", "p"): PROBABILITY, ("rademacher", "p"): PROBABILITY,
    ("gaussian", "scale"): SCALE, ("gaussian", "var"): VARIANCE,
}
POSITIVE_EIGENVALUE = Rule("eigenvalue", "> 0", lambda v: v > 0.0, "a covariance has positive eigenvalues")
#: Arguments of the spectra of a structured input covariance: (family, argument) -> rule.
SPECTRUM_RULES: dict[tuple[str, str], Rule] = {
    ("two_level", "low"): POSITIVE_EIGENVALUE, ("two_level", "high"): POSITIVE_EIGENVALUE,
    ("two_level", "fraction"): PROBABILITY,
    ("power_law", "levels"): Rule("number of levels", "a whole number >= 1", lambda v: v >= 1 and _whole(v)),
}
#: Positional arguments of each distribution, in order.
DIST_POSITIONAL: dict[str, tuple[str, ...]] = {"bernoulli": ("p",), "rademacher": ("p",)}
FRACTION = Rule("batch fraction", "in (0, 1]", lambda v: 0.0 < v <= 1.0,
                "on a fixed training set (`data`) `batch = b` selects each sample with probability b per step")
MOMENTUM = Rule("momentum", "in [0, 1)", lambda v: 0.0 <= v < 1.0,
                "heavy ball: w_{k+1} = w_k - eta grad L + beta (w_k - w_{k-1})")
NONNEGATIVE = Rule("value", ">= 0", lambda v: v >= 0.0)
NORM = Rule("squared norm", "> 0", lambda v: v > 0.0, "`constrain w.w = q` holds |w|²/N = q (the sphere: q = 1)")
#: Options of the algorithm block (online models; a fresh batch of B samples per step).
ALGORITHM_RULES: dict[str, Rule] = {"batch": BATCH}
#: Options of the algorithm block of a finite-data model (`data n = alpha * N`).
DATA_ALGORITHM_RULES: dict[str, Rule] = {"batch": FRACTION, "momentum": MOMENTUM, "nesterov": MOMENTUM,
                                         "persistence": NONNEGATIVE,
                                         "temperature": NONNEGATIVE}
#: Options of the run block.
RUN_RULES: dict[str, Rule] = {"rtol": POSITIVE, "atol": POSITIVE, "dt": POSITIVE}


#: Numbers of the kernel kind (dsl/kernel.py names them).
KERNEL_RULES: dict[str, Rule] = {
    "positive": POSITIVE,
    "count": Rule("count", "a whole number >= 1", lambda v: v >= 1 and _whole(v)),
    "length": Rule("length", "a whole number >= 2", lambda v: v >= 2 and _whole(v)),
    "probability": PROBABILITY,
    "nonnegative": Rule("value", ">= 0", lambda v: v >= 0.0),
    "finite": Rule("value", "finite", lambda v: True),
    "seed": Rule("seed", "a whole number >= 0", lambda v: v >= 0 and _whole(v)),
}


@dataclass(frozen=True)
class LiteralIndex:
    """A number used as an index (``w[3]``, ``Q[1,3]``) of a range ``1..size``."""

    value: int
    size: str                          # the size parameter (literal sizes are checked at once)
    span: Span
    owner: str                         # the indexed name, for the message
    declared: Span | None              # where the range was declared


def _dist_args(d: ast.Dist) -> Iterator[tuple[str, ast.Expr]]:
    names = DIST_POSITIONAL.get(d.name, ())
    for name, value in zip(names, d.args):
        yield name, value
    for name, value, _ in d.kwargs:
        yield name, value


def _numbers(m: ast.Model) -> Iterator[tuple[ast.Expr, Rule, str]]:
    """Every (expression, rule, what it is) of the model that a rule constrains."""
    if is_kernel(m):
        yield from _kernel_numbers(m)
        return
    dists = [i.dist for i in m.inputs if i.dist is not None]
    for net in m.networks:
        dists += [s.dist for s in net.body
                  if isinstance(s, (ast.VectorDecl, ast.RandomDecl)) and s.dist is not None]
    for d in dists:
        for name, value in _dist_args(d):
            rule = DIST_RULES.get((d.name, name))
            if rule is not None:
                what = f"`{name}`" if name == rule.noun else f"{rule.noun} `{name}`"
                yield value, rule, f"the {what} of `{d.name}`"
    for d in dists:
        for name, value, _ in d.kwargs:
            if name == "spectrum" and isinstance(value, ast.Call):
                for arg in value.args:
                    yield arg, POSITIVE_EIGENVALUE, f"an eigenvalue of `{value.func}`"
                for kw in value.kwargs:
                    rule = SPECTRUM_RULES.get((value.func, kw.name))
                    if rule is not None:
                        yield kw.lo, rule, f"`{kw.name}` of `{value.func}`"
    if m.algorithm is not None:
        rules = DATA_ALGORITHM_RULES if m.data is not None else ALGORITHM_RULES
        for opt in m.algorithm.options:
            rule = rules.get(opt.name)
            if rule is not None:
                yield opt.value, rule, f"the {rule.noun} (`{opt.name} = ...`)"
        for con in m.algorithm.constraints:
            yield con.value, NORM, f"the squared norm (`constrain {con.target}.{con.other} = ...`)"
    if m.run is not None:
        if m.run.record is not None:
            yield m.run.record, RECORDS, f"the {RECORDS.noun}"
        for opt in m.run.options:
            rule = RUN_RULES.get(opt.name)
            if rule is not None:
                yield opt.value, rule, f"`{opt.name}`"


def _kernel_numbers(m: ast.Model) -> Iterator[tuple[ast.Expr, Rule, str]]:
    """The kernel kind's numbers: width, priors, temperature, head options, readout token,
    generator settings."""
    pos = KERNEL_RULES["positive"]
    for opt in m.algorithm.options:
        yield opt.value, pos, "the temperature"
    for net in m.networks:
        layer_no = 0
        for st in net.body:
            layer_no += isinstance(st, ast.LayerBlock)
            if isinstance(st, ast.WidthDecl):
                yield st.value, pos, "the width"
            elif isinstance(st, ast.EmbeddingDecl):
                if st.width is not None:
                    yield st.width, pos, "the width of the embedding"
                if st.prior is not None:
                    yield st.prior, pos, "the prior variance of the embedding"
            elif isinstance(st, ast.LayerBlock):
                if st.width is not None:
                    yield st.width, pos, f"the width of layer {layer_no}"
                if st.prior is not None:
                    yield st.prior, pos, "the prior variance of a layer"
                for h in st.heads:
                    for name, value, _ in h.mixing.kwargs:
                        if h.mixing.name in MIXINGS:
                            yield value, KERNEL_RULES["finite"], f"`{name}` of head `{h.name}`"
            elif isinstance(st, ast.ReadoutDecl):
                if st.token is not None:
                    yield st.token, KERNEL_RULES["count"], "the readout token"
                if st.prior is not None:
                    yield st.prior, pos, "the prior variance of the readout"
    d = m.data
    if d is not None and d.generator is not None and d.generator.name in GENERATORS:
        rules = GENERATORS[d.generator.name]
        for name, value, _ in d.generator.kwargs:
            if name in rules:
                rule = KERNEL_RULES[rules[name]]
                yield value, rule, f"`{name}` of `{d.generator.name}`" + (
                    f" (a {rule.noun})" if rule.noun not in ("value", name) else "")


def _origin(e: ast.Expr, values: dict[str, float], params: dict[str, ast.ParamDecl],
            sources: dict[str, str]) -> str | None:
    """Where the parameters in `e` got their values: `keep` = 1.5 (line 11 / from --set)."""
    parts = []
    for name in sorted(n for n in param_names(e) if n in params):
        where = sources.get(name, f"line {params[name].span.line}")
        parts.append(f"`{name}` = {values[name]:.6g} ({where})")
    return ", ".join(parts) or None


def _join(*hints: str | None) -> str | None:
    text = "; ".join(h for h in hints if h)
    return text or None


def defaults(m: ast.Model) -> dict[str, float]:
    """The file's parameter values; an expression that cannot be evaluated is a located error."""
    try:
        return param_values(m.params, {})
    except StatcError as err:
        raise err.located(m.filename, m.source) from None


def file_schedules(m: ast.Model, values: dict[str, float]) -> dict[str, list[tuple[float, float, float]]]:
    """The file's `schedule` blocks with these parameter values."""
    return {sc.name: [tuple(evaluate(e, values) for e in (p.t0, p.t1, p.value)) for p in sc.pieces]
            for sc in m.schedules}


def check_values(m: ast.Model, literal_indices: list[LiteralIndex], values: dict[str, float],
                 overridden: set[str] | frozenset = frozenset(),
                 schedules: dict[str, list[tuple[float, float, float]]] | None = None,
                 controls: dict[str, tuple[float, ...]] | None = None) -> None:
    """Raise a located :class:`StatcError` at the first value that breaks a rule.

    `overridden`: parameters set from outside the file (``--set``, the API);
    `schedules`: piecewise-constant values ``{name: [(start, end, value)]}``
    (the file's own schedules when None); `controls`: the values a control may
    take (its bounds, or its allowed values).  Each such value is checked as if
    it were the parameter's value.
    """
    params = {p.name: p for p in m.params}
    sources = {name: "from --set" for name in overridden}
    try:
        _check(m, literal_indices, values, params, sources)
        for name, pieces in (file_schedules(m, values) if schedules is None else schedules).items():
            for t0, t1, v in pieces:
                _check(m, [], {**values, name: v}, params,
                       {**sources, name: f"scheduled on [{t0:g}, {t1:g}]"})
        for name, allowed in (controls or {}).items():
            for v in allowed:
                _check(m, [], {**values, name: v}, params, {**sources, name: "a bound of the control"})
    except StatcError as err:
        raise err.located(m.filename, m.source) from None


def _check(m, literal_indices, values, params, sources) -> None:
    for e, rule, what in _numbers(m):
        v = evaluate(e, values)
        if not (math.isfinite(v) and rule.ok(v)):
            raise StatcError(f"{what} must be {rule.expected}, got {v:.6g}", e.span,
                             hint=_join(_origin(e, values, params, sources), rule.hint))
    r = m.run
    if r is not None and r.t0 is not None:
        t0, t1 = evaluate(r.t0, values), evaluate(r.t1, values)
        if not t1 > t0:
            span = Span(r.t0.span.line, r.t0.span.column, r.t1.span.end_line, r.t1.span.end_column)
            raise StatcError(f"the end time {t1:g} must be after the start time {t0:g}", span,
                             expected="`time START .. END` with END > START",
                             hint=_join(_origin(r.t1, values, params, sources),
                                        "e.g. `time 0 .. 50`"))
    _fdt_windows(m, values, params, sources)
    for li in literal_indices:
        size = values[li.size]
        if li.value > size:
            declared = f"`{li.owner}` is indexed over 1..{li.size}" + (
                f" (line {li.declared.line})" if li.declared else "")
            where = sources.get(li.size, f"line {params[li.size].span.line}")
            raise StatcError(f"index {li.value} is out of range 1..{li.size} "
                             f"({li.size} = {size:g})", li.span,
                             expected=f"an index in 1..{size:g}",
                             hint=f"{declared}; `{li.size}` = {size:g} ({where})")


#: `fdt(w, window = t1 .. t2, lags = s1 .. s2)`: what each range must satisfy (times, t = steps × eta)
FDT_RANGES: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "window": ("waiting times with 0 <= t1 <= t2", lambda lo, hi: 0.0 <= lo <= hi),
    "lags": ("lags with 0 < s1 <= s2", lambda lo, hi: 0.0 < lo <= hi),
}


def _fdt_windows(m: ast.Model, values, params, sources) -> None:
    """The FDT window options: ordered, non-negative, and inside the run (t2 + s2 <= end time)."""
    for ob in m.observes:
        call = ob.value
        if not (isinstance(call, ast.Call) and call.kwargs):
            continue
        got = {}
        for kw in call.kwargs:
            if kw.name not in FDT_RANGES or kw.hi is None:
                continue
            lo, hi = evaluate(kw.lo, values), evaluate(kw.hi, values)
            words, ok = FDT_RANGES[kw.name]
            if not (math.isfinite(lo) and math.isfinite(hi) and ok(lo, hi)):
                raise StatcError(f"`{kw.name} = {lo:g} .. {hi:g}` of `{call.func}` is not a range of {words}",
                                 kw.span, expected=f"`{kw.name} = t1 .. t2` ({words})",
                                 hint=_origin(kw.hi, values, params, sources))
            got[kw.name] = (lo, hi, kw)
        r = m.run
        if "window" in got and "lags" in got and r is not None and r.t1 is not None:
            end = evaluate(r.t1, values)
            (_, w2, kw), (_, s2, _) = got["window"], got["lags"]
            if w2 + s2 > end * (1 + 1e-12):
                raise StatcError(f"the FDT window ends at t = {w2:g} + {s2:g} = {w2 + s2:g}, after the end of "
                                 f"the run (t = {end:g})", call.span,
                                 expected="last waiting time + longest lag <= the run's end time",
                                 hint="lengthen `run { time ... }` or shorten the window or the lags")
