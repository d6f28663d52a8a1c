"""`statc plot`: figures from a sweep's ``results.csv`` (and its points' trajectories).

- ``--x A --y OBS [--hue B]``: OBS against grid axis A, one line per value of B;
- ``--x A --y B --z OBS --heatmap``: OBS over the (A, B) plane — a phase diagram;
- ``--curves OBS``: the learning curves (``trajectory.csv``) of every point overlaid.
The format follows the file name's suffix (``.png`` or ``.pdf``).
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from statc.atomic import write_bytes
from statc.dsl import StatcError, did_you_mean


def read_results(sweep_dir: str | Path) -> list[dict[str, str]]:
    """The rows of ``SWEEP/results.csv`` (as strings)."""
    f = Path(sweep_dir) / "results.csv"
    if not f.is_file():
        raise StatcError(f"`{sweep_dir}` has no results.csv", hint="give the --out folder of a `statc sweep`")
    with open(f, newline="") as fh:
        return list(csv.DictReader(fh))


def _column(rows: list[dict], name: str, option: str) -> np.ndarray:
    names = list(rows[0]) if rows else []
    if name not in names:
        raise StatcError(f"`{option} {name}`: no such column in results.csv",
                         expected="one of " + ", ".join(names), hint=did_you_mean(name, names))
    out = []
    for r in rows:
        try:
            out.append(float(r[name]))
        except ValueError:
            out.append(math.nan)       # a failed point has no value
    return np.array(out)


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        raise StatcError(f"cannot write `{path}`", expected="a .png or .pdf file name")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=130, bbox_inches="tight")
    write_bytes(path, buf.getvalue())
    return path


def line_plot(rows, x: str, y: str, hue: str | None, path, logx=False, logy=False) -> Path:
    """`y` against `x`, one line per value of `hue`."""
    import matplotlib.pyplot as plt
    xs, ys = _column(rows, x, "--x"), _column(rows, y, "--y")
    hs = _column(rows, hue, "--hue") if hue else np.zeros(len(xs))
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for h in np.unique(hs[~np.isnan(hs)]):
        sel = hs == h
        order = np.argsort(xs[sel])
        ax.plot(xs[sel][order], ys[sel][order], "o-", ms=3, label=f"{hue} = {h:g}" if hue else None)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if hue:
        ax.legend(fontsize=8)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def heatmap(rows, x: str, y: str, z: str, path) -> Path:
    """`z` over the grid of (`x`, `y`) values; points missing from the grid are blank."""
    import matplotlib.pyplot as plt
    xs, ys, zs = _column(rows, x, "--x"), _column(rows, y, "--y"), _column(rows, z, "--z")
    ux, uy = np.unique(xs[~np.isnan(xs)]), np.unique(ys[~np.isnan(ys)])
    if len(ux) < 2 or len(uy) < 2:
        raise StatcError("a heatmap needs at least two values on each of --x and --y")
    Z = np.full((len(uy), len(ux)), np.nan)
    for a, b, c in zip(xs, ys, zs):
        if not (math.isnan(a) or math.isnan(b)):
            Z[np.searchsorted(uy, b), np.searchsorted(ux, a)] = c
    fig, ax = plt.subplots(figsize=(5.5, 4))
    m = ax.pcolormesh(_edges(ux), _edges(uy), np.ma.masked_invalid(Z), shading="flat")
    fig.colorbar(m, ax=ax, label=z)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def _edges(v: np.ndarray) -> np.ndarray:
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def curves(sweep_dir, rows, y: str, hue: str | None, path, logx=True, logy=False) -> Path:
    """The learning curve of `y` of every finished point, from its ``trajectory.csv``."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 4))
    drawn = 0
    for r in rows:
        f = Path(sweep_dir) / "points" / r["key"] / "trajectory.csv"
        if not f.is_file():
            continue
        with open(f, newline="") as fh:
            data = list(csv.DictReader(fh))
        if not data or y not in data[0]:
            raise StatcError(f"`--curves {y}`: no such column in {f.name}",
                             expected="one of " + ", ".join(data[0]) if data else "columns")
        t = np.array([float(d["t"]) for d in data])
        v = np.array([float(d[y]) for d in data])
        ax.plot(t, v, lw=1, label=f"{hue} = {r[hue]}" if hue else None)
        drawn += 1
    if not drawn:
        raise StatcError("no point of this sweep has a trajectory.csv", hint="--curves needs a `run` sweep")
    ax.set_xlabel("t")
    ax.set_ylabel(y)
    if logx:
        ax.set_xscale("symlog", linthresh=1.0)
    if logy:
        ax.set_yscale("log")
    if hue:
        ax.legend(fontsize=7)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)
