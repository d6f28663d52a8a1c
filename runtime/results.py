"""Writing results: CSV, JSON and plots, always atomically."""
from __future__ import annotations

import csv
import math
import io
import json
import os
from pathlib import Path

import numpy as np

from statc.atomic import write_bytes
from statc.dsl import StatcError


def check_output_dir(out: str | Path, option: str = "--out") -> None:
    """Refuse an output directory that cannot be used, before any work is done.

    It must be a directory already, or creatable: its first existing ancestor
    is a directory we may write in.  Nothing is created here (a run that fails
    later leaves no empty directory behind).
    """
    path = Path(out)
    if path.exists():
        if not path.is_dir():
            raise StatcError(f"`{option} {out}` names an existing file, not a directory",
                             hint="results are several files; give a directory (created if needed)")
        if not os.access(path, os.W_OK | os.X_OK):
            raise StatcError(f"cannot write into `{out}`: permission denied",
                             hint=f"choose another `{option}` directory")
        return
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise StatcError(f"cannot create `{out}`: `{parent}` is a file, not a directory",
                         hint=f"choose another `{option}` directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StatcError(f"cannot create `{out}`: no permission to write in `{parent}`",
                         hint=f"choose another `{option}` directory")


def write_csv(path: Path, columns: dict[str, np.ndarray]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = list(columns)
    w.writerow(names)
    n = len(next(iter(columns.values())))
    for r in range(n):
        w.writerow([repr(float(columns[c][r])) for c in names])
    write_bytes(Path(path), buf.getvalue().encode())


def _strict(o):
    """`o` with NumPy scalars/arrays as Python values and non-finite floats as the strings
    ``"inf"``, ``"-inf"``, ``"nan"`` (strict JSON has no Infinity/NaN literals)."""
    if isinstance(o, dict):
        return {k: _strict(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_strict(v) for v in o]
    if isinstance(o, np.ndarray):
        return _strict(o.tolist())
    if isinstance(o, (np.floating, np.integer)):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return "nan" if math.isnan(o) else ("inf" if o > 0 else "-inf")
    return o


def write_json(path: Path, obj: dict) -> None:
    """Strict JSON (readable by any parser): see :func:`_strict`."""
    write_bytes(Path(path), (json.dumps(_strict(obj), indent=2, allow_nan=False) + "\n").encode())


def write_figure(path: Path, fig) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    write_bytes(Path(path), buf.getvalue())


def plot_learning_curve(path: Path, t: np.ndarray, y: np.ndarray, name: str, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    mask = (t > 0) & (y > 0)
    ax.loglog(t[mask], y[mask], lw=1.8)
    ax.set_xlabel("t = steps / N")
    ax.set_ylabel(name)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    write_figure(path, fig)
    plt.close(fig)
