"""The package layout: no import cycles, and the stages import one way.

Every ``import``/``from … import`` of a ``statc`` module anywhere in a file
(function-level imports included: a lazy import is still a dependency) is an
edge of the module graph; it must be acyclic (:class:`graphlib.TopologicalSorter`
raises :class:`graphlib.CycleError` otherwise), and the compiler never imports
the runtime.
"""
from __future__ import annotations

import ast
from graphlib import TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"statc": "statc", "dsl": "statc.dsl", "compiler": "statc.compiler", "runtime": "statc.runtime"}


def _modules() -> dict[str, Path]:
    out = {}
    for folder, dotted in PACKAGES.items():
        for p in (ROOT / folder).rglob("*.py"):
            if "templates" in p.parts:
                continue
            rel = p.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((dotted,) + rel)
            out[name.removesuffix(".__init__")] = p
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    deps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):
                deps.add(t)
    return deps


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {n: _imports(n, p, set(mods)) for n, p in mods.items()}


# Edges allowed to close a cycle (none: `statc sweep` runs each point through `statc.commands`,
# which never imports the sweep).
KNOWN_BACK_EDGES: set[tuple[str, str]] = set()


def test_no_import_cycles():
    graph = _graph()
    for a, b in KNOWN_BACK_EDGES:
        assert b in graph[a], f"{a} no longer imports {b}: drop it from KNOWN_BACK_EDGES"
        graph[a].discard(b)
    TopologicalSorter(graph).prepare()


def test_compiler_never_imports_the_runtime():
    bad = {(a, b) for a, deps in _graph().items() if a.startswith("statc.compiler")
           for b in deps if b.startswith("statc.runtime")}
    assert not bad


def test_every_registered_kind_resolves():
    from statc.kinds import KINDS
    for entry in KINDS.values():
        for column in ("derive", "simulator", "codegen", "describe", "runner", "simulate"):
            assert entry.resolve(column) is not None, (entry.name, column)
        if entry.rhs_check:                              # optional column
            assert entry.resolve("rhs_check") is not None, (entry.name, "rhs_check")
