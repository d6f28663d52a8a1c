"""docs/kernel_attention_paths.png: the attention-paths theory on the Markov-chain task.

    python docs/make_kernel.py [--nuts CHECK.json ...]

Left: test accuracy of sign(mean predictor) against the width N at P = 100
(models/attention_paths.model): the renormalised theory, the GP limit with all paths, and
the GP limit restricted to the good path (same_token, uniform) and to the good + denoising
paths (blank, uniform) — restricted GP kernels are U = Πσ² on those diagonal entries.
Optional NUTS points from `statc check --out DIR` files (their `per_N` accuracies).
Middle: U at N = 30. Right: per-head scores at N = 30 (theory and GP limit).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import statc
from statc.runtime.kernel import runner
from statc.runtime.kernel.from_model import solve_inputs
from statc.runtime.kernel.paths import kernel_factor, path_features
from statc.runtime.kernel.predict import metrics, predict
from statc.runtime.results import write_figure

HERE = Path(__file__).resolve().parent
MODEL = HERE.parent / "models" / "attention_paths.model"
WIDTHS = (10, 20, 30, 50, 100, 300, 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nuts", nargs="*", default=[], help="check.json files of `statc check --out`")
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    compiled = statc.load(MODEL).compiled
    res = {N: runner.run(compiled, {"N": N}, restarts=1) for N in WIDTHS}
    acc = [res[N].summary["observables"]["theory"]["accuracy"] for N in WIDTHS]
    gp = res[WIDTHS[0]].summary["observables"]["gp"]["accuracy"]
    # restricted GP limits: only some diagonal path kernels
    _, v, d, layers, arch = solve_inputs(compiled, {}, None)
    F = kernel_factor(path_features(d.x_train, layers, d.matrices), arch.sigma0)
    Ft = kernel_factor(path_features(d.x_test, layers, d.matrices), arch.sigma0)
    T = v["temperature"]
    restricted = {}
    for label, keep in (("GP, good path", [0]), ("GP, good + denoising", [0, 2])):
        U = np.zeros((4, 4))
        U[keep, keep] = arch.gp_point()[0][0, 0]
        restricted[label] = metrics(predict(F, d.y_train, T, U, Ft), d.y_test)["accuracy"]
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(14, 3.8))
    ax.semilogx(WIDTHS, acc, "o-", label="theory (renormalised)")
    ax.axhline(gp, color="k", ls="--", label="GP limit, all paths")
    for (label, a), ls in zip(restricted.items(), (":", "-.")):
        ax.axhline(a, color="gray", ls=ls, label=label)
    for path in args.nuts:
        chk = json.loads(Path(path).read_text())
        ax.plot([p["N"] for p in chk["per_N"]], [p["accuracy"]["sampled"] for p in chk["per_N"]], "s",
                color="C3", label="NUTS" if path == args.nuts[0] else None)
    ax.set_xlabel("width N (P = 100)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=7)
    s30 = res[30].summary
    U = np.array(s30["U"])
    im = bx.imshow(U, cmap="RdBu_r", vmin=-np.abs(U).max(), vmax=np.abs(U).max())
    bx.set_xticks(range(4), s30["paths"], rotation=30, fontsize=7)
    bx.set_yticks(range(4), s30["paths"], fontsize=7)
    bx.set_title("U at N = 30")
    fig.colorbar(im, ax=bx)
    names, th, g = [], [], []
    for l, (hs, hg) in enumerate(zip(s30["observables"]["theory"]["head_scores"],
                                     s30["observables"]["gp"]["head_scores"]), start=1):
        for h in hs:
            names.append(f"L{l} {h}")
            th.append(hs[h])
            g.append(hg[h])
    x = np.arange(len(names))
    cx.bar(x - 0.2, th, 0.4, label="theory, N = 30")
    cx.bar(x + 0.2, g, 0.4, label="GP limit")
    cx.set_xticks(x, names, fontsize=7)
    cx.set_title("head scores (low: prune first)")
    cx.legend(fontsize=7)
    fig.tight_layout()
    write_figure(HERE / "kernel_attention_paths.png", fig)
    print("accuracy vs N:", dict(zip(WIDTHS, acc)), "GP", gp, restricted)


if __name__ == "__main__":
    main()
