"""A compiled dmft model at its parameter values → :class:`DmftProblem` (for run and check)."""
from __future__ import annotations

from dataclasses import replace

from statc.dsl import StatcError
from statc.runtime import params as params_mod

from .algorithms import Algorithm, gd, langevin, persistent, sgd, sgf, with_momentum
from .losses import Loss
from .observe import from_module
from .problem import DmftProblem
from .spectral import Structured, make_spectrum
from .teachers import make_teacher


def _selection(v: dict) -> Algorithm:
    """`persistence = 0` (the default) is plain SGD; b = 1 is GD."""
    return persistent(v["eta"], v["b"], v["tau"]) if v["tau"] > 0 else sgd(v["eta"], v["b"])


def _with_temperature(alg: Algorithm, v: dict) -> Algorithm:
    """Langevin noise √(2ηT)ξ on top of any selection rule (`temperature = T`)."""
    return replace(alg, temperature=langevin(v["eta"], v["T"]).temperature) if v["T"] else alg


ALGORITHM_BUILDERS = {
    "gd": lambda v: gd(v["eta"]),
    "sgd": lambda v: _with_temperature(sgd(v["eta"], v["b"]), v),
    "persistent": lambda v: _with_temperature(_selection(v), v),
    "langevin": lambda v: langevin(v["eta"], v["T"]),
    "sgf": lambda v: sgf(v["eta"], v["b"], v["tau"], v["T"]),
}


def problem_from_model(compiled, overrides: dict[str, float] | None = None,
                       t_end: float | None = None) -> tuple[DmftProblem, dict]:
    """The DmftProblem of a compiled dmft model at its parameter values."""
    meta, mod = compiled.meta, compiled.module
    values = params_mod.resolve(compiled.model, meta, overrides or {})
    P = params_mod.vector(meta, values)
    v = mod.dmft_values(P)
    if t_end is not None:
        v["t_end"] = t_end
    teacher = make_teacher(meta["teacher"], **mod.teacher_values(P))
    spectrum = mod.spectrum_values(P) if hasattr(mod, "spectrum_values") else None
    if spectrum is not None:                      # x ~ N(0, Σ) given by its spectrum (spectral.py)
        family, positional, keywords = spectrum
        teacher = Structured(teacher, make_spectrum(family, positional, keywords))
    loss = Loss(meta["model"], mod.loss, mod.dloss, mod.d2loss, mod.sample_step)
    if v["eta"] <= 0:
        raise StatcError(f"the learning rate must be > 0, got {v['eta']:g}")
    steps = int(round(v["t_end"] / v["eta"]))
    rule = "nesterov" if v.get("nesterov", 0.0) else "heavy_ball"
    alg = with_momentum(ALGORITHM_BUILDERS[meta["algorithm"]](v), v.get("beta", 0.0), rule)
    return DmftProblem(teacher, loss, alg, alpha=v["alpha"], eta=v["eta"], steps=steps, lam=v["lam"],
                       m0=v["m0"], Q0=v["Q0"], observe=from_module(mod, P, meta["teacher"]),
                       sphere=v.get("sphere", 0.0)), values
