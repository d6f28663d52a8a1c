"""Views of the flat state vector as blocks, for the generated kernels.

``rhs``, ``observables`` and their adjoints take the state as one vector and
see each block (``S_Q[k, l]``, ``S_v[k]``) through a view of it.  Built with
``y[o:o + n0 * n1].reshape((n0, n1))`` inside the generated function, Numba
type-infers and lowers slicing and ``reshape`` again for every model: 2.8 s of
a cold compile for the prologue of saad_solla's ``rhs`` alone, under load.
These helpers are compiled once per installation (Numba's cache beside this
file) and only called by the model's kernels.
"""
from __future__ import annotations

from numba import njit


@njit(cache=True)
def view1(a, o, n0):
    """``a[o:o + n0]``, a 1-D block."""
    return a[o:o + n0]


@njit(cache=True)
def view2(a, o, n0, n1):
    """``a[o:o + n0 * n1]`` as an ``(n0, n1)`` block (C order)."""
    return a[o:o + n0 * n1].reshape((n0, n1))


@njit(cache=True)
def zero(a, o, n):
    """``a[o:o + n] = 0``."""
    for i in range(o, o + n):
        a[i] = 0.0


#: the view helper for a block of each rank
VIEWS = {1: "view1", 2: "view2"}
