"""The initial overlaps in models/dae_paper.model, from the notebook's protocol.

    python docs/dae_paper_init.py

The optimal-learning notebook (francescomori/optimal_learning, DAE/DAE.ipynb)
fixes NumPy's legacy global seed 195 and N = 1000, then draws, in this order,

* the two cluster means mu_c ~ N(0, I_N / N) (rows of a 2 x N array), and
* w_k = 0.2 mu_k + N(0, I_N / N), each rescaled to norm sqrt(N) / 2,

and measures M[c, k] = mu_c . w_k / sqrt(N), Q = w w^T / N, S = mu mu^T.  In
statc's convention (|mu|^2 / N ~ 1, overlaps u.v/N) these are M[k, c], Q and U.
The notebook prints none of them; the legacy generator (``RandomState``) is
frozen by NumPy's stream-compatibility policy (NEP 19), so the same draws are
reproduced here and pasted, with 17 significant digits, into the model's
`init` block.
"""
from __future__ import annotations

import numpy as np


def overlaps(seed: int = 195, N: int = 1000) -> dict[str, np.ndarray]:
    """M[k, c], Q[k, l], U[c, e] of the notebook's initial condition."""
    rng = np.random.RandomState(seed)
    mu = rng.normal(0.0, 1.0, size=(2, N)) / np.sqrt(N)          # |mu_c| ~ 1
    w = 0.2 * mu + rng.normal(0.0, 1.0 / np.sqrt(N), size=(2, N))
    w = w * (np.sqrt(N) / 2) / np.linalg.norm(w, axis=1, keepdims=True)
    return {"M": w @ mu.T / np.sqrt(N), "Q": w @ w.T / N, "U": mu @ mu.T}


if __name__ == "__main__":
    for name, a in overlaps().items():
        for idx in np.ndindex(a.shape):
            print(f"{name}[{','.join(str(i + 1) for i in idx)}] = {float(a[idx])!r}")
