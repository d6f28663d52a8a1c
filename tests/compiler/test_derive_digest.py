"""The online derivation gives the same Equation IR as recorded (issue #19).

``derive_digests.json`` holds, per shipped online model (``models/``) and online
fixture (``tests/fixtures/good/``), the Equation IR digest ``eq.digest()`` (the
kernel-cache key of the derived equations) and a digest of the terms' display
expressions, as derived by the code *before* the derive stage was optimised
(recorded with ``benchmarks/bench_derive.py --record``, each model in a fresh
process).  A speed-up of the SymPy work must not change what is derived; a
deliberate change of the equations re-records the file, with the reason (and a
numerical check of the changed terms) in the commit message.

Models that took more than 5 s to derive when recorded are marked slow.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORDED = json.loads((Path(__file__).with_name("derive_digests.json")).read_text())


def _cases():
    for label, rec in sorted(RECORDED.items()):
        marks = [pytest.mark.slow] if rec["seconds"] > 5 else []
        yield pytest.param(label, rec, marks=marks, id=Path(label).stem)


def test_every_online_model_is_recorded():
    from statc.kinds import theory_of
    online = {f"models/{p.name}" for p in sorted((ROOT / "models").glob("*.model"))
              if theory_of(p) == "online"}
    assert online and online <= set(RECORDED)


@pytest.mark.parametrize("label, rec", list(_cases()))
def test_derived_equations_unchanged(label, rec, monkeypatch):
    from statc.compiler.gaussian.legacy_kink import LEGACY_ENV
    from statc.compiler.online.derive_online import derive
    from statc.dsl import parse_file
    from statc.dsl.semantics import check
    monkeypatch.delenv(LEGACY_ENV, raising=False)
    cm = check(parse_file(ROOT / label))
    assert cm.theory == "online"
    eq = derive(cm)
    assert eq.digest() == rec["digest"]
    assert eq.display_digest() == rec["display_digest"]
