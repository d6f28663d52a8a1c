"""The `.model` language: grammar, parser, AST and error reporting."""
from .errors import NumericalError, Span, StatcError, did_you_mean
from .parser import parse, parse_file

__all__ = ["parse", "parse_file", "StatcError", "NumericalError", "Span", "did_you_mean"]
