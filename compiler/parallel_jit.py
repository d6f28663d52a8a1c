"""Parallel JIT of a generated module's term chunks: worker processes fill Numba's disk cache.

A large model's block functions call many separately compiled term chunks
(the DAE's forward ``_block_Q`` calls 36 ``_terms_Q_*``, its adjoint 151
``_vjp_terms_*`` in all).  Numba compiles them one after the other while it
type-infers the caller, and each costs seconds of its Python front end.  The
chunks are independent, and Numba caches each function in its own index and
data files (``cache=True``), so worker processes can compile disjoint sets of
them first; the parent's compile of the caller then loads them from disk.

Measured on the 2-core VM shared with other jobs, it does not win reliably,
so it is **off by default**: the DAE forward ``_block_Q`` at load ≈ 4.5, one
process 294 s wall / 120 s CPU, two workers then the parent 214 s wall / 129 s
CPU; the whole DAE forward (``rhs`` + ``observables``) at load 3.5–4.8, one
process 416 s wall / 127 s CPU, two workers then the parent 447 s wall / 178 s
CPU (each worker imports Numba and the 3 MB module, and compiles the atoms its
chunks call, which the other worker compiles too).  With idle cores it should
approach the number of workers.

A chunk's Numba signature follows from the argument names that the code
generator gives it (``i_*`` indices, ``lam``, ``P``/``gP``, the state views
``S_<block>`` and their adjoints ``G_S_<block>``; :func:`arg_type`).  A chunk
with another argument is left out, and a signature that does not match the
caller's types only costs time: the parent then compiles that chunk itself.
``STATC_JIT_WORKERS=N`` (N ≥ 2) turns it on with N workers; unset, 0 or 1: off.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

#: fewer separately compiled chunks than this are not worth a worker's start-up (~3 s)
MIN_CHUNKS = 4

_CHUNK = re.compile(r"^@njit\(([^\n]*)\)\ndef ((?:_vjp)?_terms_\w+)\(([^)]*)\):", re.M)
_ARRAY = {1: "float64[::1]", 2: "float64[:, ::1]", 3: "float64[:, :, ::1]"}


def arg_type(arg: str, ranks: dict[str, int]) -> str | None:
    """The Numba type (text) of a chunk argument named ``arg``; None if unknown.

    Indices come from ``range`` over ints; ``lam`` is one adjoint entry; ``P`` and
    ``gP`` are parameter vectors; ``S_X`` (``G_S_X``) is block X of the state
    (of its adjoint) as a C-contiguous view of rank ``ranks[X]``.
    """
    if arg.startswith("i_"):
        return "int64"
    if arg == "lam":
        return "float64"
    if arg in ("P", "gP"):
        return _ARRAY[1]
    block = arg[4:] if arg.startswith("G_S_") else arg[2:] if arg.startswith("S_") else None
    return _ARRAY.get(ranks.get(block, 0)) if block is not None else None


def plan(source: str, blocks: list[dict], prefix: str | tuple[str, ...]) -> list[tuple[str, str]]:
    """``(name, signature)`` of every separately compiled chunk whose name starts with ``prefix``
    (a string or a tuple of them).

    Chunks marked ``inline="always"`` are compiled inside their caller only, so
    they are not listed.
    """
    ranks = {b["name"]: len(b["sizes"]) for b in blocks}
    out = []
    for m in _CHUNK.finditer(source):
        options, name, args = m.groups()
        if not name.startswith(prefix) or 'inline="always"' in options:
            continue
        types = [arg_type(a.strip(), ranks) for a in args.split(",")]
        if all(types):
            out.append((name, f"({', '.join(types)})"))
    return out


def workers() -> int:
    """How many worker processes :func:`prewarm` starts (``STATC_JIT_WORKERS``; default 0: off)."""
    raw = os.environ.get("STATC_JIT_WORKERS", "0").strip()
    return int(raw) if raw.isdigit() else 0


def _cached(dispatcher) -> bool:
    """Whether Numba's disk cache already has an index for ``dispatcher``."""
    try:
        return Path(dispatcher._cache._cache_file._index_path).exists()
    except AttributeError:      # a Numba without this layout: treat as not cached
        return False


def prewarm(module: ModuleType, blocks: list[dict], prefix: str | tuple[str, ...]) -> int:
    """Compile the uncached chunks of ``module`` named ``prefix*`` in worker processes.

    Returns how many chunks were handed to workers (0 when there were too few,
    or workers are turned off).  Failures of a worker are not errors: whatever
    it did not cache, the parent compiles on first call as before.
    """
    n = workers()
    if n < 2 or getattr(module, "__file__", None) is None:
        return 0
    source = Path(module.__file__).read_text()
    todo = [(name, sig) for name, sig in plan(source, blocks, prefix)
            if hasattr(module, name) and not _cached(getattr(module, name))]
    if len(todo) < MIN_CHUNKS:
        return 0
    procs = []
    for w in range(n):
        share = todo[w::n]
        cmd = [sys.executable, "-m", "statc.compiler.parallel_jit", module.__file__, module.__name__]
        procs.append(subprocess.Popen(cmd + [f"{name}={sig}" for name, sig in share],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for p in procs:
        p.wait()
    return len(todo)


def _worker(argv: list[str]) -> int:
    """``python -m statc.compiler.parallel_jit FILE MODULE_NAME NAME=SIGNATURE ...``."""
    import importlib.util

    from numba.core.sigutils import normalize_signature
    path, modname, jobs = argv[0], argv[1], argv[2:]
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module       # Numba's cache files are named after the module
    spec.loader.exec_module(module)
    for job in jobs:
        name, sig = job.split("=", 1)
        # Numba keys its cache index by the signature object as given to compile():
        # a tuple of types, as a caller's type inference passes it (not the text)
        args, _ = normalize_signature(sig)
        getattr(module, name).compile(tuple(args))
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
