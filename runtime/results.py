"""Writing results: CSV, JSON and plots, always atomically."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_csv(path: Path, columns: dict[str, np.ndarray]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = list(columns)
    w.writerow(names)
    n = len(next(iter(columns.values())))
    for r in range(n):
        w.writerow([repr(float(columns[c][r])) for c in names])
    _atomic_bytes(Path(path), buf.getvalue().encode())


def write_json(path: Path, obj: dict) -> None:
    def default(o):
        if isinstance(o, (np.floating, np.integer)):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        raise TypeError(type(o))
    _atomic_bytes(Path(path), (json.dumps(obj, indent=2, default=default) + "\n").encode())


def write_figure(path: Path, fig) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    _atomic_bytes(Path(path), buf.getvalue())


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
