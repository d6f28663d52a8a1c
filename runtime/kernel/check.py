"""`statc check` for kernel models: the theory against NUTS samples of the finite network.

For every width N of ``--N`` (P fixed by the data set), the theory is solved at the same
(N, P) — the model's widths N_1 … N_{L+1} scaled so that the largest is N (all equal to N for
a model with one width) — and the full weight posterior of the very network it describes is sampled
(runtime/kernel/sampler.py, ``--seeds`` chains of ``--samples`` draws after ``--warmup``
adaptation steps).  Compared, with error bars from the spread of the chain means:

* every entry U_ππ′ (π ≤ π′) of the path-overlap matrix, sampled as ⟨w_π·w_π′⟩/N;
* the posterior mean of f on the first ``--test-samples`` test sequences (at most 20).

Pass rule per quantity: |theory − sampled| ≤ t*·SE + κ·max(|theory|, 0.01)/N, t* the
Student-t quantile (chains − 1 degrees of freedom) at level 0.01 with a Bonferroni
correction over all quantities and sizes, κ = ``--tolerance`` (default 2: the theory's
corrections are O(1/N) at fixed α).  Also reported, not judged: the accuracy of sign(mean)
and the test MSE of the theory, the samples and the GP limit, and the largest relative
deviation of theory and of the GP limit from the samples per N.  ``--theory-set T=...``
changes the theory's side only (the check can fail).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from statc.dsl import StatcError
from statc.dsl.errors import NumericalError
from statc.runtime import params as params_mod
from statc.runtime.judge import critical_value

from .action import Action
from .levels import Architecture
from .paths import kernel_factor, path_features
from .predict import predict
from .from_model import dataset, solve_inputs
from .solve import solve

KAPPA = 2.0
LEVEL = 0.01
MAX_TEST = 20


def _theory(arch: Architecture, F, y, T, Ft):
    sol = solve(Action(arch, F, y, T), restarts=1, check_hessian=False)
    if not sol.converged:
        raise NumericalError(f"the theory did not converge at widths {[float(n) for n in arch.widths]} "
                             f"(residual {sol.residual:.3g})")
    return sol, predict(F, y, T, sol.U, Ft)


def scaled_widths(widths: tuple[float, ...], N: int) -> tuple[int, ...]:
    """The model's widths N_1 … N_{L+1} scaled so that the largest is N, rounded (at least 1):
    equal widths all become N; unequal ones keep their ratios (the theory's limit is N → ∞
    at fixed ratios N_ℓ/N and α)."""
    top = max(widths)
    return tuple(max(1, int(round(N * w / top))) for w in widths)


def _with_widths(arch: Architecture, Ns: tuple[int, ...]) -> Architecture:
    return Architecture(arch.heads, tuple(float(n) for n in Ns), arch.variances, arch.sigma0)


def check_from_args(compiled, overrides: dict[str, float], args, sizes: list[int]) -> int:
    from .sampler import SamplerMissing, sample as sample_fn
    for flag, on in (("--rhs", getattr(args, "rhs", False)), ("--schedule", getattr(args, "schedule", None)),
                     ("--t-end", getattr(args, "t_end", None))):
        if on:
            raise StatcError(f"{flag} does not apply to a kernel model",
                             hint="a kernel check takes --N, --seeds (chains), --samples, --warmup, "
                                  "--test-samples, --tolerance, --theory-set, --data")
    chains = args.seeds
    if chains < 2:
        raise StatcError("--seeds (NUTS chains) must be at least 2 for error bars")
    samples = args.samples if args.samples is not None else 400
    warmup = args.warmup if getattr(args, "warmup", None) is not None else 300
    if samples < 10 or warmup < 10:
        raise StatcError("--samples and --warmup must be at least 10")
    kappa = KAPPA if args.tolerance is None else args.tolerance
    theory_overrides = params_mod.parse_set(args.theory_set, compiled.meta["params"])
    values, v, d, layers, arch = solve_inputs(compiled, overrides, getattr(args, "data", None))
    _, tv, _, _, tarch = solve_inputs(compiled, {**overrides, **theory_overrides}, getattr(args, "data", None))
    for N in sizes:
        Ns = scaled_widths(arch.widths, N)
        bad = [k for k, (n, m) in enumerate(zip(Ns, arch.sizes), start=1) if n < m]
        if bad:
            k = bad[0]
            raise StatcError(f"--N {N} makes the width N_{k} = {Ns[k - 1]} smaller than the "
                             f"{arch.sizes[k - 1]} (partial) paths of its level",
                             hint=f"--N must be at least {max(arch.sizes)} for this model" if len(set(arch.widths)) == 1
                             else "the model's widths are scaled so that the largest is N")
    alpha = getattr(args, "alpha", None)
    if alpha is not None:
        if compiled.meta["data"][0] != "generator" or getattr(args, "data", None) is not None:
            raise StatcError("--alpha needs a generated data set (P = alpha N sequences at each --N)",
                             hint="`data train ~ markov_chain(train = P, ...)`; a data file fixes P")
        if not alpha > 0 or any(round(alpha * N) < 1 for N in sizes):
            raise StatcError(f"--alpha {alpha:g} gives no training sequence at some --N",
                             expected="alpha > 0 with round(alpha N) >= 1")
    readout, token = compiled.meta["readout"], int(v.get("token", 0))

    def features(data):
        return (kernel_factor(path_features(data.x_train, layers, data.matrices, readout, token), arch.sigma0),
                kernel_factor(path_features(data.x_test, layers, data.matrices, readout, token), arch.sigma0))
    F, Ft = features(d)
    n_test = min(MAX_TEST, args.test_samples, Ft.shape[0])
    M = arch.paths
    iu = np.triu_indices(M)
    n_q = len(sizes) * (len(iu[0]) + n_test)
    t_crit = critical_value(n_q, chains, LEVEL)
    T_sim, T_th = v["temperature"], tv["temperature"]
    rows, per_N = [], []
    t0 = time.perf_counter()
    for N in sizes:
        Ns = scaled_widths(arch.widths, N)
        if alpha is not None:                          # P = alpha N: the generator at train = round(alpha N)
            d = dataset(compiled, {**v, "data_train": float(round(alpha * N))})
            F, Ft = features(d)
        sol, th = _theory(_with_widths(tarch, Ns), F, d.y_train, T_th, Ft)
        gp = predict(F, d.y_train, T_th, tarch.gp_point()[0], Ft)
        try:
            cm = sample_fn(F, d.y_train, Ft, arch.heads, Ns, T_sim, arch.variances, chains=chains,
                           warmup=warmup, samples=samples, seed=args.seed + N)
        except SamplerMissing as err:
            raise StatcError(f"`statc check` for kernel models needs numpyro ({err})",
                             hint="pip install 'statc[sampling]'") from None
        U_s, U_se = cm.U.mean(axis=0), cm.U.std(axis=0, ddof=1) / np.sqrt(chains)
        f_s, f_se = cm.f_mean.mean(axis=0), cm.f_mean.std(axis=0, ddof=1) / np.sqrt(chains)
        quantities = [(f"U[{a + 1},{b + 1}]", sol.U[a, b], U_s[a, b], U_se[a, b], tarch.gp_point()[0][a, b])
                      for a, b in zip(*iu)]
        quantities += [(f"f[{k + 1}]", th.mean[k], f_s[k], f_se[k], gp.mean[k]) for k in range(n_test)]
        for name, theo, sim, se, gpv in quantities:
            allow = t_crit * se + kappa * max(abs(theo), 0.01) / N
            rows.append({"N": N, "quantity": name, "theory": float(theo), "sampled": float(sim), "se": float(se),
                         "gp": float(gpv), "allowed": float(allow), "passed": bool(abs(theo - sim) <= allow)})
        mine = [r for r in rows if r["N"] == N]
        scale = max(abs(r["sampled"]) for r in mine)
        var_s = (cm.f_sq.mean(axis=0) - f_s ** 2)
        per_N.append({
            "N": N, "widths": list(Ns), "P": d.shape[0], "alpha": d.shape[0] / N, "seconds": cm.seconds,
            "divergences": cm.divergences,
            "max_dev_theory": max(abs(r["theory"] - r["sampled"]) for r in mine) / scale,
            "max_dev_gp": max(abs(r["gp"] - r["sampled"]) for r in mine) / scale,
            "accuracy": {"theory": float(np.mean(np.sign(th.mean) == np.sign(d.y_test))),
                         "sampled": float(np.mean(np.sign(f_s) == np.sign(d.y_test))),
                         "gp": float(np.mean(np.sign(gp.mean) == np.sign(d.y_test)))},
            "test_mse": {"theory": float(np.mean((th.mean - d.y_test) ** 2)),
                         "sampled": float(np.mean((f_s - d.y_test) ** 2)),
                         "gp": float(np.mean((gp.mean - d.y_test) ** 2))},
            "mean_variance": {"theory": float(np.mean(th.var)), "sampled": float(np.mean(var_s)),
                              "gp": float(np.mean(gp.var))},
        })
    passed = all(r["passed"] for r in rows)
    m = compiled.meta["model"]
    Ptext = f"P = {alpha:g} N" if alpha is not None else f"P = {d.shape[0]}"
    print(f"{m}: theory vs NUTS posterior samples, {Ptext}, N = {sizes}, {chains} chains x "
          f"{samples} samples (+{warmup} warmup), T = {T_sim:g}" + (f" (theory T = {T_th:g})" if T_th != T_sim else "")
          + f" ({time.perf_counter() - t0:.1f} s)")
    for p in per_N:
        a = p["accuracy"]
        print(f"  N = {p['N']:>5} (P = {p['P']}, alpha {p['alpha']:.3g}): max |theory - samples| / scale = "
              f"{p['max_dev_theory']:.3g} (GP limit {p['max_dev_gp']:.3g}); accuracy theory {a['theory']:.4f}, "
              f"samples {a['sampled']:.4f}, GP {a['gp']:.4f}; {p['divergences']} divergences, {p['seconds']:.1f} s")
    worst = max(rows, key=lambda r: abs(r["theory"] - r["sampled"]) / r["allowed"])
    print(f"  worst: {worst['quantity']} at N = {worst['N']}: theory {worst['theory']:.5g}, samples "
          f"{worst['sampled']:.5g} +- {worst['se']:.2g} (allowed {worst['allowed']:.3g})")
    print(f"pass rule: |theory - samples| <= {t_crit:.2f} SE + {kappa:g} max(|theory|, 0.01)/N "
          f"(Student-t, {chains - 1} dof, level {LEVEL} Bonferroni over {n_q})")
    if args.out:
        from statc.runtime.results import write_csv, write_json
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "check.json", {"model": m, "params": values, "theory_overrides": theory_overrides,
                                        "P": d.shape[0] if alpha is None else None, "alpha": alpha,
                                        "sizes": sizes, "chains": chains, "samples": samples,
                                        "warmup": warmup, "kappa": kappa, "t_crit": t_crit, "passed": passed,
                                        "conclusive": True,
                                        "worst": {"quantity": worst["quantity"], "N": worst["N"],
                                                  "abs_err": abs(worst["theory"] - worst["sampled"]),
                                                  "z": abs(worst["theory"] - worst["sampled"])
                                                  / max(worst["se"], 1e-300)},
                                        "per_N": per_N, "quantities": rows})
        write_csv(out / "check.csv", {k: np.array([float(r[k]) for r in rows])
                                      for k in ("N", "theory", "sampled", "se", "gp", "allowed", "passed")})
        print(f"wrote {out / 'check.json'} and check.csv")
    print("PASS: theory and posterior samples agree" if passed else
          "FAIL: theory and posterior samples disagree")
    return 0 if passed else 1
