"""Head pruning curves (ATTENTION.md §7): accuracy and test error against the number of
pruned heads, heads removed in the order of the theory's head scores.

Pruning head (ℓ, h) removes every attention path through it: the network's output loses
those paths' terms, the other weights are kept (no re-training, no re-normalisation — the
1/√(H_ℓ N) factors of the unpruned network stay).  For a predictor with kernel K_U this is
the kernel of U restricted to the surviving paths S,

    K_U^S = Σ_{π,π′ ∈ S} U_ππ′ C_ππ′ ,

i.e. U with the rows and columns of the pruned paths set to zero, at the same temperature
T.  Order: ascending theory score score(ℓ, h) = Σ_{π or π′ through (ℓ,h)} |U_ππ′| of the
unpruned minimiser (ties by layer, then head), skipping a head that is the last one left in
its layer (a layer without heads has no path at all), so the curve has Σ_ℓ (H_ℓ − 1) + 1
points.  The GP-limit columns prune the *same* heads with U_GP = Π σ² I (the GP limit's own
scores are equal within a layer, so they cannot order the heads).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .predict import metrics, predict


@dataclass(frozen=True)
class PrunedHead:
    layer: int                  # 1-based
    head: int                   # 1-based within the layer
    name: str
    score: float


def pruning_order(scores: list[list[float]], names: list[list[str]],
                  descending: bool = False, layer: int | None = None) -> list[PrunedHead]:
    """Heads in the order they are pruned: by score (ascending, or descending for the
    worst-case control), never the last head of a layer; only the heads of ``layer``
    (1-based) when it is given — the per-layer order, for when scores are not comparable
    across layers."""
    heads = [PrunedHead(l + 1, h + 1, names[l][h], float(s))
             for l, row in enumerate(scores) for h, s in enumerate(row)
             if layer is None or l + 1 == layer]
    heads.sort(key=lambda p: ((-p.score if descending else p.score), p.layer, p.head))
    left = [len(row) for row in scores]
    order = []
    for p in heads:
        if left[p.layer - 1] > 1:
            left[p.layer - 1] -= 1
            order.append(p)
    return order


def surviving_paths(heads: tuple[int, ...], pruned: list[PrunedHead]) -> np.ndarray:
    """Indices of the paths (h_1 outermost) through no pruned head."""
    idx = np.array(np.unravel_index(np.arange(int(np.prod(heads))), heads)).T      # M × L
    keep = np.ones(idx.shape[0], bool)
    for p in pruned:
        keep &= idx[:, p.layer - 1] != p.head - 1
    return np.flatnonzero(keep)


def pruned_metrics(F: np.ndarray, y: np.ndarray, T: float, U: np.ndarray, F_test: np.ndarray,
                   y_test: np.ndarray, keep: np.ndarray) -> dict[str, float]:
    """Test metrics of the predictor whose kernel keeps only the paths ``keep`` of U."""
    Uk = U[np.ix_(keep, keep)]
    return metrics(predict(F[:, keep], y, T, Uk, F_test[:, keep]), y_test)


def pruning_curve(F: np.ndarray, y: np.ndarray, T: float, U: np.ndarray, U_gp: np.ndarray,
                  F_test: np.ndarray, y_test: np.ndarray, heads: tuple[int, ...],
                  order: list[PrunedHead], memo: dict | None = None) -> list[dict]:
    """One row per number of pruned heads k = 0 … len(order): the head pruned at step k, its
    score, and accuracy / test MSE / ε_g of the theory (U) and of the GP limit (U_GP).

    The metrics depend only on the surviving paths; ``memo`` (surviving paths → metrics)
    lets curves over the same U share the predictors they have in common (every curve's
    unpruned row, a layer curve's steps that the global order also takes)."""
    memo = {} if memo is None else memo
    rows = []
    for k in range(len(order) + 1):
        keep = surviving_paths(heads, order[:k])
        key = tuple(keep)
        if key not in memo:
            memo[key] = (pruned_metrics(F, y, T, U, F_test, y_test, keep),
                         pruned_metrics(F, y, T, U_gp, F_test, y_test, keep))
        th, gp = memo[key]
        last = order[k - 1] if k else None
        rows.append({"pruned": k, "layer": last.layer if last else 0, "head": last.name if last else "",
                     "score": last.score if last else float("nan"), "paths_left": int(keep.size),
                     "accuracy": th["accuracy"], "test_mse": th["test_mse"], "eps_g": th["eps_g"],
                     "accuracy_gp": gp["accuracy"], "test_mse_gp": gp["test_mse"], "eps_g_gp": gp["eps_g"]})
    return rows


def layer_curves(F: np.ndarray, y: np.ndarray, T: float, U: np.ndarray, U_gp: np.ndarray,
                 F_test: np.ndarray, y_test: np.ndarray, heads: tuple[int, ...],
                 scores: list[list[float]], names: list[list[str]],
                 memo: dict | None = None) -> dict[str, list[dict]]:
    """The per-layer curves: for each layer with more than one head, its heads pruned in
    ascending score order with every other layer intact (keys ``layer1``, ``layer2``, …).

    Head scores Σ|U_ππ′| grow with the number and size of the U entries a layer's heads
    share, so they rank heads *within* a layer; across layers they need not be comparable
    (on the digits model the layer-2 heads score highest yet three of four prune at no
    cost), which the global curve cannot show and these curves do.  ``memo`` as for
    :func:`pruning_curve` (pass the global curve's, at the same U)."""
    memo = {} if memo is None else memo
    return {f"layer{l + 1}": pruning_curve(F, y, T, U, U_gp, F_test, y_test, heads,
                                           pruning_order(scores, names, layer=l + 1), memo)
            for l in range(len(heads)) if heads[l] > 1}


COLUMNS = ("pruned", "layer", "head", "score", "paths_left", "accuracy", "test_mse", "eps_g",
           "accuracy_gp", "test_mse_gp", "eps_g_gp")


def _cells(r: dict) -> list[str]:
    return [r[c] if isinstance(r[c], str) else repr(r[c]) if isinstance(r[c], int) else repr(float(r[c]))
            for c in COLUMNS]


def csv_text(rows: list[dict]) -> str:
    """pruning.csv: the columns of :data:`COLUMNS`, one row per number of pruned heads."""
    return "\n".join([",".join(COLUMNS)] + [",".join(_cells(r)) for r in rows]) + "\n"


def layers_csv_text(curves: dict[str, list[dict]]) -> str:
    """pruning_layers.csv: a ``curve`` column (``layer1``, …) then the columns of
    :data:`COLUMNS`; each curve starts from the unpruned row."""
    out = [",".join(("curve",) + COLUMNS)]
    for name, rows in curves.items():
        out += [",".join([name] + _cells(r)) for r in rows]
    return "\n".join(out) + "\n"
