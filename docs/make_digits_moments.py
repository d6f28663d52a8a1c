"""models/data/digits01.npz: the moments of scikit-learn's 8x8 digits 0 and 1.

    python docs/make_digits_moments.py

The real-data protocol of the optimal-learning paper (its MNIST notebook,
francescomori/optimal_learning, DAE/MNIST), on the digits that ship with
scikit-learn (no download), N = 64:

* pixels scaled as the paper scales MNIST: divided by the largest value (16)
  and by 5, so that x is in [0, 0.2];
* per class c: the mean image m_c and the isotropic variance
  s_c = mean over pixels of the per-pixel variance (x ~ m_c + sqrt(s_c) z);
* the cluster overlaps U[c,e] = m_c . m_e (statc's mu_c = sqrt(N) m_c, so that
  U = mu_c.mu_e / N) and the class weight p1 (share of zeros);
* the initial student, drawn as the paper does (seed 195): w_k = 0.2 m_k/|m_k|
  + N(0, I/N), rescaled to norm sqrt(N); its overlaps M[k,c] = w_k . m_c / sqrt(N)
  and Q = w w^T / N.  The same w is the start of the simulation on the real
  images (docs/make_dae_digits.py), stored as `w0`.

Entries are scalars named `U11 U12 U22 s1 s2 p1 M11 M12 M21 M22 Q11 Q12 Q22`
(read by `params from "data/digits01.npz" { ... }` in models/dae_digits.model),
plus the arrays `X0`, `X1` (the scaled images) and `w0` for the simulation.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parent.parent / "models" / "data" / "digits01.npz"
SCALE = 16.0 * 5.0          # the paper's MNIST scaling: /255 (max) then /5


def images() -> tuple[np.ndarray, np.ndarray]:
    """The scaled images of class 0 and of class 1 (rows of 64 pixels)."""
    d = load_digits()
    X = d.data / SCALE
    return X[d.target == 0], X[d.target == 1]


def moments(seed: int = 195) -> dict[str, np.ndarray]:
    X0, X1 = images()
    N = X0.shape[1]
    m = np.array([X0.mean(0), X1.mean(0)])
    s = [float(np.mean((X - mc) ** 2)) for X, mc in ((X0, m[0]), (X1, m[1]))]
    rng = np.random.RandomState(seed)
    w = 0.2 * m / np.linalg.norm(m, axis=1, keepdims=True) + rng.normal(0, 1 / np.sqrt(N), size=(2, N))
    w = w * np.sqrt(N) / np.linalg.norm(w, axis=1, keepdims=True)
    U = m @ m.T
    M = w @ m.T / np.sqrt(N)                 # M[k, c]
    Q = w @ w.T / N
    out = {"U11": U[0, 0], "U12": U[0, 1], "U22": U[1, 1], "s1": s[0], "s2": s[1],
           "p1": len(X0) / (len(X0) + len(X1)),
           "M11": M[0, 0], "M12": M[0, 1], "M21": M[1, 0], "M22": M[1, 1],
           "Q11": Q[0, 0], "Q12": Q[0, 1], "Q22": Q[1, 1]}
    out = {k: np.float64(v) for k, v in out.items()}
    out.update(X0=X0, X1=X1, w0=w)
    return out


if __name__ == "__main__":
    mom = moments()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez(OUT, **mom)
    for k, v in mom.items():
        print(k, v if np.ndim(v) == 0 else np.shape(v))
