"""The kernel cache's keys: an edit of the compiler re-derives a model but reuses its machine code."""
from __future__ import annotations

from pathlib import Path

from statc.compiler import cache as cache_mod
from statc.compiler.build import compile_model
from statc.dsl.parser import parse_file

MODELS = Path(__file__).resolve().parents[2] / "models"


def _compile(cache_dir: Path):
    return compile_model(parse_file(MODELS / "linear_regression.model"), cache_dir=cache_dir)


def test_compiler_edit_rederives_but_keeps_the_kernel_file(tmp_path, monkeypatch):
    first = _compile(tmp_path)
    assert not first.cache_hit
    module_file = Path(first.module.__file__)
    stamp = module_file.stat().st_mtime_ns

    assert _compile(tmp_path).cache_hit

    # an edit anywhere in dsl/ or compiler/ changes the model key (the derivation may differ) ...
    monkeypatch.setattr(cache_mod, "tool_versions", lambda: "statc-src=edited sympy=? numba=? python=?")
    again = _compile(tmp_path)
    assert not again.cache_hit
    # ... but the generated text is the same, so the same module file is kept untouched and
    # Numba's machine code (keyed by that file's stamp) stays valid
    assert again.meta["kernel_key"] == first.meta["kernel_key"]
    assert module_file.stat().st_mtime_ns == stamp


def test_kernel_key_follows_the_imported_atom_modules(tmp_path, monkeypatch):
    source = "from statc.compiler.gaussian.orthant import orth1\n"
    before = cache_mod.kernel_key(source)
    assert cache_mod.kernel_key(source + "# other text\n") != before
    # the same text against an edited copy of the imported module gets another key
    fake_root = tmp_path / "root"
    target = fake_root / "compiler" / "gaussian" / "orthant.py"
    target.parent.mkdir(parents=True)
    target.write_bytes((cache_mod._PKG_ROOT / "compiler" / "gaussian" / "orthant.py").read_bytes())
    monkeypatch.setattr(cache_mod, "_PKG_ROOT", fake_root)
    assert cache_mod.kernel_key(source) == before
    target.write_text(target.read_text() + "\n# edited\n")
    assert cache_mod.kernel_key(source) != before

