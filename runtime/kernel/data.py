"""Sequence data sets of the kernel kind: the built-in generators and `.npz` files.

A data set holds training and test sequences as P × N0 × T′ arrays (columns = tokens),
their labels, and named matrices (query–key matrices N0 × N0 for ``attention`` and
``hardmax`` heads, fixed T′ × T′ mixing matrices for ``matrix`` heads).

`.npz` keys: ``x_train`` (P × N0 × T′), ``y_train`` (P), ``x_test`` (P* × N0 × T′),
``y_test`` (P*); every other key is a named matrix (2-D).  Generators are a registry
(:data:`GENERATORS`): name → (defaults, function of the settings).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from statc.dsl import StatcError

from . import markov, teacher

REQUIRED = ("x_train", "y_train", "x_test", "y_test")


@dataclass
class SequenceData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    matrices: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""

    @property
    def shape(self) -> tuple[int, int, int]:
        """(P, N0, T′)."""
        return self.x_train.shape


@dataclass(frozen=True)
class Generator:
    name: str
    doc: str
    defaults: dict[str, float]
    integers: dict[str, int]
    probabilities: tuple[str, ...]
    make: Callable[..., dict]


GENERATORS: dict[str, Generator] = {
    "markov_chain": Generator("markov_chain", "hidden-Markov-chain sequence classification "
                              "(ATTENTION.md §8)", markov.DEFAULTS, markov.INTEGERS,
                              markov.PROBABILITIES, markov.generate),
    "linear_teacher": Generator("linear_teacher", "Gaussian tokens, linear teacher on the last token",
                                teacher.DEFAULTS, teacher.INTEGERS, teacher.PROBABILITIES, teacher.generate),
}


def generated(name: str, settings: dict[str, float]) -> SequenceData:
    g = GENERATORS[name]
    d = g.make(**settings)
    desc = f"{name}(" + ", ".join(f"{k} = {v:g}" for k, v in {**g.defaults, **settings}.items()) + ")"
    return validate(SequenceData(d["x_train"], d["y_train"], d["x_test"], d["y_test"], d["matrices"], desc))


def load_npz(path: str | Path) -> SequenceData:
    """A data set from an `.npz` file (keys above); bad files are errors naming the key."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: np.asarray(f[k]) for k in f.files}
    except FileNotFoundError:
        raise StatcError(f"data file `{path}` not found", hint="check the path (relative paths in a model "
                         "file are relative to the model file)") from None
    except (OSError, ValueError) as err:
        raise StatcError(f"cannot read data file `{path}`: {err}",
                         expected="an .npz archive (numpy.savez) of plain arrays") from None
    missing = [k for k in REQUIRED if k not in arrays]
    if missing:
        raise StatcError(f"data file `{path}` lacks the array(s) {', '.join(f'`{k}`' for k in missing)}",
                         expected="keys x_train (P x N0 x T'), y_train (P), x_test, y_test, "
                                  "and the named matrices")
    mats = {k: v.astype(float) for k, v in arrays.items() if k not in REQUIRED}
    return validate(SequenceData(*(arrays[k].astype(float) for k in REQUIRED), mats, str(path)))


def validate(d: SequenceData) -> SequenceData:
    where = d.source or "the data set"
    for name in ("x_train", "x_test"):
        a = getattr(d, name)
        if a.ndim != 3:
            raise StatcError(f"`{name}` of {where} has shape {a.shape}", expected="P x N0 x T' (3-D)")
    for xs, ys in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = getattr(d, xs), getattr(d, ys)
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise StatcError(f"`{ys}` of {where} has shape {y.shape}, `{xs}` has {x.shape[0]} sequences",
                             expected=f"one label per sequence: ({x.shape[0]},)")
    if d.x_train.shape[1:] != d.x_test.shape[1:]:
        raise StatcError(f"training sequences are {d.x_train.shape[1:]} and test sequences "
                         f"{d.x_test.shape[1:]} (N0 x T') in {where}", expected="the same N0 and T'")
    for name in ("x_train", "y_train", "x_test", "y_test"):
        if not np.all(np.isfinite(getattr(d, name))):
            raise StatcError(f"`{name}` of {where} has non-finite entries")
    for k, m in d.matrices.items():
        if m.ndim != 2 or m.shape[0] != m.shape[1] or not np.all(np.isfinite(m)):
            raise StatcError(f"matrix `{k}` of {where} has shape {m.shape}",
                             expected="a finite square matrix (N0 x N0 query-key or T' x T' mixing)")
    return d
