"""docs/dmft_phase_retrieval.png: phase retrieval on the sphere, GD vs persistent SGD (dmft kind).

    python docs/make_dmft_phase_retrieval.py              # the shipped figure (≈ 7 min on 2 loaded cores)
    python docs/make_dmft_phase_retrieval.py --alpha 2.5 --m0 0.2 --t-end 10 --samples 2000 --repeats 2
    python docs/make_dmft_phase_retrieval.py --replot     # redraw from docs/dmft_phase_retrieval.json
    (the N = 2000 simulations in the JSON's `more_sims` were added afterwards with the same model
    and rule, 4 seeds each; --replot draws them as open squares)

models/phase_retrieval_sphere.model: y = (wt·x)², loss (ŷ² − y)²/4 summed over n = αN samples, the
student held on the sphere |w|²/N = 1 by a Lagrange multiplier (`constrain w.w = 1`, DMFT.md §2.2),
the setting of Mignacco, Urbani, Zdeborová (2021). Defaults: α = 3 from the warm start m0 = 0.3,
η = 0.025, t ≤ 20, GD (b = 1) and persistent SGD (b = 0.5, τ = 1, gradient scaled by 1/b). Their
claim: persistent SGD reaches perfect recovery (|m| → 1, training loss → 0) where GD stalls in a
spurious minimum. Lines: the DMFT mean over independent repeats, bands ±1 Monte-Carlo standard
error. Points: finite-size simulations of the same model and rule (Lagrange multiplier per step),
mean ± standard error over seeds. Overlap |m| = |w·wt|/N on both sides (w → −w symmetry).
The numbers (and the per-repeat / per-seed final values) are written to docs/dmft_phase_retrieval.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import statc
from statc.runtime.dmft import runner
from statc.runtime.dmft.from_model import problem_from_model
from statc.runtime.dmft.simulate import simulate_seeds
from statc.runtime.results import write_figure

HERE = Path(__file__).resolve().parent
MODEL = HERE.parent / "models" / "phase_retrieval_sphere.model"
NAMES = ("m", "train_loss", "test_loss")


def setting(args) -> dict:
    return {"alpha": args.alpha, "m0": args.m0, "eta": args.eta}


def cases(args) -> tuple:
    return (("GD (b = 1)", {}),
            (f"persistent SGD (b = {args.b:g}, τ = {args.tau:g})", {"b": args.b, "tau": args.tau}))


def one_case(job: tuple) -> dict:
    """DMFT (repeats) and simulation (seeds) of one algorithm: run in its own process."""
    i, label, sets, args = job
    compiled = statc.load(MODEL).compiled
    t0 = time.perf_counter()
    tr = runner.run(compiled, sets, t_end=args.t_end, samples=args.samples, repeats=args.repeats, seed=1)
    t1 = time.perf_counter()
    problem, _ = problem_from_model(compiled, sets, args.t_end)
    sim = simulate_seeds(problem, args.N, args.seeds, seed=7 + i, n_test=args.n_test)
    t2 = time.perf_counter()
    case = {"label": label, "sets": sets, "t": tr["t"].tolist(), "dmft_s": t1 - t0, "sim_s": t2 - t1,
            "dmft_m_final_per_repeat": tr.info["repeat_final"]["m"]}
    for name in NAMES:
        case[name] = tr[name].tolist()
        case[name + "_se"] = tr.stderr[name].tolist()
        case["sim_" + name] = sim.mean[name].tolist()
        case["sim_" + name + "_se"] = sim.stderr[name].tolist()
        case["sim_" + name + "_final_per_seed"] = sim.per_seed[name][:, -1].tolist()
    case["lambda"] = tr.kernels["lambda"][:-1].tolist()
    print(f"{label}: DMFT |m|(t = {args.t_end:g}) = {tr['m'][-1]:.4f} ± {tr.stderr['m'][-1]:.4f}, train loss "
          f"{tr['train_loss'][-1]:.4g} ± {tr.stderr['train_loss'][-1]:.2g}, per repeat "
          f"{np.round(tr.info['repeat_final']['m'], 3).tolist()} ({t1 - t0:.0f} s); simulation N = "
          f"{args.N}: |m| = {sim.mean['m'][-1]:.4f} ± {sim.stderr['m'][-1]:.4f}, per seed "
          f"{np.round(sim.per_seed['m'][:, -1], 3).tolist()}, train loss {sim.mean['train_loss'][-1]:.4g} "
          f"({t2 - t1:.0f} s)", flush=True)
    return case


def compute(args) -> dict:
    out = {"setting": setting(args), "t_end": args.t_end, "samples": args.samples, "repeats": args.repeats,
           "N": args.N, "seeds": args.seeds, "n_test": args.n_test, "cases": []}
    jobs = [(i, label, {**setting(args), **extra}, args) for i, (label, extra) in enumerate(cases(args))]
    if args.jobs > 1:          # one process per algorithm (each sweep is itself parallel over samples)
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(min(args.jobs, len(jobs))) as pool:
            out["cases"] = list(pool.map(one_case, jobs))
    else:
        out["cases"] = [one_case(job) for job in jobs]
    return out


def plot(data: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for i, case in enumerate(data["cases"]):
        color = f"C{i}"
        t = np.array(case["t"])
        idx = np.linspace(0, len(t) - 1, 21).round().astype(int)
        for axis, name in ((ax, "m"), (bx, "train_loss")):
            y, se = np.array(case[name]), np.array(case[name + "_se"])
            axis.plot(t, y, color=color, label=f"{case['label']}: DMFT" if name == "m" else None)
            axis.fill_between(t, y - se, y + se, color=color, alpha=0.3, lw=0)
            sm, ss = np.array(case["sim_" + name]), np.array(case["sim_" + name + "_se"])
            short = case["label"].split(" (")[0]
            axis.errorbar(t[idx], sm[idx], yerr=ss[idx], fmt="o", ms=3, color=color,
                          label=f"{short}: simulation N = {data['N']}, {data['seeds']} seeds" if name == "m" else None)
            for more in case.get("more_sims", ()):     # larger-N simulations added afterwards (open squares)
                mm, ms_ = np.array(more["sim_" + name]), np.array(more["sim_" + name + "_se"])
                axis.errorbar(t[idx] + 0.15, mm[idx], yerr=ms_[idx], fmt="s", ms=3, mfc="none", color=color,
                              label=f"{short}: simulation N = {more['N']}, {more['seeds']} seeds" if name == "m" else None)
    s = data["setting"]
    ax.set(xlabel="t = steps × η", ylabel="|m| = |w·w*|/N",
           title=f"phase retrieval on the sphere, α = {s['alpha']:g}, m0 = {s['m0']:g}, η = {s['eta']:g}")
    bx.set(xlabel="t = steps × η", ylabel="training loss (per sample)", yscale="log", title="training loss")
    ax.legend(fontsize=7)
    fig.tight_layout()
    write_figure(HERE / "dmft_phase_retrieval.png", fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alpha", type=float, default=3.0)
    ap.add_argument("--m0", type=float, default=0.3)
    ap.add_argument("--eta", type=float, default=0.025)
    ap.add_argument("--b", type=float, default=0.5, help="persistent SGD batch fraction")
    ap.add_argument("--tau", type=float, default=1.0, help="persistent SGD persistence time")
    ap.add_argument("--samples", type=int, default=2500)
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--n-test", type=int, default=1000)
    ap.add_argument("--t-end", type=float, default=20.0)
    ap.add_argument("--jobs", type=int, default=2, help="processes (one per algorithm)")
    ap.add_argument("--replot", action="store_true", help="redraw from docs/dmft_phase_retrieval.json")
    args = ap.parse_args()
    path = HERE / "dmft_phase_retrieval.json"
    if args.replot:
        data = json.loads(path.read_text())
    else:
        data = compute(args)
        path.write_text(json.dumps(data, indent=1) + "\n")
    plot(data)


if __name__ == "__main__":
    main()
