"""Mixing types (attention heads) and readout rules: registries, not if-chains.

A head of layer ℓ is a fixed T′×T′ matrix Ω^{ℓ,h}(x) per example, columns = queries t,
rows = keys s (ATTENTION.md §1).  Every entry of :data:`MIXINGS` maps a batch of
sequences x (P × N0 × T′) to Ω (P × T′ × T′):

* ``attention(W, beta = b)``: Ω_st = exp(b x_sᵀ W x_t) / Σ_s′ exp(b x_s′ᵀ W x_t)
  (softmax over keys; each column sums to 1), W an N0×N0 query–key matrix named in
  the data set;
* ``hardmax(W)``: the b → ∞ limit, Ω_st = 1/|argmax| on the maximal keys of column t;
* ``uniform``: constant scores, Ω_st = 1/T′;
* ``identity``: no mixing, Ω = I (one head per layer: the deep linear network);
* ``previous_token``: query t attends to key t − 1 (the first token to itself);
* ``matrix(M)``: a fixed T′×T′ matrix M named in the data set, the same for every example.

Readout: the vector r ∈ R^{T′} with f(x) = a·x^{(L)} r/√N: ``last`` (e_{T′}), ``mean``
(average pooling, r = 1/T′), ``token k`` (e_k, 1-based).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class MixingType:
    """One mixing type: what it takes and how it builds Ω."""

    name: str
    doc: str
    matrix: str              # "" (none), "qk" (N0×N0 query-key matrix) or "mixing" (T'×T')
    options: tuple[str, ...]  # keyword options (numbers)
    build: Callable[..., np.ndarray]


def _scores(x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """s[p, s, t] = x_sᵀ W x_t."""
    return np.einsum("pns,nm,pmt->pst", x, W, x, optimize=True)


def _softmax(x: np.ndarray, W: np.ndarray, beta: float = 1.0) -> np.ndarray:
    s = beta * _scores(x, W)
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def _hardmax(x: np.ndarray, W: np.ndarray) -> np.ndarray:
    s = _scores(x, W)
    top = s >= s.max(axis=1, keepdims=True) - 1e-12 * np.maximum(1.0, np.abs(s).max(axis=1, keepdims=True))
    return top / top.sum(axis=1, keepdims=True)


def _uniform(x: np.ndarray) -> np.ndarray:
    P, _, T = x.shape
    return np.full((P, T, T), 1.0 / T)


def _previous(x: np.ndarray) -> np.ndarray:
    P, _, T = x.shape
    om = np.zeros((T, T))
    om[0, 0] = 1.0
    om[np.arange(T - 1), np.arange(1, T)] = 1.0
    return np.broadcast_to(om, (P, T, T)).copy()


def _fixed(x: np.ndarray, M: np.ndarray) -> np.ndarray:
    return np.broadcast_to(M, (x.shape[0],) + M.shape).copy()


MIXINGS: dict[str, MixingType] = {
    "attention": MixingType("attention", "softmax attention exp(beta x_s.W.x_t) over keys s",
                            "qk", ("beta",), lambda x, W, beta=1.0: _softmax(x, W, beta)),
    "hardmax": MixingType("hardmax", "hard attention on the keys of maximal score x_s.W.x_t",
                          "qk", (), lambda x, W: _hardmax(x, W)),
    "uniform": MixingType("uniform", "every query attends to all tokens equally", "", (),
                          lambda x: _uniform(x)),
    "identity": MixingType("identity", "every token stays itself (no mixing)", "", (),
                           lambda x: np.broadcast_to(np.eye(x.shape[2]), (x.shape[0],) + (x.shape[2],) * 2).copy()),
    "previous_token": MixingType("previous_token", "query t attends to token t - 1", "", (),
                                 lambda x: _previous(x)),
    "matrix": MixingType("matrix", "a fixed T' x T' mixing matrix from the data set", "mixing", (),
                         lambda x, M: _fixed(x, M)),
}

#: readout rules: name -> (needs a token number, r(T', token) ∈ R^{T'})
READOUTS: dict[str, tuple[bool, Callable[[int, int], np.ndarray]]] = {
    "last": (False, lambda T, k: np.eye(T)[T - 1]),
    "mean": (False, lambda T, k: np.full(T, 1.0 / T)),
    "token": (True, lambda T, k: np.eye(T)[k - 1]),
}


@dataclass(frozen=True)
class Head:
    """One declared head: its mixing type, the name of its matrix, its options."""

    name: str
    mixing: str
    matrix: str = ""
    options: tuple[tuple[str, float], ...] = ()

    def omega(self, x: np.ndarray, matrices: dict[str, np.ndarray]) -> np.ndarray:
        """Ω (P × T′ × T′) of this head on the sequences x (P × N0 × T′)."""
        entry = MIXINGS[self.mixing]
        args = (matrices[self.matrix],) if entry.matrix else ()
        return entry.build(x, *args, **dict(self.options))


def readout_vector(rule: str, T: int, token: int = 0) -> np.ndarray:
    """The readout vector r of a rule (``last``, ``mean``, ``token k``)."""
    return READOUTS[rule][1](T, token)
