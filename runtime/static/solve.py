"""The static kind's entry point for a runner: a plain specification in, the
``summary.json`` dictionary and the ``curve.csv`` columns out.

A later ``statc/kinds.py`` entry maps the Model IR (teacher/student/loss
blocks, ``algorithm erm { … }`` or ``algorithm bayes_optimal``) to a
:class:`StaticSpec`; everything numerical happens here.  ``final`` holds the
fixed point's observables under the contract names ``test_error``,
``train_error``, ``train_loss``, ``m``, ``q`` (plus V, the conjugates, the bias
and per-cluster errors).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import ModuleType
from typing import Sequence

import numpy as np

from statc.runtime.results import write_csv, write_json

from .bayes import bayes_optimal, equilibrium
from .channels import channel as make_channel
from .continuation import alpha_curve
from .erm import ERM, FixedPoint, FixedPointError
from .multiclass import bayes_optimal_k
from .multiclass_erm import MulticlassERM


@dataclass(frozen=True)
class StaticSpec:
    """What to compute: ``algorithm`` is ``"erm"`` (loss, regulariser, λ) or
    ``"bayes_optimal"`` (prior); ``channel`` names a registry entry; the penalty is
    ``lam1``·|w|₁ + ``lam``/2·|w|² (``regulariser`` ridge, lasso or elastic_net).  ``loss`` is a
    registry name or a compiled loss module (a model's own loss); ``learns_bias``
    False pins the bias of a channel that would learn one at b = 0."""

    algorithm: str
    channel: str
    channel_params: dict = field(default_factory=dict)
    loss: str | ModuleType | None = None
    regulariser: str = "ridge"
    lam: float = 0.0
    lam1: float = 0.0
    teacher: str = "gaussian"
    teacher_p: float = 1.0
    prior: str = "gaussian"
    learns_bias: bool | None = None
    #: K-class ERM: the model's canonical loss (SymPy; compiler/static/multiclass_loss.py), whose
    #: kernels are generated per K
    loss_k: object = None

    def make_channel(self):
        ch = make_channel(self.channel, **self.channel_params)
        if self.learns_bias is not None and hasattr(ch, "learns_bias"):
            ch = replace(ch, learns_bias=bool(self.learns_bias))
        return ch

    def problem(self, alpha: float) -> ERM:
        return ERM(self.loss, self.make_channel(), alpha, self.lam, self.regulariser, self.lam1,
                   self.teacher, self.teacher_p)

    def as_dict(self) -> dict:
        """JSON-ready (a loss module is named by its model)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        if isinstance(self.loss, ModuleType):
            d["loss"] = f"model loss ({getattr(self.loss, 'PROX_RULE', '?')} prox)"
        if self.loss_k is not None:
            import sympy as sp
            d["loss_k"] = sp.sstr(self.loss_k)
        return d

    def multiclass_erm(self, alpha: float) -> MulticlassERM:
        """The K-class ERM problem at α (the loss kernels for this K generated on first use)."""
        from statc.compiler.static.multiclass_loss import load
        K = int(self.channel_params["K"])
        return MulticlassERM(load(self.loss_k, K), K, alpha, self.lam)


def _erm_summary(fp: FixedPoint) -> dict:
    return {"converged": True, "iterations": fp.iterations, "residual": fp.residual,
            "final": fp.observables}


def _multiclass_erm_summary(spec: StaticSpec, alpha: float, **solve_kw) -> dict:
    """The K-class ERM fixed point (runtime/static/multiclass_erm.py): ``final`` holds test_error,
    train_error, train_loss, free_energy and the subspace scalars m, q, V (tr(P x P)/(K − 1));
    ``matrices`` the K×K overlaps."""
    try:
        p = spec.multiclass_erm(alpha).solve(**solve_kw)
    except FixedPointError as e:
        return {"converged": False, "error": str(e), "history": e.history}
    return {"converged": True, "iterations": p.iterations, "residual": p.residual, "final": p.observables,
            "matrices": {k: getattr(p, k).tolist() for k in ("m", "q", "V", "mhat", "qhat", "Vhat")}}


def _multiclass_summary(spec: StaticSpec, alpha: float, **solve_kw) -> dict:
    """The K-class Bayes-optimal fixed point (runtime/static/multiclass.py): ``final`` holds
    test_error, qbar = tr(PqP)/(K − 1) (= m̄, Nishimori), the K×K q and q̂, the anisotropy.  A
    discrete teacher prior (``rademacher``) is solved from both starts: ``final`` is the branch of
    larger free entropy (the equilibrium), ``starts`` both, ``hysteresis`` whether they differ."""
    from .multiclass_prior import row_prior
    K = int(spec.channel_params["K"])
    discrete = row_prior(spec.prior, K).entropy is not None
    try:
        pts = ({"uninformed": bayes_optimal_k(K, alpha, prior=spec.prior, start=1e-6, **solve_kw),
                "informed": bayes_optimal_k(K, alpha, prior=spec.prior, start=1.0 - 1e-6, **solve_kw)}
               if discrete else {"uninformed": bayes_optimal_k(K, alpha, prior=spec.prior, **solve_kw)})
    except FixedPointError as e:
        return {"converged": False, "error": str(e), "history": e.history}
    eq = max(pts, key=lambda k: pts[k].free_entropy)
    p = pts[eq]
    out = {"converged": True, "iterations": p.iterations, "residual": p.residual,
           "final": {"test_error": p.test_error, "q": p.qbar, "m": p.qbar,
                     "qhat": None if p.perfect else float(np.trace(p.qhat)) / (K - 1),
                     "anisotropy": p.anisotropy, "free_entropy": p.free_entropy, "perfect": p.perfect},
           "matrices": {"q": p.q.tolist(), "qhat": None if p.perfect else p.qhat.tolist()}}
    if discrete:
        out |= {"equilibrium": eq, "hysteresis": abs(pts["informed"].qbar - pts["uninformed"].qbar) > 1e-6,
                "entropy": row_prior(spec.prior, K).entropy,
                "starts": {k: {"q": v.qbar, "test_error": v.test_error, "free_entropy": v.free_entropy,
                               "perfect": v.perfect, "iterations": v.iterations} for k, v in pts.items()}}
    return out


def solve(spec: StaticSpec, alpha: float, **solve_kw) -> dict:
    """The summary at one α; a fixed point that fails is reported (message and
    residual history), not raised."""
    base = {"spec": spec.as_dict(), "alpha": alpha}
    if spec.channel == "argmax" and spec.algorithm == "erm":
        return base | _multiclass_erm_summary(spec, alpha, **solve_kw)
    if spec.channel == "argmax":
        return base | _multiclass_summary(spec, alpha, **solve_kw)
    if spec.algorithm == "bayes_optimal":
        ch = spec.make_channel()
        try:
            pts = bayes_optimal(ch, alpha, prior=spec.prior, prior_p=spec.teacher_p, **solve_kw)
        except FixedPointError as e:
            return base | {"converged": False, "error": str(e), "history": e.history}
        # ``final``: the branch of larger free entropy (the equilibrium); the
        # uninformed start is what AMP reaches — both are in ``starts``
        eq = equilibrium(pts)
        u = pts[eq]
        return base | {"converged": True, "equilibrium": eq,
                       "final": {"q": u.q, "m": u.q, "qhat": u.qhat, "test_error": u.test_error,
                                 "free_entropy": u.free_entropy},
                       "starts": {k: {"q": p.q, "test_error": p.test_error, "perfect": p.perfect,
                                      "free_entropy": p.free_entropy,
                                      "iterations": p.iterations} for k, p in pts.items()},
                       "hysteresis": abs(pts["informed"].q - pts["uninformed"].q) > 1e-6}
    try:
        return base | _erm_summary(spec.problem(alpha).solve(**solve_kw))
    except FixedPointError as e:
        return base | {"converged": False, "error": str(e), "history": e.history}


def curve(spec: StaticSpec, alphas: Sequence[float], **solve_kw) -> dict[str, np.ndarray]:
    """Columns of ``curve.csv`` over α (continuation for ERM); failed points are NaN."""
    if spec.algorithm == "bayes_optimal":
        rows = [solve(spec, a, **solve_kw).get("final", {}) for a in alphas]
    elif spec.channel == "argmax":                     # K-class ERM: warm start from the previous α
        rows, init = [], None
        for a in alphas:
            try:
                p = spec.multiclass_erm(a).solve(init=init, **solve_kw)
                rows.append(p.observables)
                init = (p.m, p.q, p.V)
            except FixedPointError:
                rows.append({})
    else:
        rows = [fp.observables if isinstance(fp, FixedPoint) else {}
                for _, fp in alpha_curve(spec.problem, alphas, **solve_kw)]
    keys = sorted({k for r in rows for k in r})
    cols = {"alpha": np.asarray(alphas, dtype=float)}
    cols.update({k: np.array([float(r.get(k, np.nan)) for r in rows]) for k in keys})
    return cols


def write_outputs(out_dir: str | Path, summary: dict, columns: dict | None = None) -> None:
    """``summary.json`` (and ``curve.csv`` when a curve was computed)."""
    out = Path(out_dir)
    write_json(out / "summary.json", summary)
    if columns is not None:
        write_csv(out / "curve.csv", columns)
