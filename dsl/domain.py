"""Expectations that do not exist: division by, or roots and logs of, random quantities.

The theory averages the loss, the update and the observables over the fresh
sample.  ``E[1/z]`` for a Gaussian field ``z = w·x/√N`` does not exist:
the density of ``z`` is positive at 0, so ``E|1/z| = ∫ φ(z)/|z| dz = ∞``;
the same holds for ``1/(ŷ − y)`` (a difference of outputs, zero on a set of
positive density) and for ``1/r`` with ``r ~ bernoulli`` (``r = 0`` with
positive probability).  ``sqrt`` and ``log`` of something that can be
negative, or ``log`` of something that can be 0, are undefined in the same way.
Quadrature would return a finite number for such an "expectation", which is
why these must be refused rather than computed.

The test is a sign analysis: every expression gets the set of signs it can
take (a subset of {−, 0, +}) and whether it is random (depends on the sample:
fields, random scalars, `noise`, outputs).  A random denominator whose sign set
contains 0 is an error, and so is a random argument of ``sqrt`` that can be
negative or of ``log`` that can be ≤ 0.  The analysis is sound for what it
accepts (a denominator it calls non-zero never vanishes), and it accepts the
usual safe forms: ``1/(1 + exp(-z))``, ``1/(1 + z^2)``, ``x / sqrt(D)``.
Parameters take their values (the defaults at compile time, ``--set`` values
at run time), so ``1/(c + exp(z))`` is accepted for ``c >= 0`` and refused
for ``c < 0``; trained scalars may take any sign.
"""
from __future__ import annotations

from typing import Callable

from . import ast
from .errors import StatcError

NEG, ZERO, POS = -1, 0, 1
ANY = frozenset((NEG, ZERO, POS))
Signs = frozenset


def _sign(v: float) -> Signs:
    return Signs({POS if v > 0 else NEG if v < 0 else ZERO})


def _add(a: Signs, b: Signs) -> Signs:
    out: set[int] = set()
    for x in a:
        for y in b:
            out |= {y} if x == ZERO else {x} if (y == ZERO or x == y) else set(ANY)
    return Signs(out)


def _mul(a: Signs, b: Signs) -> Signs:
    return Signs(x * y for x in a for y in b)


def _neg(a: Signs) -> Signs:
    return Signs(-x for x in a)


def _map(table: dict[int, int]) -> Callable[[Signs], Signs]:
    return lambda a: Signs(table[x] for x in a)


def _repeated_sum(a: Signs) -> Signs:
    """Signs of a sum of one or more terms, each with signs `a`."""
    out = a
    while True:
        more = out | _add(out, a)
        if more == out:
            return out
        out = more


#: Sign of f(z) from the signs of z.
FUNCTION_SIGNS: dict[str, Callable[[Signs], Signs]] = {
    "exp": lambda a: Signs({POS}), "sigmoid": lambda a: Signs({POS}),
    "erf": lambda a: a, "tanh": lambda a: a, "sign": lambda a: a,
    "relu": _map({NEG: ZERO, ZERO: ZERO, POS: POS}),
    "step": _map({NEG: ZERO, ZERO: ZERO, POS: POS}),
    "abs": _map({NEG: POS, ZERO: ZERO, POS: POS}),
    "sqrt": _map({NEG: ZERO, ZERO: ZERO, POS: POS}),   # NEG refused before, when random
    "log": lambda a: ANY, "cos": lambda a: ANY, "sin": lambda a: ANY,
    "delta": lambda a: Signs({ZERO, POS}),
}

#: Functions defined on part of the line: the signs their argument must avoid.
FUNCTION_DOMAINS: dict[str, tuple[Signs, str]] = {
    "sqrt": (Signs({NEG}), "the square root of a random quantity that can be negative"),
    "log": (Signs({NEG, ZERO}), "the logarithm of a random quantity that can be zero or negative"),
}

#: Signs of a random scalar by its distribution.
RANDOM_SIGNS: dict[str, Signs] = {
    "bernoulli": Signs({ZERO, POS}), "rademacher": Signs({NEG, POS}), "gaussian": ANY,
}

HINT_DIVISION = ("a Gaussian field, an output built from fields or a Bernoulli variable is 0 with "
                 "positive density or probability, so E|1/z| is infinite; divide by a quantity "
                 "that cannot vanish (a parameter, `1 + z^2`, `exp(z)`)")


class _Domains:
    def __init__(self, m: ast.Model, symbols: dict, values: dict[str, float]):
        self.m = m
        self.symbols = symbols
        self.values = values
        self.outputs = {s.name: s.value for n in m.networks for s in n.body
                        if isinstance(s, ast.OutputDecl)}
        self.randoms = {s.name: s.dist for n in m.networks for s in n.body
                        if isinstance(s, ast.RandomDecl)}
        self.memo: dict[str, tuple[Signs, bool]] = {}

    def name(self, name: str, env: dict[str, float], scope: frozenset) -> tuple[Signs, bool]:
        if name in scope:                       # an index used as a number: 1, 2, ...
            return Signs({POS}), False
        if name in env:
            return _sign(env[name]), False
        sym = self.symbols.get(name)
        kind = sym.kind if sym is not None else None
        if kind == "output":
            if name not in self.memo:
                self.memo[name] = (ANY, True)   # provisional, in case of a cycle
                self.memo[name] = self.expr(self.outputs[name], env, frozenset())
            return self.memo[name]
        if kind == "random":
            return RANDOM_SIGNS.get(self.randoms[name].name, ANY), True
        if kind in ("vector", "input", "voutput"):
            return ANY, True
        if name in ("pi", "N"):
            return Signs({POS}), False
        if name == "noise":
            return ANY, True
        return ANY, False                       # trained scalars, order parameters, observables

    def expr(self, e, env: dict[str, float], scope: frozenset) -> tuple[Signs, bool]:
        if isinstance(e, ast.Num):
            return _sign(e.value), False
        if isinstance(e, (ast.Name, ast.Indexed)):
            return self.name(e.name, env, scope)
        if isinstance(e, ast.Neg):
            s, r = self.expr(e.operand, env, scope)
            return _neg(s), r
        if isinstance(e, ast.Dot):
            return ANY, True
        if isinstance(e, ast.Norm):
            self.expr(e.value, env, scope)
            return Signs({ZERO, POS}), True
        if isinstance(e, ast.Call):
            parts = [self.expr(a, env, scope) for a in e.args]
            random = any(r for _, r in parts)
            bad = FUNCTION_DOMAINS.get(e.func)
            if bad is not None and parts[0][1] and parts[0][0] & bad[0]:
                raise StatcError(f"`{e.func}(...)` has no expectation here: {bad[1]}", e.args[0].span,
                                 hint="a Gaussian field takes every real value; "
                                      f"apply `{e.func}` to a positive quantity (e.g. `1 + z^2`)")
            rule = FUNCTION_SIGNS.get(e.func, lambda a: ANY)
            return rule(parts[0][0]), random
        if isinstance(e, ast.SumExpr):
            s, r = self.expr(e.body, env, scope | {e.index})
            return _repeated_sum(s), r
        if isinstance(e, ast.MeanExpr):
            given = dict(env)
            for name, value, _ in e.given:
                given[name] = self._number(value, env)
            self.memo, saved = {}, self.memo          # outputs read the `given` values
            self.expr(e.body, given, scope)
            self.memo = saved
            return ANY, False
        if isinstance(e, ast.BinOp):
            return self.binop(e, env, scope)
        return ANY, False

    def _number(self, e, env) -> float:
        from .evaluate import evaluate
        return evaluate(e, env)

    def binop(self, e: ast.BinOp, env, scope) -> tuple[Signs, bool]:
        a, ra = self.expr(e.left, env, scope)
        if e.op == "^":
            if isinstance(e.left, ast.Norm):
                return Signs({ZERO, POS}), True
            b, rb = self.expr(e.right, env, scope)
            if rb:
                return ANY, True
            n = self._number(e.right, env) if not _has_names(e.right, self.symbols) else None
            if n is None:
                return ANY, ra
            if n < 0 and ra and ZERO in a:
                raise StatcError("division by a random quantity that can be zero: "
                                 "its expectation does not exist", e.left.span, hint=HINT_DIVISION)
            if n != int(n):
                if ra and NEG in a:
                    raise StatcError("a random quantity that can be negative, to a non-integer power: "
                                     "its expectation does not exist", e.left.span,
                                     hint="a Gaussian field takes every real value; use `abs(...)` "
                                          "or an integer power")
                return Signs(x for x in a if x != NEG) or Signs({ZERO}), ra
            if int(n) % 2 == 0:
                return _map({NEG: POS, ZERO: ZERO, POS: POS})(a) if n != 0 else Signs({POS}), ra
            return a, ra
        b, rb = self.expr(e.right, env, scope)
        if e.op == "+":
            return _add(a, b), ra or rb
        if e.op == "-":
            return _add(a, _neg(b)), ra or rb
        if e.op == "*":
            return _mul(a, b), ra or rb
        if rb and ZERO in b:
            raise StatcError("division by a random quantity that can be zero: "
                             "its expectation does not exist", e.right.span, hint=HINT_DIVISION)
        return _mul(a, b - {ZERO} or b), ra or rb


def _has_names(e, symbols) -> bool:
    """Whether `e` refers to anything but parameters and numbers (an index, a scalar, ...)."""
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Indexed, ast.Dot, ast.SumExpr, ast.MeanExpr, ast.Norm)):
            return True
        if isinstance(n, ast.Name):
            sym = symbols.get(n.name)
            if n.name not in ("pi",) and (sym is None or sym.kind != "param"):
                return True
        stack.extend(getattr(n, f) for f in ("left", "right", "operand") if hasattr(n, f))
        stack.extend(getattr(n, "args", ()))
    return False


def _expressions(m: ast.Model):
    """Every averaged expression: outputs, the loss, observables, update rules."""
    for net in m.networks:
        for s in net.body:
            if isinstance(s, ast.OutputDecl):
                yield s.value
    if m.loss is not None:
        yield m.loss.value
    if m.algorithm is not None:
        for up in m.algorithm.updates:
            yield up.value
    for ob in m.observes:
        yield ob.value


def check_domains(m: ast.Model, symbols: dict, values: dict[str, float]) -> None:
    """Raise a located :class:`StatcError` at the first expectation that does not exist."""
    d = _Domains(m, symbols, dict(values))
    try:
        for e in _expressions(m):
            d.expr(e, d.values, frozenset())
    except StatcError as err:
        raise err.located(m.filename, m.source) from None
