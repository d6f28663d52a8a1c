#!/usr/bin/env python
"""Time of the online *derive* stage (issue #19, cold compile), per model.

The derive stage is parse + semantic check + ``theory.resolve("derive")(cm)``
(Model IR → SymPy expectations → Equation IR): no code generation, no Numba.
Each repetition runs in a fresh subprocess (SymPy's caches start empty, as in
``statc compile`` with an empty kernel cache); the modules are imported before
the clock starts, so the figure is the derivation itself.

For every model it prints the wall and CPU seconds of each repetition (CPU time
is the steadier figure on a shared machine) and the Equation IR
digest ``eq.digest()`` (the kernel-cache key of the derived equations) plus a
digest of the terms' display expressions (``statc show``), so that a faster
derivation can be checked to give the same equations:

    python benchmarks/bench_derive.py                      # every online model in models/
    python benchmarks/bench_derive.py saad_solla dae --reps 3
    python benchmarks/bench_derive.py --check tests/compiler/derive_digests.json
    python benchmarks/bench_derive.py dae --profile /tmp/dae.prof   # cProfile, one rep
    git archive main | tar -x -C /tmp/main-tree
    python benchmarks/bench_derive.py --against /tmp/main-tree --reps 3   # before/after, interleaved

Models are names in ``models/`` or paths (``tests/fixtures/good/*.model``).
Writes ``benchmarks/results/derive.json`` (``--out``) unless ``--no-write``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from _common import cpu_name

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "derive.json"


def derive_once(path: str, profile: str | None = None) -> dict:
    """Parse, check and derive one model in this process; returns time and digests."""
    from statc.dsl import parse_file
    from statc.dsl.semantics import check
    from statc.kinds import kind
    import statc.compiler.online.derive_online  # noqa: F401  (import outside the clock)

    t0, c0 = time.perf_counter(), time.process_time()
    cm = check(parse_file(path))
    derive = kind(cm.theory).resolve("derive")
    if profile:
        import cProfile
        prof = cProfile.Profile()
        eq = prof.runcall(derive, cm)
        prof.dump_stats(profile)
    else:
        eq = derive(cm)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    nterms = sum(len(b.terms) for b in eq.blocks)
    return {"seconds": dt, "cpu_s": cpu, "digest": eq.digest(), "display_digest": eq.display_digest(),
            "terms": nterms, "theory": cm.theory}


def model_path(name: str) -> Path:
    p = Path(name)
    if p.suffix == ".model" and p.exists():
        return p.resolve()
    q = ROOT / "models" / f"{name}.model"
    if q.exists():
        return q
    raise SystemExit(f"no model {name!r} (a name in models/ or a .model path)")


def online_models() -> list[Path]:
    from statc.kinds import theory_of
    return [p for p in sorted((ROOT / "models").glob("*.model")) if theory_of(p) == "online"]


def label(p: Path) -> str:
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


def run_child(path: Path, profile: str | None, tree: str | None = None) -> dict:
    """One derivation in a fresh process; with ``tree``, statc is imported from that
    source tree (PYTHONPATH comes before the editable install)."""
    cmd = [sys.executable, __file__, "--child", str(path)] + (["--profile", profile] if profile else [])
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = os.pathsep.join([tree] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=tree or ROOT, env=env)
    if p.returncode != 0:
        raise SystemExit(f"derive of {path} failed:\n{p.stdout}\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", help="model names in models/ or .model paths "
                                              "(default: every online model in models/)")
    ap.add_argument("--reps", type=int, default=1, help="fresh-process derivations per model")
    ap.add_argument("--check", metavar="JSON", help="compare digests with a recorded {label: digest} file")
    ap.add_argument("--record", metavar="JSON", help="write {label: {digest, display_digest, seconds}}")
    ap.add_argument("--profile", metavar="FILE", help="cProfile the derive call (one model, one rep)")
    ap.add_argument("--against", metavar="TREE", help="also derive with the statc source tree TREE "
                    "(e.g. an export of main), alternating with this one, and compare")
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--no-write", action="store_true", help="do not write the results JSON")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        print(json.dumps(derive_once(args.child, args.profile)))
        return 0

    paths = [model_path(m) for m in args.models] if args.models else online_models()
    if args.profile and (len(paths) != 1 or args.reps != 1):
        raise SystemExit("--profile takes one model and one repetition")
    expected = json.loads(Path(args.check).read_text()) if args.check else {}
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    results: dict[str, dict] = {}
    bad = []
    for path in paths:
        lab = label(path)
        runs, before = [], []
        for _ in range(args.reps):      # alternate, so that a slow phase of the machine hits both
            if args.against:
                before.append(run_child(path, None, args.against))
            runs.append(run_child(path, args.profile))
        digests = {(r["digest"], r["display_digest"]) for r in runs}
        secs = [r["seconds"] for r in runs]
        cpus = [r["cpu_s"] for r in runs]
        r0 = runs[0]
        results[lab] = {"seconds": secs, "best_s": min(secs), "cpu_s": cpus, "best_cpu_s": min(cpus),
                        "digest": r0["digest"],
                        "display_digest": r0["display_digest"], "terms": r0["terms"],
                        "deterministic": len(digests) == 1}
        status = ""
        if before:
            bcpu = min(r["cpu_s"] for r in before)
            results[lab].update(before_cpu_s=[r["cpu_s"] for r in before],
                                before_seconds=[r["seconds"] for r in before], before_best_cpu_s=bcpu,
                                same_digest_as_before={r["digest"] for r in before} == {r0["digest"]})
            status += (f"  before {bcpu:.2f} s CPU ({bcpu / min(cpus):.2f}x)"
                       + ("" if results[lab]["same_digest_as_before"] else "  DIGEST DIFFERS FROM BEFORE"))
            if not results[lab]["same_digest_as_before"]:
                bad.append(lab)
        if lab in expected:
            want = expected[lab]
            ok = want["digest"] == r0["digest"] and want.get("display_digest", r0["display_digest"]) \
                == r0["display_digest"] and len(digests) == 1
            status += "  digest OK" if ok else f"  DIGEST CHANGED (recorded {want['digest']})"
            if not ok:
                bad.append(lab)
        if len(digests) != 1:
            status += "  NOT DETERMINISTIC across processes"
        print(f"{lab:<45} {' '.join(f'{s:7.2f}' for s in secs)} s wall, "
              f"{' '.join(f'{s:7.2f}' for s in cpus)} s CPU   {r0['digest']} "
              f"{r0['display_digest']}  {r0['terms']:>4} terms{status}", flush=True)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    if args.record:
        rec = {lab: {"digest": r["digest"], "display_digest": r["display_digest"],
                     "seconds": round(r["best_s"], 2)} for lab, r in results.items()}
        Path(args.record).write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
        print(f"wrote {args.record}")
    if not args.no_write and not args.profile:
        import sympy
        out = {"benchmark": "bench_derive",
               "date": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
                           "sympy": sympy.__version__, "loadavg_after": load},
               "method": "parse + check + derive in a fresh subprocess per repetition (modules "
                         "imported before the clock)" + (f"; before = {args.against}, alternating"
                                                         if args.against else ""),
               "models": results}
        p = Path(args.out)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {p}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
