"""Compiler: the theory-kind registry, the compile pipeline and kernel cache;
sub-packages ir/ (intermediate representations), gaussian/ (expectations shared
by all kinds), online/ (the online derivation), codegen/ (Numba kernels)."""
