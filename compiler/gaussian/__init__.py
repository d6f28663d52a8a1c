"""Gaussian expectations, shared by every theory kind: expansion of random
expressions into product terms, the atom registry (closed forms), moments with
means, and the exact partials of the atoms."""
