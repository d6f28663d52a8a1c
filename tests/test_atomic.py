"""Atomic writes: complete files only, with the mode the user's umask gives."""
from __future__ import annotations

import os
import stat

import pytest

from statc.atomic import write_bytes, write_text


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_mode_follows_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        write_text(tmp_path / "sub" / "f.txt", "hello")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "sub" / "f.txt").stat().st_mode)
    assert mode == 0o666 & ~mask          # what open(path, "w") would give


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C between writing and renaming: no target, no temporary file."""
    def interrupted(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_bytes(tmp_path / "f.bin", b"x" * 1000)
    assert list(tmp_path.iterdir()) == []
