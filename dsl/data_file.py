"""`params from "file.npz" { a; b }`: parameter defaults read from a data file.

A data set's moments (cluster means' overlaps, variances, ...) are computed
once, outside the model, and stored as named scalars in a NumPy ``.npz``
archive; the model names the entries it uses.  Each becomes an ordinary
parameter whose default is the stored number (``--set`` still overrides it),
so the rest of the compiler never sees the file.  The file is data: it is read
with ``allow_pickle=False`` and only finite real scalars (0-d or one-element
arrays) are accepted.  A relative path is taken from the model file's folder.
"""
from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from . import ast
from .errors import Span, StatcError, did_you_mean


def _load(path: Path, span: Span) -> dict[str, np.ndarray]:
    if path.suffix != ".npz":
        raise StatcError(f"`{path.name}` is not a `.npz` file", span,
                         expected="a NumPy archive written by numpy.savez",
                         hint='e.g. `params from "moments.npz" { U11; s1 }`')
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise StatcError(f"data file `{path}` not found", span,
                         hint="a relative path is taken from the model file's folder") from None
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise StatcError(f"cannot read data file `{path}`: {err}", span,
                         expected="a NumPy archive of numbers written by numpy.savez") from None


def params_from_file(name: str, span: Span, keys: tuple[tuple[str, Span], ...],
                     model_filename: str) -> list[ast.ParamDecl]:
    """The `ParamDecl`s of a `params from` block, each default a number from the file."""
    base = Path(model_filename).parent if not model_filename.startswith("<") else Path.cwd()
    path = Path(name) if Path(name).is_absolute() else base / name
    entries = _load(path, span)
    out = []
    for key, kspan in keys:
        if key not in entries:
            raise StatcError(f"`{path.name}` has no entry `{key}`", kspan,
                             expected="one of " + ", ".join(f"`{k}`" for k in sorted(entries)),
                             hint=did_you_mean(key, list(entries)))
        a = entries[key]
        if a.size != 1 or a.dtype.kind not in "biuf":
            raise StatcError(f"entry `{key}` of `{path.name}` is not a real number "
                             f"(dtype {a.dtype}, shape {a.shape})", kspan,
                             expected="a scalar: store matrices entry by entry (`U12`)")
        value = float(a.reshape(()))
        if not math.isfinite(value):
            raise StatcError(f"entry `{key}` of `{path.name}` is {value}", kspan,
                             expected="a finite number")
        out.append(ast.ParamDecl(key, ast.Num(value, repr(value), kspan), kspan))
    return out


def spectrum_files(inp: ast.InputDecl, model_filename: str) -> ast.InputDecl:
    """`input x ~ gaussian(spectrum = eigenvalues("sigma.txt"))`: the eigenvalues read from a text
    file (numbers separated by blanks, commas or new lines; `#` starts a comment) or a `.npy`
    array, put in place of the file name, so the rest of the compiler sees `eigenvalues(s1, s2, ...)`.
    A relative path is taken from the model file's folder. Quoted strings anywhere else are
    located errors."""
    dist = inp.dist
    if dist is None:
        return inp
    kwargs = []
    for name, value, span in dist.kwargs:
        if isinstance(value, ast.Call) and any(isinstance(a, ast.Str) for a in value.args):
            strings = [a for a in value.args if isinstance(a, ast.Str)]
            if name != "spectrum" or value.func != "eigenvalues" or len(value.args) != 1:
                raise StatcError("a file name is allowed only as `eigenvalues(\"file\")` in a spectrum",
                                 strings[0].span, expected='`spectrum = eigenvalues("sigma.txt")`')
            nums = _eigenvalue_file(strings[0], model_filename)
            value = ast.Call(value.func, tuple(ast.Num(v, repr(v), strings[0].span) for v in nums),
                             value.span, value.func_span, value.kwargs)
        kwargs.append((name, value, span))
    return ast.InputDecl(inp.name, ast.Dist(dist.name, dist.args, tuple(kwargs), dist.span), inp.span, inp.value)


def _eigenvalue_file(s: ast.Str, model_filename: str) -> list[float]:
    base = Path(model_filename).parent if not model_filename.startswith("<") else Path.cwd()
    path = Path(s.value) if Path(s.value).is_absolute() else base / s.value
    try:
        if path.suffix == ".npy":
            a = np.load(path, allow_pickle=False)
        else:
            text = "\n".join(line.split("#")[0] for line in path.read_text().splitlines())
            a = np.array([float(t) for t in text.replace(",", " ").split()])
    except FileNotFoundError:
        raise StatcError(f"eigenvalue file `{path}` not found", s.span,
                         hint="a relative path is taken from the model file's folder") from None
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise StatcError(f"cannot read eigenvalue file `{path}`: {err}", s.span,
                         expected="numbers separated by blanks, commas or new lines, or a 1-d `.npy` array") from None
    a = np.asarray(a, dtype=float).ravel() if np.asarray(a).dtype.kind in "biuf" else None
    if a is None or a.size == 0 or not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise StatcError(f"`{path.name}` must hold at least one finite eigenvalue > 0", s.span,
                         expected="positive numbers, one per level (equally populated)")
    return [float(v) for v in a]
