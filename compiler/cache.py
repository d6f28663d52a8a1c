"""The kernel cache: generated modules on disk, keyed by what determines them.

Layout under the cache directory::

    index/<model key>.json        model fingerprint -> kernel key + run metadata
    kernels/<kernel key>/statc_kernels_<kernel key>.py   (+ Numba's __pycache__)

* the **model key** hashes the model's canonical AST with the versions of
  statc (a hash of its ``dsl/`` and ``compiler/`` sources), SymPy, Numba and
  Python, so that a cached model is found by parsing alone, with no SymPy work;
* the **kernel key** hashes only what the machine code depends on: the
  generated source text, the statc modules that text imports (the njit atoms
  of ``compiler/gaussian``), and the NumPy, Numba and Python versions.  After
  an edit of the compiler the model is derived again (SymPy, seconds), but
  when the generated text comes out the same its module file is not rewritten
  and Numba's machine-code cache, keyed by that file, is reused — the JIT
  (most of a cold compile) is not paid again.  Two models with the same
  kernels share them.

Files are written atomically (temporary file + rename).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from statc.atomic import write_text
from statc.locations import cache_dir

_PKG_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def tool_versions() -> str:
    """statc source hash plus SymPy/Numba/Python versions (no SymPy import)."""
    h = hashlib.sha256()
    for sub in ("dsl", "compiler"):
        for p in sorted((_PKG_ROOT / sub).rglob("*")):
            if p.suffix in (".py", ".lark") and "__pycache__" not in p.parts:
                h.update(p.name.encode())
                h.update(p.read_bytes())
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # pragma: no cover
            return "?"

    return (f"statc-src={h.hexdigest()[:16]} sympy={ver('sympy')} numba={ver('numba')} "
            f"python={sys.version_info.major}.{sys.version_info.minor}")


def key(text: str) -> str:
    """The model key of ``text`` (a fingerprint) under the current tool versions."""
    return hashlib.sha256((text + "\n" + tool_versions()).encode()).hexdigest()[:20]


_STATC_IMPORT = re.compile(r"^from (statc(?:\.\w+)+) import ", re.M)


def kernel_key(source: str) -> str:
    """The key of a generated kernel module: its text, the statc modules it imports, the JIT's versions."""
    h = hashlib.sha256(source.encode())
    for name in sorted(set(_STATC_IMPORT.findall(source))):
        path = _PKG_ROOT.joinpath(*name.split(".")[1:])
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        h.update(name.encode())
        h.update(path.read_bytes())
    from importlib.metadata import version
    h.update(f"numba={version('numba')} numpy={version('numpy')} "
             f"python={sys.version_info.major}.{sys.version_info.minor}".encode())
    return h.hexdigest()[:20]


class KernelCache:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else cache_dir()

    def index_path(self, model_key: str) -> Path:
        return self.root / "index" / f"{model_key}.json"

    def module_path(self, kernel_key: str) -> Path:
        return self.root / "kernels" / kernel_key / f"statc_kernels_{kernel_key}.py"

    def lookup(self, model_key: str) -> dict | None:
        p = self.index_path(model_key)
        try:
            meta = json.loads(p.read_text())
        except (OSError, ValueError):
            return None
        if not self.module_path(meta["kernel_key"]).exists():
            return None
        return meta

    def store(self, model_key: str, kernel_key: str, source: str, meta: dict) -> None:
        mp = self.module_path(kernel_key)
        if not mp.exists() or mp.read_text() != source:
            write_text(mp, source)
        meta = dict(meta, kernel_key=kernel_key)
        write_text(self.index_path(model_key), json.dumps(meta, indent=1))

    def load_module(self, kernel_key: str) -> ModuleType:
        name = f"statc_kernels_{kernel_key}"
        if name in sys.modules:
            return sys.modules[name]
        path = self.module_path(kernel_key)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod
