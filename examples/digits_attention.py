"""A real-data kernel model: scikit-learn's 8x8 digits as sequences of patch tokens.

    python examples/digits_attention.py      # needs jax (pip install 'statc[sampling]')

1. Sequences: each 8x8 image becomes 16 tokens, one per 2x2 patch (4 pixel values / 16)
   concatenated with a one-hot position (16): N0 = 20, T' = 16.  Label +1 for the digits
   0-4, -1 for 5-9.  600 training and 600 test images (seeded split).
2. The same architecture as the theory (2 layers x 4 heads of attention computed from the
   bare input, linear values, mean-pooling readout) is trained by gradient descent (Adam on
   the square loss, width 64), query and key matrices included; W = Q^T K / sqrt(d) of each
   head is then frozen and saved with the data in examples/digits.npz (the data set of
   models/digits_attention.model).
3. Pruning: each head of the trained network is removed in turn (its term dropped from its
   layer's sum) and the test accuracy recorded; the theory's head scores come from
   `statc run models/digits_attention.model` (compare with examples/digits_pruning.json).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
L, H, D, WIDTH = 2, 4, 8, 64


def sequences(seed: int = 0, n_train: int = 600, n_test: int = 600):
    from sklearn.datasets import load_digits
    digits = load_digits()
    img = digits.images / 16.0                                   # n x 8 x 8
    patches = img.reshape(-1, 4, 2, 4, 2).transpose(0, 1, 3, 2, 4).reshape(-1, 16, 4)
    pos = np.broadcast_to(np.eye(16), (len(img), 16, 16))
    x = np.concatenate([patches, pos], axis=2).transpose(0, 2, 1)   # n x N0 x T'
    y = np.where(digits.target <= 4, 1.0, -1.0)
    idx = np.random.default_rng(seed).permutation(len(y))
    tr, te = idx[:n_train], idx[n_train:n_train + n_test]
    return x[tr], y[tr], x[te], y[te]


def train(x, y, steps: int = 300, lr: float = 1e-2, seed: int = 0):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    N0 = x.shape[1]
    key = jax.random.PRNGKey(seed)
    ks = jax.random.split(key, 6)
    p = {"v0": jax.random.normal(ks[0], (WIDTH, N0)),
         "v": jax.random.normal(ks[1], (L, H, WIDTH, WIDTH)),
         "a": jax.random.normal(ks[2], (WIDTH,)),
         "q": jax.random.normal(ks[3], (L, H, D, N0)) / np.sqrt(N0),
         "k": jax.random.normal(ks[4], (L, H, D, N0)) / np.sqrt(N0)}

    def omega(p, x, l, h):
        W = p["q"][l, h].T @ p["k"][l, h] / np.sqrt(D)
        s = jnp.einsum("pns,nm,pmt->pst", x, W, x)
        return jax.nn.softmax(s, axis=1)

    def forward(p, x, drop=None):
        z = jnp.einsum("in,pnt->pit", p["v0"], x) / np.sqrt(N0)
        for l in range(L):
            terms = [jnp.einsum("ij,pjs,pst->pit", p["v"][l, h], z, omega(p, x, l, h)) for h in range(H)
                     if drop != (l, h)]
            z = sum(terms) / np.sqrt(H * WIDTH)
        return jnp.einsum("i,pi->p", p["a"], z.mean(axis=2)) / np.sqrt(WIDTH)

    def loss(p):
        return jnp.mean((forward(p, x) - y) ** 2) + 1e-4 * sum(jnp.sum(v * v) for v in jax.tree_util.tree_leaves(p))

    grad = jax.jit(jax.value_and_grad(loss))
    import time
    t0 = time.perf_counter()
    m = jax.tree_util.tree_map(jnp.zeros_like, p)
    v = jax.tree_util.tree_map(jnp.zeros_like, p)
    for t in range(1, steps + 1):
        val, g = grad(p)
        if t % 50 == 1:
            print(f"step {t}: loss {float(val):.4f} ({time.perf_counter() - t0:.1f} s)", flush=True)
        m = jax.tree_util.tree_map(lambda a, b: 0.9 * a + 0.1 * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: 0.999 * a + 0.001 * b * b, v, g)
        p = jax.tree_util.tree_map(lambda w, a, b: w - lr * (a / (1 - 0.9 ** t)) / (jnp.sqrt(b / (1 - 0.999 ** t)) + 1e-8),
                                   p, m, v)
    Ws = {f"W{l + 1}_{h + 1}": np.asarray(p["q"][l, h].T @ p["k"][l, h] / np.sqrt(D)) for l in range(L) for h in range(H)}
    return p, Ws, forward, float(val)


def main() -> None:
    xtr, ytr, xte, yte = sequences()
    p, Ws, forward, final_loss = train(xtr, ytr)
    acc = lambda drop=None: float(np.mean(np.sign(np.asarray(forward(p, xte, drop))) == yte))
    full = acc()
    drops = {f"layer {l + 1} head {h + 1}": full - acc((l, h)) for l in range(L) for h in range(H)}
    np.savez_compressed(HERE / "digits.npz", x_train=xtr.astype(np.float32), y_train=ytr, x_test=xte.astype(np.float32),
                        y_test=yte, **{k: w.astype(np.float64) for k, w in Ws.items()})
    out = {"train_loss": final_loss, "test_accuracy": full, "accuracy_drop_when_pruned": drops}
    (HERE / "digits_pruning.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
