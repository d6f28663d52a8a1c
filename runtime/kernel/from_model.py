"""A compiled kernel model at its parameter values → data set, heads and architecture (run
and check), with every value and data error located in the model file."""
from __future__ import annotations

from pathlib import Path

from statc.dsl import StatcError
from statc.dsl.errors import Span
from statc.runtime import params as params_mod

from .data import GENERATORS, SequenceData, generated, load_npz
from .levels import Architecture
from .mixing import MIXINGS, Head


def _located(compiled, message: str, key: str, **kw) -> StatcError:
    span = compiled.meta["spans"].get(key)
    err = StatcError(message, Span(*span) if span else None, **kw)
    return err.located(compiled.model.filename, compiled.model.source)


def dataset(compiled, v: dict[str, float], data: str | None = None) -> SequenceData:
    """The model's data set: ``--data FILE``, the model's file (relative to the model), or
    its generator with the model's settings."""
    kind, name = compiled.meta["data"]
    if data is not None:
        return load_npz(data)
    if kind == "file":
        path = Path(name)
        if not path.is_absolute():
            path = Path(compiled.model.filename).resolve().parent / path
        try:
            return load_npz(path)
        except StatcError as err:
            raise _located(compiled, err.message, "data_file", expected=err.expected, hint=err.hint) from None
    settings = {k[5:]: val for k, val in v.items() if k.startswith("data_")}
    if name not in GENERATORS:                            # pragma: no cover - excluded by the checks
        raise StatcError(f"unknown generator {name!r}")
    return generated(name, settings)


def _heads(compiled, v: dict[str, float], d: SequenceData) -> list[list[Head]]:
    _, N0, Tp = d.shape
    layers = []
    for l, layer in enumerate(compiled.meta["layers"], start=1):
        heads = []
        for h, spec in enumerate(layer, start=1):
            entry = MIXINGS[spec["mixing"]]
            if entry.matrix:
                m = d.matrices.get(spec["matrix"])
                want = (N0, N0) if entry.matrix == "qk" else (Tp, Tp)
                if m is None:
                    raise _located(compiled, f"the data set has no matrix `{spec['matrix']}`",
                                   f"head_{l}_{h}", expected="one of " + (", ".join(
                                       f"`{k}`" for k in sorted(d.matrices)) or "(the data set has none)"),
                                   hint=f"data: {d.source}")
                if m.shape != want:
                    raise _located(compiled, f"matrix `{spec['matrix']}` is {m.shape[0]} x {m.shape[1]}",
                                   f"head_{l}_{h}", expected=f"{want[0]} x {want[1]} "
                                   + ("(N0 x N0, a query-key matrix)" if entry.matrix == "qk"
                                      else "(T' x T', a mixing matrix)"))
            opts = tuple((o, v[f"head_{l}_{h}_{o}"]) for o in spec["options"])
            heads.append(Head(spec["name"], spec["mixing"], spec["matrix"], opts))
        layers.append(heads)
    return layers


def solve_inputs(compiled, overrides, data):
    """(parameter values, the generated numbers, the data set, the heads, the architecture)
    of a compiled kernel model, with every value and data error located."""
    values = params_mod.resolve(compiled.model, compiled.meta, overrides or {})
    v = compiled.module.kernel_values(params_mod.vector(compiled.meta, values))
    d = dataset(compiled, v, data)
    P, N0, Tp = d.shape
    token = int(v.get("token", 0))
    if compiled.meta["readout"] == "token" and token > Tp:
        raise _located(compiled, f"readout token {token} is beyond the sequence length T' = {Tp}",
                       "readout", expected=f"a token in 1..{Tp}")
    layers = _heads(compiled, v, d)
    heads = tuple(len(layer) for layer in layers)
    L = len(heads)
    widths = tuple(v[f"width_{k}"] for k in range(1, L + 2))
    arch = Architecture(heads, widths, tuple(v[f"var_{l}"] for l in range(1, L + 1))
                        + (v["var_readout"],), v["var_embedding"])
    for k, (N, m) in enumerate(zip(widths, arch.sizes), start=1):
        if N < m:
            what = "the embedding" if k == 1 else f"layer {k - 1}"
            level = f"U_{k}" if k <= L else "U_a"
            raise _located(compiled, f"the width N_{k} = {N:g} of {what} is below the size m_{k} = {m} "
                           f"of {level} ({m} x {m})", f"width_{k}",
                           expected=f"N_{k} >= {m}",
                           hint="the Wishart density of N_l U_l exists for N_l >= m_l, the number of "
                                "(partial) paths through level l (ATTENTION.md §5)")
    return values, v, d, layers, arch
