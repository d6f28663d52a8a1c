"""The hidden-Markov-chain classification task of the attention-paths paper (ATTENTION.md §8).

Hidden states s_t ∈ {+, −}, t = 1 … T_seq; s_1 uniform; P(s_{t+1} = s_t) = ``p_plus`` for
class y = +1 and ``p_minus`` for y = −1; balanced classes (half of each, shuffled).
Token features v_{s_t} + noise, v_+ = √2 (1_{N_f/2}, 0), v_− = √2 (0, 1_{N_f/2})
(|v_±|² = N_f); the isotropic noise N(0, I) is split along (v_+ + v_−), along (v_+ − v_−)
and perpendicular to both, each part scaled by ``noise_sum``, ``noise_diff``,
``noise_perp``.  A BOS token (zero features) is prepended and a one-hot position
(T_seq + 1 entries) concatenated: N0 = N_f + T_seq + 1, T′ = T_seq + 1.

Named query–key matrices (N0 × N0) it provides:

* ``same_token`` = blockdiag(q qᵀ, Pos), q = (v_+ − v_−)/N_f, Pos[s, s+1] = 1 and
  Pos[BOS, t] = ``bos`` (t ≥ 1, overriding): a token attends to its predecessor iff
  their states agree, else to BOS (with a large inverse temperature ``beta``);
* ``blank1``, ``blank2``: Gaussian perturbations, feature block N(0,1)/N_f, position
  block N(0,1), cross blocks N(0,1)/√N_f (independent draws).

Sequences are returned as P × N0 × T′ arrays (columns are tokens).
"""
from __future__ import annotations

import numpy as np

#: the generator's settings and their defaults (the paper's synthetic task)
DEFAULTS: dict[str, float] = {
    "train": 100, "test": 1000, "length": 30, "features": 200, "p_plus": 0.7, "p_minus": 0.3,
    "noise_sum": 1.0, "noise_diff": 1.0, "noise_perp": 1.0, "bos": 1.5, "seed": 0,
}
#: settings that must be whole numbers (and their minimum)
INTEGERS = {"train": 1, "test": 1, "length": 2, "features": 2, "seed": 0}
PROBABILITIES = ("p_plus", "p_minus")


def _directions(nf: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    half = nf // 2
    vp = np.zeros(nf)
    vm = np.zeros(nf)
    vp[:half] = np.sqrt(2.0)
    vm[half:2 * half] = np.sqrt(2.0)
    return vp, vm, (vp - vm) / nf


def _sequences(n: int, opts: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    T, nf = int(opts["length"]), int(opts["features"])
    vp, vm, _ = _directions(nf)
    y = np.where(np.arange(n) < (n + 1) // 2, 1.0, -1.0)
    rng.shuffle(y)
    stay = np.where(y > 0, opts["p_plus"], opts["p_minus"])
    s = np.empty((n, T), dtype=bool)
    s[:, 0] = rng.random(n) < 0.5
    for t in range(1, T):
        keep = rng.random(n) < stay
        s[:, t] = np.where(keep, s[:, t - 1], ~s[:, t - 1])
    signal = np.where(s[..., None], vp, vm)                        # n × T × N_f
    e_sum = (vp + vm) / np.linalg.norm(vp + vm)
    e_diff = (vp - vm) / np.linalg.norm(vp - vm)
    z = rng.standard_normal((n, T, nf))
    a_sum, a_diff = z @ e_sum, z @ e_diff
    perp = z - a_sum[..., None] * e_sum - a_diff[..., None] * e_diff
    noise = (opts["noise_sum"] * a_sum[..., None] * e_sum + opts["noise_diff"] * a_diff[..., None] * e_diff
             + opts["noise_perp"] * perp)
    feats = np.zeros((n, T + 1, nf))
    feats[:, 1:] = signal + noise
    pos = np.broadcast_to(np.eye(T + 1), (n, T + 1, T + 1))
    x = np.concatenate([feats, pos], axis=2)                        # n × T' × N0
    return np.ascontiguousarray(x.transpose(0, 2, 1)), y


def _matrices(opts: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    T, nf = int(opts["length"]), int(opts["features"])
    Tp, N0 = T + 1, nf + T + 1
    _, _, q = _directions(nf)
    same = np.zeros((N0, N0))
    same[:nf, :nf] = np.outer(q, q)
    pos = np.zeros((Tp, Tp))
    pos[np.arange(Tp - 1), np.arange(1, Tp)] = 1.0
    pos[0, 1:] = opts["bos"]
    same[nf:, nf:] = pos
    out = {"same_token": same}
    for name in ("blank1", "blank2"):
        W = rng.standard_normal((N0, N0))
        W[:nf, :nf] /= nf
        W[:nf, nf:] /= np.sqrt(nf)
        W[nf:, :nf] /= np.sqrt(nf)
        out[name] = W
    return out


def generate(**settings: float) -> dict[str, object]:
    """Training and test sequences, labels and the named matrices (seeded)."""
    opts = {**DEFAULTS, **settings}
    rng = np.random.default_rng(int(opts["seed"]))
    mats = _matrices(opts, rng)
    x_train, y_train = _sequences(int(opts["train"]), opts, rng)
    x_test, y_test = _sequences(int(opts["test"]), opts, rng)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test, "matrices": mats}
