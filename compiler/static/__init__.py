"""The ``static`` theory kind, derivation side (STATIC.md §2–3).

A loss is a SymPy expression ℓ(y, h) (:mod:`.losses`); its proximal operator
is derived from it (:mod:`.prox`: SymPy's closed form when the stationarity
condition is linear in h, a piecewise closed form for hinge-type losses,
otherwise a generated safeguarded Newton solve from ℓ′ and ℓ″), and
:mod:`.codegen` writes the Numba module that evaluates the prox on every
quadrature node of the channel integrals.  The numerical solver lives in
``statc.runtime.static``.
"""
