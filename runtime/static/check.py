"""`statc check` for static models: the fixed point against estimators trained on finite data.

finite.py draws n = αN samples from the model's channel (teacher or mixture), trains the same
estimator with a well-kept solver (scikit-learn / the ridge normal equations; λ mapped exactly,
C = 1/λ; ElasticNet / saga for an L1 part) and measures test_error (exact given m, q, b), train_error,
train_loss, free_energy (the minimised objective per coordinate), m, q and b; the
theory never enters there. Seeds give a mean and a standard error per N.

**Pass rule** (as for the other kinds): for every compared quantity and N,

    |theory − mean|  ≤  z* · SE  +  κ · max(|theory|, 0.01) / N,

and, with two sizes or more, finite-size scaling: the N → ∞ intercept a of the weighted fit
mean(N) = a + c/N must satisfy |theory − a| ≤ z*·SE(a) (no allowance: the O(1/N) bias is fitted);

z* the two-sided Student-t quantile (seeds − 1 degrees of freedom: the SE is estimated from
few seeds) at level 0.01 with a Bonferroni correction over all comparisons, κ = ``--tolerance`` (the O(1/N) finite-size bias of the minimiser's overlaps).
Fewer than 3 seeds: inconclusive.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from statc.dsl import StatcError
from statc.dsl.errors import NumericalError
from statc.runtime.judge import critical_value
from statc.runtime.results import write_csv, write_json

from .amp import bo_train_once
from .finite import L1_TRAINERS, TRAINERS, ModelLoss, fit_inverse_n, train_once
from .from_model import spec_from_model
from .solve import solve

LEVEL, MIN_SEEDS = 0.01, 3
KEYS = ("test_error", "train_error", "train_loss", "free_energy", "m", "q")
BO_KEYS = ("test_error", "m", "q")


def measure(loss: str, ch, alpha: float, lam: float, N: int, seeds: int, seed: int, n_test: int,
            lam1: float = 0.0, teacher_prior: str = "gaussian", teacher_p: float = 1.0) -> dict:
    """Per observable: mean and standard error over ``seeds`` data sets at dimension N."""
    runs = [train_once(loss, ch, alpha, lam, N, seed * 1_000_003 + 7919 * N + s, n_test, lam1,
                       teacher_prior, teacher_p)
            for s in range(seeds)]
    return {k: (float(np.mean([r[k] for r in runs])),
                float(np.std([r[k] for r in runs], ddof=1) / math.sqrt(seeds)) if seeds > 1 else math.inf)
            for k in runs[0]}


def _model_loss(mod) -> ModelLoss:
    """ℓ and ℓ′ of the model's generated loss module, vectorised over samples."""
    if getattr(mod, "PROX_RULE", None) == "hinge":
        raise StatcError("no finite-size trainer for this non-smooth loss",
                         hint="a hinge with another margin than 1 needs a QP solver; "
                              "`relu(1 - y * yhat)` is trained by scikit-learn's SVC")
    return ModelLoss(np.vectorize(mod.loss, otypes=[float]), np.vectorize(mod.dloss, otypes=[float]))


def compare(theory: dict, measured: dict[int, dict], keys: tuple[str, ...], tolerance: float,
            seeds: int) -> dict:
    """Per N and observable, the pass rule; with two sizes or more also the N → ∞ value of the
    fit mean(N) = a + c/N against the theory: |theory − a| ≤ t*·SE(a), no 1/N allowance (row
    ``N = inf``).  One Bonferroni correction over all the comparisons."""
    extrapolated = len(measured) >= 2
    n_comp = len(keys) * (len(measured) + int(extrapolated))
    z = critical_value(n_comp, seeds, LEVEL)
    rows = []
    if extrapolated:
        Ns = sorted(measured)
        for k in keys:
            a, se = fit_inverse_n(Ns, [measured[N][k][0] for N in Ns], [measured[N][k][1] for N in Ns])
            th = float(theory[k])
            rows.append({"N": math.inf, "name": k, "theory": th, "sim_mean": a, "se": se, "bound": z * se,
                         "ok": bool(abs(th - a) <= z * se)})
    for N, meas in measured.items():
        for k in keys:
            mean, se = meas[k]
            th = float(theory[k])
            bound = z * se + tolerance * max(abs(th), 0.01) / N
            rows.append({"N": N, "name": k, "theory": th, "sim_mean": mean, "se": se, "bound": bound,
                         "ok": bool(abs(th - mean) <= bound)})
    return {"rows": rows, "passed": all(r["ok"] for r in rows), "z_crit": z}


def check_from_args(compiled, overrides: dict[str, float], args, sizes: list[int]) -> int:
    """`statc check` on a static model; the exit status (0 pass, 1 fail/inconclusive)."""
    from statc.runtime import params as params_mod
    theory_overrides = params_mod.parse_set(args.theory_set, compiled.meta["params"])
    for flag, on in (("--rhs", getattr(args, "rhs", False)), ("--schedule", getattr(args, "schedule", None)),
                     ("--t-end", getattr(args, "t_end", None))):
        if on:
            raise StatcError(f"{flag} does not apply to a static model",
                             hint="a static check takes --N, --seeds, --test-samples, --tolerance, --theory-set")
    if args.seeds < 1:
        raise StatcError("--seeds must be at least 1")
    meta = compiled.meta
    t0 = time.perf_counter()
    spec, alpha, values = spec_from_model(compiled, overrides)
    tspec, talpha, _ = spec_from_model(compiled, {**overrides, **theory_overrides})
    if meta["channel"] == "argmax" and meta["algorithm"] == "erm" and not spec.lam > 0:
        raise StatcError("the K-class ERM check needs lambda > 0 (scikit-learn's C = 1/lambda)")
    theory = solve(tspec, talpha)
    if not theory["converged"]:
        raise NumericalError(f"the theory's fixed point did not converge: {theory['error']}")
    if meta["channel"] == "argmax" and meta["algorithm"] == "bayes_optimal":
        return _check_multiclass_bo(meta, spec, alpha, values, sizes, args, theory_overrides, theory, t0)
    if meta["channel"] == "argmax":
        return _check_multiclass_erm(meta, spec, alpha, values, sizes, args, theory_overrides, theory, t0)
    if meta["algorithm"] == "bayes_optimal":
        # AMP from an uninformed start reaches the uninformed SE fixed point (STATIC.md §9)
        reference = dict(theory["starts"]["uninformed"], m=theory["starts"]["uninformed"]["q"])
        ch = spec.make_channel()
        measured = {N: measure_bo(ch, spec.prior, alpha, N, args.seeds, args.seed, spec.teacher_p)
                    for N in sizes}
        trainer = "the exact posterior mean" if meta["channel"] == "mixture" else "GAMP"
        return _report(meta, values, sizes, args, theory_overrides, alpha, t0, trainer,
                       compare(reference, measured, BO_KEYS, args.tolerance, args.seeds),
                       "Bayes-optimal state evolution (uninformed start)")
    loss = meta["loss_name"] if meta["loss_name"] in TRAINERS else _model_loss(compiled.module)
    if isinstance(loss, str) and loss in ("logistic", "hinge") and not spec.lam + spec.lam1 > 0:
        raise StatcError(f"the {loss} check needs lambda > 0 (scikit-learn's C = 1/lambda)")
    if spec.lam1 > 0 and not (isinstance(loss, str) and loss in L1_TRAINERS):
        raise StatcError("no finite-size trainer for this loss with an L1 penalty",
                         hint=f"L1 / elastic-net models are trained by scikit-learn for the "
                              f"{' and '.join(L1_TRAINERS)} losses")
    ch = spec.make_channel()
    keys = tuple(k for k in KEYS if k in theory["final"]) + (("b",) if ch.learns_bias else ())
    measured = {N: measure(loss, ch, alpha, spec.lam, N, args.seeds, args.seed, args.test_samples, spec.lam1,
                           spec.teacher, spec.teacher_p)
                for N in sizes}
    result = compare(theory["final"], measured, keys, args.tolerance, args.seeds)
    trainer = (loss if isinstance(loss, str) else "L-BFGS") + " ERM"
    return _report(meta, values, sizes, args, theory_overrides, alpha, t0, trainer, result, "replica fixed point")


def _check_multiclass_erm(meta, spec, alpha, values, sizes, args, theory_overrides, theory, t0) -> int:
    """K-class ERM: scikit-learn (cross-entropy), the normal equations (square loss) or L-BFGS
    (another convex loss of the scores) on data drawn from the teacher (finite_multiclass.py)."""
    from statc.compiler.static.multiclass_loss import load
    from . import finite_multiclass as fm
    K = int(spec.channel_params["K"])
    mod = load(spec.loss_k, K)
    name = fm.registry_name(mod, K)
    fit = fm.TRAINERS[name] if name else fm.fit_lbfgs(mod)
    measured = {}
    for N in sizes:
        runs = [fm.train_once(fit, mod, K, alpha, spec.lam, N, args.seed * 1_000_003 + 7919 * N + s, spec.teacher)
                for s in range(args.seeds)]
        measured[N] = {k: (float(np.mean([r[k] for r in runs])),
                           float(np.std([r[k] for r in runs], ddof=1) / math.sqrt(args.seeds))
                           if args.seeds > 1 else math.inf) for k in runs[0]}
    keys = ("test_error", "train_error", "train_loss", "free_energy", "m", "q")
    trainer = {"cross_entropy": "scikit-learn multinomial LogisticRegression (C = 1/lambda)",
               "square": "ridge regression to the one-hot labels"}.get(name, "L-BFGS") + " ERM"
    return _report(meta, values, sizes, args, theory_overrides, alpha, t0, trainer,
                   compare(theory["final"], measured, keys, args.tolerance, args.seeds), "K-class replica fixed point")


def _check_multiclass_bo(meta, spec, alpha, values, sizes, args, theory_overrides, theory, t0) -> int:
    """K-class Bayes-optimal: GAMP (amp_multiclass.py, from the uninformative start Ŵ = 0) on data
    drawn from the teacher prior, against the state evolution from the uninformed start — the
    fixed point AMP reaches (for a discrete prior the equilibrium branch may be the informed one:
    both are printed)."""
    from . import amp_multiclass as am
    K = int(spec.channel_params["K"])
    starts = theory.get("starts")
    reference = dict(starts["uninformed"], m=starts["uninformed"]["q"]) if starts else theory["final"]
    measured, notes = {}, []
    for N in sizes:
        runs = [am.bo_train_once(K, alpha, N, args.seed * 1_000_003 + 7919 * N + s, spec.prior)
                for s in range(args.seeds)]
        bad = sum(not r["converged"] for r in runs)
        if bad:
            raise NumericalError(f"K-class GAMP did not converge at N = {N} on {bad} of {args.seeds} data sets",
                                 hint="near a spinodal AMP slows down critically; try another alpha or a larger N")
        measured[N] = {k: (float(np.mean([r[k] for r in runs])),
                           float(np.std([r[k] for r in runs], ddof=1) / math.sqrt(args.seeds))
                           if args.seeds > 1 else math.inf) for k in BO_KEYS}
        its = [int(r["iterations"]) for r in runs]
        notes.append(f"N = {N}: GAMP iterations {min(its)}-{max(its)}, PVP anisotropy "
                     f"{max(r['anisotropy'] for r in runs):.2g}, perfect recovery on "
                     f"{int(sum(r['perfect'] for r in runs))} of {args.seeds}")
    name = "K-class Bayes-optimal state evolution (uninformed start)"
    if starts and not theory["hysteresis"]:
        name += "; the informed start reaches the same fixed point"
    elif starts:
        name += (f"; informed start: test error {starts['informed']['test_error']:.5g}, "
                 f"equilibrium branch: {theory['equilibrium']} (AMP is expected on the uninformed one)")
    return _report(meta, values, sizes, args, theory_overrides, alpha, t0,
                   "K-class GAMP (uninformative start)", compare(reference, measured, BO_KEYS, args.tolerance,
                                                                 args.seeds), name, notes)


def measure_bo(ch, prior: str, alpha: float, N: int, seeds: int, seed: int, prior_p: float = 1.0) -> dict:
    """Per observable: mean and standard error of the Bayes-optimal estimate (GAMP / exact
    posterior, amp.py) over ``seeds`` data sets at dimension N."""
    runs = [bo_train_once(ch, prior, alpha, N, seed * 1_000_003 + 7919 * N + s, prior_p) for s in range(seeds)]
    if not all(r["converged"] for r in runs):
        raise NumericalError(f"GAMP did not converge at N = {N} on {sum(not r['converged'] for r in runs)} "
                             f"of {seeds} data sets", hint="a hard phase or a too small N; try a larger N")
    return {k: (float(np.mean([r[k] for r in runs])),
                float(np.std([r[k] for r in runs], ddof=1) / math.sqrt(seeds)) if seeds > 1 else math.inf)
            for k in runs[0]}


def _report(meta, values, sizes, args, theory_overrides, alpha, t0, trainer: str, result: dict,
            theory_name: str, notes: list[str] | None = None) -> int:
    conclusive = args.seeds >= MIN_SEEDS
    print(f"{meta['model']}: {theory_name} vs {trainer} on n = alpha N samples, "
          f"alpha = {alpha:g}, N = {sizes}, {args.seeds} seeds ({time.perf_counter() - t0:.1f} s)")
    for line in notes or ():
        print("  " + line)
    for r in result["rows"]:
        flag = "" if r["ok"] else "   <-- outside"
        size = "  inf" if math.isinf(r["N"]) else r["N"]
        print(f"  N = {size:>6}  {r['name']:<12} theory {r['theory']:.5g}  "
              f"sim {r['sim_mean']:.5g} ± {r['se']:.2g}  (bound {r['bound']:.2g}){flag}")
    print(f"pass rule: |theory - sim| <= {result['z_crit']:.2f} SE + {args.tolerance:g} max(|theory|, 0.01)/N"
          + ("; N = inf: the fit a + c/N over the sizes, |theory - a| <= "
             f"{result['z_crit']:.2f} SE(a)" if len(sizes) >= 2 else ""))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(out / "check.csv", {k: np.array([r[k] for r in result["rows"]])
                                      for k in ("N", "theory", "sim_mean", "se", "bound")})
        write_json(out / "check.json", {"model": meta["model"], "params": values, "N": sizes,
                                        "seeds": args.seeds, "theory_overrides": theory_overrides,
                                        "passed": result["passed"], "conclusive": conclusive,
                                        "rows": result["rows"]} | ({"notes": notes} if notes else {}))
    if not conclusive:
        print(f"INCONCLUSIVE: use --seeds {MIN_SEEDS} or more")
        return 1
    print("PASS: theory and simulation agree" if result["passed"] else "FAIL: theory and simulation disagree")
    return 0 if result["passed"] else 1
