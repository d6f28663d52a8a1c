"""Golden error messages: every bad fixture fails with exactly its `.err` text.

Each ``tests/fixtures/bad/NAME.model`` holds one mistake; ``NAME.err`` holds
the expected :meth:`StatcError.render` output.  Regenerate the goldens with
``python tests/fixtures/regen_golden.py`` after a deliberate message change.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from statc.dsl import StatcError, parse
from statc.dsl.parser import decode_source
from statc.dsl.semantics import check

BAD = Path(__file__).parent.parent / "fixtures" / "bad"
NAMES = sorted(p.stem for p in BAD.glob("*.model"))


def _check(name: str):
    """Read (as `statc` does: UTF-8, BOM allowed), parse and check one fixture."""
    path = f"tests/fixtures/bad/{name}.model"
    return check(parse(decode_source((BAD / f"{name}.model").read_bytes(), path), path))


def test_enough_fixtures():
    assert len(NAMES) >= 26


@pytest.mark.parametrize("name", NAMES)
def test_golden_message(name):
    golden = BAD / f"{name}.err"
    assert golden.exists(), f"missing {golden.name}; run tests/fixtures/regen_golden.py"
    with pytest.raises(StatcError) as info:
        _check(name)
    assert info.value.render() == golden.read_text().rstrip("\n")


@pytest.mark.parametrize("name", NAMES)
def test_message_is_located(name):
    """Every message names the file and a line, and shows the source line with a caret."""
    with pytest.raises(StatcError) as info:
        _check(name)
    err = info.value
    assert err.span is not None
    first, *rest = err.render().splitlines()
    assert first.startswith(f"tests/fixtures/bad/{name}.model:{err.span.line}:{err.span.column}: error: ")
    assert rest and rest[0].lstrip().startswith(f"{err.span.line} | ")
    assert "^" in rest[1]
