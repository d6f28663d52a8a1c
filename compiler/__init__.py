"""Compiler: Model IR, online derivation, Gaussian atoms, code generation, cache."""
