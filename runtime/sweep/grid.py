"""Parameter grids from the command line or a CSV file, parsed without evaluation.

``NAME=a:b:n`` is ``numpy.linspace(a, b, n)``, ``NAME=v1,v2,...`` a list, and
``--grid-log NAME=a:b:n`` ``numpy.geomspace(a, b, n)``.  Several grids form
their Cartesian product, or with ``zip`` are paired element by element.
"""
from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import numpy as np

from statc.dsl import StatcError, did_you_mean

Point = dict[str, float]


def _number(text: str, spec: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise StatcError(f"`{text.strip()}` in `{spec}` is not a number",
                         expected="NAME=a:b:n, NAME=v1,v2,... (numbers)",
                         hint="e.g. `--grid eta=0.1:2:20` or `--grid K=1,2,4`") from None
    if not math.isfinite(v):
        raise StatcError(f"`{text.strip()}` in `{spec}` is not a finite number")
    return v


def parse_axis(spec: str, log: bool = False) -> tuple[str, list[float]]:
    """One ``--grid`` (or ``--grid-log`` when `log`) item → (name, values)."""
    option = "--grid-log" if log else "--grid"
    if "=" not in spec:
        raise StatcError(f"bad {option} value `{spec}`", expected="NAME=a:b:n or NAME=v1,v2,...",
                         hint=f"e.g. `{option} eta=0.1:2:20`")
    name, body = (s.strip() for s in spec.split("=", 1))
    if not name.isidentifier():
        raise StatcError(f"bad parameter name `{name}` in `{option} {spec}`",
                         expected="a parameter name such as eta")
    if ":" in body:
        parts = body.split(":")
        if len(parts) != 3:
            raise StatcError(f"bad range `{body}` in `{option} {spec}`", expected="a:b:n (start:stop:count)",
                             hint=f"e.g. `{option} {name}=0.1:2:20`")
        a, b = _number(parts[0], spec), _number(parts[1], spec)
        n = _number(parts[2], spec)
        if n != int(n) or n < 1:
            raise StatcError(f"the count `{parts[2].strip()}` in `{option} {spec}` must be a positive integer")
        if log:
            if a <= 0 or b <= 0:
                raise StatcError(f"`{option} {spec}`: a log grid needs positive ends",
                                 hint="use --grid for a linear grid")
            values = np.geomspace(a, b, int(n))
        else:
            values = np.linspace(a, b, int(n))
        return name, [float(v) for v in values]
    if log:
        raise StatcError(f"bad {option} value `{spec}`", expected="NAME=a:b:n",
                         hint="a list of values goes with --grid")
    items = [s for s in body.split(",")]
    if not body or any(not s.strip() for s in items):
        raise StatcError(f"empty value in `{option} {spec}`", expected="NAME=v1,v2,...")
    return name, [_number(s, spec) for s in items]


def combine(axes: list[tuple[str, list[float]]], zip_axes: bool = False) -> list[Point]:
    """The points of several axes: their product, or element-wise pairs with `zip_axes`."""
    names = [n for n, _ in axes]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise StatcError(f"parameter `{dup[0]}` is given more than one grid")
    if not axes:
        return []
    if zip_axes:
        sizes = {len(v) for _, v in axes}
        if len(sizes) > 1:
            raise StatcError("--zip pairs grids element by element; they must have equal lengths, got "
                             + ", ".join(f"{n}: {len(v)}" for n, v in axes))
        rows = zip(*(v for _, v in axes))
    else:
        rows = itertools.product(*(v for _, v in axes))
    return [dict(zip(names, r)) for r in rows]


def read_csv(path: str | Path) -> list[Point]:
    """Points from a CSV file: a header of parameter names, one row per point."""
    p = Path(path)
    if not p.is_file():
        raise StatcError(f"grid file `{path}` not found", hint="give a CSV file with a header row")
    with open(p, newline="") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise StatcError(f"grid file `{path}` has no points", expected="a header row, then one row per point")
    header = [h.strip() for h in rows[0]]
    for h in header:
        if not h.isidentifier():
            raise StatcError(f"grid file `{path}`: bad column name `{h}`", expected="parameter names")
    out = []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise StatcError(f"grid file `{path}`, line {i}: {len(r)} values for {len(header)} columns")
        out.append({h: _number(c, f"{path}:{i}") for h, c in zip(header, r)})
    return out


def build(grid: list[str] = (), grid_log: list[str] = (), zip_axes: bool = False,
          grid_file: str | Path | None = None) -> list[Point]:
    """The sweep's points from the CLI's grid options (a file's rows × the axes' product)."""
    axes = [parse_axis(s) for s in grid] + [parse_axis(s, log=True) for s in grid_log]
    points = combine(axes, zip_axes)
    if grid_file is not None:
        rows = read_csv(grid_file)
        clash = set(rows[0]) & {n for n, _ in axes}
        if clash:
            raise StatcError(f"parameter `{sorted(clash)[0]}` is in the grid file and in a --grid")
        points = [{**r, **p} for r in rows for p in (points or [{}])]
    if not points:
        raise StatcError("the sweep has no grid", expected="at least one --grid, --grid-log or --grid-file",
                         hint="e.g. `--grid eta=0.1:2:20`")
    return points


def check_names(points: list[Point], known: list[str], int_params: list[str]) -> None:
    """Every grid name is a parameter of the model; index sizes get integers."""
    for name in points[0]:
        if name not in known:
            raise StatcError(f"unknown parameter `{name}` in the grid", expected="a parameter of the model: "
                             + ", ".join(f"`{k}`" for k in known), hint=did_you_mean(name, known))
    for name in int_params:
        for p in points:
            if name in p and (p[name] != int(p[name]) or p[name] < 1):
                raise StatcError(f"`{name}` is an index size: the grid value {p[name]:g} is not a "
                                 f"positive integer", hint=f"e.g. `--grid {name}=1,2,4`")
