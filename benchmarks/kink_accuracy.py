#!/usr/bin/env python
"""Accuracy of the exact kinked atoms (compiler/kinked.py, compiler/orthant.py):
the numbers of the README table, against references the atoms do not share.

* 2- and 3-field families with an independently written closed form
  (compiler/gaussian_atoms.py): largest relative difference over 200 random
  covariances (half of them with two coinciding fields);
* the 4-field orthant P4 (Plackett integral): largest absolute violation of
  exact identities — block-diagonal C (product of Sheppard terms), a duplicated
  field (= P3), the sign flip P4(C) + P4(C with u0 → −u0) = P3, equicorrelation
  1/2 (= 1/5);
* the committee's 3- and 4-field families: near-singular covariances (two rows
  of the Cholesky-type factor differing by ε) against the exactly singular
  limit, |A(C_ε) − A(C_0)| (the exact value moves by O(ε), so this bounds the
  loss of precision near singularity).

    python benchmarks/kink_accuracy.py        # writes benchmarks/results/kink_accuracy.json
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from statc.compiler.gaussian import gaussian_atoms as ga
from statc.compiler.codegen.quadrature import load_standalone
from statc.compiler.ir.equation_ir import KinkAtom
from statc.compiler.gaussian.kinked import atom_name
from statc.compiler.gaussian.orthant import orth3, orth4

T0, T1, T2, L1 = (True, 0), (True, 1), (True, 2), (False, 1)
CLOSED = [((T0, T0), "relu_J2", (0, 1)), ((T0, T1), "ev_relu_step", (1, 0)),
          ((T1, T1), "relu_I2", (0, 1)), ((T1, L1), "ev_relu_z", (0, 1)),
          ((T0, L1), "ev_step_z", (0, 1)), ((T0, L1, L1), "ev_step_z_z", (0, 1, 2)),
          ((T1, L1, L1), "ev_relu_z_z", (0, 1, 2)), ((T0, T0, L1), "ev_step_step_z", (0, 1, 2)),
          ((T1, T1, L1), "ev_relu_relu_z", (0, 1, 2)), ((T0, T1, L1), "relu_I3", (0, 2, 1))]
COMMITTEE = [(T0, T1), (T0, T0, T1), (T0, T1, T1), (T0, T0, T2), (T0, T0, T1, T1)]


def upper(C):
    p = C.shape[0]
    return [float(C[i, j]) for i in range(p) for j in range(i, p)]


def cov(rng, p, dup=None, eps=0.0):
    A = rng.standard_normal((p, p + 2)) * rng.uniform(0.5, 1.5, (p, 1))
    if dup:
        A[dup[1]] = A[dup[0]] + eps * rng.standard_normal(p + 2)
    return A @ A.T


def main() -> dict:
    sigs = sorted({s for s, _, _ in CLOSED} | set(COMMITTEE))
    mod = load_standalone([KinkAtom(atom_name(s), s) for s in sigs], tempfile.mkdtemp())
    kink = lambda s, C: getattr(mod, atom_name(s))(*upper(C))         # noqa: E731
    rng = np.random.default_rng(0)
    out = {"closed_forms": {}, "orthant4": {}, "near_singular": {}}
    for sig, name, perm in CLOSED:
        worst = 0.0
        for n in range(200):
            C = cov(rng, len(sig), dup=(0, 1) if n % 2 else None)
            ref = getattr(ga, name)(*upper(C[np.ix_(perm, perm)]))
            worst = max(worst, abs(kink(sig, C) - ref) / max(abs(ref), 1e-300))
        out["closed_forms"][atom_name(sig)] = {"reference": name, "max_rel_diff": worst}
    ident = {"block": 0.0, "duplicate": 0.0, "flip": 0.0}
    for _ in range(200):
        C = cov(rng, 4)
        r = list(np.diag(C))
        B = C.copy()
        B[:2, 2:] = B[2:, :2] = 0.0
        p2 = [0.25 + np.arcsin(B[i, j] / np.sqrt(B[i, i] * B[j, j])) / (2 * np.pi) for i, j in ((0, 1), (2, 3))]
        ident["block"] = max(ident["block"], abs(orth4(*upper(B), *r) - p2[0] * p2[1]))
        F = C.copy()
        F[0, 1:] *= -1
        F[1:, 0] *= -1
        ident["flip"] = max(ident["flip"], abs(orth4(*upper(C), *r) + orth4(*upper(F), *r)
                                               - orth3(*upper(C[1:, 1:]), *r[1:])))
        D = cov(rng, 4, dup=(1, 3))
        ident["duplicate"] = max(ident["duplicate"], abs(orth4(*upper(D), *np.diag(D))
                                                         - orth3(*upper(D[:3, :3]), *np.diag(D)[:3])))
    E = np.full((4, 4), 0.5) + 0.5 * np.eye(4)
    ident["equicorrelation"] = abs(orth4(*upper(E), 1, 1, 1, 1) - 0.2)
    out["orthant4"] = ident
    for sig in COMMITTEE:
        p = len(sig)
        row = {}
        for eps in (1e-2, 1e-4, 1e-6, 1e-8, 1e-10):
            worst = 0.0
            for n in range(50):
                seed = int(rng.integers(2**31))
                pair = [(0, p - 1), (p - 2, p - 1)][n % 2]
                C0 = cov(np.random.default_rng(seed), p, dup=pair)
                Ce = cov(np.random.default_rng(seed), p, dup=pair, eps=eps)
                worst = max(worst, abs(kink(sig, Ce) - kink(sig, C0)) / max(abs(kink(sig, C0)), 1e-300))
            row[f"{eps:g}"] = worst
        out["near_singular"][atom_name(sig)] = row
    return out


if __name__ == "__main__":
    res = main()
    path = Path(__file__).resolve().parent / "results" / "kink_accuracy.json"
    path.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))
