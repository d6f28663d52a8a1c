"""docs/dae_digits.png: noise schedules for the DAE trained on real images.

    python docs/make_dae_digits.py [--seeds 4000]

1. `statc optimize` on models/dae_digits.model (the Gaussian surrogate of the
   scikit-learn digits 0 and 1, moments from models/data/digits01.npz) for
   Delta_test = 0.1 and 0.3: the theory-optimal schedule of the training noise,
   and the theory's final test error for it, for the constant Delta = Delta_test
   and for the best constant.
2. The same network trained by online SGD **on the images themselves**
   (:func:`train`, independent of statc's simulator): per seed the 360 images are
   shuffled, the first alpha_F N = 64 are the training stream (one pass, as the
   paper's MNIST notebook does), the other 296 the test set; the test error
   E|x - xhat|^2 at Delta_test is averaged over the test images and 50 noise
   draws each.  Both schedules see the same shuffles and the same noise
   (paired), so the difference has a small standard error.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from make_digits_moments import images, moments  # noqa: E402


def train(X_train: np.ndarray, w0: np.ndarray, deltas: np.ndarray, eta: float, rng) -> tuple[np.ndarray, float]:
    """Online SGD on |x - xhat|^2 / 2, xhat = b xt + W^T W xt / N, one sample per step.

    Step mu uses the training noise deltas[mu]; w_k moves by
    (eta/sqrt(N)) (lambda_k e + (w_k.e/sqrt(N)) xt), lambda = W xt/sqrt(N),
    e = x - xhat, and b by eta xt.e / N^2 (the paper's notebook and statc's
    `train b lr eta_b / N`).
    """
    W, b = w0.copy(), 0.0
    N = W.shape[1]
    sq = np.sqrt(N)
    for x, d in zip(X_train, deltas):
        xt = np.sqrt(1 - d) * x + np.sqrt(d) * rng.standard_normal(N)
        lam = W @ xt / sq
        e = x - b * xt - W.T @ lam / sq
        W += eta / sq * (np.outer(lam, e) + np.outer(W @ e / sq, xt))
        b += eta * (xt @ e) / N**2
        if not np.abs(W).max() < 1e6:          # SGD diverged (eta = 5 at N = 64)
            return W * np.nan, np.nan
    return W, b


def test_error(W: np.ndarray, b: float, X_test: np.ndarray, delta: float) -> float:
    """E|x - xhat|^2 over the test images, the corruption noise averaged exactly.

    xhat = A xt with A = b I + W^T W / N and xt = sqrt(1 - D) x + sqrt(D) xi, so
    E_xi |x - xhat|^2 = |(I - sqrt(1 - D) A) x|^2 + D tr(A^T A) for each image x.
    """
    N = W.shape[1]
    A = b * np.eye(N) + W.T @ W / N
    R = X_test - np.sqrt(1 - delta) * X_test @ A.T
    return float(np.mean(np.sum(R**2, axis=1)) + delta * np.sum(A * A))


def schedule_per_step(edges: np.ndarray, values: np.ndarray, steps: int, N: int) -> np.ndarray:
    """The piecewise-constant schedule at the steps' times alpha = mu / N."""
    t = np.arange(steps) / N
    i = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(values) - 1)
    return values[i]


def simulate(schedules: dict[str, np.ndarray], delta_test: float, seeds: int, eta: float = 5.0,
             alpha_F: float = 1.0) -> dict[str, np.ndarray]:
    """Final test error per seed for each schedule (per-step noise arrays), paired."""
    X0, X1 = images()
    X = np.vstack([X0, X1])
    N = X.shape[1]
    w0 = moments()["w0"]
    steps = int(round(alpha_F * N))
    out = {k: np.empty(seeds) for k in schedules}
    for s in range(seeds):
        order = np.random.default_rng([s, 0]).permutation(len(X))
        Xtr, Xte = X[order[:steps]], X[order[steps:]]
        for name, deltas in schedules.items():
            W, b = train(Xtr, w0, deltas, eta, np.random.default_rng([s, 1]))
            out[name][s] = test_error(W, b, Xte, delta_test)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=4000)
    ap.add_argument("--deltas", default="0.1,0.3")
    ap.add_argument("--reuse-theory", action="store_true",
                    help="take the optimal schedules and theory values from docs/dae_digits.json "
                         "(written by an earlier run) and redo only the simulation on the images")
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import statc
    from statc.runtime.control import optimize as opt
    from statc.runtime.control.problem import build_problem

    saved = {r["Delta_test"]: r for r in json.loads((HERE / "dae_digits.json").read_text())} \
        if args.reuse_theory else {}
    model = None if args.reuse_theory else statc.load(ROOT / "models" / "dae_digits.model")
    N = 64
    rows = []
    dts = [float(x) for x in args.deltas.split(",")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for dt in dts:
        if args.reuse_theory:
            r = saved[dt]
            z = np.array(r["schedule"])
            edges = np.linspace(0.0, 1.0, len(z) + 1)
            theory = {k: r[k] for k in ("theory_optimal", "theory_constant_test", "theory_best_constant",
                                        "best_constant_Delta")}
        else:
            p = build_problem(model.compiled, {"Delta_test": dt})
            res = opt.optimize(p)
            z, edges = res.z, p.edges
            theory = {"theory_optimal": res.objective,
                      "theory_constant_test": p.objective(p.constant({"Delta": dt})),
                      "theory_best_constant": res.constant_objective,
                      "best_constant_Delta": float(res.constant_z[0])}
        steps = N
        scheds = {"optimal": schedule_per_step(edges, z, steps, N),
                  "constant": np.full(steps, dt)}
        sim = simulate(scheds, dt, args.seeds)
        ok = np.isfinite(sim["constant"]) & np.isfinite(sim["optimal"])
        diff = (sim["constant"] - sim["optimal"])[ok]
        row = {"Delta_test": dt, **theory,
               "sim_diverged_optimal": int(np.sum(~np.isfinite(sim["optimal"]))),
               "sim_diverged_constant": int(np.sum(~np.isfinite(sim["constant"]))),
               "sim_optimal": float(sim["optimal"][ok].mean()), "sim_constant": float(sim["constant"][ok].mean()),
               "sim_optimal_median": float(np.median(sim["optimal"][ok])),
               "sim_constant_median": float(np.median(sim["constant"][ok])),
               "sim_improvement": float(diff.mean()), "sim_improvement_se": float(diff.std(ddof=1) / np.sqrt(ok.sum())),
               "sim_improved_fraction": float(np.mean(diff > 0)),
               "seeds": args.seeds, "seeds_both_finite": int(ok.sum()), "schedule": [float(v) for v in z]}
        rows.append(row)
        axes[0].stairs(z, edges, label=f"optimal, $\\Delta_F$ = {dt}", baseline=None)
        axes[1].bar([f"{dt}\nconst", f"{dt}\nopt"], [row["sim_constant"], row["sim_optimal"]],
                    yerr=[sim["constant"][ok].std() / np.sqrt(ok.sum()), sim["optimal"][ok].std() / np.sqrt(ok.sum())])
        print(json.dumps({k: v for k, v in row.items() if k != "schedule"}))
    axes[0].set_xlabel(r"$\alpha$")
    axes[0].set_ylabel(r"training noise $\Delta$")
    axes[0].legend(fontsize=8)
    axes[1].set_ylabel(r"test $E|x-\hat x|^2$ on real images (sim.)")
    lo = min(min(r["sim_optimal"], r["sim_constant"]) for r in rows)
    axes[1].set_ylim(0.95 * lo, None)
    fig.suptitle("DAE on sklearn digits 0/1 (N = 64): theory-optimal vs constant noise, trained on the images")
    fig.tight_layout()
    fig.savefig(HERE / "dae_digits.png", dpi=120)
    (HERE / "dae_digits.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
