"""`statc sweep`: a grid of parameter values run through `run`, `check` or `optimize`.

The grid is parsed here (never evaluated: user text is data), each point is one
Dask task, and each finished point is one directory keyed by a hash, so that an
interrupted sweep resumes where it stopped.  `statc plot` draws the results.

- :mod:`.grid`    grid specifications → a list of parameter points
- :mod:`.store`   point keys, point directories, ``results.csv``
- :mod:`.task`    what a worker runs for one point
- :mod:`.execute` the driver: compile once, submit, collect, resume
- :mod:`.plot`    line plots and heatmaps of ``results.csv``
"""
from __future__ import annotations

from .execute import sweep

__all__ = ["sweep"]
