"""Gaussian sequences with a linear teacher on the last token (a regression task for the
deep linear network, the H = 1 special case of the kernel kind).

Tokens x_t ~ N(0, I_{N0}) i.i.d. (``features`` = N0, ``length`` = T′ tokens); the label
y = w·x_{T′}/√N0 + ``noise`` ξ with a fixed teacher w ~ N(0, I) and ξ ~ N(0, 1).
No named matrices.
"""
from __future__ import annotations

import numpy as np

DEFAULTS: dict[str, float] = {"train": 100, "test": 500, "length": 2, "features": 20, "noise": 0.1,
                              "seed": 0}
INTEGERS = {"train": 1, "test": 1, "length": 2, "features": 1, "seed": 0}
PROBABILITIES: tuple[str, ...] = ()


def generate(**settings: float) -> dict[str, object]:
    opts = {**DEFAULTS, **settings}
    rng = np.random.default_rng(int(opts["seed"]))
    N0, T = int(opts["features"]), int(opts["length"])
    w = rng.standard_normal(N0)
    out: dict[str, object] = {"matrices": {}}
    for part in ("train", "test"):
        n = int(opts[part])
        x = rng.standard_normal((n, N0, T))
        out[f"x_{part}"] = x
        out[f"y_{part}"] = x[:, :, -1] @ w / np.sqrt(N0) + opts["noise"] * rng.standard_normal(n)
    return out
