"""The intermediate representations: Model IR (a checked model in SymPy),
Equation IR (state blocks, right-hand sides, observables), their SymPy vocabulary
and readable renderings."""
