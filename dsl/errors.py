"""Errors for people: every user mistake becomes a :class:`StatcError`.

A :class:`StatcError` carries the source span of the offending text, what was
expected there and a hint, and renders as::

    models/x.model:12:14: error: unknown name `etaa`
       12 |   train w lr etaa
          |              ^^^^
      expected: a parameter name
      hint: did you mean `eta`?

The CLI prints :meth:`StatcError.render` and exits with status 2; nothing
that a user can type produces a Python traceback.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Span:
    """A region of source text; lines and columns are 1-based, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(line: int, column: int) -> "Span":
        return Span(line, column, line, column + 1)


class StatcError(Exception):
    """A user-facing error: bad `.model` text, a bad option, numerical trouble."""

    exit_code = 2

    def __init__(self, message: str, span: Span | None = None, *,
                 expected: str | None = None, hint: str | None = None,
                 filename: str | None = None, source: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.expected = expected
        self.hint = hint
        self.filename = filename
        self.source = source

    def located(self, filename: str, source: str) -> "StatcError":
        """Attach the file name and text (kept if already set)."""
        if self.filename is None:
            self.filename = filename
        if self.source is None:
            self.source = source
        return self

    def render(self) -> str:
        # an error about the command line or a run, not about a place in a file, is the program's
        where = self.filename or ("<input>" if self.span is not None else "statc")
        lines: list[str] = []
        if self.span is not None:
            where += f":{self.span.line}:{self.span.column}"
        lines.append(f"{where}: error: {self.message}")
        if self.span is not None and self.source is not None:
            text = self.source.splitlines()
            if 1 <= self.span.line <= len(text):
                src = text[self.span.line - 1].rstrip("\n")
                width = len(str(self.span.line))
                start = max(self.span.column - 1, 0)
                if self.span.end_line == self.span.line:
                    length = max(self.span.end_column - self.span.column, 1)
                else:
                    length = max(len(src) - start, 1)
                lines.append(f"  {self.span.line} | {src}")
                lines.append(f"  {' ' * width} | {' ' * start}{'^' * length}")
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.render()


class NumericalError(StatcError):
    """Numerical trouble during a run (NaN, overflow, step-size collapse)."""

    exit_code = 3


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint from the closest candidate names, if any is close."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
