"""Shared fixtures: one kernel cache for the whole test session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """A session-wide kernel cache (also exported for CLI subprocesses)."""
    if os.environ.get("STATC_TEST_CACHE"):
        d = Path(os.environ["STATC_TEST_CACHE"])
    elif os.environ.get("PYTEST_XDIST_WORKER"):
        # pytest-xdist: one cache shared by the workers (their base temps are siblings),
        # so a model is compiled once, not once per worker; writes are atomic renames
        d = tmp_path_factory.getbasetemp().parent / "statc-cache"
        d.mkdir(exist_ok=True)
    else:
        d = tmp_path_factory.mktemp("statc-cache")
    os.environ["STATC_CACHE_DIR"] = str(d)
    return d


@pytest.fixture(scope="session")
def load(cache_dir):
    """``load(name_or_path)`` → a compiled :class:`statc.Model`, cached per session."""
    import statc
    seen = {}

    def _load(name: str | Path):
        p = Path(name)
        if not p.suffix:
            p = MODELS / f"{name}.model"
        if p not in seen:
            seen[p] = statc.load(p, cache_dir=cache_dir)
        return seen[p]
    return _load
