#!/usr/bin/env python
"""Compile time of the committee machine at K = M = 2 vs K = M = 20.

Two temporary copies of ``models/saad_solla.model`` differ only in the default
``K``/``M`` of their ``params`` block.  For each copy, in fresh subprocesses with
an empty temporary kernel-cache directory:

(a) ``statc compile <file> --cache-dir <dir>``: cold wall time (interpreter start,
    parse, SymPy derivation, code generation, Numba JIT of every kernel);
(b) a following ``statc run <file> --cache-dir <dir> --t-end 0.001 --record 1``:
    warm wall time (cache hit: no SymPy import, Numba loads machine code from
    disk; the integration is made negligible so that only the start-up is timed).
    A further run under ``python -X importtime`` checks that SymPy is not imported.

statc's derivation is index-generic (K, M are runtime parameters of the kernels), so
(a) should hardly depend on K: the target is a K20/K2 ratio <= 1.5.

    python benchmarks/bench_compile.py           # writes benchmarks/results/compile.json
    python benchmarks/bench_compile.py --reps 1  # one cold compile per size (faster)

Issue 19 (cold compile of saad_solla <= 3 s) is measured stage by stage by two more modes,
each stage in CPU seconds of a fresh subprocess (``_jit_stages.py``):

    python benchmarks/bench_compile.py --stages    # check, derive, codegen, import, JIT per kernel
                                                   # of a cold `statc compile` and a cold `statc run`
    python benchmarks/bench_compile.py --variants  # the JIT of the same generated module under
                                                   # other @njit options; each variant's trajectory
                                                   # is asserted equal to the baseline's bit for bit
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import cpu_name

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "saad_solla.model"
RESULTS = Path(__file__).resolve().parent / "results" / "compile.json"
SIZES = (2, 20)
TARGET_RATIO = 1.5


def statc_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "statc"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "statc.cli"]


def with_sizes(text: str, K: int, M: int) -> str:
    """The model text with default K and M changed (only those two params lines)."""
    start = text.index("params {")
    end = text.index("}", start)
    block = text[start:end]
    new, nk = re.subn(r"(?m)^(\s*K\s*=\s*)\d+", rf"\g<1>{K}", block)
    new, nm = re.subn(r"(?m)^(\s*M\s*=\s*)\d+", rf"\g<1>{M}", new)
    assert nk == 1 and nm == 1, "could not find the K and M lines of the params block"
    out = text[:start] + new + text[end:]
    changed = [(a, b) for a, b in zip(text.splitlines(), out.splitlines()) if a != b]
    assert len(changed) <= 2 and all(re.match(r"\s*[KM]\s*=", a) for a, _ in changed), changed
    return out


def timed_call(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return dt, p


def one(model_file: Path, workdir: Path, rep: int) -> dict:
    cache = workdir / f"cache-{model_file.stem}-{rep}"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()
    env = dict(os.environ)
    env.pop("STATC_CACHE_DIR", None)
    cmd = statc_cmd()

    cold_s, p = timed_call(cmd + ["compile", str(model_file), "--cache-dir", str(cache)], env)
    m = re.search(r"(derived|cached) .* in ([\d.]+) s; kernels ready in ([\d.]+) s", p.stdout)
    assert m and m.group(1) == "derived", f"expected a fresh derivation:\n{p.stdout}"
    kernel = re.search(r"statc_kernels_(\w+)\.py", p.stdout).group(1)

    run_args = ["run", str(model_file), "--cache-dir", str(cache), "--t-end", "0.001", "--record", "1"]
    warm_s, p2 = timed_call(cmd + run_args, env)
    integ = re.search(r"\(([\d.]+) s, (\d+) RHS evaluations\)", p2.stdout)

    # the cache hit must not import SymPy (checked in a separate, untimed run)
    _, p3 = timed_call([sys.executable, "-X", "importtime", "-c",
                        "import sys; from statc.cli import main; sys.exit(main(sys.argv[1:]))"]
                       + run_args, env)
    sympy_imported = any(re.search(r"\|\s+sympy(\.|\s*$)", line) for line in p3.stderr.splitlines())
    assert not sympy_imported, "the cache-hit run imported SymPy"

    return {"cold_compile_s": cold_s, "derive_codegen_s": float(m.group(2)),
            "jit_s": float(m.group(3)), "warm_run_s": warm_s,
            "warm_run_integrate_s": float(integ.group(1)) if integ else None,
            "warm_run_sympy_imported": sympy_imported, "kernel_key": kernel}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=2, help="cold compiles per size (best is reported)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--stages", action="store_true", help="issue 19: cold compile stage by stage")
    ap.add_argument("--variants", action="store_true", help="issue 19: JIT under other @njit options")
    ap.add_argument("--model", default=str(MODEL), help="model of --stages/--variants")
    args = ap.parse_args(argv)
    if args.stages or args.variants:
        from _jit_stages import stages_main
        return stages_main(args)
    args.out = args.out or str(RESULTS)

    text = MODEL.read_text()
    results = {}
    with tempfile.TemporaryDirectory(prefix="statc-bench-compile-") as tmp:
        work = Path(tmp)
        files = {}
        for K in SIZES:
            f = work / f"saad_solla_K{K}.model"
            f.write_text(with_sizes(text, K, K))
            files[K] = f
        # alternate the sizes so that slow phases of a shared machine hit both alike
        for rep in range(args.reps):
            for K in SIZES:
                r = one(files[K], work, rep)
                results.setdefault(K, []).append(r)
                print(f"  K = M = {K:>2} (rep {rep + 1}): cold compile {r['cold_compile_s']:.2f} s "
                      f"(derive+codegen {r['derive_codegen_s']:.2f} s, JIT {r['jit_s']:.2f} s), "
                      f"cached run {r['warm_run_s']:.2f} s", flush=True)

    best = {K: min(rs, key=lambda r: r["cold_compile_s"]) for K, rs in results.items()}
    warm = {K: min(r["warm_run_s"] for r in rs) for K, rs in results.items()}
    k2, k20 = SIZES
    ratio = best[k20]["cold_compile_s"] / best[k2]["cold_compile_s"]
    same_kernels = best[k2]["kernel_key"] == best[k20]["kernel_key"]

    print()
    print(f"{'K = M':>6} | {'cold compile':>12} {'derive+codegen':>15} {'JIT':>7} | {'cached run':>10}")
    print("-" * 60)
    for K in SIZES:
        b = best[K]
        print(f"{K:>6} | {b['cold_compile_s']:>11.2f}s {b['derive_codegen_s']:>14.2f}s "
              f"{b['jit_s']:>6.2f}s | {warm[K]:>9.2f}s")
    print(f"cold compile ratio K{k20}/K{k2} = {ratio:.2f} (target <= {TARGET_RATIO}: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}); same kernel module for both: {same_kernels}")

    import numba
    import sympy
    out = {
        "benchmark": "bench_compile", "model": str(MODEL.relative_to(ROOT)),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "sympy": sympy.__version__, "numba": numba.__version__},
        "method": {"cold": "wall time of `statc compile FILE --cache-dir EMPTY` in a fresh subprocess "
                           "(best of reps)",
                   "cached_run": "wall time of `statc run FILE --cache-dir SAME --t-end 0.001 --record 1` "
                                 "right after, in a fresh subprocess (best of reps)"},
        "sizes": {str(K): {"best": best[K], "cached_run_s": warm[K], "all": results[K]} for K in SIZES},
        "cold_ratio_K20_over_K2": ratio, "target_ratio": TARGET_RATIO, "target_met": ratio <= TARGET_RATIO,
        "same_kernel_module": same_kernels,
    }
    p = Path(args.out)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
