"""Where statc keeps what it can rebuild: one cache folder per user.

``$STATC_CACHE_DIR`` when set, otherwise the platform's user cache folder
(``~/.cache/statc`` on Linux).  The kernel cache (``compiler/cache.py``) and the
parser's LALR tables (``dsl/parser.py``) live there; deleting it only costs time.
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache folder (not created here)."""
    env = os.environ.get("STATC_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_cache_dir("statc"))
