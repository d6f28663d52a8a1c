"""The ``kernel`` theory kind, derivation side (ATTENTION.md §3–6).

:mod:`.derive` lowers a checked model to :class:`~.equations.KernelEquations` (the layer and
head structure, every number as a SymPy expression of the parameters) and derives the
level structure of the action for the declared L and H_ℓ, with the readout overlap's closed
form solved by SymPy; :mod:`.kind` holds the registry columns (codegen, describe).  The
numerical solver lives in ``statc.runtime.kernel``.
"""
