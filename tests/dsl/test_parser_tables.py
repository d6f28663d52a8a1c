"""The parser's LALR tables are saved in the cache folder and loaded from there
(dsl/parser.py ``_parser``): the loaded parser gives the same trees and the same located
errors as a freshly built one; a truncated file or an unwritable folder only costs time."""
from __future__ import annotations

from pathlib import Path

import pytest

from statc.dsl import StatcError, parser as P

ROOT = Path(__file__).resolve().parents[2]
BAD = "params { eta = 0.5 }\ninput { x ~ gaussian }\nteacher { vector wt ~ gaussian; y = wt.x }\nstudent { yhat = }\n"


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("STATC_CACHE_DIR", str(tmp_path))
    P._parser.cache_clear()
    yield tmp_path
    P._parser.cache_clear()


def _error(text: str) -> str:
    with pytest.raises(StatcError) as e:
        P.parse(text, "bad.model")
    return str(e.value)


def test_saved_tables_parse_like_built_ones(fresh):
    src = (ROOT / "models" / "saad_solla.model").read_text()
    built = P.parse(src, "m.model")
    bad_built = _error(BAD)
    files = list((fresh / "parser").glob("grammar-*.lalr"))
    assert len(files) == 1 and files[0].stat().st_size > 10_000
    P._parser.cache_clear()
    calls = []
    orig = P.Lark.load
    P.Lark.load = classmethod(lambda cls, f: calls.append(1) or orig.__func__(cls, f))
    try:
        assert P.parse(src, "m.model") == built
        assert _error(BAD) == bad_built
    finally:
        P.Lark.load = orig
    assert calls == [1]


def test_a_truncated_table_file_is_rebuilt(fresh):
    P._parser()
    (path,) = (fresh / "parser").glob("grammar-*.lalr")
    path.write_bytes(path.read_bytes()[:100])
    P._parser.cache_clear()
    assert P.parse((ROOT / "models" / "saad_solla.model").read_text(), "m.model") is not None
    assert path.stat().st_size > 10_000


def test_an_unwritable_cache_folder_only_costs_time(fresh):
    (fresh / "parser").write_text("a file where the folder should be")
    assert P.parse((ROOT / "models" / "saad_solla.model").read_text(), "m.model") is not None
