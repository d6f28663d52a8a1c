"""A canonical fingerprint of a model's AST (spans, comments, layout ignored)."""
from __future__ import annotations

import dataclasses
import hashlib

from . import ast
from .errors import Span


def _canon(node) -> str:
    if isinstance(node, Span):      # also inside tuples (kwargs, `given` items)
        return "@"
    if dataclasses.is_dataclass(node):
        fields = [f.name for f in dataclasses.fields(node)
                  if not f.name.endswith("span") and f.name not in ("filename", "source", "control")
                  and not (isinstance(node, ast.Call) and f.name == "kwargs" and not node.kwargs)]
        inner = ",".join(f"{n}={_canon(getattr(node, n))}" for n in fields)
        return f"{type(node).__name__}({inner})"
    if isinstance(node, tuple):
        return "(" + ",".join(_canon(x) for x in node) + ")"
    return repr(node)


def fingerprint(model: ast.Model) -> str:
    """sha256 of the canonical AST: equal for files that differ only in layout.

    The `control` block is left out: it chooses what `statc optimize` does with
    the equations, not the equations, so editing it reuses the compiled kernels.
    """
    return hashlib.sha256(_canon(model).encode()).hexdigest()
