"""The test-only switch back to Gauss–Hermite quadrature for kinked atoms.

``STATC_LEGACY_KINK_QUADRATURE=1`` makes the compiler evaluate expectations
with relu/step factors the way it did before :mod:`statc.compiler.kinked`
existed (Gauss–Hermite over the arguments, biased on kinked integrands), so
that a test can show that ``statc check`` detects that bias.  The switch is
part of the model's cache key.  This module imports no SymPy: the cache
lookup reads it.
"""
from __future__ import annotations

import os

#: name of the environment variable (a contract with the tests that use it)
LEGACY_ENV = "STATC_LEGACY_KINK_QUADRATURE"


def legacy() -> bool:
    """True when the switch asks for the old Gauss–Hermite path."""
    return os.environ.get(LEGACY_ENV, "") not in ("", "0")


def cache_tag() -> str:
    """Text appended to the model's cache key: the switch changes the kernels."""
    return " legacy-kink-quadrature" if legacy() else ""
