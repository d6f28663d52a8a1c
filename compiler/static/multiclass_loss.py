r"""K-class losses ℓ(y, h), h ∈ R^K (STATIC.md §2): from the model's SymPy loss to a generated
Numba module with ℓ, its gradient and its Hessian, for one number of classes K.

The model's loss is kept index-generic (:func:`canonical`): class scores ``h[j]`` (an
IndexedBase), the label ``y`` (0-based class index) and the size ``K`` as symbols, sums over
classes as ``Sum``.  For a concrete K and each class c, :func:`specialise` expands the sums,
sets y = c and differentiates with SymPy:

    ∇ℓ_c(h)_j = ∂ℓ(c, h)/∂h_j,     H_c(h)_{jl} = ∂²ℓ(c, h)/∂h_j∂h_l,

printed (after common-subexpression elimination) as one branch per class.  ``log(Σ_k e^{a_k})``
becomes :class:`LogSumExp` (printed with the max shift; ∂/∂a_j = e^{a_j − LSE} ≤ 1), so that
neither ℓ nor its derivatives overflow for large scores (small λ: V ~ 1/λ).

The prox h* = argmin_h ½(h − ω)ᵀV⁻¹(h − ω) + ℓ(y, h) is the template ``prox_k.py``: the closed
form (``prox_linear_k``) h* = (I + V H)⁻¹(ω − V ∇ℓ(y, 0)) when the Hessian does not depend on h (``linear``: the
square loss), otherwise Newton on the strictly convex prox objective with Armijo backtracking
(``newton``, ``prox_newton_k``).  Both return f = −∇ℓ(y, h*) and ∂_ω f = −(I + H V)⁻¹ H.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import sympy as sp

from statc.atomic import write_text
from statc.compiler.cache import KernelCache, key

from .codegen import StaticPrinter

H = sp.IndexedBase("h", real=True)
Y = sp.Symbol("y", integer=True, nonnegative=True)
KS = sp.Symbol("K", integer=True, positive=True)
_TEMPLATE = Path(__file__).with_name("templates") / "prox_k.py"


class LogSumExp(sp.Function):
    """log Σ_k e^{a_k}, with ∂/∂a_j = e^{a_j − LogSumExp} (a softmax entry, never overflows)."""

    def fdiff(self, argindex=1):
        return sp.exp(self.args[argindex - 1] - self)


def canonical(loss: sp.Expr, scores: sp.IndexedBase, label: sp.Symbol, size: sp.Symbol) -> sp.Expr:
    """The model's loss in the canonical symbols: class scores h[j], label y (0-based), size K;
    bound sum indices renamed j0, j1, ... (no user-chosen name survives)."""
    e = loss.xreplace({scores: H, label: Y, size: KS})
    sums = sorted(e.atoms(sp.Sum), key=sp.default_sort_key)
    ren = {}
    for n, s in enumerate(sums):
        for lim in s.limits:
            if lim[0] not in ren:
                ren[lim[0]] = sp.Symbol(f"j{len(ren)}", integer=True)
    return e.xreplace(ren)


def _stable(e: sp.Expr) -> sp.Expr:
    def is_lse(x):
        return (isinstance(x, sp.log) and x.args[0].is_Add
                and all(isinstance(a, sp.exp) for a in x.args[0].args))
    return e.replace(is_lse, lambda x: LogSumExp(*[a.args[0] for a in x.args[0].args]))


def specialise(loss: sp.Expr, K: int, c: int) -> tuple[sp.Expr, list[sp.Symbol]]:
    """ℓ(c, h) for K classes as an expression in the symbols h0..h{K−1} (sums expanded, stable
    log-sum-exp)."""
    hs = [sp.Symbol(f"h{j}", real=True) for j in range(K)]
    e = loss.xreplace({KS: sp.Integer(K), Y: sp.Integer(c)}).doit()
    e = e.xreplace({H[j]: hs[j] for j in range(K)})
    if e.atoms(sp.Indexed):
        raise ValueError(f"the loss indexes the class scores outside 1..{K}")
    return _stable(e), hs


class _Printer(StaticPrinter):
    """Scores h_j print as ``i_h[j]``; log-sum-exp as a generated helper ``_lse<n>``."""

    def __init__(self):
        super().__init__()
        self.arities: set[int] = set()

    def _print_Symbol(self, s):
        if s.name[:1] == "h" and s.name[1:].isdigit():
            return f"i_h[{int(s.name[1:])}]"
        return super()._print_Symbol(s)

    def _print_LogSumExp(self, e):
        self.arities.add(len(e.args))
        return f"_lse{len(e.args)}({', '.join(self._print(a) for a in e.args)})"


def _lse_helper(n: int) -> str:
    a = [f"a{i}" for i in range(n)]
    return (f"\n@numba.njit(cache=True)\ndef _lse{n}({', '.join(a)}):\n"
            f"    mx = max({', '.join(a)})\n" if n > 1 else f"\n@numba.njit(cache=True)\ndef _lse1(a0):\n    mx = a0\n") + \
        f"    return mx + math.log({' + '.join(f'math.exp({x} - mx)' for x in a)})\n"


def _branches(exprs_per_class: list[list[sp.Expr]], outputs: list[str], pr: _Printer, indent: str) -> str:
    """``if i_y == c:`` branches; in each the CSE temporaries then the assignments ``outputs``."""
    lines = []
    for c, exprs in enumerate(exprs_per_class):
        subs, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("v_"))
        lines.append(f"{indent}{'if' if c == 0 else 'elif'} i_y == {c}:")
        for s, v in subs:
            lines.append(f"{indent}    {pr.doprint(s)} = {pr.doprint(v)}")
        for out, v in zip(outputs, reduced):
            lines.append(f"{indent}    {out} = 1.0 * ({pr.doprint(v)})")
    return "\n".join(lines)


def generate(loss: sp.Expr, K: int) -> tuple[str, str]:
    """(rule, module source) of a canonical K-class loss for K classes."""
    pr = _Printer()
    vals, grads, hess, constant = [], [], [], True
    for c in range(K):
        e, hs = specialise(loss, K, c)
        g = [sp.diff(e, h) for h in hs]
        Hm = [[sp.diff(gj, h) for h in hs] for gj in g]
        constant &= all(not x.free_symbols & set(hs) for row in Hm for x in row)
        vals.append([e])
        grads.append(g + [x for row in Hm for x in row])
    rule = "linear" if constant else "newton"
    out = [f'"""Generated by statc (static kind): a K-class loss for K = {K}. Do not edit."""',
           "import math", "", "import numba", "import numpy as np", "", f"K = {K}", f"PROX_RULE = {rule!r}", ""]
    body_loss = _branches(vals, ["val"], pr, "    ")
    body_gh = _branches(grads, [f"g[{j}]" for j in range(K)] + [f"Hm[{j}, {l}]" for j in range(K) for l in range(K)],
                        pr, "    ")
    out.append(f"@numba.njit(cache=True)\ndef loss(i_y, i_h):\n    val = 0.0\n{body_loss}\n    return val\n")
    out.append(f"\n@numba.njit(cache=True)\ndef grad_hess(i_y, i_h, g, Hm):\n{body_gh}\n")
    out += [_lse_helper(n) for n in sorted(pr.arities)]
    out.append(_TEMPLATE.read_text())
    return rule, "\n".join(out)


_LOADED: dict[tuple[str, int, str], ModuleType] = {}


def load(loss: sp.Expr, K: int, cache: KernelCache | None = None) -> ModuleType:
    """The compiled module of a canonical K-class loss for K classes (cached on disk and per
    process); raises ValueError if the loss is not convex (Hessian not PSD at random scores)."""
    cache = cache or KernelCache()
    memo = (sp.srepr(loss), int(K), str(cache.root))
    if memo not in _LOADED:
        rule, source = generate(loss, int(K))
        kernel_key = "static_k_" + key(source)
        path = cache.module_path(kernel_key)
        if not path.exists() or path.read_text() != source:
            write_text(path, source)
        mod = cache.load_module(kernel_key)
        _check_convex(mod, int(K))
        _LOADED[memo] = mod
    return _LOADED[memo]


def _check_convex(mod: ModuleType, K: int) -> None:
    rng = np.random.default_rng(0)
    g, Hm = np.empty(K), np.empty((K, K))
    for scale in (0.5, 3.0, 30.0):
        for c in range(K):
            for _ in range(20):
                mod.grad_hess(c, scale * rng.standard_normal(K), g, Hm)
                ev = np.linalg.eigvalsh(0.5 * (Hm + Hm.T))
                if not ev.min() >= -1e-10 * max(1.0, abs(ev).max()):
                    raise ValueError(f"the loss is not convex: its Hessian in the class scores has the "
                                     f"eigenvalue {ev.min():.3g} (label {c + 1}, K = {K})")
