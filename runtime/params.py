"""Parameter values: defaults from the file, overrides from `--set` or the API."""
from __future__ import annotations

import math

import numpy as np

from statc.dsl import StatcError, did_you_mean
from statc.dsl.errors import Span
from statc.dsl.evaluate import param_values
from statc.dsl.domain import check_domains
from statc.dsl.semantics import check
from statc.dsl.values import check_values


def parse_set(items: list[str] | None, known: list[str]) -> dict[str, float]:
    """Parse ``--set NAME=VALUE`` items (VALUE a number) into a dict."""
    out: dict[str, float] = {}
    for item in items or []:
        def fail(msg, start, end, **kw):
            return StatcError(msg, Span(1, start + 1, 1, max(end, start + 1) + 1),
                              filename="--set", source=item, **kw)
        if "=" not in item:
            raise fail(f"bad --set value `{item}`", 0, len(item),
                       expected="NAME=VALUE", hint="e.g. `--set eta=0.3`")
        name, value = item.split("=", 1)
        name = name.strip()
        if name not in known:
            raise fail(f"unknown parameter `{name}`", 0, len(name), expected="a parameter of the model: "
                       + ", ".join(f"`{k}`" for k in known), hint=did_you_mean(name, known))
        try:
            v = float(value)
        except ValueError:
            raise fail(f"`{value.strip()}` is not a number", len(name) + 1, len(item),
                       expected="a number such as 0.5 or 1e-3") from None
        if not math.isfinite(v):
            raise fail(f"`{value.strip()}` is not a finite number", len(name) + 1, len(item))
        out[name] = v
    return out


def resolve(model_ast, meta: dict, overrides: dict[str, float]) -> dict[str, float]:
    """All parameter values, checked: index sizes are positive integers, and every value
    rule of :mod:`statc.dsl.values` holds (errors point into the model file)."""
    known = meta["params"]
    for name in overrides:
        if name not in known:
            raise StatcError(f"unknown parameter `{name}`", expected="one of " +
                             ", ".join(known), hint=did_you_mean(name, known))
    try:
        values = param_values(model_ast.params, overrides)
    except StatcError as err:       # a default such as `1/0` or `sqrt(-1)`: point into the file
        raise err.located(model_ast.filename, model_ast.source) from None
    for name in meta["int_params"]:
        v = values[name]
        if v != int(v) or v < 1:
            raise StatcError(f"`{name}` is an index size and must be a positive integer, got {v:g}",
                             hint=f"e.g. `--set {name}=2`")
    # the value rules (probabilities, scales, batch sizes, literal indices) for these values
    checked = check(model_ast)
    check_values(model_ast, checked.literal_indices, values, set(overrides))
    check_domains(model_ast, checked.symbols, values)
    return values


def vector(meta: dict, values: dict[str, float]) -> np.ndarray:
    return np.array([float(values[p]) for p in meta["params"]], dtype=np.float64)
