"""Kernel module of a dmft model: ℓ, ℓ', ℓ'' as @njit scalar functions, its settings, and
the parallel sample-side step (compiler/dmft/sample_step.py) that calls them as globals, so
that Numba caches it on disk; the rest of the causal sweep is the generic runtime/dmft. Names are produced here
(`loss`, `dloss`, `d2loss`, `dmft_values`, parameters as `p_<name>`), never from user text.
"""
from __future__ import annotations

import sympy as sp

from ..codegen.printer import KernelPrinter
from .equations import H, TAU, VALUE_NAMES, Y, DmftEquations, DmftObservables
from .observe import M_SYM, Q_SYM
from .reweight import spelling
from .sample_step import SAMPLE_STEP

HEADER = ["import math", "", "import numpy as np", "from numba import njit, prange", ""]


def generate(eq: DmftEquations) -> str:
    """Python source of the model's kernel module."""
    pr = KernelPrinter(set(eq.params))
    y, h = pr.doprint(Y), pr.doprint(H)
    out = [f'"""statc dmft kernels for model `{eq.model}` (generated; do not edit)."""'] + HEADER
    for name, expr, what in (("loss", eq.loss, "ℓ(y, h)"), ("dloss", eq.dloss, "∂_h ℓ(y, h)"),
                             ("d2loss", eq.d2loss, "∂²_h ℓ(y, h)")):
        out += ["", "@njit(cache=True)", f"def {name}({y}, {h}):", f'    """{what}"""',
                f"    return float({pr.doprint(expr)})", ""]
    unpack = ", ".join(f"p_{p}" for p in eq.params)
    out += ["", "def dmft_values(P):", f'    """{", ".join(VALUE_NAMES)} from the parameter vector P."""']
    if eq.params:
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    values = dict(eq.values)
    out.append("    return {" + ", ".join(f"{k!r}: float({pr.doprint(values[k])})" for k in VALUE_NAMES) + "}")
    out += ["", "", "def teacher_values(P):", '    """Parameters of the data model."""']
    if eq.params:
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    out.append("    return {" + ", ".join(f"{k!r}: float({pr.doprint(v)})" for k, v in eq.teacher_args) + "}")
    out += ["", "", "def spectrum_values(P):",
            '    """Structured input covariance: (family, eigenvalues, keywords), or None (identity)."""']
    if eq.spectrum:
        family, pos, kws = eq.spectrum
        if eq.params:
            out.append(f"    ({unpack},) = [float(v) for v in P]")
        out.append(f"    return ({family!r}, (" + "".join(f"float({pr.doprint(v)}), " for v in pos) + "), {"
                   + ", ".join(f"{k!r}: float({pr.doprint(v)})" for k, v in kws) + "})")
    else:
        out.append("    return None")
    out += observe_source(eq.observe, pr, y, h, unpack if eq.params else "")
    return "\n".join(out) + "\n" + SAMPLE_STEP


def observe_source(obs: DmftObservables, pr: KernelPrinter, y: str, h: str, unpack: str) -> list[str]:
    """User observables: @njit averages `train_obs_<i>(y, tau, h, coef)` (τ the teacher field, coef
    the run-time coefficients `train_coefficients(P)`) and `test_obs_<i>(y, h)`, the per-sample
    accumulator `train_obs_sum` that the sample step calls, and `observe_values`, the formulas."""
    out = []
    body_pr = KernelPrinter(set())               # training bodies hold no parameters, only `trc<j>`
    tau = body_pr.doprint(sp.Symbol("tau", real=True))
    for i, body in enumerate(obs.train):
        body = body.xreplace({TAU: sp.Symbol("tau", real=True)})
        coefs = sorted((s for s in body.free_symbols if s.name.startswith("trc")), key=lambda s: int(s.name[3:]))
        out += ["", "@njit(cache=True)", f"def train_obs_{i}({y}, {tau}, {h}, coef):"]
        out += [f"    {body_pr.doprint(c)} = coef[{int(c.name[3:])}]" for c in coefs]
        out += [f"    return float({body_pr.doprint(body)})", ""]
    for i, body in enumerate(obs.test):
        out += ["", "@njit(cache=True)", f"def test_obs_{i}({y}, {h}):",
                f"    return float({pr.doprint(body)})", ""]
    out += ["", "def train_coefficients(P):",
            '    """The run-time coefficients `coef` of the training averages (reweighted means)."""']
    if unpack and obs.coefficients:
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    out += ["    return np.array([" + "".join(f"float({pr.doprint(c)}), " for c in obs.coefficients)
            + "], dtype=np.float64)", "", "",
            "def train_reweights(P):",
            '    """Reweighted training means: ((data parameter, model value, given value), ...)."""']
    if unpack and obs.reweights:
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    out += ["    return (" + "".join(f"({k!r}, float({pr.doprint(a)}), float({pr.doprint(b)})), "
                                    for k, a, b in obs.reweights) + ")", "",
            "#: per reweighted mean: the data parameter as the model writes it (for error messages)",
            "REWEIGHT_SPELLED = (" + "".join(f"{spelling(a)!r}, " for _, a, _ in obs.reweights) + ")", ""]
    out += ["", f"N_TRAIN = {len(obs.train)}",
            "TRAIN_OBS = (" + "".join(f"train_obs_{i}, " for i in range(len(obs.train))) + ")",
            "TEST_OBS = (" + "".join(f"test_obs_{i}, " for i in range(len(obs.test))) + ")",
            f"OBSERVE_NAMES = {tuple(obs.names)!r}", f"REPLICA_NAMES = {tuple(obs.replicas)!r}",
            f"FDT_NAMES = {tuple(obs.fdt)!r}", "", "",
            "def test_teacher_values(P):",
            '    """Per fresh mean: the data model\'s parameters under its `given`, or None (the model\'s)."""']
    if unpack and any(obs.test_data):
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    out += ["    return (" + "".join(("{" + ", ".join(f"{k!r}: float({pr.doprint(v)})" for k, v in d) + "}, ")
                                    if d else "None, " for d in obs.test_data) + ")", "", "",
            "def fdt_windows(P):", '    """Per FDT name: (window t1, t2, lags s1, s2) in time units, None = default."""']
    if unpack:
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    out += ["    return (" + "".join("(" + ", ".join("None" if e is None else f"float({pr.doprint(e)})" for e in win)
                                    + "), " for win in obs.fdt_windows) + ")", "", "",
            "@njit(cache=True)", "def train_obs_sum(y, tau, h, coef, acc, base):",
            '    """acc[base + i] += train average i of this sample"""']
    out += [f"    acc[base + {i}] += train_obs_{i}(y, tau, h, coef)" for i in range(len(obs.train))]
    out += ["    return", "", ""]
    out += ["def observe_values(P, m, Q, train, test):", '    """The observables from m, Q and the averages."""']
    if unpack:
        out.append(f"    ({unpack},) = [float(v) for v in P]")
    out += [f"    {pr.doprint(M_SYM)} = float(m)", f"    {pr.doprint(Q_SYM)} = float(Q)"]
    out += [f"    {pr.doprint(sp.Symbol(f'trm{i}', real=True))} = float(train[{i}])" for i in range(len(obs.train))]
    out += [f"    {pr.doprint(sp.Symbol(f'tem{i}', real=True))} = float(test[{i}])" for i in range(len(obs.test))]
    out.append("    return {" + ", ".join(f"{n!r}: float({pr.doprint(f)})" for n, f in zip(obs.names, obs.formulas))
               + "}")
    return out + [""]


def registry_module(module: str, names: tuple[str, str, str]) -> str:
    """A kernel module for a hand-written loss (ℓ, ℓ', ℓ'' importable from `module`), no observables."""
    imports = ", ".join(f"{n} as {alias}" for n, alias in zip(names, ("loss", "dloss", "d2loss")))
    pr = KernelPrinter(set())
    return "\n".join(['"""statc dmft kernels for a registry loss (generated; do not edit)."""'] + HEADER
                     + [f"from {module} import {imports}", ""]
                     + observe_source(DmftObservables(), pr, "y", "h", "")) + SAMPLE_STEP
