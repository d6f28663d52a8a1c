"""Monte-Carlo checks of the closed-form Gaussian atoms and of `lookup`."""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pytest
from scipy.special import erf

from statc.compiler.gaussian.gaussian_atoms import ATOM_NAMES, ATOMS, KINDS, lookup

N_SAMPLES = 2_000_000

UNARY = {
    "g": lambda z: erf(z / np.sqrt(2.0)),
    "dg": lambda z: np.sqrt(2.0 / np.pi) * np.exp(-0.5 * z * z),
    "z": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "step": lambda z: (z > 0.0).astype(np.float64),
}

SIGNATURES = sorted(ATOMS, key=lambda s: (len(s), s))


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    """Shared standard normals; each covariance case maps them through its own factor."""
    return np.random.default_rng(20240601).standard_normal((N_SAMPLES, 4))


def _factor_cases(p: int, seed: int) -> dict[str, np.ndarray]:
    """Factors L (p x p) with z = L eps, C = L L^T: random, scaled, near-diagonal, singular."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((p, p)) / np.sqrt(p)
    cases = {
        "random": a,
        "large": 2.5 * rng.standard_normal((p, p)) / np.sqrt(p),
        "small": 0.2 * rng.standard_normal((p, p)) / np.sqrt(p),
        "near_diag": np.diag(rng.uniform(0.5, 2.0, p)) + 0.05 * rng.standard_normal((p, p)),
        "zero_var_first": a * (np.arange(p) != 0)[:, None],
        "zero_var_last": a * (np.arange(p) != p - 1)[:, None],
    }
    if p >= 2:
        for i, j in {(0, 1), (p - 2, p - 1)}:
            cases[f"same_{i}{j}"] = _tie(a, i, j, 1.0)
            cases[f"anti_{i}{j}"] = _tie(a, i, j, -0.7)
    return cases


def _tie(a: np.ndarray, i: int, j: int, scale: float) -> np.ndarray:
    """Make slot j = scale * slot i exactly (singular covariance)."""
    b = a.copy()
    b[j] = scale * b[i]
    return b


def _upper(c: np.ndarray) -> tuple[float, ...]:
    p = c.shape[0]
    return tuple(float(c[i, j]) for i in range(p) for j in range(i, p))


def _monte_carlo(
    kinds: tuple[str, ...], factor: np.ndarray, eps: np.ndarray
) -> tuple[float, float]:
    """MC mean and standard error of prod_i f_i(z_i), z = eps @ L^T."""
    z = eps[:, : factor.shape[1]] @ factor.T
    prod = np.ones(z.shape[0])
    for i, kind in enumerate(kinds):
        prod *= UNARY[kind](z[:, i])
    return float(prod.mean()), float(prod.std() / np.sqrt(prod.size))


def _assert_matches(
    kinds: tuple[str, ...], closed: float, factor: np.ndarray, eps: np.ndarray, label: str
) -> None:
    mean, se = _monte_carlo(kinds, factor, eps)
    assert np.isfinite(closed), (kinds, label, closed)
    assert abs(closed - mean) < 5.0 * se + 1e-12, (kinds, label, closed, mean, se)


@pytest.mark.parametrize("signature", SIGNATURES, ids=lambda s: "-".join(s))
def test_atom_matches_monte_carlo(signature: tuple[str, ...], noise: np.ndarray) -> None:
    p = len(signature)
    atom = ATOMS[signature]
    for label, factor in _factor_cases(p, seed=1000 + 17 * p).items():
        closed = atom(*_upper(factor @ factor.T))
        _assert_matches(signature, closed, factor, noise, label)


@pytest.mark.parametrize("signature", SIGNATURES, ids=lambda s: "-".join(s))
def test_atom_arity_and_kinds(signature: tuple[str, ...]) -> None:
    p = len(signature)
    fn = ATOMS[signature]
    assert set(signature) <= set(KINDS)
    assert len(inspect.signature(fn.py_func).parameters) == p * (p + 1) // 2
    assert ATOM_NAMES[signature] == fn.py_func.__name__


def test_required_names() -> None:
    required = {
        ("g", "g"): "erf_I2",
        ("dg", "z", "g"): "erf_I3",
        ("dg", "dg", "g", "g"): "erf_I4",
        ("dg", "dg"): "erf_J2",
        ("relu", "relu"): "relu_I2",
        ("step", "z", "relu"): "relu_I3",
        ("step", "step"): "relu_J2",
    }
    for sig, name in required.items():
        assert ATOM_NAMES[sig] == name


def test_importable_by_name() -> None:
    import statc.compiler.gaussian.gaussian_atoms as module

    for sig, name in ATOM_NAMES.items():
        assert getattr(module, name) is ATOMS[sig]


def test_lookup_identity_and_missing() -> None:
    for sig in ATOMS:
        assert lookup(sig) == (ATOM_NAMES[sig], tuple(range(len(sig))))
    assert lookup(("g", "relu")) is None
    assert lookup(("relu", "relu", "relu", "relu")) is None
    assert lookup(()) is None


MIXED = [s for s in SIGNATURES if len(set(s)) > 1]


@pytest.mark.parametrize("signature", MIXED, ids=lambda s: "-".join(s))
def test_lookup_permutations(signature: tuple[str, ...], noise: np.ndarray) -> None:
    """Every distinct reordering is found; the permuted call matches MC of the caller's product."""
    import statc.compiler.gaussian.gaussian_atoms as module

    p = len(signature)
    rng = np.random.default_rng(7 + p)
    factor = rng.standard_normal((p, p)) / np.sqrt(p)  # caller's slots
    cov = factor @ factor.T
    for kinds in sorted(set(itertools.permutations(signature))):
        found = lookup(kinds)
        assert found is not None, kinds
        name, perm = found
        assert sorted(perm) == list(range(p))
        assert tuple(kinds[k] for k in perm) == signature
        closed = getattr(module, name)(*_upper(cov[np.ix_(perm, perm)]))
        assert closed == pytest.approx(ATOMS[signature](*_upper(cov[np.ix_(perm, perm)])))
        _assert_matches(kinds, closed, factor, noise[: N_SAMPLES // 4], f"perm {kinds}")


def test_erf_I4_symmetric_in_pairs() -> None:
    """E[g'g'gg] is invariant under swapping the two g' slots and the two g slots."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 4)) / 2.0
    cov = a @ a.T
    base = ATOMS[("dg", "dg", "g", "g")](*_upper(cov))
    for perm in ([1, 0, 2, 3], [0, 1, 3, 2], [1, 0, 3, 2]):
        swapped = ATOMS[("dg", "dg", "g", "g")](*_upper(cov[np.ix_(perm, perm)]))
        assert swapped == pytest.approx(base, rel=1e-12)


def test_exact_singular_values() -> None:
    """Degenerate covariances give the exact (finite) values."""
    c = 1.7
    # z_1 == z_2 exactly
    assert ATOMS[("g", "g")](c, c, c) == pytest.approx(2 / np.pi * np.arcsin(c / (1 + c)))
    assert ATOMS[("relu", "relu")](c, c, c) == pytest.approx(c / 2)
    assert ATOMS[("relu", "relu")](c, -c, c) == pytest.approx(0.0, abs=1e-15)
    assert ATOMS[("step", "step")](c, c, c) == pytest.approx(0.5)
    assert ATOMS[("step", "step")](c, -c, c) == pytest.approx(0.0, abs=1e-15)
    # rounding pushes |rho| slightly above 1: must stay finite
    assert np.isfinite(ATOMS[("relu", "relu")](c, c * (1 + 1e-15), c))
    assert np.isfinite(ATOMS[("g", "g")](c, (1 + c) * (1 + 1e-15), c))
    # zero variance
    assert ATOMS[("dg",)](0.0) == pytest.approx(np.sqrt(2 / np.pi))
    assert ATOMS[("step",)](0.0) == 0.0
    assert ATOMS[("step", "z", "relu")](0.0, 0.0, 0.0, 1.0, 0.3, 1.0) == 0.0
    assert ATOMS[("step", "z", "relu")](1.0, 0.3, 0.0, 1.0, 0.0, 0.0) == 0.0
