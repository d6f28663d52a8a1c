"""statc — a compiler for the statistical physics of learning.

Python API (for notebooks)::

    import statc
    m = statc.load("models/saad_solla.model")
    traj = m.run(K=3, eta=0.3)          # dict-like: traj["t"], traj["eps_g"], traj["Q[1,2]"]
    m.equations                          # renders as LaTeX in Jupyter
    rows = statc.sweep("models/saad_solla.model", {"eta": [0.5, 1.0]}, command="run",
                       options=["--t-end", "50"])   # list of dicts, one per point (= results.csv)
"""
from __future__ import annotations

from pathlib import Path

#: Subpackages kept as folders at the repository root (pyproject.toml maps
#: `dsl/` to `statc.dsl`, and so on).
_ROOT_SUBPACKAGES = ("dsl", "compiler", "runtime")


def _find_root_subpackages() -> None:
    """Let `statc.dsl` etc. resolve when this is the source tree's `statc/` folder.

    Installed, the subpackages sit inside this folder.  In the source tree they
    are its siblings; Python started in the repository root imports this folder
    (the current directory comes first on ``sys.path``) even when a regular
    install exists, and without this `import statc.dsl` would fail.  Adding the
    root to ``__path__`` makes the siblings the subpackages, as the mapping says.
    """
    here = Path(__file__).resolve().parent
    root = here.parent
    if (here / _ROOT_SUBPACKAGES[0]).is_dir():
        return
    if all((root / name / "__init__.py").is_file() for name in _ROOT_SUBPACKAGES):
        __path__.append(str(root))  # noqa: F821 - the package's own search path


_find_root_subpackages()

from .api import Equations, Model, load  # noqa: E402
from statc.runtime.sweep import sweep  # noqa: E402

__all__ = ["load", "Model", "Equations", "sweep"]
__version__ = "0.1.0"
