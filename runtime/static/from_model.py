"""A compiled static model at its parameter values → :class:`StaticSpec` and α (run and check)."""
from __future__ import annotations

from statc.dsl import StatcError
from statc.runtime import params as params_mod

from .solve import StaticSpec


def spec_from_model(compiled, overrides: dict[str, float] | None = None) -> tuple[StaticSpec, float, dict]:
    """(spec, α, parameter values) of a compiled static model; the loss is the model's own
    generated module, the channel's parameters and λ come from its generated functions."""
    meta, mod = compiled.meta, compiled.module
    values = params_mod.resolve(compiled.model, meta, overrides or {})
    P = params_mod.vector(meta, values)
    v, ch = mod.static_values(P), mod.channel_values(P)
    if not v["alpha"] > 0:
        raise StatcError(f"alpha = n/N must be > 0, got {v['alpha']:g}")
    if v["lam"] < 0:
        raise StatcError(f"the ridge (L2) penalty must be >= 0, got {v['lam']:g}")
    if not 0 < v["teacher_p"] <= 1:
        raise StatcError(f"the sparse teacher's density must lie in (0, 1], got p = {v['teacher_p']:g}")
    if v["lam1"] < 0:
        raise StatcError(f"the L1 penalty must be >= 0, got {v['lam1']:g}")
    if "rho" in ch and not 0 < ch["rho"] < 1:
        raise StatcError(f"the cluster fraction must lie in (0, 1), got rho = {ch['rho']:g}")
    if "Delta" in ch and not ch["Delta"] > 0:
        raise StatcError(f"the cluster variance must be > 0, got Delta = {ch['Delta']:g}")
    if "K" in ch and not (float(ch["K"]).is_integer() and ch["K"] >= 2):
        raise StatcError(f"the number of classes must be an integer >= 2, got K = {ch['K']:g}")
    erm = meta["algorithm"] == "erm"
    loss_k = None
    if erm and meta["channel"] == "argmax":            # K-class ERM: kernels per K from the model's loss
        from statc.compiler.static.derive import derive
        loss_k = derive(compiled.checked).loss
    spec = StaticSpec(meta["algorithm"], meta["channel"], ch, loss=mod if erm and loss_k is None else None,
                      loss_k=loss_k,
                      regulariser=meta["regulariser"], lam=v["lam"], lam1=v["lam1"],
                      teacher=meta.get("teacher_prior", "gaussian"), teacher_p=v["teacher_p"], prior=meta["prior"],
                      learns_bias=bool(meta["bias"]) if meta["channel"] == "mixture" else None)
    return spec, float(v["alpha"]), values
