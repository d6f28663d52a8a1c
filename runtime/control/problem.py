r"""A control problem: decision variables → protocol → objective and its exact gradient.

The protocol is piecewise constant on ``n`` equal intervals of [t0, t_F]; each
interval is integrated by ``nsub`` RK4 steps (``control_forward`` of
:mod:`.adjoint_rk4`, given the model's kernels) and the gradient comes from the
exact discrete adjoint (``control_backward``): one backward sweep whatever the
number of intervals.

Decision variables, in order:

* each time-dependent continuous control ``u(t) in [a, b]``: its n values;
* the discrete control ``D(t) in {v_0, …, v_{m-1}}``: for m = 2 the fraction
  φ_i ∈ [0, 1] of samples drawn with ``v_1`` on interval i (the right-hand
  side is then (1 − φ_i) f(D = v_0) + φ_i f(D = v_1) — exactly what online SGD
  sees when each sample's D is drawn at random with those odds); for m > 2 the
  fractions of v_1 … v_{m-1} (that of v_0 is what remains);
* each final-time control ``p in [a, b] final``: one value.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from statc.dsl import NumericalError, StatcError
from statc.dsl.control import objective_terms
from statc.dsl.evaluate import evaluate
from statc.dsl.values import check_values

from statc.compiler import parallel_jit
from statc.compiler.codegen.signatures import VJP_SIGNATURE
from statc.runtime import params as params_mod
from statc.runtime.control import adjoint_rk4
from statc.runtime.online.integrators import first_class
from statc.runtime.online.initial import initial_state
from statc.runtime.online.layout import make_layout
from statc.runtime.online.runner import model_schedules, options_from_model
from statc.runtime.schedule import at, segments


@dataclass
class ControlSpec:
    name: str
    kind: str                      # box | choice | final
    values: tuple[float, ...]      # (low, high) or the allowed values
    index: int                     # position in the parameter vector


@dataclass
class ControlProblem:
    compiled: object
    values: dict[str, float]
    controls: list[ControlSpec]
    n: int                                     # intervals
    nsub: int                                  # RK4 steps per interval
    t0: float
    t_end: float
    y0: np.ndarray
    base: np.ndarray                           # (n, n_params): parameters per interval
    w_final: np.ndarray
    w_int: np.ndarray
    sign: float                                # +1 minimize, -1 maximize
    budgets: list = field(default_factory=list)   # (kind, control, value, relation, bound)
    evaluations: int = 0
    gradients: int = 0
    _count: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # ------------------------------------------------------------- layout
    @property
    def h(self) -> float:
        return (self.t_end - self.t0) / (self.n * self.nsub)

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(self.t0, self.t_end, self.n + 1)

    @property
    def timed(self) -> list[ControlSpec]:
        return [c for c in self.controls if c.kind == "box"]

    @property
    def choice(self) -> ControlSpec | None:
        return next((c for c in self.controls if c.kind == "choice"), None)

    @property
    def finals(self) -> list[ControlSpec]:
        return [c for c in self.controls if c.kind == "final"]

    def slices(self) -> dict[str, slice]:
        out, o = {}, 0
        for c in self.timed:
            out[c.name] = slice(o, o + self.n)
            o += self.n
        if self.choice is not None:
            m = len(self.choice.values) - 1
            out[self.choice.name] = slice(o, o + m * self.n)
            o += m * self.n
        for c in self.finals:
            out[c.name] = slice(o, o + 1)
            o += 1
        return out

    @property
    def size(self) -> int:
        return max((s.stop for s in self.slices().values()), default=0)

    def bounds(self) -> list[tuple[float, float]]:
        out = []
        for c in self.timed:
            out += [(c.values[0], c.values[1])] * self.n
        if self.choice is not None:
            out += [(0.0, 1.0)] * ((len(self.choice.values) - 1) * self.n)
        for c in self.finals:
            out.append((c.values[0], c.values[1]))
        return out

    # ----------------------------------------------------------- protocol
    def weights(self, z: np.ndarray) -> np.ndarray:
        """(n, m) fractions of samples drawn with each value of the discrete control."""
        ch = self.choice
        frac = z[self.slices()[ch.name]].reshape(len(ch.values) - 1, self.n).T
        return np.column_stack([1.0 - frac.sum(axis=1), frac])

    def chosen(self, z: np.ndarray) -> np.ndarray:
        """The discrete control's most frequent value on each interval."""
        return np.asarray(self.choice.values)[self.weights(z).argmax(axis=1)]

    def protocol(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vertex parameters Pv (n, m, n_params) and weights W (n, m)."""
        sl = self.slices()
        ch = self.choice
        m = len(ch.values) if ch else 1
        Pv = np.repeat(self.base[:, None, :], m, axis=1).copy()
        for c in self.timed:
            Pv[:, :, c.index] = z[sl[c.name]][:, None]
        for c in self.finals:
            Pv[:, :, c.index] = z[sl[c.name]][0]
        W = np.ones((self.n, 1))
        if ch is not None:
            W = self.weights(z)
            for v, value in enumerate(ch.values):
                Pv[:, v, ch.index] = value
        return Pv, W

    def _forward(self, z: np.ndarray, store: bool = False):
        """States of the RK4 grid under protocol z (and, with ``store``, the stage states the
        backward sweep reuses).  Touches no shared buffer: calls may run in parallel threads
        (the kernels release the GIL)."""
        Pv, W = self.protocol(z)
        S = self.n * self.nsub
        Ys = np.empty((S + 1, self.y0.size))
        stages = np.empty((S if store else 1, 3, self.y0.size))
        bad = adjoint_rk4.control_forward(first_class(self.compiled.module.rhs), self.y0, Pv, W,
                                          self.nsub, self.t0, self.h, Ys, stages)
        if bad >= 0:
            raise NumericalError(f"the state diverged at t = {self.t0 + bad * self.h:.6g} under the "
                                 "protocol being evaluated",
                                 hint="narrow the control bounds (e.g. a smaller largest learning rate)"
                                      " or use a smaller `dt`")
        return Pv, W, Ys, stages

    def objective(self, z: np.ndarray) -> float:
        Pv, W, Ys, _ = self._forward(z)
        with self._count:
            self.evaluations += 1
        out = np.zeros(self.w_final.size)
        J = adjoint_rk4.control_objective(first_class(self.compiled.module.observables), Ys, Pv,
                                          self.nsub, self.t0, self.h, self.w_final, self.w_int, out)
        return self.sign * J

    def value_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        Pv, W, Ys, stages = self._forward(z, store=True)
        mod = self.compiled.module
        out = np.zeros(self.w_final.size)
        J = adjoint_rk4.control_objective(first_class(mod.observables), Ys, Pv, self.nsub, self.t0,
                                          self.h, self.w_final, self.w_int, out)
        gy0 = np.zeros(self.y0.size)
        gPv = np.zeros_like(Pv)
        gW = np.zeros_like(W)
        adjoint_rk4.control_backward(first_class(mod.rhs), first_class(mod.rhs_vjp, VJP_SIGNATURE),
                                     first_class(mod.obs_vjp, VJP_SIGNATURE), Ys, stages, Pv, W,
                                     self.nsub, self.t0, self.h, self.w_final, self.w_int, gy0, gPv, gW)
        self.evaluations += 1
        self.gradients += 1
        g = np.zeros(z.size)
        sl = self.slices()
        for c in self.timed:
            g[sl[c.name]] = gPv[:, :, c.index].sum(axis=1)
        for c in self.finals:
            g[sl[c.name]] = gPv[:, :, c.index].sum()
        if self.choice is not None:
            m = len(self.choice.values)
            g[sl[self.choice.name]] = (gW[:, 1:] - gW[:, :1]).T.reshape(-1)
        if not (np.isfinite(J) and np.all(np.isfinite(g))):
            raise NumericalError("the objective or its gradient is not finite under the protocol "
                                 "being evaluated", hint="a control at the edge of its range may make a "
                                 "covariance singular; narrow the bounds")
        return self.sign * J, self.sign * g

    def trajectory(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Times of the RK4 grid, states, observables (with the protocol's parameters)."""
        Pv, W, Ys, _ = self._forward(z)
        t = self.t0 + self.h * np.arange(Ys.shape[0])
        names = self.compiled.meta["observables"]
        cols = {n: np.empty(t.size) for n in names}
        out = np.zeros(len(names))
        for s in range(t.size):
            i = min(s // self.nsub, self.n - 1)
            self.compiled.module.observables(t[s], Ys[s], Pv[i, 0], out)
            for k, n in enumerate(names):
                cols[n][s] = out[k]
        return t, Ys, cols

    # ------------------------------------------------------------ helpers
    def constant(self, timed: dict[str, float], finals: dict[str, float] | None = None,
                 fractions: list[float] | None = None) -> np.ndarray:
        """The decision vector of a constant protocol."""
        z = np.zeros(self.size)
        sl = self.slices()
        for c in self.timed:
            z[sl[c.name]] = timed[c.name]
        for c in self.finals:
            z[sl[c.name]] = (finals or {}).get(c.name, self.values[c.name])
        if self.choice is not None:
            m = len(self.choice.values)
            fr = fractions if fractions is not None else [1.0 / m] * (m - 1)
            z[sl[self.choice.name]] = np.repeat(np.asarray(fr, dtype=float), self.n)
        return z

    def from_schedules(self, scheds: dict, finals: dict[str, float] | None = None) -> np.ndarray:
        """The decision vector of a protocol given as {control: [(a, b, value), …]}."""
        mids = 0.5 * (self.edges[:-1] + self.edges[1:])
        z = self.constant({c.name: self.values[c.name] for c in self.timed}, finals)
        sl = self.slices()

        def value_at(name, t, default):
            for a, b, v in scheds.get(name, []):
                if a <= t < b:
                    return v
            return default
        for c in self.timed:
            z[sl[c.name]] = [value_at(c.name, t, self.values[c.name]) for t in mids]
        ch = self.choice
        if ch is not None:
            m = len(ch.values)
            fr = np.zeros((m - 1, self.n))
            for i, t in enumerate(mids):
                v = value_at(ch.name, t, self.values[ch.name])
                hit = [k for k, x in enumerate(ch.values) if abs(x - v) <= 1e-12 * max(1.0, abs(x))]
                if not hit:
                    raise StatcError(f"the baseline gives `{ch.name}` = {v:g} at t = {t:g}, which is "
                                     "not one of its allowed values",
                                     expected=", ".join(f"{x:g}" for x in ch.values))
                if hit[0] > 0:
                    fr[hit[0] - 1, i] = 1.0
            z[sl[ch.name]] = fr.reshape(-1)
        return z

    def budget_constraints(self) -> list[dict]:
        """SciPy constraint dicts (linear in z) for the file's budgets."""
        cons = []
        sl = self.slices()
        for kind, name, value, rel, bound in self.budgets:
            a = np.zeros(self.size)
            const = 0.0
            if kind == "mean":
                a[sl[name]] = 1.0 / self.n
            else:
                ch = self.choice
                k = min(range(len(ch.values)), key=lambda j: abs(ch.values[j] - value))
                block = np.zeros((len(ch.values) - 1, self.n))
                if k == 0:                       # fraction of v_0 = 1 - sum of the others
                    block[:, :] = -1.0 / self.n
                    const = 1.0
                else:
                    block[k - 1, :] = 1.0 / self.n
                a[sl[name]] = block.reshape(-1)
            sgn = {"=": 1.0, "<=": -1.0, ">=": 1.0}[rel]
            cons.append({"type": "eq" if rel == "=" else "ineq",
                         "fun": (lambda z, a=a, c=const, b=bound, s=sgn: s * (a @ z + c - b)),
                         "jac": (lambda z, a=a, s=sgn: s * a),
                         "describe": (kind, name, value, rel, bound)})
        if self.choice is not None and len(self.choice.values) > 2:
            m = len(self.choice.values)
            for i in range(self.n):
                a = np.zeros(self.size)
                idx = np.arange(m - 1) * self.n + i + sl[self.choice.name].start
                a[idx] = -1.0
                cons.append({"type": "ineq", "fun": (lambda z, a=a: 1.0 + a @ z),
                             "jac": (lambda z, a=a: a)})
        return cons


def build_problem(compiled, overrides: dict[str, float] | None = None, *, intervals: int | None = None,
                  dt: float | None = None, t_end: float | None = None, init_N: int = 0,
                  seed: int = 0) -> ControlProblem:
    """The control problem declared by the model's `control` block."""
    model = compiled.model
    block = model.control
    if block is None:
        raise StatcError(f"`{model.filename}` has no `control` block",
                         hint="declare what to optimise, e.g. `control { eta(t) in [0, 2]; minimize eps_g }`")
    meta = compiled.meta
    values = params_mod.resolve(model, meta, overrides or {})
    env = dict(values)

    def num(e):
        try:
            return float(evaluate(e, env))
        except StatcError as err:
            raise err.located(model.filename, model.source) from None

    opts = {o.name: num(o.value) for o in block.options}
    n = int(intervals if intervals is not None else opts.get("intervals", 100))
    if n < 1:
        raise StatcError(f"the number of control intervals must be at least 1, got {n}",
                         hint="e.g. `--intervals 100` or `intervals = 100` in the control block")
    run_opts = options_from_model(model, values)
    t0 = run_opts.t0
    tF = float(t_end) if t_end is not None else run_opts.t_end
    if not tF > t0:
        raise StatcError(f"the final time {tF:g} must be after the start time {t0:g}")
    dt = float(dt if dt is not None else opts.get("dt", 0.05))
    if not dt > 0:
        raise StatcError(f"the RK4 step `dt` must be positive, got {dt:g}")
    nsub = max(1, math.ceil((tF - t0) / n / dt - 1e-9))
    order = meta["params"]
    controls = []
    for c in block.controls:
        vals = tuple(num(v) for v in c.values)
        if c.kind == "box" and not vals[1] > vals[0]:
            raise StatcError(f"the bounds of `{c.name}` are empty: [{vals[0]:g}, {vals[1]:g}]", c.span,
                             filename=model.filename, source=model.source)
        kind = "final" if c.final else c.kind
        controls.append(ControlSpec(c.name, kind, vals, order.index(c.name)))
    _refuse_derived(model, [c.name for c in controls if c.kind != "final"], {c.name for c in controls})
    # every value a control may take obeys its parameter's rules (a probability stays in [0, 1])
    check_values(model, [], values, schedules={}, controls={c.name: c.values for c in controls})
    layout = make_layout(meta, values)
    P = params_mod.vector(meta, values)
    y0 = initial_state(compiled, layout, values, P, init_N=init_N, seed=seed)
    scheds = {k: v for k, v in model_schedules(compiled, values).items()
              if k not in {c.name for c in controls}}
    seg_t, seg_P = segments(order, values, scheds, t0, tF)
    edges = np.linspace(t0, tF, n + 1)
    base = at(seg_t, seg_P, 0.5 * (edges[:-1] + edges[1:])).copy()
    names = meta["observables"]
    w_final, w_int = np.zeros(len(names)), np.zeros(len(names))
    for term in objective_terms(block.objective, set(names), set(order)):
        (w_int if term.integral else w_final)[names.index(term.observable)] += num(term.weight)
    # an integral budget over [t0, t_F] is a mean budget with the bound divided by the span
    budgets = [("mean" if b.kind == "integral" else b.kind, b.name,
                num(b.value) if b.value is not None else None, b.relation,
                num(b.bound) / (tF - t0) if b.kind == "integral" else num(b.bound))
               for b in block.budgets]
    for kind, name, value, rel, bound in budgets:
        if kind == "fraction":
            ch = next(c for c in controls if c.name == name)
            if not any(abs(value - x) <= 1e-12 * max(1.0, abs(x)) for x in ch.values):
                raise StatcError(f"`fraction({name} == {value:g})`: {value:g} is not one of the values of "
                                 f"`{name}`", expected=", ".join(f"{x:g}" for x in ch.values))
    # with STATC_JIT_WORKERS set: the forward and adjoint term chunks compiled by worker processes
    parallel_jit.prewarm(compiled.module, meta["blocks"], ("_terms_", "_vjp_terms_"))
    return ControlProblem(compiled, values, controls, n, nsub, t0, tF, y0, base, w_final, w_int,
                          -1.0 if block.sense == "maximize" else 1.0, budgets)


def _refuse_derived(model, timed: list[str], controlled: set[str]) -> None:
    """A parameter defined from a time-dependent control would silently keep its t = 0 value."""
    from statc.dsl import ast

    def names(e):
        if isinstance(e, ast.Name):
            yield e.name
        for v in getattr(e, "__dict__", {}).values():
            if isinstance(v, tuple):
                for x in v:
                    yield from names(x)
            elif hasattr(v, "__dataclass_fields__"):
                yield from names(v)
    for p in model.params:
        if p.name in controlled:
            continue
        used = set(names(p.value)) & set(timed)
        if used:
            raise StatcError(f"`{p.name}` is defined from the control `{sorted(used)[0]}`, which changes "
                             "in time", p.span, filename=model.filename, source=model.source,
                             hint=f"declare `{p.name}` a control too (e.g. `{p.name} in [0, 1] final`) "
                                  "or give it a number")
