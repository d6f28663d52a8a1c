"""Helpers shared by the benchmark scripts."""
from __future__ import annotations

import platform


def cpu_name() -> str:
    """The processor's model name (Linux), for the results' machine record."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"
