"""statc — a compiler for the statistical physics of learning.

Python API (for notebooks)::

    import statc
    m = statc.load("models/saad_solla.model")
    traj = m.run(K=3, eta=0.3)          # dict-like: traj["t"], traj["eps_g"], traj["Q[1,2]"]
    m.equations                          # renders as LaTeX in Jupyter
"""
from __future__ import annotations

from .api import Equations, Model, load

__all__ = ["load", "Model", "Equations"]
__version__ = "0.1.0"
