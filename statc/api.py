"""The notebook-facing API: :func:`load` → :class:`Model` → ``.run()``."""
from __future__ import annotations

from pathlib import Path

from statc.compiler.build import Compiled, compile_model
from statc.dsl import parse_file
from statc.runtime.online.solve import Trajectory


class Equations:
    """The derived equations; shown as LaTeX by Jupyter, as text by ``print``."""

    def __init__(self, text: str, latex: str):
        self.text = text
        self.latex = latex

    def _repr_latex_(self) -> str:
        return "$$" + self.latex + "$$"

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


class Model:
    """A compiled `.model` file."""

    def __init__(self, compiled: Compiled):
        self.compiled = compiled

    @property
    def name(self) -> str:
        return self.compiled.meta["model"]

    @property
    def params(self) -> list[str]:
        return list(self.compiled.meta["params"])

    @property
    def equations(self) -> Equations:
        return Equations(self.compiled.meta["show_text"], self.compiled.meta["show_latex"])

    def run(self, t_end: float | None = None, *, record=None, method: str | None = None,
            rtol: float | None = None, atol: float | None = None, dt: float | None = None,
            init_N: int = 1000, seed: int | None = 0, init_from=None, schedule=None,
            **params: float) -> Trajectory:
        """Integrate with parameter overrides given as keyword arguments.

        ``record`` is ``"log 200"``, ``"linear 50"`` or an int (linear);
        ``init_N = 0`` starts from the N → ∞ initial overlaps; ``schedule`` is a
        CSV path or ``{param: [(start, end, value), ...]}``.
        """
        runner = self.compiled.kind.resolve("runner")
        if isinstance(record, int):
            record = ("linear", record)
        elif isinstance(record, str):
            record = runner.parse_record(record)
        return runner.run(self.compiled, params, t_end=t_end, record=record, method=method,
                          rtol=rtol, atol=atol, dt=dt, init_N=init_N, seed=seed, init_from=init_from,
                          schedule=schedule)


def load(path: str | Path, cache_dir: str | Path | None = None) -> Model:
    """Parse, derive (or fetch from the cache) and load a `.model` file."""
    return Model(compile_model(parse_file(path), cache_dir))
