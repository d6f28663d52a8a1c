"""One cold (or cache-hit) statc command, timed stage by stage, in this process.

Run by ``bench_compile.py --stages/--variants`` in a fresh subprocess, so that
nothing is imported or compiled beforehand::

    python benchmarks/_jit_stages.py MODEL CACHE_DIR [--command compile|run] [--digest]

prints one JSON object: CPU seconds (``time.process_time``: the stages are
single-threaded, and a shared machine inflates wall time more) of

* ``check_cpu_s``, ``derive_cpu_s``, ``codegen_cpu_s``, ``import_cpu_s``:
  :func:`compile_model`'s own timers (derive and codegen are absent on a cache hit);
* ``jit``: every function Numba compiled (or loaded from its cache), found with
  Numba's ``numba:compile`` event, as a tree (a callee is compiled while its
  caller is type-inferred, so a caller's time includes its callees');
* ``kernels_ready_s``: what ``statc compile`` reports (its tiny warm-up run), or
  for ``--command run`` the ``statc run ... --t-end 0.001`` integration;
* ``digest`` (``--digest``): a SHA-256 of a short trajectory's bytes, to assert
  that a variant of the generated code computes the same numbers bit for bit.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class CompileTree:
    """A ``numba:compile`` listener recording CPU seconds per compiled function, nested."""

    def __init__(self):
        self.stack: list[dict] = []
        self.roots: list[dict] = []

    def on_start(self, ev) -> None:
        fn = ev.data["dispatcher"].py_func
        self.stack.append({"name": fn.__name__, "module": fn.__module__, "cpu0": time.process_time(),
                           "children": []})

    def on_end(self, ev) -> None:
        node = self.stack.pop()
        node["cpu_s"] = time.process_time() - node.pop("cpu0")
        (self.stack[-1]["children"] if self.stack else self.roots).append(node)


def listen() -> CompileTree:
    from numba.core import event

    tree = CompileTree()

    class _Listener(event.Listener):
        def on_start(self, ev):
            tree.on_start(ev)

        def on_end(self, ev):
            tree.on_end(ev)

    event.register("numba:compile", _Listener())
    return tree


def digest(traj, names) -> str:
    import numpy as np
    h = hashlib.sha256()
    for n in ["t", *names]:
        h.update(np.ascontiguousarray(traj[n], dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("cache_dir")
    ap.add_argument("--command", choices=("compile", "run"), default="compile")
    ap.add_argument("--digest", action="store_true")
    args = ap.parse_args(argv)

    c0 = time.process_time()
    w0 = time.perf_counter()
    tree = listen()
    from statc.compiler.build import compile_model
    from statc.dsl import parse_file
    from statc.runtime import params as params_mod
    imports_s = time.process_time() - c0

    compiled = compile_model(parse_file(args.model), args.cache_dir)
    overrides = params_mod.parse_set([], compiled.meta["params"])
    runner = compiled.kind.resolve("runner")
    c1 = time.process_time()
    if args.command == "compile":     # what `statc compile` does after compile_model
        runner.run(compiled, overrides, t_end=1e-3, record=("linear", 1), init_N=0)
    else:                             # `statc run FILE --t-end 0.001`
        runner.run(compiled, overrides, t_end=1e-3)
    kernels_ready_s = time.process_time() - c1
    out = {"command": args.command, "cache_hit": compiled.cache_hit,
           "statc_imports_s": imports_s, **compiled.timings,
           "kernels_ready_s": kernels_ready_s, "total_cpu_s": time.process_time() - c0,
           "total_wall_s": time.perf_counter() - w0, "load_1min": os.getloadavg()[0],
           "jit": tree.roots, "kernel_key": compiled.meta["kernel_key"]}
    if args.digest:
        traj = runner.run(compiled, overrides, t_end=5.0, record=("linear", 50), seed=0)
        out["digest"] = digest(traj, compiled.meta["observables"])
    print(json.dumps(out))
    return 0



# ------------------------------------------------------------------ the orchestrator
# (bench_compile.py --stages / --variants; every measurement in a fresh subprocess)

GOAL_S = 3.0            # issue 19: cold compile of saad_solla, parse -> kernels ready
HELPERS = r"(?:_terms_|_block_|_mean_|_obs_|_sim_|_vjp_terms_|_vjp_block_|_vjp_mean_|_vjp_obs_)"
NO_WRAPPERS = "no_cpython_wrapper=True, no_cfunc_wrapper=True"


def _add_to_helpers(text: str, option: str, names: str = HELPERS) -> str:
    import re
    pat = re.compile(rf"^@njit\(([^\n]*)\)\n(def {names}\w*\()", re.M)
    return pat.sub(lambda m: m.group(0) if option in m.group(1)
                   else f"@njit({m.group(1)}, {option})\n{m.group(2)}", text)


# name -> (rewrite of the generated module's text, extra environment)
VARIANTS = {
    "as-generated": (lambda t: t, {}),
    "no-wrappers": (lambda t: _add_to_helpers(t, NO_WRAPPERS), {}),
    "with-wrappers": (lambda t: t.replace(", " + NO_WRAPPERS, ""), {}),
    "inline-blocks": (lambda t: _add_to_helpers(t, 'inline="always"', "(?:_block_|_mean_)"), {}),
    "no-cache": (lambda t: t.replace("@njit(cache=True", "@njit(cache=False"), {}),
    "NUMBA_OPT=0": (lambda t: t, {"NUMBA_OPT": "0"}),
}


def run_driver(model: str, cache: Path, command: str = "compile", digest: bool = False,
               env_extra: dict | None = None) -> dict:
    import subprocess
    env = dict(os.environ, **(env_extra or {}))
    env.pop("STATC_CACHE_DIR", None)
    cmd = [sys.executable, __file__, model, str(cache), "--command", command] + (["--digest"] if digest else [])
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def jit_lines(nodes: list[dict], depth: int = 0) -> list[str]:
    out = []
    for n in sorted(nodes, key=lambda n: -n["cpu_s"]):
        out.append(f"      {'  ' * depth}{n['cpu_s']:6.2f} s  {n['name']}")
        out += jit_lines(n["children"], depth + 1)
    return out


STAGES = ("statc_imports_s", "check_cpu_s", "derive_cpu_s", "codegen_cpu_s", "import_cpu_s", "kernels_ready_s")


def print_stages(label: str, r: dict) -> None:
    print(f"  {label}: total {r['total_cpu_s']:.2f} s CPU ({r['total_wall_s']:.2f} s wall, "
          f"load {r['load_1min']:.2f})")
    for s in STAGES:
        if s in r:
            print(f"    {s.replace('_cpu_s', '').replace('_s', ''):<16} {r[s]:6.2f} s")
    print("    JIT (numba:compile events, a caller includes its callees):")
    print("\n".join(jit_lines(r["jit"])))


def stages_main(args) -> int:
    import datetime
    import shutil
    import tempfile
    results: dict = {"benchmark": "bench_compile --stages/--variants", "model": args.model,
                     "date": datetime.datetime.now().isoformat(timespec="seconds"),
                     "method": "CPU seconds (time.process_time) of a fresh subprocess per measure"}
    with tempfile.TemporaryDirectory(prefix="statc-bench-stages-") as tmp:
        work = Path(tmp)
        if args.stages:
            print(f"cold compile of {args.model}: goal parse -> kernels ready <= {GOAL_S} s")
            for command in ("compile", "run"):
                runs = [run_driver(args.model, work / f"{command}-{rep}", command) for rep in range(args.reps)]
                best = min(runs, key=lambda r: r["total_cpu_s"])
                assert not best["cache_hit"], "a cold measure must start from an empty cache"
                print_stages(f"cold `statc {command}` (best of {len(runs)})", best)
                results[f"cold_{command}"] = {"best": best, "all": runs}
            tot = results["cold_compile"]["best"]["total_cpu_s"]
            print(f"  goal <= {GOAL_S} s: {tot:.2f} s CPU, {'met' if tot <= GOAL_S else 'NOT met'}")
        if args.variants:
            base = work / "variants-base"
            first = run_driver(args.model, base)
            module = next((base / "kernels").glob("*/statc_kernels_*.py"))
            text = module.read_text()
            found: dict[str, list[dict]] = {}
            for rep in range(args.reps):            # alternate: slow phases hit every variant alike
                for name, (rewrite, env) in VARIANTS.items():
                    cache = work / f"variant-{rep}-{name.replace('=', '')}"
                    shutil.copytree(base, cache, ignore=shutil.ignore_patterns("__pycache__"))
                    mp = next((cache / "kernels").glob("*/statc_kernels_*.py"))
                    mp.write_text(rewrite(text))
                    r = run_driver(args.model, cache, digest=True, env_extra=env)
                    assert r["cache_hit"] and r["kernel_key"] == first["kernel_key"]
                    found.setdefault(name, []).append(r)
            digests = {n: {r["digest"] for r in rs} for n, rs in found.items()}
            baseline = digests["as-generated"]
            assert len(baseline) == 1, f"the baseline's trajectory is not reproducible: {baseline}"
            for n, d in digests.items():
                assert d == baseline, f"variant {n} computes other numbers than the generated module"
            b0 = min(r["kernels_ready_s"] for r in found["as-generated"])
            print(f"JIT of the generated module (cache hit, `statc compile`'s warm-up run), "
                  f"best of {args.reps}; every variant's trajectory equals the baseline's bit for bit")
            print(f"  {'variant':<14} {'kernels ready':>13} {'/ baseline':>10}  top-level JIT")
            for n, rs in found.items():
                best = min(rs, key=lambda r: r["kernels_ready_s"])
                tops = ", ".join(f"{j['name']} {j['cpu_s']:.2f}" for j in best["jit"])
                print(f"  {n:<14} {best['kernels_ready_s']:>12.2f}s {best['kernels_ready_s'] / b0:>10.2f}  "
                      f"{tops}  (load {best['load_1min']:.1f})")
            results["variants"] = {n: {"best_kernels_ready_s": min(r["kernels_ready_s"] for r in rs),
                                        "all": rs} for n, rs in found.items()}
    out = Path(args.out or ROOT / "benchmarks" / "results" / "compile_stages.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:                    # --stages and --variants runs fill one file: keep the other's part
        old = json.loads(out.read_text())
    except (OSError, ValueError):
        old = {}
    out.write_text(json.dumps({**old, **results}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
