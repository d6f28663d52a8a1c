"""NUTS sampling of the finite network's full weight posterior (ATTENTION.md §9, `statc check`).

The very same network as the theory, at finite widths N_1 … N_{L+1} (N_1 the embedding's
output, N_{ℓ+1} layer ℓ's output; one integer N means all equal), with the exact path
expansion of §1: non-centred weights (standard normal Z's, V^0 = σ0 Z^0 ∈ R^{N_1×N0} folded
into the kernel factor F, V^{ℓ,h} = σ_ℓ Z^{ℓ,h} ∈ R^{N_{ℓ+1}×N_ℓ}, a = σ_a z_a ∈ R^{N_{L+1}}),

    w^{(L+1)} = a,   w^{(ℓ)}_{(h, rest)} = (V^{ℓ,h})ᵀ w^{(ℓ+1)}_rest / √N_{ℓ+1},
    f(x^μ) = Σ_π (Z^0ᵀ w_π) · F^μ_π / √N_1,      U_ππ′ = w_π·w_π′ / N_1,

and the potential ½|Z|² + Σ_μ (f(x^μ) − y^μ)² / 2T.  Sampled with numpyro's NUTS (an
optional dependency: ``pip install statc[sampling]``), chains vectorised on one device.
Returns, per chain, the posterior means of U_ππ′ = w_π·w_π′/N and of f on the test
sequences (and the mean of f² for the predictive variance).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class SamplerMissing(ImportError):
    """numpyro / jax are not installed."""


def _imports():
    try:
        import jax
        import jax.numpy as jnp
        from numpyro.infer import MCMC, NUTS
    except ImportError as err:                           # pragma: no cover - depends on the install
        raise SamplerMissing(str(err)) from None
    jax.config.update("jax_enable_x64", True)
    return jax, jnp, MCMC, NUTS


@dataclass
class ChainMeans:
    U: np.ndarray            # chains × M × M
    f_mean: np.ndarray       # chains × P*
    f_sq: np.ndarray         # chains × P*
    divergences: int
    seconds: float


def sample(F: np.ndarray, y: np.ndarray, F_test: np.ndarray, heads: tuple[int, ...],
           N: int | tuple[int, ...], T: float, variances: tuple[float, ...], *, chains: int = 4,
           warmup: int = 300, samples: int = 400, seed: int = 0) -> ChainMeans:
    """Posterior means per chain (see the module docstring)."""
    import time
    jax, jnp, MCMC, NUTS = _imports()
    t0 = time.perf_counter()
    P, M, N0 = F.shape
    L = len(heads)
    Ns = tuple(int(n) for n in N) if isinstance(N, (tuple, list)) else (int(N),) * (L + 1)
    if len(Ns) != L + 1:
        raise ValueError(f"{len(Ns)} widths for {L} layers (need L + 1)")
    Fj, Ftj, yj = jnp.asarray(F), jnp.asarray(F_test), jnp.asarray(y, dtype=jnp.float64)
    sig = [float(np.sqrt(v)) for v in variances]          # σ_1 … σ_L, σ_a
    root = [float(np.sqrt(n)) for n in Ns]               # √N_1 … √N_{L+1}

    def paths(p):
        W = (sig[L] * p["a"])[None, :]
        for l in reversed(range(L)):
            V = sig[l] * p[f"v{l + 1}"]                  # H × N_{l+2} × N_{l+1} (0-based l)
            W = jnp.einsum("hij,mi->hmj", V, W).reshape(-1, Ns[l]) / root[l + 1]
        return W                                         # M × N_1

    def f_of(p, FF):
        G = paths(p) @ p["z0"]                           # M × N0
        return jnp.einsum("mn,pmn->p", G, FF) / root[0]

    def potential(p):
        prior = 0.5 * sum(jnp.sum(v * v) for v in jax.tree_util.tree_leaves(p))
        r = f_of(p, Fj) - yj
        return prior + jnp.sum(r * r) / (2.0 * T)

    rng = np.random.default_rng(seed)
    init = {"z0": rng.standard_normal((chains, Ns[0], N0)), "a": rng.standard_normal((chains, Ns[L]))}
    for l, H in enumerate(heads, start=1):
        init[f"v{l}"] = rng.standard_normal((chains, H, Ns[l], Ns[l - 1]))
    init = {k: jnp.asarray(v) for k, v in init.items()}
    mcmc = MCMC(NUTS(potential_fn=potential), num_warmup=warmup, num_samples=samples, num_chains=chains,
                chain_method="vectorized", progress_bar=False)
    mcmc.run(jax.random.PRNGKey(seed), init_params=init, extra_fields=("diverging",))
    draws = mcmc.get_samples(group_by_chain=True)

    @jax.jit
    def stats(p):
        W = paths(p)
        f = f_of(p, Ftj)
        return W @ W.T / Ns[0], f, f * f

    per = jax.vmap(jax.vmap(stats))(draws)               # chains × samples × ...
    U, f, f2 = (np.asarray(x).mean(axis=1) for x in per)
    div = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    return ChainMeans(U, f, f2, div, time.perf_counter() - t0)
