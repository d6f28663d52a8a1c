"""Golden error messages: every bad fixture fails with exactly its `.err` text.

Each ``tests/fixtures/<folder>/NAME.model`` holds one mistake the parser or the
checker finds (``bad``: every kind; ``bad_kernel``: the kernel kind's blocks);
``NAME.err`` holds the expected :meth:`StatcError.render` output.  Regenerate
the goldens with ``python tests/fixtures/regen_golden.py [--dir bad_kernel]``
after a deliberate message change.  (Errors raised later, by a kind's
derivation, have their goldens in ``bad_dmft`` and ``bad_static``, tested with
that derivation.)
"""
from __future__ import annotations

from pathlib import Path

import pytest

from statc.dsl import StatcError, parse
from statc.dsl.parser import decode_source
from statc.dsl.semantics import check

FIXTURES = Path(__file__).parent.parent / "fixtures"
#: fixture folder -> the least number of fixtures it must hold
FOLDERS = {"bad": 26, "bad_kernel": 20}
CASES = [(folder, p.stem) for folder in FOLDERS for p in sorted((FIXTURES / folder).glob("*.model"))]


def _check(folder: str, name: str):
    """Read (as `statc` does: UTF-8, BOM allowed), parse and check one fixture."""
    path = f"tests/fixtures/{folder}/{name}.model"
    return check(parse(decode_source((FIXTURES / folder / f"{name}.model").read_bytes(), path), path))


@pytest.mark.parametrize("folder", FOLDERS)
def test_enough_fixtures(folder):
    assert sum(f == folder for f, _ in CASES) >= FOLDERS[folder]


@pytest.mark.parametrize("folder, name", CASES)
def test_golden_message(folder, name):
    golden = FIXTURES / folder / f"{name}.err"
    assert golden.exists(), f"missing {golden.name}; run tests/fixtures/regen_golden.py --dir {folder}"
    with pytest.raises(StatcError) as info:
        _check(folder, name)
    assert info.value.render() == golden.read_text().rstrip("\n")


@pytest.mark.parametrize("folder, name", CASES)
def test_message_is_located(folder, name):
    """Every message names the file and a line, and shows the source line with a caret."""
    with pytest.raises(StatcError) as info:
        _check(folder, name)
    err = info.value
    assert err.span is not None
    first, *rest = err.render().splitlines()
    assert first.startswith(f"tests/fixtures/{folder}/{name}.model:{err.span.line}:{err.span.column}: error: ")
    assert rest and rest[0].lstrip().startswith(f"{err.span.line} | ")
    assert "^" in rest[1]
